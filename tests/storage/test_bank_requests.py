"""The bank-request store: one pending request per person, also when two are
filed at the same moment; a decision is made once; the method history."""

from __future__ import annotations

import asyncio

from storage.records import NewBankRequest
from tests.conftest import NOW


def _new(ben: int, user: int, number: str) -> NewBankRequest:
    return NewBankRequest(ben, user, "970405", "Agribank", number, "Nguyễn Thị Phàm", True, None)


async def _user(db, name: str) -> int:
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", name, "vi")
    return user.id


async def test_requests_filed_at_once_leave_one_pending(db, seeded):
    users = [await _user(db, f"relative-{i}") for i in range(4)]

    async def file(user: int, number: str) -> None:
        async with db.transaction() as tx:
            await tx.bank_requests.submit(_new(seeded["pham"], user, number), NOW)
            await asyncio.sleep(0.05)  # hold the transaction open a moment

    await asyncio.gather(*(file(u, f"1000{i}000") for i, u in enumerate(users)))
    async with db.transaction() as tx:
        latest = await tx.bank_requests.latest_for(seeded["pham"])
        pending = await tx.bank_requests.pending_in(["99001"])
    assert len(pending) == 1 and latest is not None and pending[0].id == latest.id


async def test_a_decision_is_made_once_and_kept_in_the_history(db, seeded):
    user = await _user(db, "relative")
    officer = await _user(db, "officer")
    async with db.transaction() as tx:
        first, replaced = await tx.bank_requests.submit(_new(seeded["tu"], user, "11112222"), NOW)
        assert replaced == 0 and not first.is_change  # he is paid at the post office
        approved = await tx.bank_requests.decide(
            first.id, approve=True, officer_id=officer, now=NOW, effective_period="2026-12"
        )
        assert approved is not None and approved.status == "approved"
        assert (
            await tx.bank_requests.decide(first.id, approve=False, officer_id=officer, now=NOW)
            is None
        )
        second, _ = await tx.bank_requests.submit(_new(seeded["tu"], user, "33334444"), NOW)
        assert second.is_change
        await tx.bank_requests.decide(
            second.id, approve=True, officer_id=officer, now=NOW, effective_period="2027-01"
        )
        assert await tx.bank_requests.history(seeded["tu"]) == [
            ("post", None, None),
            ("bank", "Agribank", "2026-12"),
            ("bank", "Agribank", "2027-01"),
        ]
        ben = await tx.beneficiaries.get(seeded["tu"])
        assert ben is not None and ben.payment_method == "bank" and ben.account_last4 == "4444"
        revealed = await tx.bank_requests.get(second.id, reveal=True)
        hidden = await tx.bank_requests.get(second.id)
    assert revealed is not None and revealed.account_number == "33334444"
    assert hidden is not None and hidden.account_number is None
