"""A fictitious commune to try the bot with: a few hundred beneficiaries of
several categories and six months of payments, including pending, failed and
returned cases. Every name and number here is made up."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from handlers.ids import PROVINCE_CODES
from storage import Database
from storage.records import Commune, NewBeneficiary, Payment

DEMO_COMMUNE = Commune(
    code="99001",
    name="Xã Hòa An (demo)",
    province_code="99",
    province_name="Tỉnh Demo",
    payment_day=10,
    officer_name="Trần Văn Bình (cán bộ LĐ-TB&XH)",
    officer_phone="0912 345 678",
)

_SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
]
_MIDDLE_F = ["Thị", "Thị", "Ngọc", "Thu", "Kim"]
_MIDDLE_M = ["Văn", "Văn", "Đức", "Hữu", "Minh"]
_GIVEN_F = ["Phàm", "Lan", "Hoa", "Mai", "Hòa", "Cúc", "Đào", "Hằng", "Nga", "Xuân", "Thơm", "Sen"]
_GIVEN_M = [
    "Bình",
    "Hùng",
    "Dũng",
    "Tư",
    "Sáu",
    "Bảy",
    "Khải",
    "Lộc",
    "Phúc",
    "Thành",
    "Tâm",
    "Quý",
]
_VILLAGES = ["Thôn Đông", "Thôn Tây", "Thôn Trung", "Thôn Bắc", "Tổ 5"]
_BANKS = ["Agribank", "Vietcombank", "VietinBank", "BIDV", "Ngân hàng Chính sách xã hội"]
# Category -> coefficient of the 500,000 VND standard rate (Decree 76/2024).
_CATEGORIES = [
    ("elderly", 1.0, 0.45),
    ("disabled", 2.0, 0.35),
    ("orphan", 2.5, 0.05),
    ("meritorious", 1.5, 0.15),
]
_FAIL_NOTES = ["tài khoản bị khóa", "sai số tài khoản", "tài khoản đã đóng"]
_RETURN_NOTES = ["người nhận vắng nhà", "chưa nhận tại điểm chi trả"]


@dataclass(frozen=True)
class Sample:
    label: str
    national_id: str
    born: date
    name: str


def _periods(today: date, count: int) -> list[str]:
    out = []
    y, m = today.year, today.month
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def _national_id(rng: random.Random, born: date, female: bool, used: set[str]) -> str:
    while True:
        province = rng.choice(sorted(PROVINCE_CODES))
        century_digit = (0 if born.year < 2000 else 2) + (1 if female else 0)
        nid = f"{province}{century_digit}{born.year % 100:02d}{rng.randrange(10**6):06d}"
        if nid not in used:
            used.add(nid)
            return nid


def _phone(rng: random.Random) -> str:
    return "+849" + f"{rng.randrange(10**8):08d}"


async def seed_demo(
    db: Database, *, count: int = 300, seed: int = 2026, today: date | None = None
) -> list[Sample]:
    """Fill an empty, migrated database; return people to try."""
    rng = random.Random(seed)
    today = today or datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    periods = _periods(today, 6)
    used: set[str] = set()
    samples: dict[str, Sample] = {}
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        await tx.communes.upsert(DEMO_COMMUNE)
        for i in range(count):
            female = rng.random() < 0.6
            cat = rng.choices(_CATEGORIES, weights=[c[2] for c in _CATEGORIES])[0]
            if cat[0] == "orphan":
                born = date(rng.randint(2010, 2020), rng.randint(1, 12), rng.randint(1, 28))
            elif cat[0] == "disabled":
                born = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
            else:
                born = date(rng.randint(1930, 1950), rng.randint(1, 12), rng.randint(1, 28))
            name = " ".join(
                [
                    rng.choice(_SURNAMES),
                    rng.choice(_MIDDLE_F if female else _MIDDLE_M),
                    rng.choice(_GIVEN_F if female else _GIVEN_M),
                ]
            )
            nid = _national_id(rng, born, female, used)
            method = rng.choices(["bank", "post", "cash"], weights=[0.6, 0.3, 0.1])[0]
            bank = rng.choice(_BANKS) if method == "bank" else None
            account = f"{rng.randrange(10**12):012d}" if method == "bank" else None
            amount = int(500_000 * cat[1])
            has_relative = rng.random() < 0.4
            ben_id = await tx.beneficiaries.add(
                NewBeneficiary(
                    national_id=nid,
                    full_name=name,
                    date_of_birth=born,
                    commune_code=DEMO_COMMUNE.code,
                    village=rng.choice(_VILLAGES),
                    category=cat[0],
                    monthly_amount=amount,
                    payment_method=method,
                    bank_name=bank,
                    account_number=account,
                    phone=_phone(rng) if rng.random() < 0.3 else None,
                    relative_phone=_phone(rng) if has_relative else None,
                ),
                now=now,
            )
            # This month's outcome, chosen so the demo shows every case.
            current = (
                ["paid", "pending", "failed", "returned"][i % 4]
                if i < 8
                else rng.choices(
                    ["paid", "pending", "failed", "returned"], weights=[0.7, 0.2, 0.05, 0.05]
                )[0]
            )
            if method != "bank" and current == "failed":
                current = "returned"
            if method == "bank" and current == "returned":
                current = "failed"
            for period in periods:
                y, m = map(int, period.split("-"))
                is_current = period == periods[-1]
                status = current if is_current else ("paid" if rng.random() < 0.95 else "returned")
                paid_day = min(today.day, 10) if is_current else rng.randint(2, 12)
                note = None
                if status == "failed":
                    note = rng.choice(_FAIL_NOTES)
                elif status == "returned":
                    note = rng.choice(_RETURN_NOTES)
                await tx.payments.upsert(
                    Payment(
                        beneficiary_id=ben_id,
                        period=period,
                        amount=amount,
                        status=status,
                        paid_on=date(y, m, paid_day) if status == "paid" else None,
                        method=method,
                        bank_name=bank,
                        account_last4=account[-4:] if account else None,
                        note=note,
                    ),
                    now=now,
                )
            label = f"{current}/{method}"
            if label not in samples:
                samples[label] = Sample(label, nid, born, name)
    return sorted(samples.values(), key=lambda s: s.label)
