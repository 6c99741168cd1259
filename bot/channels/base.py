"""What the delivery worker needs from a channel to send proactive messages.

A channel adapter that can reach people on its own (Telegram, Zalo, SMS, the
web chat's inbox) offers ``deliver``; it turns the messenger's answers into
these errors, so the worker's retry rules are written once for every channel.
One that can also change a message it sent (Telegram, the web chat) offers
``post`` and ``edit`` (:class:`Editor`): a broadcast's progress message is then
edited in place; elsewhere (Zalo, SMS) it goes at the start and at the end.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from handlers.types import Reply


class DeliveryError(Exception):
    """Sending failed; ``reason`` is short and holds no personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """Try again later: a timeout, a 5xx answer, or 429 (with ``retry_after``
    seconds when the messenger said how long to wait)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unreachable(DeliveryError):
    """The person blocked the bot or left (403): stop until they write again."""


class Rejected(DeliveryError):
    """The messenger refused this message for good (400): do not retry it."""


class Sender(Protocol):
    name: str
    # Optional: a class attribute ``typed_options = True`` marks channels where
    # people answer a message's options by typing their number (Zalo's
    # numbered lists; the web chat, where typing works beside the buttons):
    # when such a message is sent, "2" then picks its second option. Telegram's
    # inline buttons answer for themselves.

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Send one reply to the person with this channel identity."""
        ...


@runtime_checkable
class Editor(Protocol):
    """A channel that can change a message it sent."""

    async def post(self, external_id: str, reply: Reply) -> str:
        """Send ``reply`` and return the reference :meth:`edit` takes."""
        ...

    async def edit(self, external_id: str, ref: str, reply: Reply) -> None:
        """Replace the text and options of the message ``ref``. Raises the
        errors ``deliver`` raises; ``Rejected`` when it can no longer be edited."""
        ...
