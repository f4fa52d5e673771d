"""Fair-use rules: metering RADIUS counters, allowances, top-ups, throttling and extra usage.

Pure functions over plain values. Every number comes from the brand's catalogue
(`[rules.fair_use]`, the plan's `allowance_gb`, the `extra-usage` charge) and every decision
names the clause behind it:

- `plugin/broadband-terms#8`: the monthly allowance, then purchased Top Ups (which never
  expire), then 128 kbit/s for an additional 1 GB, then blocked until a Top Up is bought or
  the next billing period starts.
- `plusnet-business/broadband-schedule#5.5`: the allowance expires at the end of each
  calendar month; notices at 80% and 100%; extra usage may be charged.
- `plusnet-business/broadband-charges#7`: extra usage at £1 per GB, rounded up to the next
  whole GB.
- `plusnet-business/broadband-schedule#5.7`: consistent over-use may lead to an upgrade.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from backhaul.core.errors import InvalidInput
from backhaul.core.money import PENNY, Rounding, quantize
from backhaul.core.periods import Frequency, Period, add_months, period_containing

LONDON = ZoneInfo("Europe/London")

#: RADIUS octet counters are 32 bits wide; Acct-*-Gigawords counts their wraps (RFC 2869).
GIGAWORD = 2**32

NORMAL = "normal"
THROTTLED = "throttled"
BLOCKED = "blocked"

ALLOWANCE_USED = "monthly allowance and Top Ups used"
THROTTLE_USED = "additional volume at the throttled rate used"

CALENDAR_MONTH = "calendar-month"
BILLING_PERIOD = "billing-period"


# --- RADIUS counters ---------------------------------------------------------------------


def reported_octets(octets: int, gigawords: int | None) -> int:
    """The counter a NAS reports: `Acct-*-Gigawords * 2**32 + Acct-*-Octets` (RFC 2869 5.1)."""
    if octets < 0 or (gigawords is not None and gigawords < 0):
        raise InvalidInput(f"octet counters cannot be negative: {octets}, {gigawords}")
    return (gigawords or 0) * GIGAWORD + octets


def counter_delta(previous: int | None, reported: int) -> int | None:
    """Octets transferred since the previous interim update of the same session.

    Interim updates carry cumulative counters, so usage is the difference between two
    updates. With no previous update, everything since the session started counts. A counter
    that went backwards while below 2**32 wrapped its 32 bits without a Gigawords attribute:
    the delta runs up to the wrap and on from zero. A counter that went backwards above
    2**32 cannot be explained; None tells the caller to reject that update (it counts
    nothing, and later updates are measured from it).
    """
    if previous is None:
        return reported
    if reported >= previous:
        return reported - previous
    if reported < GIGAWORD:
        return reported + GIGAWORD - previous % GIGAWORD
    return None


@dataclass(frozen=True)
class CounterReading:
    """One accounting record of a session: when, and the counters it reported."""

    at: datetime
    input_reported: int
    output_reported: int


@dataclass(frozen=True)
class CounterDelta:
    at: datetime
    input_octets: int
    output_octets: int
    rejected: bool = False


def session_deltas(
    previous: tuple[int, int] | None, readings: Sequence[CounterReading]
) -> list[CounterDelta]:
    """The usage each reading adds, in time order: the reference for the vectorised meter.

    `previous` is the (input, output) counters last counted for the session, if any. A
    reading whose counters cannot be explained is marked rejected and adds nothing.
    """
    deltas = []
    last_in, last_out = previous if previous is not None else (None, None)
    for reading in sorted(readings, key=lambda r: (r.at, r.input_reported, r.output_reported)):
        din = counter_delta(last_in, reading.input_reported)
        dout = counter_delta(last_out, reading.output_reported)
        if din is None or dout is None:
            deltas.append(CounterDelta(reading.at, 0, 0, rejected=True))
        else:
            deltas.append(CounterDelta(reading.at, din, dout))
        last_in, last_out = reading.input_reported, reading.output_reported
    return deltas


# --- Allowance periods -------------------------------------------------------------------


def london_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise InvalidInput(f"times must carry a time zone: {moment.isoformat()}")
    return moment.astimezone(LONDON).date()


def london_midnight(day: date) -> datetime:
    """The instant a London day starts, in UTC."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


@functools.lru_cache(maxsize=65_536)  # many accounts share a start date and a day
def allowance_period(day: date, *, expires: str, anchor: date) -> Period:
    """The allowance period containing `day`.

    `calendar-month`: "This allowance expires at the end of each calendar month"
    (plusnet-business/broadband-schedule#5.5). `billing-period`: monthly periods from the
    service start date, "until ... you reach the next billing period start date"
    (plugin/broadband-terms#8).
    """
    if expires == CALENDAR_MONTH:
        return period_containing(day, Frequency.MONTHLY, date(day.year, day.month, 1))
    if expires == BILLING_PERIOD:
        if day < anchor:
            # Usage recorded before the service start date falls in the first period.
            return Period(anchor, add_months(anchor, 1))
        return period_containing(day, Frequency.MONTHLY, anchor)
    raise InvalidInput(
        f"allowance_expires: must be {CALENDAR_MONTH} or {BILLING_PERIOD}, not {expires!r}"
    )


# --- The allowance engine ----------------------------------------------------------------


@dataclass(frozen=True)
class FairUsePolicy:
    """A plan's fair-use parameters, read from the brand's catalogue."""

    clause: str
    allowance_bytes: int
    bytes_per_gb: int
    expires: str
    anchor: date
    notify_percent: tuple[int, ...] = ()
    notify_state_changes: bool = False
    throttle_bytes: int | None = None
    throttle_rate_kbps: int | None = None
    block_after_throttle: bool = False
    topup_block_bytes: int | None = None
    extra_usage_per_gb: Decimal | None = None
    extra_usage_clause: str = ""
    overuse_months: int | None = None
    overuse_clause: str = ""

    def __post_init__(self) -> None:
        if self.allowance_bytes < 0:
            raise InvalidInput(f"allowance: cannot be negative ({self.allowance_bytes} bytes)")
        if self.bytes_per_gb <= 0:
            raise InvalidInput(f"bytes_per_gb: must be positive, not {self.bytes_per_gb}")
        for percent in self.notify_percent:
            if not 0 < percent <= 100:
                raise InvalidInput(f"notify_percent: {percent} is not between 1 and 100")


@dataclass(frozen=True)
class Meter:
    """Where an account stands in its allowance period.

    `allowance_left` is this period's allowance not yet used; `topup_left` is purchased
    Top Up volume not yet used (it carries into later periods); `throttle_left` is what
    remains of the additional volume at the throttled rate; `over_bytes` is usage beyond
    everything (charged as extra usage where the brand does so, or used while blocked).
    """

    period: Period
    state: str
    used_bytes: int
    allowance_left: int
    topup_left: int
    throttle_left: int
    over_bytes: int
    notified: tuple[int, ...] = ()
    last_at: datetime | None = None


@dataclass(frozen=True)
class Usage:
    at: datetime
    octets: int


@dataclass(frozen=True)
class TopUp:
    at: datetime
    octets: int


@dataclass(frozen=True)
class Transition:
    at: datetime
    from_state: str
    to_state: str
    reason: str
    clause: str


@dataclass(frozen=True)
class NoticeDue:
    at: datetime
    kind: str
    period: Period
    percent: int | None
    state: str
    clause: str


@dataclass(frozen=True)
class PeriodClosed:
    period: Period
    used_bytes: int
    allowance_bytes: int
    over_bytes: int
    extra_gb: int
    extra_amount: Decimal
    clause: str


@dataclass(frozen=True)
class Outcome:
    meter: Meter
    transitions: list[Transition] = field(default_factory=list)
    notices: list[NoticeDue] = field(default_factory=list)
    closed: list[PeriodClosed] = field(default_factory=list)
    late_bytes: int = 0


def state_of(policy: FairUsePolicy, meter: Meter) -> str:
    """normal while allowance or Top Ups remain; then throttled for the additional volume;
    then blocked (plugin/broadband-terms#8). A brand without a throttle stays normal and
    charges extra usage instead (plusnet-business/broadband-schedule#5.5)."""
    if meter.allowance_left > 0 or meter.topup_left > 0 or policy.throttle_bytes is None:
        return NORMAL
    if meter.throttle_left > 0 or not policy.block_after_throttle:
        return THROTTLED
    return BLOCKED


def meter_open(policy: FairUsePolicy, period: Period, *, topup_left: int = 0) -> Meter:
    """A fresh period: the whole allowance, the whole throttled volume, Top Ups carried."""
    meter = Meter(
        period=period,
        state=NORMAL,
        used_bytes=0,
        allowance_left=policy.allowance_bytes,
        topup_left=topup_left,
        throttle_left=policy.throttle_bytes or 0,
        over_bytes=0,
    )
    return replace(meter, state=state_of(policy, meter))


def extra_usage(policy: FairUsePolicy, over_bytes: int) -> tuple[int, Decimal]:
    """Whole GB charged and the amount: "£1 per GB (gigabyte), this will be rounded up to
    the next whole GB" (plusnet-business/broadband-charges#7)."""
    if policy.extra_usage_per_gb is None or over_bytes <= 0:
        return 0, Decimal("0.00")
    gb = -(-over_bytes // policy.bytes_per_gb)
    return gb, quantize(policy.extra_usage_per_gb * gb, PENNY, Rounding.HALF_UP)


def _close(policy: FairUsePolicy, meter: Meter) -> PeriodClosed:
    over = max(meter.used_bytes - policy.allowance_bytes, 0)
    gb, amount = extra_usage(policy, over)
    return PeriodClosed(
        period=meter.period,
        used_bytes=meter.used_bytes,
        allowance_bytes=policy.allowance_bytes,
        over_bytes=over,
        extra_gb=gb,
        extra_amount=amount,
        clause=policy.extra_usage_clause or policy.clause,
    )


class _Run:
    """The mutable working state of one call to `allowance_advance`."""

    def __init__(self, policy: FairUsePolicy, meter: Meter) -> None:
        self.policy = policy
        self.meter = meter
        self.transitions: list[Transition] = []
        self.notices: list[NoticeDue] = []
        self.closed: list[PeriodClosed] = []
        self.late = 0

    def settle(self, at: datetime, reason: str) -> None:
        new = state_of(self.policy, self.meter)
        old = self.meter.state
        if new == old:
            return
        self.meter = replace(self.meter, state=new)
        self.transitions.append(Transition(at, old, new, reason, self.policy.clause))
        self._state_notice(at, new)

    def _state_notice(self, at: datetime, state: str) -> None:
        if self.policy.notify_state_changes and state != NORMAL:
            self.notices.append(
                NoticeDue(at, f"usage.{state}", self.meter.period, None, state, self.policy.clause)
            )

    def roll_to(self, day: date) -> None:
        while day >= self.meter.period.end:
            self.closed.append(_close(self.policy, self.meter))
            following = allowance_period(
                self.meter.period.end, expires=self.policy.expires, anchor=self.policy.anchor
            )
            fresh = meter_open(self.policy, following, topup_left=self.meter.topup_left)
            self.meter = replace(fresh, state=self.meter.state, last_at=self.meter.last_at)
            self.settle(london_midnight(following.start), "next billing period")

    def use(self, event: Usage) -> None:
        m = self.meter
        rest = event.octets
        from_allowance = min(rest, m.allowance_left)
        rest -= from_allowance
        from_topups = min(rest, m.topup_left)
        rest -= from_topups
        from_throttle = min(rest, m.throttle_left) if self.policy.throttle_bytes else 0
        rest -= from_throttle
        self.meter = replace(
            m,
            used_bytes=m.used_bytes + event.octets,
            allowance_left=m.allowance_left - from_allowance,
            topup_left=m.topup_left - from_topups,
            throttle_left=m.throttle_left - from_throttle,
            over_bytes=m.over_bytes + rest,
            last_at=max(m.last_at, event.at) if m.last_at else event.at,
        )
        before = self.meter.state
        after = state_of(self.policy, self.meter)
        if before == NORMAL and after == BLOCKED and m.throttle_left > 0:
            # Allowance, Top Ups and the throttled volume all used in one update: the
            # connection passed through the throttled state on the way.
            self.meter = replace(self.meter, state=THROTTLED)
            self.transitions.append(
                Transition(event.at, NORMAL, THROTTLED, ALLOWANCE_USED, self.policy.clause)
            )
            self._state_notice(event.at, THROTTLED)
        reason = THROTTLE_USED if self.meter.state == THROTTLED else ALLOWANCE_USED
        self.settle(event.at, reason)
        self._percent_notices(event.at)

    def _percent_notices(self, at: datetime) -> None:
        allowance = self.policy.allowance_bytes
        used = self.meter.used_bytes
        for percent in sorted(self.policy.notify_percent):
            if percent in self.meter.notified or used * 100 < allowance * percent:
                continue
            self.meter = replace(self.meter, notified=(*self.meter.notified, percent))
            self.notices.append(
                NoticeDue(
                    at,
                    "usage.allowance",
                    self.meter.period,
                    percent,
                    self.meter.state,
                    self.policy.clause,
                )
            )

    def top_up(self, event: TopUp) -> None:
        self.meter = replace(self.meter, topup_left=self.meter.topup_left + event.octets)
        self.settle(event.at, "Top Up bought")


def allowance_advance(
    policy: FairUsePolicy,
    meter: Meter,
    events: Iterable[Usage | TopUp],
    *,
    until: datetime | None = None,
) -> Outcome:
    """Apply usage and Top Up purchases in time order, then move on to `until`.

    Usage is taken from the period's allowance first, then from Top Ups, then from the
    additional volume at the throttled rate (plugin/broadband-terms#8); whatever is left is
    over-use. A new period restores the allowance and the throttled volume, never rolls
    over unused allowance, and keeps unused Top Ups (they "have no expiry date"). Usage
    timed before the meter's period (late accounting) is returned as `late_bytes` and
    changes nothing. Notices are due once per period per threshold.
    """
    run = _Run(policy, meter)
    for event in sorted(events, key=lambda e: (e.at, isinstance(e, Usage))):
        day = london_date(event.at)
        if day < run.meter.period.start:
            if isinstance(event, Usage):
                run.late += event.octets
                continue
            day = run.meter.period.start
        run.roll_to(day)
        if isinstance(event, Usage):
            run.use(event)
        else:
            run.top_up(event)
    if until is not None:
        run.roll_to(london_date(until))
    return Outcome(run.meter, run.transitions, run.notices, run.closed, run.late)


def period_summary(policy: FairUsePolicy, meter: Meter) -> PeriodClosed:
    """What closing the meter's period now would charge."""
    return _close(policy, meter)


# --- Consistent over-use and published speeds --------------------------------------------


def overuse_streak(over_by_period: Sequence[bool]) -> int:
    """How many of the most recent periods in a row were over the allowance."""
    streak = 0
    for over in reversed(over_by_period):
        if not over:
            break
        streak += 1
    return streak


def upgrade_recommended(policy: FairUsePolicy, over_by_period: Sequence[bool]) -> bool:
    """True once the customer has exceeded the allowance in the configured number of
    consecutive periods: "where a Customer consistently exceeds the usage guideline"
    (plusnet-business/broadband-schedule#5.7)."""
    if not policy.overuse_months:
        return False
    return overuse_streak(over_by_period) >= policy.overuse_months


def upgrade_may_be_due(policy: FairUsePolicy, closed: PeriodClosed) -> bool:
    """Whether closing this period can make an upgrade recommendation due: a streak of
    periods over the allowance must end with the one just closed
    (plusnet-business/broadband-schedule#5.7), so only a period over the allowance can."""
    return bool(policy.overuse_months) and closed.over_bytes > 0


def average_kbps(octets: int, seconds: int) -> Decimal | None:
    """Average throughput in kbit/s over connected time, to one decimal place (half up);
    None with no connected time (plugin/broadband-speeds#throughput)."""
    if seconds <= 0:
        return None
    return quantize(Decimal(octets * 8) / Decimal(seconds * 1000), Decimal("0.1"))


def in_busy_hours(moment: datetime, start: time, end: time) -> bool:
    """Whether `moment` falls in the busy hours, London time ("6-11pm",
    plugin/broadband-speeds#throughput)."""
    local = moment.astimezone(LONDON).time()
    return start <= local < end
