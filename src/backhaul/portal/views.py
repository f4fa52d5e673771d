"""Member Centre pages that belong to no single area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from backhaul.billing.rules import bill_date_in, next_bill_date
from backhaul.catalogue.models import Brand
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import exit_quote_for_subscription
from backhaul.core.calendar import LONDON
from backhaul.core.errors import BackhaulError
from backhaul.customers.models import Account
from backhaul.notices.models import Notice
from backhaul.portal.access import customer_required

RECENT_NOTICES = 5
NOTICES_PER_PAGE = 25


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"brands": Brand.objects.order_by("name")})


@dataclass(frozen=True)
class Alert:
    level: str  # the status class: ok, warn or bad
    text: str
    url: str = ""


def _money(account: Account, today: date) -> dict[str, Any]:
    """Balance and overdue amount from the payments ledger (empty if it cannot be read)."""
    try:
        from backhaul.payments.selectors import account_ledger
    except ImportError:  # the payments area is optional in a trimmed install
        return {}
    book = account_ledger(account, on=today)
    overdue = sum((left for _, left in book.overdue(on=today)), Decimal(0))
    return {"balance": book.balance, "overdue": overdue, "credit": book.credit}


def _usage_state(account: Account) -> dict[str, Any]:
    from backhaul.usage.selectors import usage_state_at

    return usage_state_at(account, timezone.now())


def _open_tickets(account: Account) -> int:
    from backhaul.support.choices import TicketState
    from backhaul.support.selectors import account_tickets

    return (
        account_tickets(account)
        .exclude(state__in=[TicketState.RESOLVED, TicketState.CLOSED])
        .count()
    )


def _leaving(subscriptions: list[Subscription], today: date) -> list[dict[str, Any]]:
    """Per live service: what giving notice today would cost (contracts' exit quote)."""
    rows = []
    for subscription in subscriptions:
        if subscription.status != SubscriptionStatus.ACTIVE:
            continue
        try:
            quote = exit_quote_for_subscription(subscription_id=subscription.pk, notice=today)
        except BackhaulError as exc:
            rows.append({"subscription": subscription, "error": str(exc)})
            continue
        rows.append({"subscription": subscription, "quote": quote})
    return rows


@customer_required
def member_home(request: HttpRequest, account: Account) -> HttpResponse:
    today = timezone.now().astimezone(LONDON).date()
    subscriptions = list(
        Subscription.objects.filter(account=account)
        .select_related("product")
        .order_by("status", "product__name")
    )
    money = _money(account, today)
    usage = _usage_state(account)
    open_tickets = _open_tickets(account)
    alerts: list[Alert] = []
    if money.get("overdue"):
        alerts.append(
            Alert("bad", f"£{money['overdue']:.2f} is overdue.", reverse("payments:balance"))
        )
    if usage.get("state") not in (None, "normal"):
        alerts.append(Alert("warn", f"Your broadband is {usage['state']}.", reverse("usage:usage")))
    if open_tickets:
        plural = "s" if open_tickets != 1 else ""
        alerts.append(
            Alert(
                "warn", f"You have {open_tickets} open ticket{plural}.", reverse("support:tickets")
            )
        )
    bill_day = account.bill_day or 1
    this_month = bill_date_in(today.year, today.month, bill_day)
    next_bill = this_month if this_month >= today else next_bill_date(today, bill_day)
    return render(
        request,
        "portal/member_home.html",
        {
            "account": account,
            "subscriptions": subscriptions,
            "money": money,
            "usage": usage,
            "alerts": alerts,
            "next_bill": next_bill,
            "notices": Notice.objects.filter(account=account).select_related("clause")[
                :RECENT_NOTICES
            ],
        },
    )


class NoticeDateForm(forms.Form):
    notice = forms.DateField(
        label="If I gave notice on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="What leaving would cost if you told us on this day.",
    )


@customer_required
def contract(request: HttpRequest, account: Account) -> HttpResponse:
    """Each service's contract terms, and what giving notice today (or on a day the customer
    picks) would cost: the contracts area's exit quote, line by line with its clauses."""
    today = timezone.now().astimezone(LONDON).date()
    form = NoticeDateForm(request.GET or None, initial={"notice": today})
    notice = today
    if form.is_bound and form.is_valid():
        notice = form.cleaned_data["notice"]
        if notice < today:
            form.add_error("notice", f"Choose today ({today:%-d %b %Y}) or a later day.")
            notice = today
    subscriptions = list(
        Subscription.objects.filter(account=account)
        .select_related("product", "notice_clause")
        .order_by("status", "product__name")
    )
    quotes = {row["subscription"].pk: row for row in _leaving(subscriptions, notice)}
    return render(
        request,
        "portal/contract.html",
        {
            "account": account,
            "rows": [(s, quotes.get(s.pk, {})) for s in subscriptions],
            "notice": notice,
            "today": today,
            "form": form,
        },
    )


@customer_required
def notices(request: HttpRequest, account: Account) -> HttpResponse:
    """Every notice sent to the account, newest first, with the clause it relied on."""
    page = Paginator(
        Notice.objects.filter(account=account).select_related("clause"), NOTICES_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "portal/notices.html", {"account": account, "page": page})
