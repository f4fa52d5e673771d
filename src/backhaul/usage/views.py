"""Member Centre adapters for usage: show the allowance, sell Top Ups, publish speeds."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backhaul.catalogue.models import Brand
from backhaul.cli import to_jsonable
from backhaul.core.errors import BackhaulError
from backhaul.core.periods import add_months
from backhaul.customers.models import Account
from backhaul.portal.access import customer_required
from backhaul.usage import rules
from backhaul.usage.choices import TopUpChannel
from backhaul.usage.forms import TopUpForm
from backhaul.usage.selectors import speeds_monthly, usage_chart
from backhaul.usage.services import topup_offer, topups_buy

CHART_WIDTH = 640
CHART_HEIGHT = 240
GB = Decimal(10**9)


def _chart(days: list[dict[str, Any]], allowance: int) -> dict[str, Any]:
    """SVG coordinates for usage against allowance and allowance plus Top Ups."""
    if not days:
        return {}
    ceiling = max(
        [allowance + d["topups_bytes"] for d in days] + [d["used_bytes"] or 0 for d in days] + [1]
    )
    step = CHART_WIDTH / max(len(days) - 1, 1)

    def y(octets: int) -> float:
        return round(CHART_HEIGHT - CHART_HEIGHT * octets / ceiling, 1)

    used = [
        f"{round(i * step, 1)},{y(d['used_bytes'])}"
        for i, d in enumerate(days)
        if d["used_bytes"] is not None
    ]
    limit = [f"{round(i * step, 1)},{y(allowance + d['topups_bytes'])}" for i, d in enumerate(days)]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "used": " ".join(used),
        "allowance_y": y(allowance),
        "limit": " ".join(limit),
        "ceiling_gb": (Decimal(ceiling) / GB).quantize(Decimal("0.1")),
    }


def _usage_context(account: Account, now: datetime, form: TopUpForm | None) -> dict[str, Any]:
    chart = usage_chart(account, now)
    state = chart["state"]
    offer = topup_offer(account, on=rules.london_date(now)) if state["metered"] else None
    allowance = int(Decimal(state.get("allowance_gb") or 0) * GB) if state["metered"] else 0
    if offer is not None and form is None:
        form = TopUpForm(initial={"quantity": 1, "request_key": uuid.uuid4().hex})
    return {
        "account": account,
        "state": state,
        "days": chart["days"],
        "chart": _chart(chart["days"], allowance),
        "offer": offer,
        "form": form,
        "used_gb": state.get("used_gb"),
        "topup_left_gb": (Decimal(state.get("topup_left_bytes") or 0) / GB).quantize(
            Decimal("0.01")
        ),
    }


@customer_required
def usage_page(request: HttpRequest, account: Account) -> HttpResponse:
    context = _usage_context(account, timezone.now(), None)
    return render(request, "usage/usage.html", context)


@require_POST
@customer_required
def topup(request: HttpRequest, account: Account) -> HttpResponse:
    now = timezone.now()
    form = TopUpForm(request.POST)
    if not form.is_valid():
        context = _usage_context(account, now, form)
        return render(request, "usage/usage.html", context, status=400)
    try:
        bought = topups_buy(
            account=account,
            quantity=form.cleaned_data["quantity"],
            now=now,
            channel=TopUpChannel.MEMBER_CENTRE,
            request_key=f"portal:{account.pk}:{form.cleaned_data['request_key']}",
            actor=request.user.get_username(),
        )
    except BackhaulError as exc:
        messages.error(request, str(exc))
        return redirect("usage:usage")
    amount = sum((t.charge.amount for t in bought if t.charge), Decimal("0.00"))
    volume = sum(t.octets for t in bought)
    count = len(bought)
    messages.success(
        request,
        f"{count} Top Up{'s' if count > 1 else ''} bought: {Decimal(volume) / GB:.0f} GB, "
        f"£{amount} (plus VAT) on your next bill. Top Ups never expire.",
    )
    return redirect("usage:usage")


def _month(request: HttpRequest) -> date:
    text = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return add_months(date(today.year, today.month, 1), -1)


def _speeds(request: HttpRequest) -> list[dict[str, Any]]:
    month = _month(request)
    return [
        speeds_monthly(brand, month)
        for brand in Brand.objects.filter(rules__key="broadband_speeds").order_by("key")
    ]


def speeds_page(request: HttpRequest) -> HttpResponse:
    """Published without signing in: "We will publish our actual customer average speed
    monthly" (plugin/broadband-speeds#policy)."""
    return render(request, "usage/speeds.html", {"speeds": _speeds(request)})


def speeds_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"speeds": to_jsonable(_speeds(request))})
