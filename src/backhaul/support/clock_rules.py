"""Clocks for support: time measured in working hours, real hours or calendar days, with
paused spans given back, and the small exact helpers the support rules share.

Pure functions over plain values:

- working time from a brand's ``[rules.working_time]`` (:func:`working_time_from_params`);
- a clock against its target (:func:`measure_clock`): the time used, the time left, when it
  falls due and whether it is breached;
- exact money helpers (a pro-rata share rounded once, fractions such as ``1/30``).
"""

from __future__ import annotations

import decimal
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


def real_span(earlier: datetime, later: datetime) -> timedelta:
    """Real time from ``earlier`` to ``later``. Python subtracts two datetimes that share a
    zone as wall-clock times, an hour out across a clock change; this counts in UTC."""
    return later.astimezone(UTC) - earlier.astimezone(UTC)


def real_shift(moment: datetime, amount: timedelta, tz: tzinfo) -> datetime:
    """``moment`` moved by ``amount`` of real time, read in ``tz`` (see :func:`real_span`)."""
    return (moment.astimezone(UTC) + amount).astimezone(tz)


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


def unique_clauses(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


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


# Working time ------------------------------------------------------------------------------


def weekday_numbers(names: Sequence[str], what: str) -> frozenset[int]:
    """Day names as the catalogue writes them (``mon`` to ``sun``) as weekday numbers."""
    unknown = [name for name in names if name not in _WEEKDAYS]
    if unknown:
        raise InvalidInput(f"{what}: unknown day {unknown[0]!r} (use mon..sun)")
    return frozenset(_WEEKDAYS[name] for name in names)


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
    return WorkingTime(
        day_start=day_start,
        day_end=day_end,
        weekdays=weekday_numbers(names, "working_time.weekdays"),
        holiday_region=region,
        exclude_holidays=bool(params.get("exclude_bank_holidays", True)),
    )


# Clocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    """A span the clock was suspended for, with its reason; ``end`` is None while it lasts."""

    start: datetime
    end: datetime | None
    reason: str


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
    return real_shift(start, amount, calendar.tz)


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
        amount = real_span(start, _calendar_days_target(start, days, calendar.tz))
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
