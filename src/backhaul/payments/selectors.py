"""Reading an account's money: its ledger, statement, interest and the brand's rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from backhaul.billing.choices import DocumentKind
from backhaul.billing.models import Invoice
from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import rule_params
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import format_amount, parse_rate
from backhaul.customers.models import Account
from backhaul.payments import rules
from backhaul.payments.choices import DisputeOutcome, FailureKind
from backhaul.payments.models import (
    ContactAttempt,
    Dispute,
    Payment,
    PaymentFailure,
    Refund,
    SetOff,
)

ZERO = Decimal("0.00")


# --- The brand's rules ------------------------------------------------------------------


def method_terms(brand: Brand) -> rules.MethodTerms:
    params = rule_params(brand, "payment_methods")
    return rules.MethodTerms(
        clause=params["clause"],
        accepted=tuple(params.get("accepted", [])),
        refused=tuple(params.get("refused", [])),
        others_by_agreement=bool(params.get("others_by_agreement", False)),
    )


def interest_terms(brand: Brand) -> rules.InterestTerms:
    params = rule_params(brand, "late_payment")
    model = params.get("model", "")
    rates = tuple(
        (_as_date(row["start"]), parse_rate(str(row["rate_percent"])))
        for row in params.get("ecb_base_rates", [])
    )
    verified = params.get("ecb_rates_verified_until")
    return rules.InterestTerms(
        model=model,
        clause=params.get("margin_percent_clause") or params["clause"],
        monthly_percent=parse_rate(str(params.get("monthly_percent", "0"))),
        margin_percent=parse_rate(str(params.get("margin_percent", "0"))),
        days_in_year=int(params.get("days_in_year", 365)),
        base_rates=rates,
        base_rates_verified_until=_as_date(verified) if verified else None,
    )


def dispute_terms(brand: Brand) -> rules.DisputeTerms:
    try:
        params = rule_params(brand, "disputes")
    except NotFound:
        raise InvalidInput(
            f"{brand.name}'s terms have no disputed-bills clause: contact {brand.support_email}"
        ) from None
    return rules.DisputeTerms(
        clause=params["clause"],
        window_days=int(params["window_days"]),
        threshold_percent=parse_rate(str(params["threshold_percent"])),
        under_clause=params.get("under_threshold_clause", ""),
        over_clause=params.get("over_threshold_clause", ""),
        exactly_threshold=params.get("exactly_threshold", rules.PAY_IN_FULL),
    )


def dunning_params(brand: Brand) -> dict[str, Any]:
    return rule_params(brand, "dunning", default={"clause": "", "steps": []})


def ladder(brand: Brand) -> tuple[rules.LadderStep, ...]:
    return rules.ladder_from_params(dunning_params(brand).get("steps", []))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- The ledger -------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFacts:
    invoices: list[rules.InvoiceFact]
    money: list[rules.MoneyFact]
    documents: dict[str, Invoice]


def ledger_facts(account: Account, *, on: date) -> LedgerFacts:
    """Everything issued, paid, refunded or set off for the account up to `on`."""
    documents = list(
        Invoice.objects.filter(account=account, bill_date__lte=on).order_by("bill_date", "number")
    )
    by_id = {d.pk: d for d in documents}
    credits: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    money: list[rules.MoneyFact] = []
    for note in documents:
        if note.kind != DocumentKind.CREDIT_NOTE:
            continue
        if note.credits_invoice_id in by_id:
            credits[note.credits_invoice_id].append((note.bill_date, -note.total))
        else:
            money.append(
                rules.MoneyFact(key=note.number, on=note.bill_date, amount=-note.total, direction=1)
            )
    disputes: dict[int, list[rules.DisputeFact]] = defaultdict(list)
    for dispute in Dispute.objects.filter(account=account, raised_on__lte=on):
        disputes[dispute.invoice_id].append(
            rules.DisputeFact(
                id=dispute.pk,
                raised_on=dispute.raised_on,
                amount=dispute.amount,
                withholds=dispute.outcome == DisputeOutcome.PAY_UNDISPUTED,
                resolved_on=dispute.resolved_on,
                credited=dispute.credited,
            )
        )
    invoices = [
        rules.InvoiceFact(
            number=d.number,
            bill_date=d.bill_date,
            due_date=d.due_date,
            total=d.total,
            credits=tuple(credits.get(d.pk, [])),
            disputes=tuple(disputes.get(d.pk, [])),
        )
        for d in documents
        if d.kind == DocumentKind.INVOICE
    ]
    for payment in Payment.objects.filter(account=account, received_on__lte=on):
        money.append(
            rules.MoneyFact(
                key=f"P{payment.pk}",
                on=payment.received_on,
                amount=payment.amount,
                direction=1,
                reversed_on=payment.reversed_on,
            )
        )
    for refund in Refund.objects.filter(account=account, on__lte=on):
        money.append(
            rules.MoneyFact(key=f"R{refund.pk}", on=refund.on, amount=refund.amount, direction=-1)
        )
    for set_off in SetOff.objects.filter(
        Q(from_account=account) | Q(to_account=account), on__lte=on
    ):
        outgoing = set_off.from_account_id == account.pk
        money.append(
            rules.MoneyFact(
                key=f"S{set_off.pk}-{'out' if outgoing else 'in'}",
                on=set_off.on,
                amount=set_off.amount,
                direction=-1 if outgoing else 1,
            )
        )
    return LedgerFacts(invoices=invoices, money=money, documents={d.number: d for d in documents})


def account_ledger(account: Account, *, on: date) -> rules.Ledger:
    facts = ledger_facts(account, on=on)
    return rules.ledger(facts.invoices, facts.money, on=on)


def invoice_rows(account: Account, *, on: date) -> list[dict[str, Any]]:
    """Each invoice with what it asks for now, what was paid against it and its status."""
    facts = ledger_facts(account, on=on)
    book = rules.ledger(facts.invoices, facts.money, on=on)
    rows = []
    for invoice in facts.invoices:
        pieces = [p for p in book.pieces if p.invoice == invoice.number]
        asked = sum((p.amount for p in pieces), ZERO)
        paid = sum((book.paid(p.key) for p in pieces), ZERO)
        outstanding = asked - paid
        withheld = sum((book.outstanding(p) for p in pieces if p.due_on is None), ZERO)
        overdue = any(
            p.due_on is not None and p.due_on < on and book.outstanding(p) > 0 for p in pieces
        )
        if outstanding <= 0:
            status = "paid"
        elif withheld and outstanding == withheld:
            status = "disputed"
        elif overdue:
            status = "overdue"
        elif paid > 0:
            status = "part-paid"
        else:
            status = "due"
        rows.append(
            {
                "number": invoice.number,
                "bill_date": invoice.bill_date,
                "due_date": invoice.due_date,
                "total": invoice.total,
                "credited": invoice.total - asked,
                "paid": paid,
                "outstanding": outstanding,
                "withheld": withheld,
                "status": status,
            }
        )
    return rows


def statement(account: Account, *, on: date) -> dict[str, Any]:
    """The account's statement on `on`: every document and movement of money in date order
    with a running balance, each invoice's position, and the totals."""
    facts = ledger_facts(account, on=on)
    book = rules.ledger(facts.invoices, facts.money, on=on)
    entries: list[tuple[date, int, str, str, Decimal]] = []
    for document in facts.documents.values():
        if document.kind == DocumentKind.INVOICE:
            entries.append((document.bill_date, 0, document.number, "Invoice", document.total))
        else:
            what = (
                f"Credit note for {document.credits_invoice.number}"
                if (document.credits_invoice_id)
                else "Credit note"
            )
            entries.append((document.bill_date, 1, document.number, what, document.total))
    failures = {
        f.payment_id: f
        for f in PaymentFailure.objects.filter(account=account, payment__isnull=False)
    }
    for payment in Payment.objects.filter(account=account, received_on__lte=on):
        entries.append(
            (
                payment.received_on,
                2,
                payment.reference or f"P{payment.pk}",
                f"Payment by {payment.get_method_display()}",
                -payment.amount,
            )
        )
        if payment.reversed_on is not None and payment.reversed_on <= on:
            failure = failures.get(payment.pk)
            what = failure.get_kind_display() if failure else "Payment reversed"
            entries.append(
                (
                    payment.reversed_on,
                    3,
                    payment.reference or f"P{payment.pk}",
                    what,
                    payment.amount,
                )
            )
    for refund in Refund.objects.filter(account=account, on__lte=on):
        entries.append((refund.on, 4, f"R{refund.pk}", f"Refund: {refund.reason}", refund.amount))
    for set_off in SetOff.objects.filter(
        Q(from_account=account) | Q(to_account=account), on__lte=on
    ).select_related("from_account", "to_account"):
        if set_off.from_account_id == account.pk:
            entries.append(
                (
                    set_off.on,
                    4,
                    f"S{set_off.pk}",
                    f"Credit set off against {set_off.to_account.number} ({set_off.clause})",
                    set_off.amount,
                )
            )
        else:
            entries.append(
                (
                    set_off.on,
                    2,
                    f"S{set_off.pk}",
                    f"Credit set off from {set_off.from_account.number} ({set_off.clause})",
                    -set_off.amount,
                )
            )
    running = ZERO
    lines = []
    for day, _rank, reference, description, amount in sorted(entries, key=lambda e: e[:3]):
        running += amount
        lines.append(
            {
                "date": day,
                "reference": reference,
                "description": description,
                "debit": format_amount(amount) if amount > 0 else "",
                "credit": format_amount(-amount) if amount < 0 else "",
                "balance": format_amount(running),
            }
        )
    if running != book.balance:
        raise AssertionError(f"statement {running} and ledger {book.balance} disagree")
    return {
        "account": account.number,
        "name": account.name,
        "on": on,
        "balance": format_amount(book.balance),
        "due_now": format_amount(book.due_now(on=on)),
        "overdue": format_amount(sum((left for _, left in book.overdue(on=on)), ZERO)),
        "withheld_in_dispute": format_amount(book.withheld()),
        "credit": format_amount(book.credit),
        "lines": lines,
        "invoices": [
            {
                **row,
                **{
                    k: format_amount(row[k])
                    for k in ("total", "credited", "paid", "outstanding", "withheld")
                },
            }
            for row in invoice_rows(account, on=on)
        ],
    }


# --- Interest ---------------------------------------------------------------------------


def invoice_interest(
    account: Account, *, on: date, since: dict[str, date] | None = None
) -> list[rules.InvoiceInterest]:
    """Late payment interest on each invoice up to (not including) `on`; `since` gives,
    per invoice, the first day not yet charged."""
    terms = interest_terms(account.brand)
    facts = ledger_facts(account, on=on)
    book = rules.ledger(facts.invoices, facts.money, on=on)
    results = []
    for invoice in facts.invoices:
        pieces = [p for p in book.pieces if p.invoice == invoice.number]
        keys = {p.key for p in pieces}
        paid = [(a.debt, a.on, a.amount) for a in book.allocations if a.debt in keys]
        start = (since or {}).get(invoice.number, invoice.due_date)
        result = rules.interest_for_invoice(
            invoice=invoice.number, pieces=pieces, paid=paid, start=start, end=on, terms=terms
        )
        if result.periods:
            results.append(result)
    return results


def interest_as_dict(
    account: Account, results: list[rules.InvoiceInterest], *, on: date
) -> dict[str, Any]:
    terms = interest_terms(account.brand)
    total = sum((r.amount for r in results), ZERO)
    return {
        "account": account.number,
        "on": on,
        "model": terms.model,
        "clause": terms.clause,
        "vat": "outside-scope",
        "rounding": "accrued exactly day by day; rounded half-up to the penny once per invoice",
        "invoices": [
            {
                "invoice": r.invoice,
                "periods": [
                    {
                        "from": p.start,
                        "to": p.end,
                        "days": p.days,
                        "principal": format_amount(p.principal),
                        "rate": p.rate,
                        "interest": str(p.interest.normalize() if p.interest else p.interest),
                        **({"rate_unverified": True} if p.unverified_rate else {}),
                    }
                    for p in r.periods
                ],
                "exact": str(r.exact),
                "interest": format_amount(r.amount),
            }
            for r in results
        ],
        "total": format_amount(total),
    }


# --- Dunning and declines ----------------------------------------------------------------


def failures_counted(
    account: Account, *, kinds: list[str], before_id: int | None = None
) -> list[date]:
    query = PaymentFailure.objects.filter(account=account, kind__in=kinds)
    if before_id is not None:
        query = query.exclude(pk=before_id)
    return list(query.values_list("on", flat=True))


def contact_facts(account: Account) -> list[rules.ContactFact]:
    return [
        rules.ContactFact(on=a.on, outcome=a.outcome)
        for a in ContactAttempt.objects.filter(account=account)
    ]


def accounts_owing(*, on: date, brand_key: str | None = None) -> list[int]:
    """Ids of accounts whose documents up to `on` come to more than they have paid: the
    only ones the dunning job needs to look at closely."""
    documents = Invoice.objects.filter(bill_date__lte=on)
    if brand_key:
        documents = documents.filter(brand__key=brand_key)
    billed = dict(
        documents.values("account_id").annotate(t=Sum("total")).values_list("account_id", "t")
    )
    paid = dict(
        Payment.objects.filter(received_on__lte=on, account_id__in=billed.keys())
        .filter(Q(reversed_on__isnull=True) | Q(reversed_on__gt=on))
        .values("account_id")
        .annotate(t=Sum("amount"))
        .values_list("account_id", "t")
    )
    refunded = dict(
        Refund.objects.filter(on__lte=on, account_id__in=billed.keys())
        .values("account_id")
        .annotate(t=Sum("amount"))
        .values_list("account_id", "t")
    )
    set_in = dict(
        SetOff.objects.filter(on__lte=on, to_account_id__in=billed.keys())
        .values("to_account_id")
        .annotate(t=Sum("amount"))
        .values_list("to_account_id", "t")
    )
    set_out = dict(
        SetOff.objects.filter(on__lte=on, from_account_id__in=billed.keys())
        .values("from_account_id")
        .annotate(t=Sum("amount"))
        .values_list("from_account_id", "t")
    )
    owing = []
    for account_id, total in billed.items():
        balance = (
            Decimal(total)
            - Decimal(paid.get(account_id) or 0)
            + Decimal(refunded.get(account_id) or 0)
            - Decimal(set_in.get(account_id) or 0)
            + Decimal(set_out.get(account_id) or 0)
        )
        if balance > 0:
            owing.append(account_id)
    return sorted(owing)


def failure_kinds_counted(brand: Brand) -> list[str]:
    params = rule_params(brand, "declines", default={})
    return list(params.get("counts", [FailureKind.CARD_DECLINE, FailureKind.CHEQUE_BOUNCE]))


def payment_rows(account: Account, *, on: date) -> list[dict[str, Any]]:
    """Each payment with the bills it paid (oldest first) and what is left over."""
    book = account_ledger(account, on=on)
    invoice_of = {p.key: p.invoice for p in book.pieces}
    rows = []
    for payment in Payment.objects.filter(account=account, received_on__lte=on).order_by(
        "-received_on", "-id"
    ):
        paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for part in book.allocations:
            if part.fund == f"P{payment.pk}" and part.debt in invoice_of:
                paid[invoice_of[part.debt]] += part.amount
        reversed_ = payment.reversed_on is not None and payment.reversed_on <= on
        rows.append(
            {
                "payment": payment,
                "reversed": reversed_,
                "paid": [(number, format_amount(amount)) for number, amount in paid.items()],
                "unused": format_amount(
                    ZERO if reversed_ else payment.amount - sum(paid.values(), ZERO)
                ),
            }
        )
    return rows


def disputable_invoices(account: Account, *, on: date) -> list[tuple[str, str]]:
    """Bills the customer could still dispute on `on`: unpaid, inside the window, and not
    already disputed. Empty when the brand's terms have no disputed-bills clause."""
    try:
        terms = dispute_terms(account.brand)
    except InvalidInput:
        return []
    book = account_ledger(account, on=on)
    open_disputes = set(
        Dispute.objects.filter(account=account, status="open").values_list(
            "invoice__number", flat=True
        )
    )
    out = []
    for invoice in Invoice.objects.filter(
        account=account, kind=DocumentKind.INVOICE, bill_date__lte=on
    ).order_by("-bill_date"):
        if (on - invoice.bill_date).days > terms.window_days or invoice.number in open_disputes:
            continue
        if book.invoice_outstanding(invoice.number) <= 0:
            continue
        out.append(
            (invoice.number, f"{invoice.number} of {invoice.bill_date:%-d %b %Y}, £{invoice.total}")
        )
    return out
