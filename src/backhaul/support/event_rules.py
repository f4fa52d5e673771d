"""A ticket's event log: parsing, validation, and the canonical order of events that
share a timestamp.

Pure functions over plain values. The log is the record every SLA clock is read from
(plusnet-business/broadband-schedule#7.4 to 7.7).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from backhaul.core.errors import InvalidInput
from backhaul.support.clock_rules import Pause, require_aware

CREATED = "created"
RESPONDED = "responded"
PAUSED = "paused"
RESUMED = "resumed"
RESOLVED = "resolved"
CONFIRMED = "confirmed"
REOPENED = "reopened"
EVENT_TYPES: tuple[str, ...] = (
    CREATED,
    RESPONDED,
    PAUSED,
    RESUMED,
    RESOLVED,
    REOPENED,
    CONFIRMED,
)
#: The reasons the terms allow a fault clock to be suspended (plusnet-business/
#: broadband-schedule#7.5 (a) to (d)); a brand's ``[rules.sla].pause_reasons`` picks from them.
PAUSE_REASONS: tuple[str, ...] = ("retest", "diagnostics", "awaiting_appointment", "no_access")
#: What the time between a resolution and its reopening counts as: the fault was "passed
#: back for retest" (plusnet-business/broadband-schedule#7.5(a)), so it is given back.
RETEST = "retest"


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


_RANK = {CREATED: 0, RESUMED: 1, PAUSED: 1, RESPONDED: 2, RESOLVED: 3, REOPENED: 4, CONFIRMED: 5}


def canonical_order(events: Sequence[TicketEvent]) -> list[TicketEvent]:
    """The order the engine reads events in; it ignores the order of equal timestamps.

    Events are taken by time. Events that share a timestamp are taken as: ``created``;
    then the pauses and resumes, alternating, starting with ``resumed`` if the clock was
    paused just before that instant and with ``paused`` otherwise (pauses by reason);
    then ``responded``; ``resolved``; ``reopened``; ``confirmed``. Any arrival order of the
    same events
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
        if any(e.type in (RESOLVED, REOPENED, CONFIRMED) for e in group):
            paused = False
        head = [e for e in group if e.type == CREATED]
        tail = [e for e in group if e.type not in (CREATED, PAUSED, RESUMED)]
        ordered.extend(head + toggles + tail)
        start = end
    return ordered


@dataclass(frozen=True)
class Reopening:
    """A resolution the customer (or staff) reopened: which one, and when."""

    resolved_at: datetime
    resolved_index: int
    at: datetime
    index: int


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
    reopenings: tuple[Reopening, ...] = ()

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
    passed back for the customer to confirm) and after it only ``responded``,
    ``reopened`` or ``confirmed`` may follow; nothing follows ``confirmed``. The first
    ``responded`` (or a resolution, if it comes first) is the response.

    ``reopened`` (the customer says the fault is still there) needs a resolved fault. The
    time from the resolution to the reopening is given back as a ``retest`` pause: the
    fault was "passed back for retest" (7.5(a)) and the fault clock stopped at the
    resolution (7.7). The clocks run on from the reopening with the time they had used,
    and the fault's resolution is the next ``resolved``.
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
    reopenings: list[Reopening] = []
    for event in canonical_order(events):
        where = _describe(event)
        if created is None and event.type != CREATED:
            raise EventLogError(f"{where}: before the ticket was created; start with created")
        if confirmed is not None:
            raise EventLogError(
                f"{where}: the ticket was closed by events[{confirmed.index}] (confirmed)"
            )
        if resolved is not None and event.type not in (CONFIRMED, RESPONDED, REOPENED):
            raise EventLogError(
                f"{where}: the fault was resolved by events[{resolved.index}]; "
                "only responded, reopened or confirmed may follow"
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
        elif event.type == REOPENED:
            if resolved is None:
                raise EventLogError(f"{where}: reopened without resolved; the fault is open")
            pauses.append(Pause(resolved.at, event.at, RETEST))
            reopenings.append(Reopening(resolved.at, resolved.index, event.at, event.index))
            if RETEST not in used:
                used.append(RETEST)
            resolved = None
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
        reopenings=tuple(reopenings),
    )
