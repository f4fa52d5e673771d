"""Charging late payment interest and the late payment charge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max

from backhaul.billing.models import Invoice
from backhaul.billing.services import charge_add
from backhaul.catalogue.selectors import charge_in_force, rule_params
from backhaul.core.errors import NotFound
from backhaul.core.money import format_amount, quantize
from backhaul.customers.models import Account
from backhaul.customers.services import account_get
from backhaul.payments import selectors
from backhaul.payments.models import InterestCharge

SOURCE = "payments"


def _fmt(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def charged_through(account_id: int) -> dict[str, date]:
    """Per invoice number, the first day not yet charged interest."""
    return dict(
        InterestCharge.objects.filter(account_id=account_id)
        .values("invoice__number")
        .annotate(last=Max("to_on"))
        .values_list("invoice__number", "last")
    )


@transaction.atomic
def interest_charge(*, account_number: str, on: date, now: datetime) -> list[InterestCharge]:
    """Charge the interest accrued on each late invoice up to `on` (not yet charged), and
    the brand's late payment charge once per late invoice, on the next bill.

    Interest is "daily interest on late payments" (plusnet-business/general-terms#4.11(b))
    or "1% per month on outstanding amounts" (plugin/general-terms#rule-6), accrued exactly
    and rounded half-up to the penny once per invoice; it is outside the scope of VAT.
    Charging again for the same day changes nothing.
    """
    account = account_get(account_number)
    params = rule_params(account.brand, "late_payment")
    terms = selectors.interest_terms(account.brand)
    since = charged_through(account.pk)
    results = selectors.invoice_interest(account, on=on, since=since)
    invoices = {
        i.number: i for i in Invoice.objects.filter(number__in=[r.invoice for r in results])
    }
    made = []
    for result in results:
        invoice = invoices[result.invoice]
        start = since.get(result.invoice, invoice.due_date)
        if result.amount > 0:
            key = f"interest:{result.invoice}:{on}"
            charge_add(
                account=account,
                key=key,
                source=SOURCE,
                description=(
                    f"Late payment interest on {result.invoice}, {_fmt(start)} to "
                    f"{_fmt(on)} (not subject to VAT)"
                ),
                amount=result.amount,
                vat_treatment="outside-scope",
                clause_id=terms.clause,
                tax_point=on,
                now=now,
            )
            charge, _ = InterestCharge.objects.get_or_create(
                invoice=invoice,
                to_on=on,
                defaults={
                    "account": account,
                    "from_on": start,
                    "amount": result.amount,
                    "model": terms.model,
                    "charge_key": key,
                    "clause": terms.clause,
                    "created_at": now,
                },
            )
            made.append(charge)
        if params.get("late_payment_charge"):
            _late_payment_charge(account, invoice, params=params, on=on, now=now)
    return made


def _late_payment_charge(
    account: Account, invoice: Invoice, *, params: dict[str, Any], on: date, now: datetime
) -> None:
    """ "any late payment charge as referred to in the Service Schedule"
    (plusnet-business/general-terms#4.11(a)), once per late invoice."""
    try:
        charge = charge_in_force(
            account.brand, params.get("late_payment_charge_key", "late-payment"), on=on
        )
    except NotFound:
        return
    charge_add(
        account=account,
        key=f"late-payment:{invoice.number}",
        source=SOURCE,
        description=f"{charge.name}: {invoice.number} not paid by {invoice.due_date}",
        amount=quantize(charge.amount),
        vat_treatment=charge.vat_treatment,
        clause_id=params.get("late_payment_charge_clause") or charge.clause.clause_id,
        tax_point=on,
        now=now,
    )


def interest_summary(*, account_number: str, on: date) -> dict[str, object]:
    """The interest on every late invoice up to `on`, as the `backhaul interest` command and
    the console show it, with what was already charged."""
    account = account_get(account_number)
    results = selectors.invoice_interest(account, on=on)
    summary = selectors.interest_as_dict(account, results, on=on)
    charged = list(
        InterestCharge.objects.filter(account=account).values_list(
            "invoice__number", "to_on", "amount"
        )
    )
    summary["already_charged"] = [
        {"invoice": number, "to": to_on, "amount": format_amount(amount)}
        for number, to_on, amount in charged
    ]
    return summary
