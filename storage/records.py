"""Plain records the stores return. Personal numbers are already decrypted
only where a caller needs them; display code masks them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    province_code: str
    province_name: str
    payment_day: int | None
    officer_name: str | None
    officer_phone: str | None


@dataclass(frozen=True)
class Beneficiary:
    id: int
    full_name: str
    commune_code: str
    village: str | None
    category: str
    monthly_amount: int
    payment_method: str
    bank_name: str | None
    account_last4: str | None
    # Gender digit of the citizen ID: even = male, odd = female (for "Ông"/"Bà").
    female: bool
    # Year of birth (digits 4-6 of the ID say as much): a child is not "Ông"/"Bà".
    birth_year: int | None = None


@dataclass(frozen=True)
class NewBeneficiary:
    """What an import or the demo writes for one person."""

    national_id: str
    full_name: str
    date_of_birth: date | int | None  # an int when the list gives the year alone
    commune_code: str
    village: str | None = None
    # None in an import means "the list does not say": an existing person
    # keeps what is stored, a new one gets "other" / 0 / "cash".
    category: str | None = "elderly"
    monthly_amount: int | None = 0
    payment_method: str | None = "cash"
    bank_name: str | None = None
    account_number: str | None = None
    phone: str | None = None
    relative_phone: str | None = None
    account_name: str | None = None
    health_insurance_number: str | None = None
    health_insurance_expiry: date | None = None


@dataclass(frozen=True)
class PaymentImport:
    """One payment row of an officer's list, before it is matched to a person."""

    national_id: str
    period: str
    amount: int
    status: str
    paid_on: date | None
    method: str | None
    note: str | None
    bank_name: str | None = None
    account_number: str | None = None


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Payments: how many rows *became* each status (new rows and changes).
    became: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Payment:
    beneficiary_id: int
    period: str
    amount: int
    status: str
    paid_on: date | None
    method: str
    bank_name: str | None
    account_last4: str | None
    note: str | None


@dataclass(frozen=True)
class User:
    id: int
    channel: str
    external_id: str
    locale: str
    role: str
    display_name: str | None
    # "Your allowance has arrived" messages are on.
    notify_payments: bool = True


@dataclass(frozen=True)
class Link:
    user_id: int
    beneficiary: Beneficiary
    relation: str
    via: str
    created_at: datetime
    commune: Commune | None = None
    # The payment of the period asked for, when the caller asked for one.
    payment: Payment | None = None


@dataclass
class ConversationState:
    state: str
    data: dict
    options: list[tuple[str, str]]


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    user_id: int | None
    action: str
    beneficiary_id: int | None
    detail: dict


@dataclass(frozen=True)
class ExportedPayment:
    """One payment as an officer's list shows it: who (citizen ID decrypted) and what."""

    national_id: str
    full_name: str
    period: str
    amount: int
    status: str
    paid_on: date | None
    method: str
    note: str | None


@dataclass(frozen=True)
class BankRequest:
    """A bank-account registration for a beneficiary. ``account_number`` is
    decrypted only when the caller asked for it (the reviewing officer, the
    payment provider's export); otherwise it is None and ``account_last4``
    is what may be shown."""

    id: int
    beneficiary_id: int
    beneficiary_name: str
    requester_user_id: int | None
    commune_code: str
    status: str
    bank_bin: str
    bank_name: str
    account_last4: str
    holder_name: str
    holder_matches: bool
    holder_reason: str | None
    is_change: bool
    created_at: datetime
    decided_at: datetime | None
    decided_by: int | None
    reject_reason: str | None
    effective_period: str | None
    account_number: str | None = None


@dataclass(frozen=True)
class NewBankRequest:
    beneficiary_id: int
    requester_user_id: int
    bank_bin: str
    bank_name: str
    account_number: str
    holder_name: str
    holder_matches: bool
    holder_reason: str | None


@dataclass(frozen=True)
class BankChange:
    """One approved account change as the payment provider's list shows it."""

    request_id: int
    commune_code: str
    national_id: str
    full_name: str
    bank_bin: str
    bank_name: str
    account_number: str
    holder_name: str
    holder_matches: bool
    effective_period: str
    decided_at: datetime
    is_change: bool


@dataclass(frozen=True)
class PaymentNews:
    """A payment's status changed in an import, for one person linked to the
    beneficiary (their user id): the source of "your allowance has arrived"."""

    event_id: int
    user_id: int
    beneficiary: Beneficiary
    payment: Payment
    commune: Commune | None
