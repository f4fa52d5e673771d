"""Claims and compensation: windows, caps and decisions, each with its reasons and clauses.

Pure functions over plain values. Enhanced Care service credits
(plusnet-business/broadband-schedule#7.19-7.26), the PlugIn Uptime Guarantee
(plugin/uptime-guarantee), Business Phone compensation for missed engineer appointments
(plusnet-business/business-phone-schedule#2.2-2.4), hosting uptime refunds
(plugin/hosting-terms#4) and Ofcom automatic compensation (a brand option).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from backhaul.core.calendar import LONDON, WorkingTime
from backhaul.core.errors import InvalidInput
from backhaul.core.money import Rounding, quantize
from backhaul.support.clock_rules import (
    exact_context,
    hours_text,
    local_date,
    merge_spans,
    real_span,
    require_amount,
    round_share,
    unique_clauses,
)
from backhaul.support.sla_rules import (
    ServiceCreditTerms,
    SlaResult,
    UptimeGuaranteeTerms,
    uptime_guarantee_credit,
)

_NO_TIME = timedelta(0)
_DAY = timedelta(days=1)

# Claims: windows, caps and decisions ---------------------------------------------------------


def claim_deadline(notice_at: datetime, working_days: int, calendar: WorkingTime) -> date:
    """The last day a claim may be made: ``working_days`` working days after the notice day.

    "Any claims must be registered via the Help Assistant ... within 5 working days of
    Plusnet's notification that the fault has been resolved"
    (plusnet-business/broadband-schedule#7.21); PlugIn: "within 7 working days of the
    resolution of the fault" (plugin/uptime-guarantee#claims). The notice day itself is
    not counted; a claim at any time on the last day is in time.
    """
    return calendar.add_working_days(local_date(notice_at, calendar.tz), working_days)


def claim_in_time(
    claimed_at: datetime, notice_at: datetime, working_days: int, calendar: WorkingTime
) -> bool:
    """True if ``claimed_at`` falls on or before :func:`claim_deadline` (London dates)."""
    return local_date(claimed_at, calendar.tz) <= claim_deadline(notice_at, working_days, calendar)


@dataclass(frozen=True)
class DecisionReason:
    code: str
    text: str
    clause: str


@dataclass(frozen=True)
class ClaimDecision:
    """A claim's outcome with every reason recorded, accepted or not."""

    accepted: bool
    amount: Decimal
    reasons: tuple[DecisionReason, ...]
    periods: int = 0
    capped: bool = False

    @property
    def clauses(self) -> tuple[str, ...]:
        return unique_clauses([r.clause for r in self.reasons])


def service_credit_after_cap(
    proposed: Decimal, *, monthly_subscription: Decimal, credited_in_month: Decimal
) -> tuple[Decimal, bool]:
    """The credit that still fits the month's cap: (amount, capped).

    "Service credits are limited to a maximum of one month's subscription fee in any
    calendar month regardless of the number of faults registered by the Customer in any
    calendar month" (plusnet-business/broadband-schedule#7.22).
    """
    proposed = require_amount(proposed, "proposed")
    room = max(
        Decimal(0),
        require_amount(monthly_subscription, "monthly_subscription")
        - require_amount(credited_in_month, "credited_in_month"),
    )
    amount = min(proposed, room)
    return quantize(amount), amount < proposed


def _exclusion_reasons(
    exclusions: Sequence[str], allowed: Mapping[str, str], fallback_clause: str
) -> list[DecisionReason]:
    reasons = []
    for key in exclusions:
        if key not in allowed:
            raise InvalidInput(
                f"exclusions: unknown {key!r} (known: {', '.join(allowed) or 'none'})"
            )
        reasons.append(
            DecisionReason(
                "excluded", f"excluded: {key.replace('-', ' ')}", allowed[key] or fallback_clause
            )
        )
    return reasons


def service_credit_decision(
    *,
    terms: ServiceCreditTerms,
    sla: SlaResult,
    claimed_at: datetime,
    calendar: WorkingTime,
    monthly_subscription: Decimal,
    credited_in_month: Decimal,
    earlier_claims: int,
    exclusions: Sequence[str] = (),
) -> ClaimDecision:
    """Decide an Enhanced Care service credit claim for one fault.

    One claim per fault (plusnet-business/broadband-schedule#7.23); claimed within the
    working days after the resolution notice (7.21); none when an exclusion applies
    (7.26); a missed service level earns up to the maximum per fault (7.19), within one
    month's subscription across the calendar month the fault was registered in (7.22).
    Every reason is recorded; staff may still refuse a claim (7.24).
    """
    zero = Decimal("0.00")
    reasons: list[DecisionReason] = []
    if earlier_claims:
        reasons.append(
            DecisionReason(
                "duplicate", "a claim was already made for this fault", terms.one_claim_clause
            )
        )
    if sla.resolved_at is None:
        reasons.append(
            DecisionReason("not-resolved", "the fault is not resolved yet", terms.claim_clause)
        )
    elif not claim_in_time(claimed_at, sla.resolved_at, terms.claim_working_days, calendar):
        deadline = claim_deadline(sla.resolved_at, terms.claim_working_days, calendar)
        reasons.append(
            DecisionReason(
                "late",
                f"claimed {local_date(claimed_at, calendar.tz)}, after the last day "
                f"{deadline} ({terms.claim_working_days} working days after the resolution "
                "notice)",
                terms.claim_clause,
            )
        )
    reasons.extend(_exclusion_reasons(exclusions, terms.exclusions, terms.exclusions_clause))
    if sla.credit <= 0:
        reasons.append(DecisionReason("no-breach", sla.credit_reason, terms.clause))
    if reasons:
        return ClaimDecision(False, zero, tuple(reasons))
    amount, capped = service_credit_after_cap(
        sla.credit, monthly_subscription=monthly_subscription, credited_in_month=credited_in_month
    )
    reasons.append(DecisionReason("missed", sla.credit_reason, terms.clause))
    if capped:
        reasons.append(
            DecisionReason(
                "monthly-cap",
                f"credits this calendar month are limited to one month's subscription "
                f"({quantize(monthly_subscription)}); {quantize(credited_in_month)} already "
                "credited",
                terms.monthly_cap_clause,
            )
        )
    if amount <= 0:
        return ClaimDecision(False, zero, tuple(reasons), capped=True)
    return ClaimDecision(True, amount, tuple(reasons), capped=capped)


def uptime_guarantee_decision(
    *,
    terms: UptimeGuaranteeTerms,
    sla: SlaResult,
    outage: timedelta,
    claimed_at: datetime,
    calendar: WorkingTime,
    monthly_subscription: Decimal,
    earlier_claims: int,
    circumstances: Sequence[str] = (),
    exclusions: Sequence[str] = (),
) -> ClaimDecision:
    """Decide an Uptime Guarantee claim: a credit note of 1/30 a day when a term applies.

    Measured circumstances come from the SLA clocks (no response within 2 hours,
    plugin/uptime-guarantee#terms-2; an Openreach fault not fixed within 24 hours, #terms-3);
    staff add misdiagnosis (#terms-1) or an unreasonable time to resolve (#terms-4). The
    five exclusions (#exclusions-1 to 5) refuse it; it must be claimed within the working
    days after the resolution (#claims).
    """
    zero = Decimal("0.00")
    reasons: list[DecisionReason] = []
    if earlier_claims:
        reasons.append(
            DecisionReason(
                "duplicate", "a claim was already made for this fault", terms.claim_clause
            )
        )
    if sla.resolved_at is None:
        reasons.append(
            DecisionReason("not-resolved", "the fault is not resolved yet", terms.claim_clause)
        )
    elif not claim_in_time(claimed_at, sla.resolved_at, terms.claim_working_days, calendar):
        deadline = claim_deadline(sla.resolved_at, terms.claim_working_days, calendar)
        reasons.append(
            DecisionReason(
                "late",
                f"claimed {local_date(claimed_at, calendar.tz)}, after the last day {deadline} "
                f"({terms.claim_working_days} working days after the resolution)",
                terms.claim_clause,
            )
        )
    reasons.extend(_exclusion_reasons(exclusions, terms.exclusions, terms.exclusions_clause))
    grounds: list[DecisionReason] = []
    for clock in (sla.response, sla.resolution):
        if clock is not None and clock.breached:
            grounds.append(
                DecisionReason(
                    "missed", f"{clock.name} not within {hours_text(clock.target)}", clock.clause
                )
            )
    for key in circumstances:
        if key not in terms.circumstances:
            raise InvalidInput(
                f"circumstances: unknown {key!r} (known: {', '.join(terms.circumstances)})"
            )
        grounds.append(
            DecisionReason("circumstance", key.replace("-", " "), terms.circumstances[key])
        )
    if not grounds:
        reasons.append(
            DecisionReason(
                "no-ground", "none of the Uptime Guarantee circumstances applies", terms.clause
            )
        )
    if reasons:
        return ClaimDecision(False, zero, tuple(reasons))
    amount, periods = uptime_guarantee_credit(
        monthly_subscription=monthly_subscription, outage=outage, terms=terms
    )
    grounds.append(
        DecisionReason(
            "credit",
            f"{periods} period(s) of {hours_text(terms.period)} or part at {terms.fraction} of "
            f"{quantize(monthly_subscription)}",
            terms.clause,
        )
    )
    return ClaimDecision(amount > 0, amount, tuple(grounds), periods=periods)


@dataclass(frozen=True)
class PhoneCompensationTerms:
    """Plusnet Business Phone compensation for a missed engineer appointment."""

    clause: str
    max_per_line_per_year: Decimal
    max_clause: str
    claim_days: int
    claim_clause: str
    exclusions: Mapping[str, str]
    exclusions_clause: str
    period: timedelta = _DAY
    products: tuple[str, ...] = ()
    """The products whose faults the scheme covers (none listed: every fault)."""


def _prorated_by_month(monthly: Decimal, start: date, days: int) -> Decimal:
    """``monthly`` for ``days`` days from ``start``: each day at 1/(days in its month)."""
    ctx = exact_context()
    total = Decimal(0)
    day = start
    for _ in range(days):
        month_start = day.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        total = ctx.add(total, ctx.divide(monthly, (next_month - month_start).days))
        day += _DAY
    return total


def phone_claim_deadline(reported_at: datetime, claim_days: int, tz: tzinfo = LONDON) -> date:
    """The last day a phone compensation claim may be made: "within 30 days of the fault
    being reported" (plusnet-business/business-phone-schedule#2.4(a)), London dates, the
    day of the report not counted."""
    return local_date(reported_at, tz) + timedelta(days=claim_days)


def phone_compensation_decision(
    *,
    terms: PhoneCompensationTerms,
    appointment_missed_by_provider: bool,
    reported_at: datetime,
    restored_at: datetime,
    claimed_at: datetime,
    monthly_subscription: Decimal,
    paid_in_year: Decimal,
    tz: tzinfo = LONDON,
    exclusions: Sequence[str] = (),
) -> ClaimDecision:
    """Decide compensation for a phone line left unusable when an appointment was missed.

    Only when Plusnet or its agents fail to keep a pre-confirmed engineer appointment;
    pro-rata subscription fees for the period the service was unusable
    (plusnet-business/business-phone-schedule#2.2), a day or part of a day at a time, each
    day at 1/(days in its month) of the monthly fee; at most the yearly maximum per line
    (2.3(a)), counting what was paid in the 12 months before the fault; claimed within 30
    days of the report (2.4(a)); not in the circumstances of 2.4(b) to (e).
    """
    zero = Decimal("0.00")
    monthly_subscription = require_amount(monthly_subscription, "monthly_subscription")
    paid_in_year = require_amount(paid_in_year, "paid_in_year")
    if restored_at < reported_at:
        raise InvalidInput("restored_at: before the fault was reported")
    reasons: list[DecisionReason] = []
    if not appointment_missed_by_provider:
        reasons.append(
            DecisionReason(
                "no-missed-appointment",
                "no engineer appointment was missed by Plusnet or its agents",
                terms.clause,
            )
        )
    last_day = phone_claim_deadline(reported_at, terms.claim_days, tz)
    if local_date(claimed_at, tz) > last_day:
        reasons.append(
            DecisionReason(
                "late",
                f"claimed {local_date(claimed_at, tz)}, more than {terms.claim_days} days after "
                f"the fault was reported ({local_date(reported_at, tz)})",
                terms.claim_clause,
            )
        )
    reasons.extend(_exclusion_reasons(exclusions, terms.exclusions, terms.exclusions_clause))
    if reasons:
        return ClaimDecision(False, zero, tuple(reasons))
    periods = max(1, math.ceil(real_span(reported_at, restored_at) / terms.period))
    exact = _prorated_by_month(monthly_subscription, local_date(reported_at, tz), periods)
    amount = round_share(exact)
    room = max(Decimal(0), terms.max_per_line_per_year - paid_in_year)
    granted = quantize(min(amount, room))
    grounds = [
        DecisionReason(
            "pro-rata",
            f"{periods} day(s) or part without service at the pro-rata subscription: {amount}",
            terms.clause,
        )
    ]
    if granted < amount:
        grounds.append(
            DecisionReason(
                "yearly-cap",
                f"at most {terms.max_per_line_per_year} per line per year; "
                f"{quantize(paid_in_year)} already paid",
                terms.max_clause,
            )
        )
    return ClaimDecision(
        granted > 0, granted, tuple(grounds), periods=periods, capped=granted < amount
    )


# Hosting uptime ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HostingUptimeTerms:
    """PlugIn hosting: "We guarantee 99% uptime and will pay pro-rate compensation for
    website downtime of more than 1 hour per day with a minimum of 1 day refund and maximum
    of 1 full month refund" (plugin/hosting-terms#4)."""

    clause: str
    target_percent: Decimal
    threshold: timedelta
    min_days: int


def downtime_by_day(
    outages: Sequence[tuple[datetime, datetime | None]],
    *,
    start: date,
    end: date,
    now: datetime,
    tz: tzinfo = LONDON,
) -> dict[date, timedelta]:
    """Downtime in each London day of ``[start, end)`` from outage spans (open ones run to
    ``now``). Overlapping outages count once."""
    totals: dict[date, timedelta] = {}
    day = start
    spans = [(s, e if e is not None else now) for s, e in outages]
    while day < end:
        lower = datetime.combine(day, time(0), tzinfo=tz)
        upper = datetime.combine(day + _DAY, time(0), tzinfo=tz)
        down = _NO_TIME
        for span_start, span_end in merge_spans(
            spans, lower.astimezone(UTC), upper.astimezone(UTC)
        ):
            down += span_end - span_start
        if down > _NO_TIME:
            totals[day] = down
        day += _DAY
    return totals


@dataclass(frozen=True)
class HostingCompensation:
    days: tuple[date, ...]
    amount: Decimal
    capped: bool
    uptime_percent: Decimal
    clause: str


def hosting_uptime_compensation(
    *,
    terms: HostingUptimeTerms,
    downtime: Mapping[date, timedelta],
    month_start: date,
    month_end: date,
    monthly_price: Decimal,
) -> HostingCompensation:
    """The refund for one month: each day with more than the threshold of downtime is
    refunded as a whole day (the "minimum of 1 day refund"), pro rata to the days of the
    month, and never more than the month's price (plugin/hosting-terms#4). Rounded to the
    penny once, half a penny up."""
    monthly_price = require_amount(monthly_price, "monthly_price")
    days_in_month = (month_end - month_start).days
    if days_in_month <= 0:
        raise InvalidInput("month_end: must be after month_start")
    qualifying = tuple(
        sorted(
            d
            for d, down in downtime.items()
            if month_start <= d < month_end and down > terms.threshold
        )
    )
    refund_days = max(len(qualifying), terms.min_days) if qualifying else 0
    ctx = exact_context()
    exact = ctx.divide(ctx.multiply(monthly_price, refund_days), days_in_month)
    capped = exact > monthly_price
    amount = round_share(min(exact, monthly_price))
    total_down = sum(
        (down for d, down in downtime.items() if month_start <= d < month_end), _NO_TIME
    )
    month_seconds = days_in_month * 86400
    up_seconds = max(0, month_seconds - int(total_down.total_seconds()))
    uptime = ctx.divide(ctx.multiply(Decimal(up_seconds), 100), Decimal(month_seconds))
    return HostingCompensation(
        days=qualifying,
        amount=amount,
        capped=capped,
        uptime_percent=quantize(uptime, Decimal("0.001"), Rounding.DOWN),
        clause=terms.clause,
    )


# Ofcom automatic compensation ------------------------------------------------------------------


@dataclass(frozen=True)
class OfcomAmounts:
    start: date
    late_repair_per_day: Decimal
    late_provision_per_day: Decimal
    missed_appointment: Decimal


@dataclass(frozen=True)
class OfcomTerms:
    """Ofcom's automatic compensation scheme for residential customers, a brand option."""

    enabled: bool
    account_kinds: tuple[str, ...]
    repair_grace_working_days: int
    amounts: tuple[OfcomAmounts, ...]
    clause: str
    late_repair_clause: str
    late_provision_clause: str
    missed_appointment_clause: str
    missed_appointment_cancellation_hours: int

    def amounts_on(self, day: date) -> OfcomAmounts:
        in_force = [a for a in self.amounts if a.start <= day]
        if not in_force:
            raise InvalidInput(f"no Ofcom compensation amounts in force on {day}")
        return max(in_force, key=lambda a: a.start)

    def applies_to(self, account_kind: str) -> bool:
        return self.enabled and account_kind in self.account_kinds


@dataclass(frozen=True)
class OfcomCompensation:
    kind: str
    days: int
    amount: Decimal
    clause: str
    text: str
    per_day: tuple[tuple[date, Decimal], ...] = field(default=())


def ofcom_late_repair(
    terms: OfcomTerms, *, reported_at: datetime, repaired_at: datetime, calendar: WorkingTime
) -> OfcomCompensation:
    """Per calendar day once a loss of service is not fixed after two full working days.

    The day of the report is not a full working day; the grace ends at the end of the
    second working day after it. Every calendar day after that up to and including the day
    of the repair is paid at the amount in force on that day.
    """
    if repaired_at < reported_at:
        raise InvalidInput("repaired_at: before the fault was reported")
    grace_end = calendar.add_working_days(
        local_date(reported_at, calendar.tz), terms.repair_grace_working_days
    )
    repaired = local_date(repaired_at, calendar.tz)
    per_day = []
    day = grace_end + _DAY
    while day <= repaired:
        per_day.append((day, terms.amounts_on(day).late_repair_per_day))
        day += _DAY
    amount = quantize(sum((a for _, a in per_day), Decimal(0)))
    return OfcomCompensation(
        kind="late-repair",
        days=len(per_day),
        amount=amount,
        clause=terms.late_repair_clause,
        text=(
            f"repair {len(per_day)} day(s) late: not fixed by the end of {grace_end}, "
            f"{terms.repair_grace_working_days} full working days after the report"
        ),
        per_day=tuple(per_day),
    )


def ofcom_late_provision(terms: OfcomTerms, *, promised: date, provided: date) -> OfcomCompensation:
    """Per calendar day from the missed start date until the service is provided."""
    per_day = []
    day = promised
    while day < provided:
        per_day.append((day, terms.amounts_on(day).late_provision_per_day))
        day += _DAY
    return OfcomCompensation(
        kind="late-provision",
        days=len(per_day),
        amount=quantize(sum((a for _, a in per_day), Decimal(0))),
        clause=terms.late_provision_clause,
        text=f"service started {provided}, {len(per_day)} day(s) after the promised {promised}",
        per_day=tuple(per_day),
    )


def ofcom_missed_appointment(
    terms: OfcomTerms,
    *,
    slot_start: datetime,
    missed: bool,
    cancelled_by_provider_at: datetime | None = None,
    tz: tzinfo = LONDON,
) -> OfcomCompensation:
    """A fixed amount when the engineer does not come, or the provider cancels the
    appointment with less than the notice the scheme requires (24 hours)."""
    late_cancel = cancelled_by_provider_at is not None and real_span(
        cancelled_by_provider_at, slot_start
    ) < timedelta(hours=terms.missed_appointment_cancellation_hours)
    day = local_date(slot_start, tz)
    if not (missed or late_cancel):
        return OfcomCompensation(
            "missed-appointment", 0, Decimal("0.00"), terms.missed_appointment_clause, "kept"
        )
    text = (
        "engineer appointment missed"
        if missed
        else f"appointment cancelled with under {terms.missed_appointment_cancellation_hours} "
        "hours' notice"
    )
    return OfcomCompensation(
        kind="missed-appointment",
        days=0,
        amount=quantize(terms.amounts_on(day).missed_appointment),
        clause=terms.missed_appointment_clause,
        text=f"{text} ({day})",
    )
