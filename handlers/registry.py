"""The capabilities plugged into the conversation, in the order they are asked.

Add a feature here (one line) and the router, the main menu and free-text
intents pick it up. See :mod:`handlers.features`.
"""

from __future__ import annotations

from handlers import payment_news, reports
from handlers.bank_account import FEATURE as BANK_ACCOUNT
from handlers.broadcast import FEATURE as BROADCAST
from handlers.features import Feature
from handlers.sms import FEATURE as SMS
from handlers.volunteer import FEATURE as VOLUNTEERS

FEATURES: tuple[Feature, ...] = (
    SMS,  # first: a message by SMS is never a conversation
    VOLUNTEERS,
    BANK_ACCOUNT,
    BROADCAST,
    payment_news.FEATURE,
    reports.FEATURE,
)
