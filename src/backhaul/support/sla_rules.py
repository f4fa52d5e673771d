"""The SLA evaluation of a ticket's event log, and the credit one fault earns.

Pure functions over plain values; the service levels come from the brand's catalogue as a
frozen :class:`SlaPolicy` built by the selectors, and every result names its clauses. The
event log is read by :mod:`backhaul.support.event_rules` and the clocks measured by
:mod:`backhaul.support.clock_rules`; their names are available from here too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from backhaul.core.calendar import WorkingTime
from backhaul.core.errors import InvalidInput
from backhaul.core.money import quantize
from backhaul.support.clock_rules import (
    CLOCK_CALENDAR_DAYS,
    CLOCK_ELAPSED,
    CLOCK_KINDS,
    CLOCK_WORKING,
    ClockReading,
    Pause,
    Target,
    elapsed_less_pauses,
    exact_context,
    hours_text,
    local_date,
    measure_clock,
    merge_spans,
    parse_money,
    parse_ratio,
    real_shift,
    real_span,
    require_amount,
    require_aware,
    round_share,
    unique_clauses,
    working_time_from_params,
)
from backhaul.support.event_rules import (
    CONFIRMED,
    CREATED,
    EVENT_TYPES,
    PAUSE_REASONS,
    PAUSED,
    REOPENED,
    RESOLVED,
    RESPONDED,
    RESUMED,
    RETEST,
    EventLog,
    EventLogError,
    Reopening,
    TicketEvent,
    canonical_order,
    event_log,
    parse_events,
)

_NO_TIME = timedelta(0)

# SLA evaluation of a fault ticket -----------------------------------------------------------


@dataclass(frozen=True)
class ServiceCreditTerms:
    """Plusnet Enhanced Care service credits (plusnet-business/broadband-schedule#7.19-7.26)."""

    max_per_fault: Decimal
    clause: str
    monthly_cap_clause: str
    claim_working_days: int
    claim_clause: str
    one_claim_clause: str
    discretionary_clause: str
    exclusions: Mapping[str, str]
    exclusions_clause: str


@dataclass(frozen=True)
class UptimeGuaranteeTerms:
    """The PlugIn Uptime Guarantee (plugin/uptime-guarantee#terms, #exclusions, #claims)."""

    fraction: str
    period: timedelta
    clause: str
    circumstances: Mapping[str, str]
    exclusions: Mapping[str, str]
    exclusions_clause: str
    claim_working_days: int
    claim_clause: str


@dataclass(frozen=True)
class SlaPolicy:
    """The service levels of one care level on one product, from the catalogue."""

    care: str
    response: Target | None
    resolution: Target | None
    pause_reasons: Mapping[str, str]
    clauses: tuple[str, ...]
    auto_close_working_days: int | None = None
    auto_close_clause: str = ""
    service_credit: ServiceCreditTerms | None = None
    uptime_guarantee: UptimeGuaranteeTerms | None = None
    not_covered: str = ""
    """Why the care level's guarantee does not cover this product, if it does not."""


@dataclass(frozen=True)
class SlaResult:
    evaluated_at: datetime
    state: str
    response: ClockReading | None
    resolution: ClockReading | None
    response_working_time: timedelta
    resolution_working_time: timedelta
    paused_working_time: timedelta
    resolved_at: datetime | None
    auto_close_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    pending_reason: str
    credit: Decimal
    credit_reason: str
    clauses: tuple[str, ...]
    reopened: int = 0
    """How many times the fault was reopened after a resolution."""


def auto_close_at(resolved_at: datetime, working_days: int, calendar: WorkingTime) -> datetime:
    """The end of the ``working_days``-th working day after the day of the resolution.

    "The Fault will be closed and the Fault clock stopped once the customer informs
    Plusnet that the Fault has been cleared or after 5 working days, whichever is the
    earlier" (plusnet-business/broadband-schedule#7.7). The day the fault is resolved is
    not counted; the ticket closes when the last working day's working hours end.
    """
    last = calendar.add_working_days(local_date(resolved_at, calendar.tz), working_days)
    return datetime.combine(last, calendar.day_end, tzinfo=calendar.tz)


def sla_evaluate(
    events: Sequence[TicketEvent],
    *,
    policy: SlaPolicy,
    calendar: WorkingTime,
    monthly_subscription: Decimal,
    at: datetime | None = None,
) -> SlaResult:
    """Evaluate a fault ticket's SLA clocks at ``at`` (default: its last event).

    The clock starts when the ticket is created (plusnet-business/broadband-schedule#7.4,
    7.6); paused spans are given back (7.5); the response clock stops at the first
    response, the resolution clock at the resolution; the ticket closes when the customer
    confirms or ``auto_close_working_days`` after the resolution, whichever is earlier
    (7.7). A missed guaranteed service level earns the brand's credit for one fault:
    :func:`fault_credit`. A fault reopened before it closed runs on from the reopening,
    the time it spent resolved given back (see :func:`event_log`); a reopening at or after
    the automatic close of the resolution it reopens is refused.
    """
    monthly_subscription = require_amount(monthly_subscription, "monthly_subscription")
    log = event_log(events, pause_reasons=list(policy.pause_reasons))
    when = log.last_event_at if at is None else require_aware(at, "at")
    if when < log.last_event_at:
        raise InvalidInput(
            f"at: {when.isoformat()} is before the last event ({log.last_event_at.isoformat()})"
        )
    if policy.auto_close_working_days is not None:
        for reopening in log.reopenings:
            closes = auto_close_at(reopening.resolved_at, policy.auto_close_working_days, calendar)
            if reopening.at >= closes:
                raise EventLogError(
                    f"events[{reopening.index}] ({REOPENED} at {reopening.at.isoformat()}): "
                    f"the ticket closed automatically at {closes.isoformat()}, "
                    f"{policy.auto_close_working_days} working days after "
                    f"events[{reopening.resolved_index}] ({RESOLVED}); raise a new ticket"
                )
    spans = log.pause_spans(when)
    response = (
        measure_clock(
            policy.response,
            calendar=calendar,
            start=log.created_at,
            stop=log.first_response_at,
            at=when,
            pauses=log.pauses,
        )
        if policy.response
        else None
    )
    resolution_stop = log.resolved_at or log.confirmed_at
    resolution = (
        measure_clock(
            policy.resolution,
            calendar=calendar,
            start=log.created_at,
            stop=resolution_stop,
            at=when,
            pauses=log.pauses,
        )
        if policy.resolution
        else None
    )
    response_end = min(log.first_response_at or when, when)
    resolution_end = min(resolution_stop or when, when)
    close_at = (
        auto_close_at(log.resolved_at, policy.auto_close_working_days, calendar)
        if log.resolved_at is not None and policy.auto_close_working_days is not None
        else None
    )
    closed_at, close_reason = None, ""
    candidates = [(t, r) for t, r in ((log.confirmed_at, "confirmed"), (close_at, "auto-close"))]
    done = sorted((t, r) for t, r in candidates if t is not None and t <= when)
    if done:
        closed_at, close_reason = done[0]
    if closed_at is not None:
        state = "closed"
    elif log.resolved_at is not None:
        state = "resolved"
    elif log.paused_now is not None:
        state = "pending"
    elif log.first_response_at is not None or log.pauses:
        state = "open"
    else:
        state = "new"
    pending = log.paused_now.reason if log.paused_now is not None and state == "pending" else ""
    credit, credit_reason, credit_clauses = fault_credit(
        policy=policy,
        response=response,
        resolution=resolution,
        log=log,
        at=when,
        monthly_subscription=monthly_subscription,
    )
    clauses = unique_clauses(
        [
            *policy.clauses,
            response.clause if response else "",
            resolution.clause if resolution else "",
            *(policy.pause_reasons.get(reason, "") for reason in log.pause_reasons_used),
            policy.auto_close_clause if close_at is not None else "",
            *credit_clauses,
        ]
    )
    return SlaResult(
        evaluated_at=when,
        state=state,
        response=response,
        resolution=resolution,
        response_working_time=calendar.working_time_between(log.created_at, response_end, spans),
        resolution_working_time=calendar.working_time_between(
            log.created_at, resolution_end, spans
        ),
        paused_working_time=calendar.working_time_between(log.created_at, resolution_end)
        - calendar.working_time_between(log.created_at, resolution_end, spans),
        resolved_at=log.resolved_at,
        auto_close_at=close_at,
        closed_at=closed_at,
        close_reason=close_reason,
        pending_reason=pending,
        credit=credit,
        credit_reason=credit_reason,
        clauses=clauses,
        reopened=len(log.reopenings),
    )


def uptime_guarantee_credit(
    *, monthly_subscription: Decimal, outage: timedelta, terms: UptimeGuaranteeTerms
) -> tuple[Decimal, int]:
    """(credit, periods): the fraction of the subscription for each period or part.

    "We will pay compensation, on the basis of 1/30th of your monthly subscription for any
    24hour period or part thereof" (plugin/uptime-guarantee#terms). The amount is
    ``subscription * periods * 1/30``, formed exactly and rounded to the penny once,
    half a penny up.
    """
    monthly_subscription = require_amount(monthly_subscription, "monthly_subscription")
    if outage <= _NO_TIME:
        return Decimal("0.00"), 0
    periods = math.ceil(outage / terms.period)
    top, bottom = parse_ratio(terms.fraction)
    ctx = exact_context()
    exact = ctx.divide(ctx.multiply(ctx.multiply(monthly_subscription, periods), top), bottom)
    return round_share(exact), periods


def fault_credit(
    *,
    policy: SlaPolicy,
    response: ClockReading | None,
    resolution: ClockReading | None,
    log: EventLog,
    at: datetime,
    monthly_subscription: Decimal,
) -> tuple[Decimal, str, tuple[str, ...]]:
    """The credit one fault earns on its own: (amount, why, clauses).

    Service credits: "Where Plusnet fails to meet the service levels ... a maximum of £20
    as a Service Credit" (plusnet-business/broadband-schedule#7.19), never more than one
    month's subscription (7.22). Uptime Guarantee: 1/30 of the monthly subscription for
    each 24-hour period or part of the outage (plugin/uptime-guarantee#terms). The monthly
    cap across faults and the exclusions are applied when a claim is decided.
    """
    zero = Decimal("0.00")
    missed = [c for c in (response, resolution) if c is not None and c.breached and c.guaranteed]
    if policy.not_covered:
        return zero, policy.not_covered, ()
    if not missed:
        if policy.service_credit is None and policy.uptime_guarantee is None:
            return zero, f"{policy.care} care carries no service level guarantee", ()
        return zero, "every guaranteed service level was met", ()
    names = " and ".join(c.name for c in missed)
    if policy.service_credit is not None:
        terms = policy.service_credit
        amount = min(terms.max_per_fault, monthly_subscription)
        capped = " (one month's subscription)" if amount < terms.max_per_fault else ""
        clauses = (terms.clause, *(c.clause for c in missed))
        if capped:
            clauses += (terms.monthly_cap_clause,)
        return (
            quantize(amount),
            f"{names} service level missed: credit of up to {terms.max_per_fault}{capped}",
            clauses,
        )
    if policy.uptime_guarantee is not None:
        terms_ug = policy.uptime_guarantee
        end = log.resolved_at or log.confirmed_at or at
        outage = elapsed_less_pauses(log.created_at, end, log.pause_spans(end))
        amount, periods = uptime_guarantee_credit(
            monthly_subscription=monthly_subscription, outage=outage, terms=terms_ug
        )
        return (
            amount,
            f"{names} service level missed: {periods} period(s) of {hours_text(terms_ug.period)} "
            f"or part at {terms_ug.fraction} of the monthly subscription",
            (terms_ug.clause, *(c.clause for c in missed)),
        )
    return zero, f"{policy.care} care carries no service credit", ()


__all__ = [
    "CLOCK_CALENDAR_DAYS",
    "CLOCK_ELAPSED",
    "CLOCK_KINDS",
    "CLOCK_WORKING",
    "CONFIRMED",
    "CREATED",
    "EVENT_TYPES",
    "PAUSED",
    "PAUSE_REASONS",
    "REOPENED",
    "RESOLVED",
    "RESPONDED",
    "RESUMED",
    "RETEST",
    "ClockReading",
    "EventLog",
    "EventLogError",
    "Pause",
    "Reopening",
    "ServiceCreditTerms",
    "SlaPolicy",
    "SlaResult",
    "Target",
    "TicketEvent",
    "UptimeGuaranteeTerms",
    "auto_close_at",
    "canonical_order",
    "elapsed_less_pauses",
    "event_log",
    "exact_context",
    "fault_credit",
    "hours_text",
    "local_date",
    "measure_clock",
    "merge_spans",
    "parse_events",
    "parse_money",
    "parse_ratio",
    "real_shift",
    "real_span",
    "require_amount",
    "require_aware",
    "round_share",
    "sla_evaluate",
    "unique_clauses",
    "uptime_guarantee_credit",
    "working_time_from_params",
]
