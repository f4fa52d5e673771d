"""The shapes the API returns. Money is a decimal string; dates are ISO 8601."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema


class Message(Schema):
    detail: str


class AccountOut(Schema):
    number: str
    brand: str
    name: str
    kind: str
    status: str
    primary_email: str
    bill_day: int | None
    created_at: datetime

    @staticmethod
    def resolve_brand(obj: Any) -> str:
        return str(obj.brand.key)


class SubscriptionOut(Schema):
    id: int
    account: str
    product: str
    product_name: str
    status: str
    term_months: int
    market: str
    ordered_on: date
    service_start_date: date | None
    minimum_period_end: date | None
    billed_until: date | None
    ends_on: date | None

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return str(obj.account.number)

    @staticmethod
    def resolve_product(obj: Any) -> str:
        return str(obj.product.key)

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return str(obj.product.name)


class InvoiceOut(Schema):
    number: str
    kind: str
    account: str
    bill_date: date
    period_start: date
    period_end: date
    due_date: date
    net: Decimal
    vat: Decimal
    total: Decimal
    credits_invoice: str | None

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return str(obj.account.number)

    @staticmethod
    def resolve_credits_invoice(obj: Any) -> str | None:
        return obj.credits_invoice.number if obj.credits_invoice_id else None


class InvoiceLineOut(Schema):
    description: str
    net: Decimal
    vat: Decimal
    clause: str


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[dict[str, Any]]:
        return [
            {"description": li.description, "net": li.net, "vat": li.vat, "clause": li.clause_id}
            for li in obj.lines.all()
        ]


class PaymentOut(Schema):
    id: int
    account: str
    method: str
    amount: Decimal
    received_on: date
    reference: str
    status: str
    reversed_on: date | None
    clause: str

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return str(obj.account.number)


class StatementInvoiceOut(Schema):
    number: str
    bill_date: date
    due_date: date
    total: str
    paid: str
    outstanding: str
    status: str


class StatementOut(Schema):
    account: str
    on: date
    balance: str
    due_now: str
    overdue: str
    withheld_in_dispute: str
    credit: str
    invoices: list[StatementInvoiceOut]


class UsageOut(Schema):
    account: str
    at: datetime
    metered: bool
    state: str
    product: str | None
    period_start: date | None = None
    period_end: date | None = None
    allowance_gb: Decimal | None = None
    used_gb: Decimal | None = None
    allowance_left_bytes: int | None = None
    topup_left_bytes: int | None = None
    clause: str | None = None


class TicketOut(Schema):
    reference: str
    account: str
    category: str
    subject: str
    state: str
    raised_via: str
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return str(obj.account.number)


class AbuseCaseOut(Schema):
    reference: str
    account: str
    category: str
    status: str
    step: str
    steps_taken: int
    deadline: datetime | None
    reports_count: int
    opened_at: datetime
    resolved_at: datetime | None

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return str(obj.account.number)


class AbuseReportOut(Schema):
    id: int
    account: str | None
    case: str | None
    category: str
    ip: str | None
    port: int | None
    incident_at: datetime | None
    received_at: datetime
    status: str
    evidence_status: str
    reporter: str | None

    @staticmethod
    def resolve_account(obj: Any) -> str | None:
        return obj.account.number if obj.account_id else None

    @staticmethod
    def resolve_case(obj: Any) -> str | None:
        return obj.case.reference if obj.case_id else None

    @staticmethod
    def resolve_reporter(obj: Any, context: dict[str, Any]) -> str | None:
        token = getattr(context["request"], "auth", None)
        staff = token is not None and token.user_id is not None
        if staff or obj.reporter_released:
            return str(obj.reporter_email) or None
        return None
