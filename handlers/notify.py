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


async def notify_many(
    tx: Tx,
    catalogs: Catalogs,
    *,
    user_ids: Sequence[int],
    key: Callable[[int], str],
    kind: str,
    message: Message,
    now: datetime,
    options: Sequence[tuple[str, str]] = (),
    not_before: datetime | None = None,
    broadcast_id: int | None = None,
    **params: object,
) -> int:
    """:func:`notify` for many recipients of one message (a broadcast): the
    text is built once per language and the rows go in as multi-row INSERTs.
    ``key(user_id)`` gives each recipient's idempotency key. Returns how many
    messages were queued."""
    locales = await tx.users.locales(list(user_ids))
    texts: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    rows: dict[tuple[str, ...], list[tuple[str, int, str]]] = {}
    for uid in user_ids:
        if uid not in locales:
            continue
        t = catalogs.get(locales[uid])
        if t.locale not in texts:
            text = message(t) if callable(message) else t.gettext(message, **params)
            texts[t.locale] = (text, [(oid, t.gettext(label)) for oid, label in options])
        text, labels = texts[t.locale]
        rows.setdefault((t.locale,), []).append((key(uid), uid, text))
    queued = 0
    for (locale,), batch in rows.items():
        queued += await tx.outbox.enqueue_many(
            batch,
            kind=kind,
            now=now,
            not_before=not_before,
            options=texts[locale][1],
            broadcast_id=broadcast_id,
        )
    return queued


async def notify_each(
    tx: Tx,
    catalogs: Catalogs,
    items: Sequence[tuple[int, str, Message]],
    *,
    kind: str,
    now: datetime,
    options: Sequence[tuple[str, str]] = (),
) -> int:
    """:func:`notify` for many (user id, key, message) items of one kind, each
    built in its recipient's language, written in multi-row INSERTs
    (reminders to a whole commune). Returns how many were queued."""
    locales = await tx.users.locales(list({uid for uid, _k, _m in items}))
    batches: dict[str, list[tuple[str, int, str]]] = {}
    for uid, key, message in items:
        if uid not in locales:
            continue
        t = catalogs.get(locales[uid])
        text = message(t) if callable(message) else t.gettext(message)
        batches.setdefault(t.locale, []).append((key, uid, text))
    queued = 0
    for locale, batch in batches.items():
        t = catalogs.get(locale)
        queued += await tx.outbox.enqueue_many(
            batch,
            kind=kind,
            now=now,
            options=[(oid, t.gettext(label)) for oid, label in options],
        )
    return queued
