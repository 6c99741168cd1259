"""The conversation: what citizens, volunteers and officers can do.

Handlers never import a messenger SDK. They take a neutral :class:`Incoming`
and return neutral :class:`Reply` objects; channel adapters in ``bot.channels``
render them.
"""

from handlers.types import Attachment, FileUpload, Incoming, Option, Reply

__all__ = ["Attachment", "FileUpload", "Incoming", "Option", "Reply"]
