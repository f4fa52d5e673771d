"""SLA clocks over a ticket's event log, and the credit one fault earns.

Pure functions over plain values; the service levels come from the brand's catalogue as a
frozen :class:`SlaPolicy` built by the selectors, and every result names its clauses.

- working time from a brand's ``[rules.working_time]``;
- the event log: parsing, validation, and the canonical order of events that share a
  timestamp (:func:`canonical_order`);
- clocks measured in working hours, real hours or calendar days, with paused spans given
  back (:func:`measure_clock`);
- the evaluation of a fault ticket (:func:`sla_evaluate`) and its credit
  (:func:`fault_credit`).
"""

from __future__ import annotations

import decimal
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from backhaul.core.calendar import WorkingTime
from backhaul.core.errors import InvalidInput
from backhaul.core.money import (
    WORKING_PRECISION,
    MoneyError,
    Rounding,
    is_penny_scale,
    parse_amount,
    quantize,
)

CREATED = "created"
RESPONDED = "responded"
PAUSED = "paused"
RESUMED = "resumed"
RESOLVED = "resolved"
CONFIRMED = "confirmed"
EVENT_TYPES: tuple[str, ...] = (CREATED, RESPONDED, PAUSED, RESUMED, RESOLVED, CONFIRMED)
#: The reasons the terms allow a fault clock to be suspended (plusnet-business/
#: broadband-schedule#7.5 (a) to (d)); a brand's ``[rules.sla].pause_reasons`` picks from them.
PAUSE_REASONS: tuple[str, ...] = ("retest", "diagnostics", "awaiting_appointment", "no_access")

#: How a clock counts time: working hours of the brand's calendar, real (elapsed) time, or
#: calendar days (a target of N days ends at midnight, London time, N days after the start).
CLOCK_WORKING = "working-hours"
CLOCK_ELAPSED = "elapsed-hours"
CLOCK_CALENDAR_DAYS = "calendar-days"
CLOCK_KINDS = (CLOCK_WORKING, CLOCK_ELAPSED, CLOCK_CALENDAR_DAYS)

_NO_TIME = timedelta(0)
_DAY = timedelta(days=1)
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def exact_context() -> decimal.Context:
    return decimal.Context(
        prec=WORKING_PRECISION,
        rounding=decimal.ROUND_HALF_EVEN,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def require_aware(moment: datetime, what: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{what}: must be a timezone-aware date and time, not {moment!r}")
    return moment


def local_date(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def require_amount(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(f"{what}: must be an amount, not {value!r}")
    if value < 0:
        raise InvalidInput(f"{what}: must not be negative, not {value}")
    return value


def round_share(value: Decimal) -> Decimal:
    """Round a pro-rata share to the penny, half a penny up, as invoice lines are rounded."""
    return quantize(value, rounding=Rounding.HALF_UP)


def merge_spans(
    spans: Sequence[tuple[datetime, datetime]], lower: datetime, upper: datetime
) -> list[tuple[datetime, datetime]]:
    """Spans as UTC instants clipped to ``[lower, upper)``, sorted, overlaps merged."""
    clipped = sorted(
        (max(s.astimezone(UTC), lower), min(e.astimezone(UTC), upper)) for s, e in spans
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in clipped:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def elapsed_less_pauses(
    start: datetime, end: datetime, spans: Sequence[tuple[datetime, datetime]]
) -> timedelta:
    """Real time in ``[start, end)`` less the paused spans (counted once where they overlap)."""
    lower, upper = start.astimezone(UTC), end.astimezone(UTC)
    if upper <= lower:
        return _NO_TIME
    total = upper - lower
    for span_start, span_end in merge_spans(spans, lower, upper):
        total -= span_end - span_start
    return total


def parse_ratio(text: str) -> tuple[Decimal, Decimal]:
    """``"1/30"`` as (1, 30), kept apart so the division happens once, after multiplying."""
    numerator, sep, denominator = text.partition("/")
    try:
        top = Decimal(numerator.strip())
        bottom = Decimal(denominator.strip()) if sep else Decimal(1)
    except decimal.InvalidOperation:
        raise InvalidInput(f"not a fraction: {text!r}") from None
    if bottom <= 0 or top < 0:
        raise InvalidInput(f"not a fraction: {text!r}")
    return top, bottom


# Working time ------------------------------------------------------------------------------


def working_time_from_params(params: Mapping[str, Any], *, region: str) -> WorkingTime:
    """The calendar of a brand's ``[rules.working_time]``: hours, weekdays, bank holidays.

    Plusnet Business: "Working Hours: 8.00am to 8.00pm Monday to Friday, excluding bank
    holidays" (plusnet-business/general-terms#def-working-hours); the bank holiday
    ``region`` is the brand's ``bank_holidays``.
    """
    try:
        day_start = time.fromisoformat(str(params.get("day_start", "08:00")))
        day_end = time.fromisoformat(str(params.get("day_end", "20:00")))
    except ValueError as exc:
        raise InvalidInput(f"working_time: day_start/day_end: {exc}") from None
    names = params.get("weekdays", ["mon", "tue", "wed", "thu", "fri"])
    unknown = [name for name in names if name not in _WEEKDAYS]
    if unknown:
        raise InvalidInput(f"working_time.weekdays: unknown day {unknown[0]!r} (use mon..sun)")
    return WorkingTime(
        day_start=day_start,
        day_end=day_end,
        weekdays=frozenset(_WEEKDAYS[name] for name in names),
        holiday_region=region,
        exclude_holidays=bool(params.get("exclude_bank_holidays", True)),
    )


# The event log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketEvent:
    """One entry of a ticket's event log. ``index`` is its position in the input."""

    at: datetime
    type: str
    reason: str = ""
    index: int = 0


class EventLogError(InvalidInput):
    """An event log the SLA engine refuses; the message names the event and its index."""


def _describe(event: TicketEvent) -> str:
    return f"events[{event.index}] ({event.type} at {event.at.isoformat()})"


def parse_events(raw: object) -> list[TicketEvent]:
    """Events from decoded JSON: ``[{"at": ISO 8601 with offset, "type", "reason"?}]``.

    Each problem names the event's index, for example
    ``events[3]: unknown event type 'escalated' (known: created, responded, ...)``.
    """
    if not isinstance(raw, list):
        raise EventLogError("events: must be a list of {at, type, reason} objects")
    events = []
    for index, item in enumerate(raw):
        where = f"events[{index}]"
        if not isinstance(item, dict):
            raise EventLogError(f"{where}: must be an object with at, type and reason")
        extra = sorted(set(item) - {"at", "type", "reason", "note"})
        if extra:
            raise EventLogError(f"{where}: unknown key {extra[0]!r} (use at, type, reason, note)")
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in EVENT_TYPES:
            raise EventLogError(
                f"{where}: unknown event type {kind!r} (known: {', '.join(EVENT_TYPES)})"
            )
        where = f"{where} ({kind})"
        raw_at = item.get("at")
        try:
            at = datetime.fromisoformat(raw_at) if isinstance(raw_at, str) else None
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise EventLogError(
                f"{where}: 'at' must be a date and time with a UTC offset, "
                f"for example 2026-11-23T09:00:00+00:00, not {raw_at!r}"
            )
        reason = item.get("reason", "")
        if not isinstance(reason, str):
            raise EventLogError(f"{where}: reason must be text, not {reason!r}")
        events.append(TicketEvent(at=at, type=kind, reason=reason, index=index))
    return events


_RANK = {CREATED: 0, RESUMED: 1, PAUSED: 1, RESPONDED: 2, RESOLVED: 3, CONFIRMED: 4}


def canonical_order(events: Sequence[TicketEvent]) -> list[TicketEvent]:
    """The order the engine reads events in; it ignores the order of equal timestamps.

    Events are taken by time. Events that share a timestamp are taken as: ``created``;
    then the pauses and resumes, alternating, starting with ``resumed`` if the clock was
    paused just before that instant and with ``paused`` otherwise (pauses by reason);
    then ``responded``; ``resolved``; ``confirmed``. Any arrival order of the same events
    therefore gives the same reading and the same errors. The events must already be in
    time order (see :func:`event_log`).
    """
    ordered: list[TicketEvent] = []
    paused = False
    start = 0
    while start < len(events):
        end = start
        while end < len(events) and events[end].at == events[start].at:
            end += 1
        group = sorted(events[start:end], key=lambda e: (_RANK[e.type], e.type, e.reason, e.index))
        pauses = [e for e in group if e.type == PAUSED]
        resumes = [e for e in group if e.type == RESUMED]
        toggles: list[TicketEvent] = []
        want_resume = paused
        while pauses or resumes:
            pool = resumes if (want_resume and resumes) or not pauses else pauses
            toggles.append(pool.pop(0))
            want_resume = toggles[-1].type == PAUSED
        if toggles:
            paused = toggles[-1].type == PAUSED
        if any(e.type in (RESOLVED, CONFIRMED) for e in group):
            paused = False
        head = [e for e in group if e.type == CREATED]
        tail = [e for e in group if e.type not in (CREATED, PAUSED, RESUMED)]
        ordered.extend(head + toggles + tail)
        start = end
    return ordered


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None
    reason: str


@dataclass(frozen=True)
class EventLog:
    """A validated event log reduced to the instants the clocks need."""

    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    confirmed_at: datetime | None
    pauses: tuple[Pause, ...]
    last_event_at: datetime
    pause_reasons_used: tuple[str, ...]

    @property
    def paused_now(self) -> Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].end is None else None

    def pause_spans(self, until: datetime) -> list[tuple[datetime, datetime]]:
        return [(p.start, p.end if p.end is not None else until) for p in self.pauses]


def event_log(events: Sequence[TicketEvent], *, pause_reasons: Sequence[str]) -> EventLog:
    """Validate a ticket's events and reduce them to the clock instants.

    Rules (plusnet-business/broadband-schedule#7.4 to 7.7): the log starts with one
    ``created``; events are in time order (equal timestamps in any order, see
    :func:`canonical_order`); ``paused`` needs a reason from ``pause_reasons`` and a running
    clock; ``resumed`` needs a paused clock; ``resolved`` ends any pause (the fault is
    passed back for the customer to confirm) and after it only ``confirmed`` may follow;
    nothing follows ``confirmed``. The first ``responded`` (or a resolution, if it comes
    first) is the response.
    """
    if not events:
        raise EventLogError("events: empty; the log starts with a created event")
    for previous, event in itertools.pairwise(events):
        require_aware(event.at, _describe(event))
        if event.at < previous.at:
            raise EventLogError(
                f"{_describe(event)}: out of order, before {_describe(previous)}; "
                "list events in time order"
            )
    require_aware(events[0].at, _describe(events[0]))
    created: TicketEvent | None = None
    response: datetime | None = None
    resolved: TicketEvent | None = None
    confirmed: TicketEvent | None = None
    pauses: list[Pause] = []
    open_pause: TicketEvent | None = None
    used: list[str] = []
    for event in canonical_order(events):
        where = _describe(event)
        if created is None and event.type != CREATED:
            raise EventLogError(f"{where}: before the ticket was created; start with created")
        if confirmed is not None:
            raise EventLogError(
                f"{where}: the ticket was closed by events[{confirmed.index}] (confirmed)"
            )
        if resolved is not None and event.type not in (CONFIRMED, RESPONDED):
            raise EventLogError(
                f"{where}: the fault was resolved by events[{resolved.index}]; "
                "only confirmed may follow"
            )
        if event.type == CREATED:
            if created is not None:
                raise EventLogError(
                    f"{where}: the ticket was already created by events[{created.index}]"
                )
            created = event
        elif event.type == RESPONDED:
            response = response or event.at
        elif event.type == PAUSED:
            if event.reason not in pause_reasons:
                allowed = ", ".join(pause_reasons) or "none for this care level"
                raise EventLogError(
                    f"{where}: reason must be one of {allowed}, not {event.reason!r}"
                )
            if open_pause is not None:
                raise EventLogError(
                    f"{where}: the clock is already paused since events[{open_pause.index}] "
                    f"({open_pause.reason})"
                )
            open_pause = event
            if event.reason not in used:
                used.append(event.reason)
        elif event.type == RESUMED:
            if open_pause is None:
                raise EventLogError(f"{where}: resumed without paused; the clock is running")
            pauses.append(Pause(open_pause.at, event.at, open_pause.reason))
            open_pause = None
        elif event.type == RESOLVED:
            if open_pause is not None:
                pauses.append(Pause(open_pause.at, event.at, open_pause.reason))
                open_pause = None
            resolved = event
            response = response or event.at
        else:  # CONFIRMED
            if open_pause is not None:
                pauses.append(Pause(open_pause.at, event.at, open_pause.reason))
                open_pause = None
            confirmed = event
            response = response or event.at
    assert created is not None
    if open_pause is not None:
        pauses.append(Pause(open_pause.at, None, open_pause.reason))
    return EventLog(
        created_at=created.at,
        first_response_at=response,
        resolved_at=resolved.at if resolved else None,
        confirmed_at=confirmed.at if confirmed else None,
        pauses=tuple(pauses),
        last_event_at=events[-1].at,
        pause_reasons_used=tuple(used),
    )


# Clocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A service level: ``amount`` of time counted the ``kind`` way, and its clause."""

    name: str
    amount: timedelta
    kind: str
    clause: str
    guaranteed: bool = True

    def __post_init__(self) -> None:
        if self.kind not in CLOCK_KINDS:
            raise InvalidInput(f"{self.name}: unknown clock {self.kind!r}")
        if self.amount < _NO_TIME:
            raise InvalidInput(f"{self.name}: a target must not be negative")


@dataclass(frozen=True)
class ClockReading:
    """A clock against its target at one instant.

    ``used`` is the time counted so far (pauses given back), ``remaining`` may be
    negative once breached. ``due`` is when the target is reached if the clock runs on
    without further pauses from its last known state; None while it is paused and not yet
    breached. ``stopped_at`` is when it was met (a response, a resolution).
    """

    name: str
    kind: str
    target: timedelta
    used: timedelta
    due: datetime | None
    stopped_at: datetime | None
    paused: bool
    breached: bool
    clause: str
    guaranteed: bool

    @property
    def remaining(self) -> timedelta:
        return self.target - self.used

    @property
    def state(self) -> str:
        if self.breached:
            return "breached"
        if self.stopped_at is not None:
            return "met"
        return "paused" if self.paused else "running"

    @property
    def fraction_used(self) -> float:
        """Share of the target used, for drawing (never for money)."""
        if self.target <= _NO_TIME:
            return 1.0
        return self.used / self.target


def _calendar_days_target(start: datetime, days: int, tz: tzinfo) -> datetime:
    """Midnight (London) at the end of the ``days``-th day after the start's date."""
    last = local_date(start, tz) + timedelta(days=days + 1)
    return datetime.combine(last, time(0), tzinfo=tz)


def _measure(
    kind: str,
    calendar: WorkingTime,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]],
) -> timedelta:
    if end <= start:
        return _NO_TIME
    if kind == CLOCK_WORKING:
        return calendar.working_time_between(start, end, pauses)
    return elapsed_less_pauses(start, end, pauses)


def _advance(kind: str, calendar: WorkingTime, start: datetime, amount: timedelta) -> datetime:
    if kind == CLOCK_WORKING:
        return calendar.add_working_time(start, amount)
    return (start + amount).astimezone(calendar.tz)


def measure_clock(
    target: Target,
    *,
    calendar: WorkingTime,
    start: datetime,
    stop: datetime | None,
    at: datetime,
    pauses: Sequence[Pause] = (),
) -> ClockReading:
    """Read a clock that started at ``start`` and stopped at ``stop`` (if it has), at ``at``.

    Paused spans are given back (plusnet-business/broadband-schedule#7.5: "Suspended time
    will be excluded from the total fault time"). Working-hours clocks count only the
    brand's working hours, exactly across clock changes and bank holidays. A clock is
    breached when the time used exceeds the target: meeting it exactly is in time.
    """
    horizon = min(stop, at) if stop is not None else at
    horizon = max(horizon, start)
    kind, amount = target.kind, target.amount
    if kind == CLOCK_CALENDAR_DAYS:
        days = int(amount / _DAY)
        amount = _calendar_days_target(start, days, calendar.tz) - start
        kind = CLOCK_ELAPSED
    spans = [
        (p.start, min(p.end, horizon) if p.end is not None else horizon)
        for p in pauses
        if p.start < horizon
    ]
    used = _measure(kind, calendar, start, horizon, spans)
    stopped = stop is not None and stop <= at
    paused_at_horizon = not stopped and any(
        p.start <= horizon and (p.end is None or p.end > horizon) for p in pauses
    )
    due = _due(kind, calendar, start, horizon, spans, amount, running=not paused_at_horizon)
    return ClockReading(
        name=target.name,
        kind=target.kind,
        target=amount,
        used=used,
        due=due,
        stopped_at=stop if stopped else None,
        paused=paused_at_horizon,
        breached=used > amount,
        clause=target.clause,
        guaranteed=target.guaranteed,
    )


def _due(
    kind: str,
    calendar: WorkingTime,
    start: datetime,
    horizon: datetime,
    spans: Sequence[tuple[datetime, datetime]],
    amount: timedelta,
    *,
    running: bool,
) -> datetime | None:
    """When ``amount`` is used up, walking the running stretches between pauses."""
    lower, upper = start.astimezone(UTC), horizon.astimezone(UTC)
    merged = merge_spans(spans, lower, upper)
    cursor, left = lower, amount
    for pause_start, pause_end in [*merged, (upper, upper)]:
        stretch = _measure(kind, calendar, cursor, pause_start, ())
        if left <= stretch and (stretch > _NO_TIME or left == _NO_TIME):
            return _advance(kind, calendar, cursor, left)
        left -= stretch
        cursor = max(cursor, pause_end)
    if not running:
        return None
    return _advance(kind, calendar, cursor, left)


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


def unique_clauses(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


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
    :func:`fault_credit`.
    """
    monthly_subscription = require_amount(monthly_subscription, "monthly_subscription")
    log = event_log(events, pause_reasons=list(policy.pause_reasons))
    when = log.last_event_at if at is None else require_aware(at, "at")
    if when < log.last_event_at:
        raise InvalidInput(
            f"at: {when.isoformat()} is before the last event ({log.last_event_at.isoformat()})"
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


def hours_text(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 3600)} hours"


def parse_money(text: object, what: str) -> Decimal:
    """An amount from input (``"24.99"``), non-negative and in whole pence."""
    if not isinstance(text, str | Decimal):
        raise InvalidInput(f'{what}: must be an amount written as a string, e.g. "24.99"')
    try:
        amount = parse_amount(text)
    except MoneyError as exc:
        raise InvalidInput(f"{what}: {exc}") from None
    if amount < 0 or not is_penny_scale(amount):
        raise InvalidInput(f"{what}: must be a non-negative amount in pence, not {text!r}")
    return amount
