"""Bank-account requests, their decisions and the payment-method history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from storage.models import BankRequestRow, BeneficiaryRow, PaymentMethodHistoryRow
from storage.records import BankChange, BankRequest, NewBankRequest
from storage.stores import _Store


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class BankRequestStore(_Store):
    def _record(self, row: BankRequestRow, name: str, *, reveal: bool = False) -> BankRequest:
        return BankRequest(
            id=row.id,
            beneficiary_id=row.beneficiary_id,
            beneficiary_name=name,
            requester_user_id=row.requester_user_id,
            commune_code=row.commune_code,
            status=row.status,
            bank_bin=row.bank_bin,
            bank_name=row.bank_name,
            account_last4=row.account_last4,
            holder_name=row.holder_name,
            holder_matches=row.holder_matches,
            holder_reason=row.holder_reason,
            is_change=row.is_change,
            created_at=_aware(row.created_at) or row.created_at,
            decided_at=_aware(row.decided_at),
            decided_by=row.decided_by,
            reject_reason=row.reject_reason,
            effective_period=row.effective_period,
            account_number=self.vault.decrypt(row.account_enc) if reveal else None,
        )

    def _select(self) -> Any:
        return select(BankRequestRow, BeneficiaryRow.full_name).join(
            BeneficiaryRow, BeneficiaryRow.id == BankRequestRow.beneficiary_id
        )

    async def submit(self, new: NewBankRequest, now: datetime) -> tuple[BankRequest, int]:
        """File a request; a pending one for the same person is replaced.
        Returns the request and how many pending ones it replaced."""
        ben = (
            await self.session.execute(
                select(BeneficiaryRow)
                .where(BeneficiaryRow.id == new.beneficiary_id)
                .with_for_update()
            )
        ).scalar_one()
        replaced = await self.session.execute(
            update(BankRequestRow)
            .where(
                BankRequestRow.beneficiary_id == new.beneficiary_id,
                BankRequestRow.status == "pending",
            )
            .values(status="replaced", decided_at=now)
        )
        approved_before = (
            await self.session.execute(
                select(BankRequestRow.id)
                .where(
                    BankRequestRow.beneficiary_id == new.beneficiary_id,
                    BankRequestRow.status == "approved",
                )
                .limit(1)
            )
        ).first()
        row = BankRequestRow(
            beneficiary_id=new.beneficiary_id,
            requester_user_id=new.requester_user_id,
            commune_code=ben.commune_code,
            status="pending",
            bank_bin=new.bank_bin,
            bank_name=new.bank_name,
            account_enc=self.vault.encrypt(new.account_number),
            account_last4=new.account_number[-4:],
            holder_name=new.holder_name,
            holder_matches=new.holder_matches,
            holder_reason=new.holder_reason,
            is_change=approved_before is not None or ben.account_enc is not None,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return self._record(row, ben.full_name), int(replaced.rowcount or 0)  # type: ignore[attr-defined]

    async def get(self, request_id: int, *, reveal: bool = False) -> BankRequest | None:
        found = (
            await self.session.execute(self._select().where(BankRequestRow.id == request_id))
        ).first()
        return self._record(found[0], found[1], reveal=reveal) if found else None

    async def latest_for(self, beneficiary_id: int) -> BankRequest | None:
        """The person's most recent request that is not replaced."""
        found = (
            await self.session.execute(
                self._select()
                .where(
                    BankRequestRow.beneficiary_id == beneficiary_id,
                    BankRequestRow.status != "replaced",
                )
                .order_by(BankRequestRow.id.desc())
                .limit(1)
            )
        ).first()
        return self._record(found[0], found[1]) if found else None

    async def count_pending(self, commune_codes: list[str]) -> int:
        return int(
            (
                await self.session.execute(
                    select(func.count()).where(
                        BankRequestRow.commune_code.in_(commune_codes),
                        BankRequestRow.status == "pending",
                    )
                )
            ).scalar_one()
        )

    async def pending_in(self, commune_codes: list[str], limit: int = 20) -> list[BankRequest]:
        rows = (
            await self.session.execute(
                self._select()
                .where(
                    BankRequestRow.commune_code.in_(commune_codes),
                    BankRequestRow.status == "pending",
                )
                .order_by(BankRequestRow.id)
                .limit(limit)
            )
        ).all()
        return [self._record(r[0], r[1]) for r in rows]

    async def decide(
        self,
        request_id: int,
        *,
        approve: bool,
        officer_id: int,
        now: datetime,
        effective_period: str | None = None,
        reason: str | None = None,
    ) -> BankRequest | None:
        """Approve or reject a pending request; None when it is no longer
        pending (decided meanwhile, or replaced). Approval makes the account
        the person's payment method from ``effective_period`` on and keeps
        the earlier method in the history."""
        row = (
            await self.session.execute(
                select(BankRequestRow).where(BankRequestRow.id == request_id).with_for_update()
            )
        ).scalar_one_or_none()
        if row is None or row.status != "pending":
            return None
        row.status = "approved" if approve else "rejected"
        row.decided_at = now
        row.decided_by = officer_id
        ben = await self.session.get(BeneficiaryRow, row.beneficiary_id)
        assert ben is not None
        if approve:
            row.effective_period = effective_period
            has_history = (
                await self.session.execute(
                    select(PaymentMethodHistoryRow.id)
                    .where(PaymentMethodHistoryRow.beneficiary_id == ben.id)
                    .limit(1)
                )
            ).first()
            if has_history is None:
                # What was on file before the first change: kept as it was.
                self.session.add(
                    PaymentMethodHistoryRow(
                        beneficiary_id=ben.id,
                        method=ben.payment_method,
                        bank_name=ben.bank_name,
                        account_enc=ben.account_enc,
                        account_last4=ben.account_last4,
                        account_name=ben.account_name,
                        effective_period=None,
                        created_at=now,
                    )
                )
            self.session.add(
                PaymentMethodHistoryRow(
                    beneficiary_id=ben.id,
                    method="bank",
                    bank_bin=row.bank_bin,
                    bank_name=row.bank_name,
                    account_enc=row.account_enc,
                    account_last4=row.account_last4,
                    account_name=row.holder_name,
                    effective_period=effective_period,
                    request_id=row.id,
                    created_at=now,
                )
            )
            # The current method. ``import_digest`` is left alone: an
            # unedited old list imported again does not undo the approval.
            ben.payment_method = "bank"
            ben.bank_name = row.bank_name
            ben.account_enc = row.account_enc
            ben.account_last4 = row.account_last4
            ben.account_name = row.holder_name
            ben.updated_at = now
        else:
            row.reject_reason = reason
        await self.session.flush()
        return self._record(row, ben.full_name)

    async def history(self, beneficiary_id: int) -> list[tuple[str, str | None, str | None]]:
        """(method, bank name, effective period) of every recorded method, oldest first."""
        rows = (
            await self.session.execute(
                select(
                    PaymentMethodHistoryRow.method,
                    PaymentMethodHistoryRow.bank_name,
                    PaymentMethodHistoryRow.effective_period,
                )
                .where(PaymentMethodHistoryRow.beneficiary_id == beneficiary_id)
                .order_by(PaymentMethodHistoryRow.id)
            )
        ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    async def approved_changes(
        self, period: str, commune_codes: list[str] | None = None
    ) -> list[BankChange]:
        """Approved requests taking effect in ``period``, decrypted, for the
        payment provider's list: one per person, the last approved (a later
        approval in the same period replaces the earlier one)."""
        latest = (
            select(func.max(BankRequestRow.id))
            .where(BankRequestRow.status == "approved", BankRequestRow.effective_period == period)
            .group_by(BankRequestRow.beneficiary_id)
        )
        q = (
            select(BankRequestRow, BeneficiaryRow.full_name, BeneficiaryRow.national_id_enc)
            .join(BeneficiaryRow, BeneficiaryRow.id == BankRequestRow.beneficiary_id)
            .where(BankRequestRow.id.in_(latest))
            .order_by(BankRequestRow.commune_code, BankRequestRow.id)
        )
        if commune_codes is not None:
            q = q.where(BankRequestRow.commune_code.in_(commune_codes))
        out = []
        for row, name, nid in (await self.session.execute(q)).all():
            out.append(
                BankChange(
                    request_id=row.id,
                    commune_code=row.commune_code,
                    national_id=self.vault.decrypt(nid),
                    full_name=name,
                    bank_bin=row.bank_bin,
                    bank_name=row.bank_name,
                    account_number=self.vault.decrypt(row.account_enc),
                    holder_name=row.holder_name,
                    holder_matches=row.holder_matches,
                    effective_period=period,
                    decided_at=_aware(row.decided_at) or now_utc(),
                    is_change=row.is_change,
                )
            )
        return out


def now_utc() -> datetime:
    return datetime.now(UTC)
