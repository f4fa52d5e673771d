"""The staff console's dashboard: last bill run, debt by age, SLA breaches, abuse queue.

Wired in through unfold's ``DASHBOARD_CALLBACK`` (settings) and the console index template
``admin/console_index.html``; every figure is read through the areas' selectors.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from backhaul.core.calendar import LONDON

# Days past the due date, as credit control reads an aged-debt report.
DEBT_AGES = [(0, 30, "1–30 days"), (31, 60, "31–60 days"), (61, 90, "61–90 days")]
OLDEST = "Over 90 days"


def last_bill_run() -> dict[str, Any] | None:
    from backhaul.billing.models import BillRun

    run = BillRun.objects.select_related("brand").order_by("-started_at", "-id").first()
    if run is None:
        return None
    return {
        "on": run.on,
        "brand": run.brand.name if run.brand_id else "All brands",
        "status": run.get_status_display(),
        "accounts_due": run.accounts_due,
        "invoices_issued": run.invoices_issued,
        "net": run.net,
        "vat": run.vat,
        "total": run.total,
    }


def debt_by_age(*, on: date) -> list[dict[str, Any]]:
    """Overdue money across all accounts, bucketed by days past due."""
    from backhaul.customers.models import Account
    from backhaul.payments.selectors import account_ledger, accounts_owing

    labels = [label for _, _, label in DEBT_AGES] + [OLDEST]
    totals = dict.fromkeys(labels, Decimal(0))
    accounts = {a: 0 for a in labels}
    for account in Account.objects.filter(pk__in=accounts_owing(on=on)).select_related("brand"):
        seen = set()
        for piece, left in account_ledger(account, on=on).overdue(on=on):
            assert piece.due_on is not None
            days = (on - piece.due_on).days
            label = next((lb for lo, hi, lb in DEBT_AGES if lo <= days <= hi), OLDEST)
            totals[label] += left
            seen.add(label)
        for label in seen:
            accounts[label] += 1
    return _with_share(
        [{"label": lb, "amount": totals[lb], "accounts": accounts[lb]} for lb in labels], "amount"
    )


def sla_breaches(*, at: datetime) -> dict[str, Any]:
    from backhaul.support.selectors import open_queue

    rows = open_queue(at=at)
    breached = [r for r in rows if r.breached]
    return {
        "open": len(rows),
        "breached": len(breached),
        "oldest": [r.ticket for r in breached[:5]],
    }


def abuse_queue() -> list[dict[str, Any]]:
    from backhaul.abuse.choices import CaseStatus
    from backhaul.abuse.selectors import case_queue, reports_needing_evidence, unresolved_reports

    return _with_share(
        [
            {"label": "Open cases", "count": case_queue(status=CaseStatus.OPEN).count()},
            {"label": "Reports needing evidence", "count": reports_needing_evidence().count()},
            {"label": "Reports nobody traced", "count": unresolved_reports().count()},
        ],
        "count",
    )


def _with_share(rows: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Each row with its bar width in percent of the largest (for the CSS charts)."""
    top = max((Decimal(r[field]) for r in rows), default=Decimal(0))
    for row in rows:
        row["percent"] = int(Decimal(row[field]) * 100 / top) if top else 0
    return rows


def console_dashboard(*, now: datetime) -> dict[str, Any]:
    today = now.astimezone(LONDON).date()
    return {
        "on": today,
        "bill_run": last_bill_run(),
        "debt": debt_by_age(on=today),
        "sla": sla_breaches(at=now),
        "abuse": abuse_queue(),
    }


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """unfold's DASHBOARD_CALLBACK: adds `dashboard` to the console index's context."""
    context["dashboard"] = console_dashboard(now=timezone.now())
    return context
