"""What the delivery worker needs from a channel to send proactive messages.

A channel adapter that can reach people on its own (Telegram, Zalo, SMS, the
web chat's inbox) offers ``deliver``; it turns the messenger's answers into
these errors, so the worker's retry rules are written once for every channel.
"""

from __future__ import annotations

from typing import Protocol

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

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Send one reply to the person with this channel identity."""
        ...
