"""Reading usage: fair-use state now and at any instant, the usage chart, published speeds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import rule_params
from backhaul.core.periods import add_months
from backhaul.customers.models import Account
from backhaul.usage import rules
from backhaul.usage.models import AllowanceState, StateTransition, TopUp, UsageDay


def fair_use_states(account_ids: list[int]) -> dict[int, str]:
    return dict(
        AllowanceState.objects.filter(account_id__in=account_ids).values_list("account_id", "state")
    )


def _events_until(account: Account, at: datetime) -> list[rules.Usage | rules.TopUp]:
    """Usage by day and Top Ups up to `at`. A day's usage counts once its last update is
    at or before `at` (usage is kept by day, so an instant inside a day sees the day only
    once it is over or its last update has passed)."""
    events: list[rules.Usage | rules.TopUp] = []
    day_of_at = rules.london_date(at)
    for day, octets_in, octets_out, last_at in UsageDay.objects.filter(
        account=account, day__lte=day_of_at
    ).values_list("day", "input_octets", "output_octets", "last_at"):
        if day == day_of_at and last_at > at:
            continue
        events.append(rules.Usage(last_at, octets_in + octets_out))
    for bought_at, octets in TopUp.objects.filter(account=account, bought_at__lte=at).values_list(
        "bought_at", "octets"
    ):
        events.append(rules.TopUp(bought_at, octets))
    return events


def usage_state_at(account: Account, at: datetime) -> dict[str, Any]:
    """The account's fair-use state and allowance figures at instant `at`, replayed from
    its usage and Top Ups under the plan's rules."""
    from backhaul.usage.services import metered_services

    service = metered_services([account.pk], on=rules.london_date(at)).get(account.pk)
    base: dict[str, Any] = {"account": account.number, "brand": account.brand.key, "at": at}
    if service is None:
        return {**base, "metered": False, "state": rules.NORMAL, "product": None}
    policy = service.policy
    events = _events_until(account, at)
    first_day = min((rules.london_date(e.at) for e in events), default=rules.london_date(at))
    start = rules.allowance_period(first_day, expires=policy.expires, anchor=policy.anchor)
    outcome = rules.allowance_advance(policy, rules.meter_open(policy, start), events, until=at)
    meter = outcome.meter
    transitions = StateTransition.objects.filter(
        account=account, at__gte=rules.london_midnight(meter.period.start), at__lte=at
    ).order_by("at", "id")
    per_gb = policy.bytes_per_gb
    return {
        **base,
        "metered": True,
        "product": service.product.key,
        "state": meter.state,
        "period_start": meter.period.start,
        "period_end": meter.period.end,
        "allowance_gb": _gb(policy.allowance_bytes, per_gb),
        "used_bytes": meter.used_bytes,
        "used_gb": _gb(meter.used_bytes, per_gb),
        "allowance_left_bytes": meter.allowance_left,
        "topup_left_bytes": meter.topup_left,
        "throttle_left_bytes": meter.throttle_left if policy.throttle_bytes else None,
        "over_bytes": meter.over_bytes,
        "extra_usage": _extra(policy, meter),
        "transitions": [
            {
                "at": t.at,
                "from": t.from_state,
                "to": t.to_state,
                "reason": t.reason,
                "clause": t.clause,
            }
            for t in transitions
        ],
        "clause": policy.clause,
    }


def _gb(octets: int, per_gb: int) -> Decimal:
    return (Decimal(octets) / Decimal(per_gb)).quantize(Decimal("0.01"))


def _extra(policy: rules.FairUsePolicy, meter: rules.Meter) -> dict[str, Any] | None:
    if policy.extra_usage_per_gb is None:
        return None
    summary = rules.period_summary(policy, meter)
    return {"gb": summary.extra_gb, "amount": summary.extra_amount, "clause": summary.clause}


def usage_chart(account: Account, at: datetime) -> dict[str, Any]:
    """Day-by-day usage in the current period against the allowance and Top Ups bought."""
    state = usage_state_at(account, at)
    if not state["metered"]:
        return {"state": state, "days": []}
    start, end = state["period_start"], state["period_end"]
    daily = {
        day: octets_in + octets_out
        for day, octets_in, octets_out in UsageDay.objects.filter(
            account=account, day__gte=start, day__lt=end
        ).values_list("day", "input_octets", "output_octets")
    }
    topups = list(
        TopUp.objects.filter(
            account=account, bought_at__lt=rules.london_midnight(end), bought_at__lte=at
        ).values_list("bought_at", "octets")
    )
    days = []
    running = 0
    cursor = start
    today = rules.london_date(at)
    while cursor < end:
        running += daily.get(cursor, 0)
        days.append(
            {
                "day": cursor,
                "used_bytes": running if cursor <= today else None,
                "topups_bytes": sum(o for b, o in topups if rules.london_date(b) <= cursor),
            }
        )
        cursor += timedelta(days=1)
    return {"state": state, "days": days}


def speeds_monthly(brand: Brand, month: date) -> dict[str, Any]:
    """The month's average customer throughput from accounting: each account's download
    volume over its connected time, then the average over accounts, all day and in the busy
    hours (plugin/broadband-speeds#policy, #throughput)."""
    params = rule_params(brand, "broadband_speeds", default={})
    first = date(month.year, month.month, 1)
    rows = (
        UsageDay.objects.filter(account__brand=brand, day__gte=first, day__lt=add_months(first, 1))
        .values("account_id")
        .annotate(
            octets=Sum("output_octets"),
            seconds=Sum("seconds"),
            busy_octets=Sum("busy_output_octets"),
            busy_seconds=Sum("busy_seconds"),
        )
    )
    all_day = [rules.average_kbps(r["octets"], r["seconds"]) for r in rows]
    busy = [rules.average_kbps(r["busy_octets"], r["busy_seconds"]) for r in rows]
    return {
        "brand": brand.key,
        "month": first.strftime("%Y-%m"),
        "customers": len(all_day),
        "average_kbps": _mean([v for v in all_day if v is not None]),
        "busy_hours_average_kbps": _mean([v for v in busy if v is not None]),
        "busy_hours": params.get("busy_hours"),
        "measure": "throughput",
        "clause": params.get("clause"),
        "published": params.get("publish_average_speed"),
    }


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"))
