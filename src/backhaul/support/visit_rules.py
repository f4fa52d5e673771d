"""Engineer visits: when an appointment may be booked, what the customer pays for a visit,
and late cancellations.

Pure functions over plain values; the charge keys, clauses and any appointment windows
come from the brand's ``[rules.engineer_visits]`` and the amounts from its ``[[charges]]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from backhaul.core.calendar import LONDON
from backhaul.core.errors import InvalidInput
from backhaul.support.clock_rules import local_date, real_shift, real_span, require_aware

_NO_TIME = timedelta(0)
_DAY = timedelta(days=1)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Engineer visits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitChargeTerms:
    """What a brand charges for engineer visits the customer is responsible for.

    ``model`` is ``per-visit`` (PlugIn: "we will pass on their charges, currently £100 plus
    VAT per visit", plugin/broadband-terms#5) or ``call-out-and-hourly`` (Plusnet: "£95
    call out charge, then £65 an hour (or part hour) there after",
    plusnet-business/business-phone-charges#14).
    """

    model: str
    clause: str
    charged_outcomes: Mapping[str, str]
    visit_charge: str = ""
    call_out_charge: str = ""
    hourly_charge: str = ""
    call_out_covers: timedelta = timedelta(hours=1)
    late_cancellation_hours: int | None = None
    late_cancellation_cutoff: time | None = None
    late_cancellation_days_before: int = 1
    late_cancellation_clause: str = ""
    appointment_windows: tuple[tuple[time, time], ...] = ()
    """The slots an appointment may take, ``[from, until)`` London time; none: any time."""
    appointment_weekdays: frozenset[int] = frozenset(range(7))
    appointment_windows_clause: str = ""


@dataclass(frozen=True)
class VisitChargeLine:
    charge: str
    quantity: int
    reason: str
    clause: str


def free_cancellation_until(
    terms: VisitChargeTerms, *, slot_start: datetime, tz: tzinfo = LONDON
) -> datetime | None:
    """The last moment the customer may cancel (or move) an appointment without charge.

    PlugIn: "Appointments can be cancelled up to 1.30pm on the day before the visit (or
    will be charged as an aborted visit)" (plugin/broadband-terms#5). Plusnet: a
    cancellation "later than 48 hours before the scheduled visit" is charged
    (plusnet-business/business-phone-charges#15(g)), so 48 hours before is still free.
    None when the terms charge no late cancellation.
    """
    if terms.late_cancellation_cutoff is not None:
        day = local_date(slot_start, tz) - timedelta(days=terms.late_cancellation_days_before)
        return datetime.combine(day, terms.late_cancellation_cutoff, tzinfo=tz)
    if terms.late_cancellation_hours is not None:
        return real_shift(slot_start, -timedelta(hours=terms.late_cancellation_hours), tz)
    return None


def late_cancellation(
    terms: VisitChargeTerms, *, slot_start: datetime, cancelled_at: datetime, tz: tzinfo = LONDON
) -> bool:
    """True if the customer cancelled too late to avoid the visit charge: after
    :func:`free_cancellation_until` (13:30 exactly the day before is in time for PlugIn,
    exactly 48 hours before for Plusnet)."""
    deadline = free_cancellation_until(terms, slot_start=slot_start, tz=tz)
    return deadline is not None and real_span(deadline, cancelled_at) > _NO_TIME


def _window_text(terms: VisitChargeTerms) -> str:
    windows = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in terms.appointment_windows)
    days = [name for number, name in enumerate(_DAY_NAMES) if number in terms.appointment_weekdays]
    when = "every day" if len(days) == 7 else ", ".join(days)
    clause = f"; {terms.appointment_windows_clause}" if terms.appointment_windows_clause else ""
    return f"{windows}, {when}{clause}"


def check_appointment_slot(
    terms: VisitChargeTerms | None,
    *,
    slot_start: datetime,
    slot_end: datetime,
    now: datetime,
    tz: tzinfo = LONDON,
) -> None:
    """Refuse an appointment slot that cannot be booked, naming the field at fault.

    A slot must start after ``now``, end after it starts, and, where the brand sets
    appointment windows, fall on one London day inside one window on a day engineers
    visit. The terms of both brands state no windows, so without them any future slot
    is accepted.
    """
    require_aware(slot_start, "slot_start")
    require_aware(slot_end, "slot_end")
    start, end = slot_start.astimezone(tz), slot_end.astimezone(tz)
    if real_span(now, slot_start) <= _NO_TIME:
        raise InvalidInput(
            f"slot_start: {start:%H:%M on %d %B %Y} is in the past; book a later appointment"
        )
    if real_span(slot_start, slot_end) <= _NO_TIME:
        raise InvalidInput(f"slot_end: the appointment must end after it starts ({start:%H:%M})")
    if terms is None or not terms.appointment_windows:
        return
    day = start.date()
    fits = end.date() == day and any(
        a <= start.time() and end.time() <= b for a, b in terms.appointment_windows
    )
    if day.weekday() not in terms.appointment_weekdays or not fits:
        raise InvalidInput(
            f"slot_start: {start:%H:%M}-{end:%H:%M} on {start:%A %d %B} is outside the "
            f"appointment windows ({_window_text(terms)})"
        )


def visit_charges(
    terms: VisitChargeTerms,
    *,
    outcome: str,
    time_on_site: timedelta = _NO_TIME,
) -> tuple[VisitChargeLine, ...]:
    """The charge lines for a visit with this outcome (empty when the customer pays nothing).

    ``outcome`` is a visit outcome (``fixed``, ``fault-not-confirmed``, ``no-access``...) or
    ``late-cancellation``. Per-visit brands charge one visit. Call-out brands charge the
    call-out, which covers the first ``call_out_covers`` on site, then each further hour
    or part hour at the hourly charge.
    """
    if outcome not in terms.charged_outcomes:
        return ()
    clause = terms.charged_outcomes[outcome] or terms.clause
    reason = outcome.replace("-", " ")
    if terms.model == "per-visit":
        return (VisitChargeLine(terms.visit_charge, 1, reason, clause),)
    if terms.model != "call-out-and-hourly":
        raise InvalidInput(f"engineer_visits.charge_model: unknown {terms.model!r}")
    lines = [VisitChargeLine(terms.call_out_charge, 1, reason, clause)]
    extra = time_on_site - terms.call_out_covers
    if extra > _NO_TIME:
        hours = math.ceil(extra / timedelta(hours=1))
        lines.append(
            VisitChargeLine(
                terms.hourly_charge,
                hours,
                f"{hours} hour(s) or part on site after the call out",
                terms.clause,
            )
        )
    return tuple(lines)
