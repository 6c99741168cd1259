"""Benchmark: queueing one broadcast for many recipients (one officer's tap,
one transaction) with :func:`notify_many`, against calling :func:`notify` once
per recipient in the same run. Run ``pytest tests/perf/test_broadcast_throughput.py -s``.

PERF_BROADCAST_RECIPIENTS recipients (default 3,000, a large commune's linked users).
"""

from __future__ import annotations

import os
import time
from datetime import date

import pytest

from handlers.notify import notify, notify_many
from storage.records import NewBeneficiary
from tests.conftest import COMMUNE, NOW

pytestmark = pytest.mark.perf

RECIPIENTS = int(os.environ.get("PERF_BROADCAST_RECIPIENTS", "3000"))
FLOOR = 3.0  # notify_many must stay at least this many times faster than one row at a time


async def test_broadcast_queueing_against_one_row_at_a_time(db, catalogs, perf_report):
    async with db.transaction() as tx:
        await tx.communes.upsert(COMMUNE)
        for i in range(RECIPIENTS):
            nid = f"0011400{i:05d}"
            ben = await tx.beneficiaries.add(
                NewBeneficiary(nid, f"Người {i}", date(1940, 1, 1), COMMUNE.code)
            )
            user, _ = await tx.users.get_or_create("web", f"u{i}", "vi" if i % 3 else "en")
            await tx.links.add(user.id, ben, "self", "id_dob")
    async with db.transaction() as tx:
        users = (await tx.broadcasts.everyone(COMMUNE.code)).user_ids
    assert len(users) == RECIPIENTS

    def message(t):  # type: ignore[no-untyped-def]
        return t.gettext(
            "📣 Message from {commune}:\n{text}", commune=COMMUNE.name, text="Họp thôn"
        )

    t0 = time.perf_counter()
    async with db.transaction() as tx:
        for uid in users:
            await notify(
                tx, catalogs, user_id=uid, key=f"one:{uid}", kind="b", message=message, now=NOW
            )
    one_by_one = time.perf_counter() - t0
    t0 = time.perf_counter()
    async with db.transaction() as tx:
        queued = await notify_many(
            tx,
            catalogs,
            user_ids=users,
            key=lambda uid: f"many:{uid}",
            kind="b",
            message=message,
            now=NOW,
        )
    bulk = time.perf_counter() - t0
    assert queued == RECIPIENTS
    ratio = one_by_one / bulk
    perf_report(
        f"broadcast queueing, {RECIPIENTS} recipients: notify_many {bulk:.3f} s, "
        f"notify one by one {one_by_one:.3f} s, {ratio:.1f}x faster ({db.engine.dialect.name})"
    )
    assert ratio >= FLOOR
    async with db.transaction() as tx:
        again = await notify_many(
            tx,
            catalogs,
            user_ids=users,
            key=lambda uid: f"many:{uid}",
            kind="b",
            message=message,
            now=NOW,
        )
    assert again == 0
