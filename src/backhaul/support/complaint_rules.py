"""Complaint clocks and the customer's right to alternative dispute resolution (ADR).

Pure functions over plain values; targets come from the brand's ``[rules.complaints]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backhaul.core.calendar import WorkingTime
from backhaul.support.clock_rules import ClockReading, Target, measure_clock

_NO_TIME = timedelta(0)
_DAY = timedelta(days=1)

# Complaints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintTerms:
    """A brand's complaints procedure: its targets and when ADR becomes available."""

    clause: str
    first_response: Target | None
    escalated_answer: Target | None
    escalated_resolve: Target | None
    adr_after: timedelta | None
    adr_on_deadlock: bool
    adr_clause: str


@dataclass(frozen=True)
class ComplaintClocks:
    first_response: ClockReading | None
    escalated_answer: ClockReading | None
    escalated_resolve: ClockReading | None
    adr_available_from: datetime | None
    adr_available: bool
    adr_reason: str

    @property
    def clocks(self) -> tuple[ClockReading, ...]:
        return tuple(
            c for c in (self.first_response, self.escalated_answer, self.escalated_resolve) if c
        )


def complaint_clocks(
    terms: ComplaintTerms,
    *,
    calendar: WorkingTime,
    received_at: datetime,
    at: datetime,
    first_response_at: datetime | None = None,
    escalated_at: datetime | None = None,
    escalated_answered_at: datetime | None = None,
    resolved_at: datetime | None = None,
    deadlock_at: datetime | None = None,
) -> ComplaintClocks:
    """Read a complaint's clocks and the customer's right to ADR at ``at``.

    PlugIn: "We aim to respond to all emails with 4 hours" (plugin/complaints#procedure);
    escalated complaints answered "within 48hours" and resolved "within 5 days"
    (plugin/complaints#escalation). The customer may take an unresolved complaint to ADR
    eight weeks after making it, or at once with a deadlock letter (Ofcom; the brands'
    dispute clauses, plusnet-business/general-terms#9.2).
    """

    def read(
        target: Target | None, start: datetime | None, stop: datetime | None
    ) -> ClockReading | None:
        if target is None or start is None:
            return None
        return measure_clock(target, calendar=calendar, start=start, stop=stop, at=at)

    first = read(terms.first_response, received_at, first_response_at or resolved_at)
    answer = read(terms.escalated_answer, escalated_at, escalated_answered_at or resolved_at)
    resolve = read(terms.escalated_resolve, escalated_at, resolved_at)
    adr_from: datetime | None = None
    reason = ""
    if terms.adr_on_deadlock and deadlock_at is not None:
        adr_from, reason = deadlock_at, "a deadlock letter was sent"
    if terms.adr_after is not None:
        after = received_at + terms.adr_after
        if adr_from is None or after < adr_from:
            weeks = terms.adr_after // timedelta(weeks=1)
            adr_from, reason = after, f"{weeks} weeks have passed since the complaint was made"
    resolved_first = resolved_at is not None and adr_from is not None and resolved_at < adr_from
    if resolved_first and deadlock_at is None:
        adr_from, reason = None, "resolved before ADR became available"
    available = adr_from is not None and adr_from <= at
    return ComplaintClocks(
        first_response=first,
        escalated_answer=answer,
        escalated_resolve=resolve,
        adr_available_from=adr_from,
        adr_available=available,
        adr_reason=reason,
    )
