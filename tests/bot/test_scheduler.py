"""The scheduler loop: due jobs, failures, one leader across processes, and
its place in the app's start and stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text

from bot.app import build_app
from bot.config import Settings
from bot.scheduler import Job, Scheduler, default_jobs
from storage import Database, Vault
from storage.leader import KEEPALIVE_IDLE, dead_peer_seconds
from tests.conftest import NOW, TEST_SECRET


class Counter:
    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self, tx, catalogs, now) -> int:  # type: ignore[no-untyped-def]
        self.runs += 1
        return 1


async def _broken(tx, catalogs, now) -> int:  # type: ignore[no-untyped-def]
    raise RuntimeError("boom")


async def test_due_jobs_run_and_a_failing_one_does_not_stop_the_others(db, catalogs, clock):
    often, daily = Counter(), Counter()
    scheduler = Scheduler(
        db,
        catalogs,
        [Job("broken", _broken), Job("often", often), Job("daily", daily, timedelta(days=1))],
        clock=clock,
    )
    assert await scheduler.step() == {"often": 1, "daily": 1}
    clock.now = NOW + timedelta(hours=1)
    assert await scheduler.step() == {"often": 1}
    clock.now = NOW + timedelta(days=1)
    assert await scheduler.step() == {"often": 1, "daily": 1}
    assert (often.runs, daily.runs) == (3, 2)
    await scheduler.stop()


async def test_only_one_scheduler_leads_and_another_takes_over(db, database_url, catalogs, clock):
    """On PostgreSQL a second process (its own engine) runs nothing while the
    first leads, and takes over when it stops. SQLite has one process: it
    always leads."""
    other_db = Database(database_url, Vault(TEST_SECRET))
    first_jobs, second_jobs = Counter(), Counter()
    first = Scheduler(db, catalogs, [Job("count", first_jobs)], clock=clock)
    second = Scheduler(other_db, catalogs, [Job("count", second_jobs)], clock=clock)
    try:
        assert await first.step() == {"count": 1}
        if db.is_sqlite:
            assert await second.step() == {"count": 1}
            return
        assert await second.step() is None
        assert await first.step() == {"count": 1}  # still the leader
        assert await second.step() is None
        assert second_jobs.runs == 0
        await first.stop()
        assert await second.step() == {"count": 1}
        # The first, started again, now waits.
        assert await first.step() is None
    finally:
        await first.stop()
        await second.stop()
        await other_db.dispose()


async def test_the_loops_share_leadership_over_time(db, database_url, catalogs, clock):
    other_db = Database(database_url, Vault(TEST_SECRET))
    first_jobs, second_jobs = Counter(), Counter()
    first = Scheduler(db, catalogs, [Job("count", first_jobs)], clock=clock, tick=0.02)
    second = Scheduler(
        other_db, catalogs, [Job("count", second_jobs)], clock=clock, tick=0.02, retry=0.02
    )
    try:
        first.start()
        for _ in range(200):
            if first_jobs.runs >= 2:
                break
            await asyncio.sleep(0.02)
        second.start()
        await asyncio.sleep(0.2)
        if not db.is_sqlite:
            assert second_jobs.runs == 0
        await first.stop()
        before = first_jobs.runs
        for _ in range(200):
            if second_jobs.runs >= 2:
                break
            await asyncio.sleep(0.02)
        assert second_jobs.runs >= 2
        assert first_jobs.runs == before  # stopped means stopped
    finally:
        await first.stop()
        await second.stop()
        await other_db.dispose()


async def test_the_app_starts_and_stops_its_scheduler(database_url, seeded, clock):
    settings = Settings(
        database_url=database_url, secret_key=TEST_SECRET, web_enabled=False, scheduler_tick=0.05
    )
    app = build_app(settings, clock=clock)
    assert app.scheduler is not None
    assert [j.name for j in app.scheduler.jobs] == [
        "payment_reminders",
        "insurance_reminders",
        "officer_digests",
        "purge_auth_attempts",
        "followup_reminders",
    ]
    await app.start()
    for _ in range(100):
        if app.scheduler.leadership.held:
            break
        await asyncio.sleep(0.02)
    assert app.scheduler.leadership.held
    await app.stop()
    assert not app.scheduler.leadership.held
    off = build_app(
        Settings(database_url=database_url, secret_key=TEST_SECRET, scheduler_enabled=False)
    )
    assert off.scheduler is None
    await off.db.dispose()


def test_default_jobs_take_the_settings():
    jobs = default_jobs(Settings(secret_key=TEST_SECRET, payment_reminder_days=5))
    payday = next(j for j in jobs if j.name == "payment_reminders")
    assert payday.run.keywords["rules"].payment_days_before == 5  # type: ignore[attr-defined]
    purge = next(j for j in jobs if j.name == "purge_auth_attempts")
    assert purge.every == timedelta(days=1)
    # People are linked to SMS only where a gateway can send them.
    assert "sms_links" not in [j.name for j in jobs]
    with_sms = default_jobs(Settings(secret_key=TEST_SECRET, sms_send_url="http://gw/send"))
    assert with_sms[0].name == "sms_links"


async def test_another_takes_over_within_a_minute_when_the_leader_dies(
    db, database_url, catalogs, clock
):
    """The leader's database connection is killed (as when its process or
    machine dies): the lock is free at once and the next process takes over at
    its next try; the old leader notices and stands down. With the default
    settings a follower tries every 30 s, and PostgreSQL frees a vanished
    leader's lock within ``dead_peer_seconds``: under a minute together."""
    if db.is_sqlite:
        # One process: nobody to take over.
        assert await Scheduler(db, catalogs, []).step() == {}
        return
    assert Scheduler(db, catalogs, []).retry + dead_peer_seconds() < 60
    other_db = Database(database_url, Vault(TEST_SECRET))
    first_jobs, second_jobs = Counter(), Counter()
    first = Scheduler(db, catalogs, [Job("count", first_jobs)], clock=clock, tick=0.05)
    second = Scheduler(
        other_db, catalogs, [Job("count", second_jobs)], clock=clock, tick=0.05, retry=0.05
    )
    try:
        assert await first.step() == {"count": 1}
        conn = first.leadership._conn
        assert conn is not None
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        idle = (await conn.execute(text("SHOW tcp_keepalives_idle"))).scalar()
        assert idle == str(KEEPALIVE_IDLE)
        second.start()
        await asyncio.sleep(0.3)
        assert second_jobs.runs == 0  # the first still leads
        async with other_db.engine.connect() as admin:
            assert (
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            ).scalar()
        for _ in range(100):
            if second_jobs.runs >= 2:
                break
            await asyncio.sleep(0.05)
        assert second_jobs.runs >= 2
        # The old leader's next round finds its connection gone and runs nothing.
        before = first_jobs.runs
        assert await first.step() is None
        assert first_jobs.runs == before and not first.leadership.held
    finally:
        await first.stop()
        await second.stop()
        await other_db.dispose()
