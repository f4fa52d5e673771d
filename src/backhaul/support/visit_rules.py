"""Engineer visit charges: what the customer pays for a visit, and late cancellations.

Pure functions over plain values; the charge keys and clauses come from the brand's
``[rules.engineer_visits]`` and the amounts from its ``[[charges]]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from backhaul.core.calendar import LONDON
from backhaul.core.errors import InvalidInput
from backhaul.support.sla_rules import (
    local_date,
)

_NO_TIME = timedelta(0)
_DAY = timedelta(days=1)

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


@dataclass(frozen=True)
class VisitChargeLine:
    charge: str
    quantity: int
    reason: str
    clause: str


def late_cancellation(
    terms: VisitChargeTerms, *, slot_start: datetime, cancelled_at: datetime, tz: tzinfo = LONDON
) -> bool:
    """True if the customer cancelled too late to avoid the visit charge.

    PlugIn: "Appointments can be cancelled up to 1.30pm on the day before the visit (or
    will be charged as an aborted visit)" (plugin/broadband-terms#5): 13:30 exactly is in
    time. Plusnet: a cancellation "later than 48 hours before the scheduled visit"
    (plusnet-business/business-phone-charges#15(g)).
    """
    if terms.late_cancellation_cutoff is not None:
        day = local_date(slot_start, tz) - timedelta(days=terms.late_cancellation_days_before)
        cutoff = datetime.combine(day, terms.late_cancellation_cutoff, tzinfo=tz)
        return cancelled_at > cutoff
    if terms.late_cancellation_hours is not None:
        return slot_start - cancelled_at < timedelta(hours=terms.late_cancellation_hours)
    return False


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
