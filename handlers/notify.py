"""Proactive messages: built in the recipient's language and written to the
outbox in the caller's transaction (transactional outbox), so an event and the
messages it causes commit together or not at all.

The delivery worker sends outbox rows later; a handler never sends a
proactive message itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from handlers.i18n import Catalogs, Translator
from storage import Tx

# A message is a msgid with ``params`` or, when some parts must themselves be
# formatted for the recipient (money, dates), a function of their translator.
Message = str | Callable[[Translator], str]


async def notify(
    tx: Tx,
    catalogs: Catalogs,
    *,
    user_id: int,
    key: str,
    kind: str,
    message: Message,
    now: datetime,
    options: Sequence[tuple[str, str]] = (),
    not_before: datetime | None = None,
    broadcast_id: int | None = None,
    **params: object,
) -> bool:
    """Queue ``message`` for ``user_id`` in their language.

    ``key`` identifies the event and recipient ("bank_request:42:decided:user:7");
    the same key twice queues one message. ``options`` are (id, msgid) pairs,
    translated too. ``broadcast_id`` ties the message to an officer's
    broadcast (its status, cancel and report). Returns True when a message was queued, False when the key
    was already there or the user no longer exists.
    """
    user = await tx.users.get(user_id)
    if user is None:
        return False
    t = catalogs.get(user.locale)
    text = message(t) if callable(message) else t.gettext(message, **params)
    return await tx.outbox.enqueue(
        key=key,
        user_id=user_id,
        kind=kind,
        text=text,
        options=[(oid, t.gettext(label)) for oid, label in options],
        now=now,
        not_before=not_before,
        broadcast_id=broadcast_id,
    )
