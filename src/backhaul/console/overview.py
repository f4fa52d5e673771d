"""Everything about one account on one page: what the console's account overview shows.

Each section is read through its area's selectors and services (the exit quote from
contracts, the statement and payments from payments, clocks from support, the usage state
and chart from usage, and so on) and only for staff whose role may see that area's records;
a section whose area cannot answer shows why instead of breaking the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q

from backhaul.core.calendar import LONDON
from backhaul.core.errors import BackhaulError
from backhaul.customers.models import Account

RECENT = 20
CHART_WIDTH, CHART_HEIGHT = 600, 160
GB = 10**9

# Each section, and the permissions that let a member of staff see it (any one of them).
SECTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("services", "Services and contract terms", ("contracts.view_subscription",)),
    ("money", "Balance, statement and payments", ("payments.view_payment",)),
    ("dunning", "Credit control", ("payments.view_dunningstate",)),
    ("usage", "Broadband usage", ("usage.view_allowancestate",)),
    ("tickets", "Tickets and SLA clocks", ("support.view_ticket",)),
    ("abuse", "Abuse cases", ("abuse.view_case",)),
    ("hosted", "Domains, mailboxes and hosting",
     ("domains.view_domain", "mailboxes.view_mailbox", "hosting.view_package")),
    ("notices", "Notices sent", ("notices.view_notice",)),
    ("privacy", "Consents", ("privacy.view_consentchange",)),
    ("audit", "Staff access (audit trail)", ("privacy.view_auditevent",)),
]  # fmt: skip


def account_overview(
    account: Account, *, now: datetime, can: Callable[[str], bool]
) -> dict[str, Any]:
    """The account page's content at `now`; `can(permission)` says what the viewer may see."""
    today = now.astimezone(LONDON).date()
    readers: dict[str, Callable[[], dict[str, Any]]] = {
        "services": lambda: _services(account, today),
        "money": lambda: _money(account, today),
        "dunning": lambda: _dunning(account),
        "usage": lambda: _usage(account, now),
        "tickets": lambda: _tickets(account, now),
        "abuse": lambda: _abuse(account),
        "hosted": lambda: _hosted(account, can),
        "notices": lambda: _notices(account),
        "privacy": lambda: _privacy(account),
        "audit": lambda: _audit(account),
    }
    sections = []
    for key, title, permissions in SECTIONS:
        allowed = any(can(p) for p in permissions)
        section: dict[str, Any] = {"key": key, "title": title, "allowed": allowed}
        if section["allowed"]:
            try:
                section.update(readers[key]())
            except BackhaulError as exc:
                section["error"] = str(exc)
        sections.append(section)
    return {
        "account": account,
        "today": today,
        "contacts": list(account.contacts.all()),
        "sites": list(account.sites.all()),
        "logins": list(
            account.users.select_related("user").values_list("user__username", flat=True)
        ),
        "sections": {s["key"]: s for s in sections},
    }


def _services(account: Account, today: Any) -> dict[str, Any]:
    from backhaul.contracts.choices import SubscriptionStatus
    from backhaul.contracts.models import Subscription
    from backhaul.contracts.services import exit_quote_for_subscription

    rows = []
    for subscription in (
        Subscription.objects.filter(account=account)
        .select_related("product", "site", "notice_clause")
        .order_by("status", "product__name", "pk")
    ):
        row: dict[str, Any] = {"subscription": subscription}
        if subscription.status == SubscriptionStatus.ACTIVE:
            try:
                row["quote"] = exit_quote_for_subscription(
                    subscription_id=subscription.pk, notice=today
                )
            except BackhaulError as exc:
                row["quote_error"] = str(exc)
        rows.append(row)
    return {"rows": rows}


def _money(account: Account, today: Any) -> dict[str, Any]:
    from backhaul.payments.models import Dispute
    from backhaul.payments.selectors import payment_rows, statement

    book = statement(account, on=today)
    return {
        "statement": book,
        "lines": book["lines"][-RECENT:],
        "payments": payment_rows(account, on=today)[:RECENT],
        "disputes": list(
            Dispute.objects.filter(account=account)
            .select_related("invoice", "credit_note")
            .order_by("-raised_on", "-pk")[:RECENT]
        ),
    }


def _dunning(account: Account) -> dict[str, Any]:
    from backhaul.payments.models import DunningState, DunningStep
    from backhaul.payments.selectors import ladder

    state = DunningState.objects.filter(account=account).first()
    steps = list(DunningStep.objects.filter(account=account).order_by("-on", "-pk")[:RECENT])
    return {"state": state, "steps": steps, "ladder": ladder(account.brand)}


def _usage(account: Account, now: datetime) -> dict[str, Any]:
    from backhaul.usage.selectors import usage_chart

    chart = usage_chart(account, now)
    return {"state": chart["state"], "chart": usage_chart_svg(chart)}


def usage_chart_svg(chart: dict[str, Any]) -> dict[str, Any] | None:
    """Polyline points for cumulative usage, the allowance, and allowance plus Top Ups."""
    state, days = chart["state"], chart["days"]
    if not state.get("metered") or not days:
        return None
    allowance = int(Decimal(state.get("allowance_gb") or 0) * GB)
    limits = [allowance + d["topups_bytes"] for d in days]
    used = [d["used_bytes"] for d in days if d["used_bytes"] is not None]
    ceiling = max([*limits, *used, 1])
    step = CHART_WIDTH / max(1, len(days) - 1)

    def y(octets: int) -> str:
        return f"{CHART_HEIGHT - (octets * CHART_HEIGHT / ceiling):.1f}"

    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "used": " ".join(f"{i * step:.1f},{y(v)}" for i, v in enumerate(used)),
        "limit": " ".join(f"{i * step:.1f},{y(v)}" for i, v in enumerate(limits)),
        "allowance_y": y(allowance),
        "ceiling_gb": (Decimal(ceiling) / GB).quantize(Decimal("0.01")),
    }


def _tickets(account: Account, now: datetime) -> dict[str, Any]:
    from backhaul.support.presentation import clock_bars
    from backhaul.support.selectors import account_tickets, queue_rows, tickets_with_events

    tickets = list(
        tickets_with_events()
        .filter(pk__in=account_tickets(account).values("pk"))
        .order_by("-created_at", "-pk")[:RECENT]
    )
    rows = queue_rows(tickets, at=now)
    return {
        "rows": [
            {
                "ticket": row.ticket,
                "breached": row.breached,
                "bars": clock_bars(row.clocks, prefix=f"t{row.ticket.pk}"),
            }
            for row in rows
        ]
    }


def _abuse(account: Account) -> dict[str, Any]:
    from backhaul.abuse.selectors import cases_of_account

    return {"cases": list(cases_of_account(account)[:RECENT])}


def _hosted(account: Account, can: Callable[[str], bool]) -> dict[str, Any]:
    from backhaul.domains.selectors import domains_of
    from backhaul.hosting.selectors import packages_of
    from backhaul.mailboxes.selectors import mailboxes_of

    return {
        "domains": domains_of(account) if can("domains.view_domain") else None,
        "mailboxes": mailboxes_of(account) if can("mailboxes.view_mailbox") else None,
        "packages": packages_of(account) if can("hosting.view_package") else None,
    }


def _notices(account: Account) -> dict[str, Any]:
    from backhaul.notices.models import Notice

    notices = Notice.objects.filter(account=account).select_related("clause")
    return {"notices": list(notices[:RECENT]), "count": notices.count()}


def _privacy(account: Account) -> dict[str, Any]:
    from backhaul.privacy.selectors import consent_history, consents_current

    return {
        "current": sorted(consents_current(account).items()),
        "history": list(consent_history(account)[:RECENT]),
    }


def _audit(account: Account) -> dict[str, Any]:
    from backhaul.privacy.models import AuditEvent

    events = AuditEvent.objects.filter(
        Q(account_number=account.number)
        | Q(model_label__in=["customers.Account", "payments.CreditControlAccount"],
            object_id=str(account.pk))
    )  # fmt: skip
    return {"events": list(events[:RECENT])}
