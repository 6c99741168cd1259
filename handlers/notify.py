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

SMS = "sms"  # the channel whose users get a message's short SMS form

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
    sms_message: Message | None = None,
    **params: object,
) -> bool:
    """Queue ``message`` for ``user_id`` in their language.

    ``sms_message``: the short form an SMS number gets instead (one SMS
    segment, see :mod:`handlers.sms_forms`), built with the same ``params``.

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
    if user.channel == SMS and sms_message is not None:
        message = sms_message
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
    sms_message: Message | None = None,
    **params: object,
) -> int:
    """:func:`notify` for many recipients of one message (a broadcast): the
    text is built once per language (and once more for SMS numbers when
    ``sms_message`` is given) and the rows go in as multi-row INSERTs.
    ``key(user_id)`` gives each recipient's idempotency key. Returns how many
    messages were queued."""
    found = await tx.users.locales_and_channels(list(user_ids))
    texts: dict[tuple[str, bool], tuple[str, list[tuple[str, str]]]] = {}
    rows: dict[tuple[str, bool], list[tuple[str, int, str]]] = {}
    for uid in user_ids:
        if uid not in found:
            continue
        locale, channel = found[uid]
        t = catalogs.get(locale)
        short = channel == SMS and sms_message is not None
        form = (t.locale, short)
        if form not in texts:
            chosen = sms_message if short and sms_message is not None else message
            text = chosen(t) if callable(chosen) else t.gettext(chosen, **params)
            texts[form] = (text, [(oid, t.gettext(label)) for oid, label in options])
        text, _labels = texts[form]
        rows.setdefault(form, []).append((key(uid), uid, text))
    queued = 0
    for form, batch in rows.items():
        queued += await tx.outbox.enqueue_many(
            batch,
            kind=kind,
            now=now,
            not_before=not_before,
            options=texts[form][1],
            broadcast_id=broadcast_id,
        )
    return queued


async def notify_each(
    tx: Tx,
    catalogs: Catalogs,
    items: Sequence[tuple[int, str, Message, Message | None]],
    *,
    kind: str,
    now: datetime,
    options: Sequence[tuple[str, str]] = (),
) -> int:
    """:func:`notify` for many (user id, key, message, SMS form or None)
    items of one kind, each built in its recipient's language (an SMS number
    gets the SMS form when there is one), written in multi-row INSERTs
    (reminders to a whole commune). Returns how many were queued."""
    found = await tx.users.locales_and_channels(list({item[0] for item in items}))
    batches: dict[str, list[tuple[str, int, str]]] = {}
    for uid, key, message, sms_message in items:
        if uid not in found:
            continue
        locale, channel = found[uid]
        t = catalogs.get(locale)
        if channel == SMS and sms_message is not None:
            message = sms_message
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
