"""Benchmark: importing payment rows from CSV, against a raw sqlite3
``executemany`` upsert of the same rows (CSV read with the csv module),
measured in the same run. Run ``pytest tests/perf -s`` to see the figures.

TARGET is the goal (0.2 of the raw rate); FLOOR guards against regressions
below what the importer achieves today (see the README's Performance section).
PERF_IMPORT_PEOPLE x PERF_IMPORT_PERIODS rows (default 10,000 x 10 = 100,000).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import time
from pathlib import Path

import pytest

from handlers.i18n import Catalogs
from handlers.importing.service import run_import
from tests.conftest import COMMUNE

pytestmark = pytest.mark.perf

PEOPLE = int(os.environ.get("PERF_IMPORT_PEOPLE", "10000"))
PERIODS = int(os.environ.get("PERF_IMPORT_PERIODS", "10"))
TARGET = 0.2
FLOOR = 0.006  # PostgreSQL runs measured 0.017-0.027; this catches a 3x slowdown


def _files(tmp: Path) -> tuple[Path, Path]:
    people = tmp / "ds.csv"
    with people.open("w", encoding="utf-8") as fh:
        fh.write("Họ và tên,Số CCCD,Ngày sinh,Mã xã,Mức hưởng\n")
        for i in range(PEOPLE):
            fh.write(f"Người {i},0011400{i:05d},01/01/1940,{COMMUNE.code},500000\n")
    payments = tmp / "chi.csv"
    with payments.open("w", encoding="utf-8") as fh:
        fh.write("Số CCCD,Kỳ,Số tiền,Trạng thái,Ngày chi\n")
        for p in range(1, PERIODS + 1):
            for i in range(PEOPLE):
                fh.write(f"0011400{i:05d},2026-{p:02d},500000,đã chi,10/{p:02d}/2026\n")
    return people, payments


def _raw_sqlite(path: Path, db_file: Path) -> float:
    """Seconds for the plain-sqlite3 baseline: read the CSV, upsert every row."""
    conn = sqlite3.connect(db_file)
    conn.execute(
        "CREATE TABLE payments (national_id TEXT, period TEXT, amount INTEGER, status TEXT, "
        "paid_on TEXT, PRIMARY KEY (national_id, period))"
    )
    t0 = time.perf_counter()
    with path.open(encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)
        with conn:
            conn.executemany(
                "INSERT INTO payments VALUES (?, ?, ?, ?, ?) ON CONFLICT (national_id, period) "
                "DO UPDATE SET amount = excluded.amount, status = excluded.status, "
                "paid_on = excluded.paid_on",
                rows,
            )
    seconds = time.perf_counter() - t0
    conn.close()
    return seconds


async def test_payment_import_rate_against_raw_sqlite(db, tmp_path, perf_report):
    async with db.transaction() as tx:
        await tx.communes.upsert(COMMUNE)
    people, payments = _files(tmp_path)
    vi = Catalogs().get("vi")
    seeded = await run_import(db, people, "beneficiaries", translator=vi)
    assert seeded.outcome == "applied"
    raw = _raw_sqlite(payments, tmp_path / "raw.db")
    t0 = time.perf_counter()
    result = await run_import(db, payments, "payments", translator=vi)
    ours = time.perf_counter() - t0
    rows = PEOPLE * PERIODS
    assert result.outcome == "applied" and result.counts.created == rows
    ratio = raw / ours
    engine = "SQLite" if db.is_sqlite else "PostgreSQL"
    perf_report(
        f"[perf] payments import on {engine}, {rows} rows: {rows / ours:,.0f} rows/s "
        f"({ours:.1f} s); raw sqlite3 executemany {rows / raw:,.0f} rows/s; "
        f"ratio {ratio:.3f} (target {TARGET}, regression floor {FLOOR})"
    )
    assert ratio >= FLOOR
