"""Evaluating an SLA event log given as a document (``backhaul sla evaluate FILE.json``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from backhaul.catalogue.selectors import brand_get, product_get
from backhaul.core.errors import InvalidInput
from backhaul.core.money import format_amount
from backhaul.support import rules, selectors

DOCUMENT_KEYS = ("brand", "care", "product", "monthly_subscription", "events")
MINUTE = timedelta(minutes=1)


def _minutes(span: timedelta) -> int:
    """Whole minutes, rounded down (breaches are judged on the exact time)."""
    return span // MINUTE


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def clock_as_dict(clock: rules.ClockReading) -> dict[str, Any]:
    return {
        "name": clock.name,
        "measured_in": clock.kind,
        "target_minutes": _minutes(clock.target),
        "used_minutes": _minutes(clock.used),
        "remaining_minutes": _minutes(clock.remaining),
        "due": _iso(clock.due),
        "state": clock.state,
        "breached": clock.breached,
        "guaranteed": clock.guaranteed,
        "clause": clock.clause,
    }


def sla_result_as_dict(result: rules.SlaResult) -> dict[str, Any]:
    response, resolution = result.response, result.resolution
    return {
        "evaluated_at": result.evaluated_at.isoformat(),
        "state": result.state,
        "pending_reason": result.pending_reason or None,
        "response_working_minutes": _minutes(result.response_working_time),
        "resolution_working_minutes": _minutes(result.resolution_working_time),
        "paused_working_minutes": _minutes(result.paused_working_time),
        "response_due": _iso(response.due) if response else None,
        "resolution_due": _iso(resolution.due) if resolution else None,
        "response_breached": bool(response and response.breached),
        "resolution_breached": bool(resolution and resolution.breached),
        "resolved_at": _iso(result.resolved_at),
        "reopened": result.reopened,
        "auto_close_at": _iso(result.auto_close_at),
        "closed_at": _iso(result.closed_at),
        "close_reason": result.close_reason or None,
        "credit": format_amount(result.credit),
        "credit_reason": result.credit_reason,
        "clocks": [clock_as_dict(c) for c in (response, resolution) if c is not None],
        "clauses": list(result.clauses),
    }


def sla_evaluate_document(document: object, *, at: datetime | None = None) -> dict[str, Any]:
    """Evaluate ``{"brand", "care", "product", "monthly_subscription", "events"}``.

    The brand's catalogue supplies the working hours, bank holidays, service levels,
    pause reasons and credit terms; the result is what the clocks read at ``at`` (default:
    the last event).
    """
    if not isinstance(document, dict):
        raise InvalidInput(f"must be a JSON object with {', '.join(DOCUMENT_KEYS)}")
    missing = [key for key in DOCUMENT_KEYS if key not in document]
    if missing:
        raise InvalidInput(f"{missing[0]}: required key is missing")
    extra = sorted(set(document) - set(DOCUMENT_KEYS))
    if extra:
        raise InvalidInput(f"{extra[0]}: unknown key (use {', '.join(DOCUMENT_KEYS)})")
    for key in ("brand", "care", "product"):
        if not isinstance(document[key], str) or not document[key].strip():
            raise InvalidInput(f"{key}: must be a non-empty string")
    brand = brand_get(document["brand"].strip())
    product = product_get(brand, document["product"].strip())
    monthly = rules.parse_money(document["monthly_subscription"], "monthly_subscription")
    events = rules.parse_events(document["events"])
    policy = selectors.sla_policy_for(brand, care=document["care"].strip(), product=product)
    result = rules.sla_evaluate(
        events,
        policy=policy,
        calendar=selectors.working_time_for(brand),
        monthly_subscription=monthly,
        at=at,
    )
    return {
        "brand": brand.key,
        "care": policy.care,
        "product": product.key,
        "monthly_subscription": format_amount(monthly),
        **sla_result_as_dict(result),
    }
