"""Disputed bills (plusnet-business/general-terms#4.10): raised within the window, what
stays payable while open, and resolution by credit note or by confirming the charge."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backhaul.billing.choices import DocumentKind
from backhaul.billing.models import Invoice
from backhaul.billing.services import credit_note_issue
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import Rounding, format_amount, parse_amount, quantize
from backhaul.customers.models import Account
from backhaul.notices.services import notice_send
from backhaul.payments import rules, selectors
from backhaul.payments.choices import DisputeOutcome, DisputeStatus
from backhaul.payments.models import Dispute


def _invoice_of(account: Account, number: str) -> Invoice:
    number = number.strip().upper()
    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None:
        raise NotFound(f"invoice: unknown invoice {number!r}")
    if invoice.account_id != account.pk:
        raise InvalidInput(f"invoice: {number} is not a bill of account {account.number}")
    if invoice.kind != DocumentKind.INVOICE:
        raise InvalidInput(f"invoice: {number} is a credit note, not a bill")
    return invoice


@transaction.atomic
def dispute_raise(
    *,
    account: Account,
    invoice_number: str,
    amount: Decimal | str,
    reason: str,
    raised_on: date,
    now: datetime,
    raised_by: str = "",
) -> Dispute:
    """Raise a dispute about charges on a bill.

    Refused, changing nothing, when the bill is another account's, already paid, disputed
    already, or more than the window's days old. Over the threshold only the undisputed
    part stays due until the dispute is resolved; otherwise the whole bill does.
    """
    terms = selectors.dispute_terms(account.brand)
    invoice = _invoice_of(account, invoice_number)
    if not reason.strip():
        raise InvalidInput("reason: say which charges are disputed and why")
    try:
        disputed = parse_amount(amount)
    except InvalidInput as exc:
        raise InvalidInput(f"amount: {exc}") from None
    book = selectors.account_ledger(account, on=max(raised_on, invoice.bill_date))
    if book.invoice_outstanding(invoice.number) <= 0:
        raise InvalidInput(f"invoice: {invoice.number} is settled: nothing on it is unpaid")
    if Dispute.objects.filter(invoice=invoice, status=DisputeStatus.OPEN).exists():
        raise InvalidInput(f"invoice: {invoice.number} already has an open dispute")
    bill_total = sum(
        (p.amount for p in book.pieces if p.invoice == invoice.number), Decimal("0.00")
    )
    assessment = rules.dispute_assess(
        terms=terms,
        invoice=invoice.number,
        bill_date=invoice.bill_date,
        bill_total=bill_total,
        disputed=disputed,
        raised_on=raised_on,
    )
    dispute = Dispute.objects.create(
        account=account,
        invoice=invoice,
        amount=disputed,
        reason=reason.strip(),
        raised_on=raised_on,
        percent=quantize(assessment.percent, Decimal("0.0001"), Rounding.HALF_UP),  # display only
        outcome=assessment.outcome,
        clause=assessment.clause,
        raised_by=raised_by,
        created_at=now,
    )
    notice_send(
        key=f"dispute:{dispute.pk}:raised",
        kind="payments.dispute.raised",
        subject=f"{account.brand.name}: we have your dispute about {invoice.number}",
        body=(
            f"Dear {account.name},\n\nWe have your dispute of £{format_amount(disputed)} on "
            f"bill {invoice.number} and will resolve it promptly.\n\n{assessment.explanation}."
        ),
        now=now,
        account=account,
        clause_id=assessment.clause,
    )
    return dispute


def dispute_get(dispute_id: int, *, account: Account | None = None) -> Dispute:
    query = Dispute.objects.select_related("account__brand", "invoice")
    if account is not None:
        query = query.filter(account=account)
    try:
        return query.get(pk=dispute_id)
    except Dispute.DoesNotExist:
        raise NotFound(f"unknown dispute {dispute_id}") from None


@transaction.atomic
def dispute_resolve(
    *,
    dispute_id: int,
    now: datetime,
    note: str,
    credit_lines: list[tuple[int, Decimal]] | None = None,
    actor: str = "",
) -> Dispute:
    """Resolve a dispute: credit the lines found wrong with a credit note
    (`billing.services.credit_note_issue`) and/or confirm the charge. "Any disputes will be
    resolved promptly and the resolved amount if any is payable immediately"
    (plusnet-business/general-terms#4.10): what is not credited is due from today."""
    dispute = Dispute.objects.select_for_update().get(pk=dispute_get(dispute_id).pk)
    if dispute.status != DisputeStatus.OPEN:
        raise InvalidInput(f"dispute {dispute.pk} was resolved on {dispute.resolved_on}")
    if not note.strip():
        raise InvalidInput("note: say how the dispute was resolved")
    on = timezone.localdate(now)
    credited = Decimal("0.00")
    if credit_lines:
        credit_note = credit_note_issue(
            invoice_number=dispute.invoice.number,
            now=now,
            reason=f"Dispute {dispute.pk} upheld: {note.strip()}"[:300],
            lines=credit_lines,
        )
        credited = -credit_note.total
        if credited > dispute.amount:
            raise InvalidInput(
                f"credit: £{format_amount(credited)} inc VAT is more than the "
                f"£{format_amount(dispute.amount)} disputed"
            )
        dispute.credit_note = credit_note
    dispute.credited = credited
    rest = dispute.amount - credited
    if credited == 0:
        dispute.status = DisputeStatus.CONFIRMED
    elif rest == 0:
        dispute.status = DisputeStatus.CREDITED
    else:
        dispute.status = DisputeStatus.PART_CREDITED
    dispute.resolved_on, dispute.resolution = on, note.strip()
    dispute.save()
    account = dispute.account
    parts = []
    if credited:
        parts.append(
            f"we have credited £{format_amount(credited)} ({dispute.credit_note.number})"
            if dispute.credit_note
            else ""
        )
    if rest:
        held = dispute.outcome == DisputeOutcome.PAY_UNDISPUTED
        parts.append(
            f"£{format_amount(rest)} of the disputed amount was charged correctly"
            + (" and is payable now" if held else "")
        )
    notice_send(
        key=f"dispute:{dispute.pk}:resolved",
        kind="payments.dispute.resolved",
        subject=f"{account.brand.name}: your dispute about {dispute.invoice.number} is resolved",
        body=f"Dear {account.name},\n\n{'; '.join(parts)}.\n\n{dispute.resolution}",
        now=now,
        account=account,
        clause_id=dispute.clause,
    )
    return dispute
