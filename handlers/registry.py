"""The capabilities plugged into the conversation, in the order they are asked.

Add a feature here (one line) and the router, the main menu and free-text
intents pick it up. See :mod:`handlers.features`.
"""

from __future__ import annotations

from handlers.broadcast import FEATURE as BROADCAST
from handlers.features import Feature

FEATURES: tuple[Feature, ...] = (BROADCAST,)
