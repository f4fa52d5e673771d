"""Handing unpaid debts to a debt collection agency, with the agency's cost added."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from backhaul.billing.services import charge_add
from backhaul.catalogue.selectors import rule_params
from backhaul.core.errors import InvalidInput
from backhaul.core.money import format_amount, parse_rate
from backhaul.customers.models import Account
from backhaul.customers.services import account_get
from backhaul.payments import rules, selectors
from backhaul.payments.choices import CollectionStatus
from backhaul.payments.models import CollectionCase, DunningState
from backhaul.payments.services.money import amount_from

COLUMNS = [
    "account",
    "name",
    "email",
    "phone",
    "address",
    "oldest_due",
    "invoices",
    "debt",
    "agency_cost",
    "total",
    "agency_cost_clause",
]


@dataclass
class ExportResult:
    csv: str
    read: int = 0
    exported: int = 0
    withdrawn: list[tuple[str, str]] = field(default_factory=list)


@transaction.atomic
def collection_open(*, account_number: str, on: date, now: datetime) -> CollectionCase:
    """Put an account's unpaid debt up for hand-off outside the ladder (staff judgement)."""
    account = account_get(account_number)
    book = selectors.account_ledger(account, on=on)
    overdue = book.overdue(on=on)
    if not overdue:
        raise InvalidInput(f"{account.number} owes nothing past its due date")
    state = DunningState.objects.filter(account=account).first()
    cycle = (state.cycle_started_on if state else None) or overdue[0][0].due_on
    assert cycle is not None
    case, _ = CollectionCase.objects.get_or_create(
        account=account,
        cycle_started_on=cycle,
        defaults={"opened_on": on, "debt": book.balance, "created_at": now},
    )
    return case


def _address(account: Account) -> str:
    site = account.sites.order_by("id").first()
    if site is None:
        return ""
    return ", ".join(
        p for p in (site.address_line1, site.address_line2, site.town, site.postcode) if p
    )


@transaction.atomic
def collections_export(
    *,
    on: date,
    now: datetime,
    brand_key: str | None = None,
    agency_cost: Decimal | str | None = None,
    export_name: str = "",
) -> ExportResult:
    """Export every pending hand-off as CSV for the agency and add the agency's cost to
    each debt where the brand's terms say so (plusnet-business/general-terms#4.12): the
    cost staff give, or the catalogue's `agency_cost_percent` of the debt. A debt paid
    since the case opened is withdrawn, with its reason, not exported; read = exported +
    withdrawn."""
    cases = CollectionCase.objects.filter(status=CollectionStatus.PENDING).select_related(
        "account__brand"
    )
    if brand_key:
        cases = cases.filter(account__brand__key=brand_key)
    fixed = amount_from(agency_cost, field="agency_cost") if agency_cost not in (None, "") else None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    result = ExportResult(csv="")
    name = export_name or f"collections-{on.isoformat()}.csv"
    for case in cases.order_by("account__number"):
        result.read += 1
        account = case.account
        book = selectors.account_ledger(account, on=on)
        overdue = book.overdue(on=on)
        if book.balance <= 0 or not overdue:
            case.status = CollectionStatus.WITHDRAWN
            case.withdrawn_reason = f"nothing overdue on {on}"
            case.save(update_fields=["status", "withdrawn_reason"])
            result.withdrawn.append((account.number, case.withdrawn_reason))
            continue
        debt = book.balance
        late = rule_params(account.brand, "late_payment", default={})
        dunning = selectors.dunning_params(account.brand)
        cost, clause = Decimal("0.00"), ""
        if late.get("debt_collection_costs_added"):
            clause = (
                dunning.get("agency_cost_clause")
                or late.get("debt_collection_costs_added_clause")
                or late["clause"]
            )
            if fixed is not None:
                cost = fixed
            elif dunning.get("agency_cost_percent"):
                cost = rules.agency_cost(
                    debt, percent=parse_rate(str(dunning["agency_cost_percent"]))
                )
        if cost > 0:
            charge_add(
                account=account,
                key=f"collection:{case.pk}:agency-cost",
                source="payments",
                description=f"Debt collection agency's cost on £{format_amount(debt)} handed over",
                amount=cost,
                vat_treatment="outside-scope",
                clause_id=clause,
                tax_point=on,
                now=now,
            )
        invoices = sorted({piece.invoice for piece, _ in overdue})
        writer.writerow(
            [
                account.number,
                account.name,
                account.primary_email,
                account.phone,
                _address(account),
                overdue[0][0].due_on,
                " ".join(invoices),
                format_amount(debt),
                format_amount(cost),
                format_amount(debt + cost),
                clause,
            ]
        )
        case.status, case.debt, case.agency_cost = CollectionStatus.EXPORTED, debt, cost
        case.agency_cost_clause, case.exported_on, case.export_name = clause, on, name[:200]
        case.save()
        result.exported += 1
    result.csv = out.getvalue()
    return result
