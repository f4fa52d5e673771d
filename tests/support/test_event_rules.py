"""Reopening a resolved fault: the worked timeline, the automatic-close limit, bad logs and
the properties with reopenings in the log.

Plusnet Enhanced Care: 1 working-hour response and 24 working-hour resolution
(broadband-schedule#7.1, 7.2), Working Hours 08:00-20:00 Monday to Friday. The time a
fault spends resolved before the customer reopens it is given back as a retest pause
(7.5(a)); the fault clock stopped at the resolution (7.7). Times are London wall-clock
times (GMT in November 2026).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.support import rules
from tests.support.test_rules import (
    CALENDAR,
    ENHANCED,
    GAPS,
    HOUR,
    PLUSNET_PAUSES,
    ev,
    evaluate,
    london,
    minutes,
)


def test_reopened_fault_runs_on_with_the_resolved_time_given_back() -> None:
    # Mon 2 Nov 09:00 raised, 09:30 answered, 15:00 resolved: 6 working hours used.
    # Tue 3 Nov 10:00 the customer reopens: Mon 15:00-20:00 and Tue 08:00-10:00 (7 working
    # hours) are given back, so the clock runs on from 6 hours: 18 hours are left, due Tue
    # 10:00-20:00 (10 h) then Wed 08:00-16:00 (8 h).
    created = london(2026, 11, 2, 9)
    events = [
        ev(created, "created"),
        ev(london(2026, 11, 2, 9, 30), "responded"),
        ev(london(2026, 11, 2, 15), "resolved"),
        ev(london(2026, 11, 3, 10), "reopened"),
    ]
    running = evaluate(events, at=london(2026, 11, 3, 11))
    assert (running.state, running.reopened, running.resolved_at) == ("open", 1, None)
    assert running.auto_close_at is None
    assert minutes(running.resolution.used) == 7 * 60
    assert running.resolution.due == london(2026, 11, 4, 16)
    assert not running.resolution.paused
    # Fixed for good Wed 4 Nov 12:00: 6 + 10 (Tue) + 4 (Wed) = 20 working hours, within the
    # 24-hour target. Counting the resolved time it would have been 27 hours, a breach.
    final = evaluate([*events, ev(london(2026, 11, 4, 12), "resolved")])
    assert final.state == "resolved"
    assert final.resolved_at == london(2026, 11, 4, 12)
    assert minutes(final.resolution_working_time) == 20 * 60
    assert minutes(final.paused_working_time) == 7 * 60
    assert not final.resolution.breached and final.credit == Decimal("0.00")
    assert minutes(final.response.used) == 30
    # The automatic close runs from the last resolution: 5 working days after Wed 4 Nov.
    assert final.auto_close_at == london(2026, 11, 11, 20)
    assert "plusnet-business/broadband-schedule#7.5(a)" in final.clauses
    # Reopening reads exactly as a retest pause over the resolved time (7.5(a)).
    as_pause = evaluate(
        [
            ev(created, "created"),
            ev(london(2026, 11, 2, 9, 30), "responded"),
            ev(london(2026, 11, 2, 15), "paused", "retest"),
            ev(london(2026, 11, 3, 10), "resumed"),
            ev(london(2026, 11, 4, 12), "resolved"),
        ]
    )
    assert as_pause.resolution == final.resolution
    assert as_pause.paused_working_time == final.paused_working_time


def test_a_second_missed_fix_can_breach_after_a_reopening() -> None:
    # Resolved Mon 2 Nov 15:00 (6 h used), reopened Tue 3 Nov 10:00, then fixed only on Thu
    # 5 Nov 10:00: 6 + 10 + 12 + 2 = 30 working hours, 6 over the 24-hour target.
    events = [
        ev(london(2026, 11, 2, 9), "created"),
        ev(london(2026, 11, 2, 9, 30), "responded"),
        ev(london(2026, 11, 2, 15), "resolved"),
        ev(london(2026, 11, 3, 10), "reopened"),
        ev(london(2026, 11, 5, 10), "resolved"),
    ]
    result = evaluate(events)
    assert minutes(result.resolution.used) == 30 * 60
    assert result.resolution.breached
    assert result.credit == Decimal("20.00")


def test_reopen_only_before_the_automatic_close() -> None:
    # Resolved Mon 2 Nov 15:00 closes automatically at 20:00 on Mon 9 Nov (7.7).
    head = [
        ev(london(2026, 11, 2, 9), "created"),
        ev(london(2026, 11, 2, 9, 30), "responded"),
        ev(london(2026, 11, 2, 15), "resolved"),
    ]
    in_time = evaluate([*head, ev(london(2026, 11, 9, 19, 59), "reopened")])
    assert in_time.state == "open"
    with pytest.raises(rules.EventLogError) as caught:
        evaluate([*head, ev(london(2026, 11, 9, 20), "reopened")])
    assert str(caught.value) == (
        "events[3] (reopened at 2026-11-09T20:00:00+00:00): the ticket closed automatically "
        "at 2026-11-09T20:00:00+00:00, 5 working days after events[2] (resolved); raise a "
        "new ticket"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T10:00:00+00:00", "type": "reopened"},
            ],
            "events[1] (reopened at 2026-11-02T10:00:00+00:00): reopened without resolved; "
            "the fault is open",
        ),
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T10:00:00+00:00", "type": "resolved"},
                {"at": "2026-11-02T11:00:00+00:00", "type": "confirmed"},
                {"at": "2026-11-02T12:00:00+00:00", "type": "reopened"},
            ],
            "events[3] (reopened at 2026-11-02T12:00:00+00:00): the ticket was closed by "
            "events[2] (confirmed)",
        ),
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T10:00:00+00:00", "type": "resolved"},
                {"at": "2026-11-02T11:00:00+00:00", "type": "reopened"},
                {"at": "2026-11-02T12:00:00+00:00", "type": "reopened"},
            ],
            "events[3] (reopened at 2026-11-02T12:00:00+00:00): reopened without resolved; "
            "the fault is open",
        ),
    ],
)
def test_bad_reopenings_name_the_event(raw: list[dict[str, str]], message: str) -> None:
    with pytest.raises(rules.EventLogError) as caught:
        rules.sla_evaluate(
            rules.parse_events(raw),
            policy=ENHANCED,
            calendar=CALENDAR,
            monthly_subscription=Decimal("26.50"),
        )
    assert str(caught.value) == message


def test_resolved_and_reopened_at_the_same_instant_in_either_order() -> None:
    t = london(2026, 11, 2, 9)
    first = [ev(t, "created"), ev(t + HOUR, "resolved"), ev(t + HOUR, "reopened")]
    second = [first[0], first[2], first[1]]
    assert evaluate(first, at=t + 3 * HOUR) == evaluate(second, at=t + 3 * HOUR)
    assert minutes(evaluate(first, at=t + 3 * HOUR).resolution.used) == 180


# Properties with reopenings ----------------------------------------------------------------

POSITIVE_GAPS = [g for g in GAPS if g > 0]


@st.composite
def reopened_logs(draw: st.DrawFn) -> list[rules.TicketEvent]:
    """Valid logs with up to two resolve-and-reopen cycles among pauses and responses."""
    start = draw(
        st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 4, 30))
    ).replace(second=0, microsecond=0, tzinfo=UTC)
    events = [ev(start, "created")]
    moment, paused = start, False
    for _cycle in range(draw(st.integers(0, 2)) + 1):
        for _ in range(draw(st.integers(0, 4))):
            moment += timedelta(minutes=draw(st.sampled_from(GAPS)))
            kind = draw(st.sampled_from(["responded", "resumed" if paused else "paused"]))
            reason = draw(st.sampled_from(list(PLUSNET_PAUSES))) if kind == "paused" else ""
            paused = paused if kind == "responded" else not paused
            events.append(ev(moment, kind, reason))
        if not draw(st.booleans()):
            break
        moment += timedelta(minutes=draw(st.sampled_from(POSITIVE_GAPS)))
        events.append(ev(moment, "resolved"))
        paused = False
        # Reopened within a day: before the five-working-day automatic close.
        moment += timedelta(minutes=draw(st.sampled_from(POSITIVE_GAPS[:-3])))
        events.append(ev(moment, "reopened"))
        moment += timedelta(minutes=draw(st.sampled_from(POSITIVE_GAPS)))
    return events


def _without_pauses(events: list[rules.TicketEvent]) -> list[rules.TicketEvent]:
    return [e for e in events if e.type not in ("paused", "resumed")]


@settings(max_examples=120, deadline=None)
@given(reopened_logs(), st.integers(0, 5000))
def test_pausing_never_increases_elapsed_working_time_with_reopenings(
    events: list[rules.TicketEvent], later_minutes: int
) -> None:
    at = events[-1].at + timedelta(minutes=later_minutes)
    paused = evaluate(events, at=at)
    unpaused = evaluate(_without_pauses(events), at=at)
    assert paused.resolution.used <= unpaused.resolution.used
    assert paused.response.used <= unpaused.response.used
    assert paused.resolution_working_time <= unpaused.resolution_working_time
    # Both logs share the span from created to the clock's end: what one counts as used,
    # the other gives back.
    assert (
        paused.resolution_working_time + paused.paused_working_time
        == unpaused.resolution_working_time + unpaused.paused_working_time
    )


@settings(max_examples=120, deadline=None)
@given(reopened_logs(), st.randoms(use_true_random=False))
def test_arrival_order_of_equal_timestamps_does_not_matter_with_reopenings(
    events: list[rules.TicketEvent], rng: random.Random
) -> None:
    shuffled = sorted(events, key=lambda e: (e.at, rng.random()))
    assert evaluate(shuffled) == evaluate(events)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["paused", "resumed", "responded", "resolved", "reopened"]),
            st.integers(0, 2),
        ),
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_valid_or_not_is_the_same_whatever_the_arrival_order_with_reopenings(
    steps: list[tuple[str, int]], rng: random.Random
) -> None:
    t = london(2026, 11, 2, 9)
    events = [ev(t, "created")] + [
        ev(t + k * HOUR, kind, "retest" if kind == "paused" else "") for kind, k in steps
    ]
    events.sort(key=lambda e: e.at)
    shuffled = events[:1] + sorted(events[1:], key=lambda e: (e.at, rng.random()))

    def outcome(log: list[rules.TicketEvent]) -> object:
        try:
            return evaluate(log)
        except rules.EventLogError:
            return "invalid"

    assert outcome(shuffled) == outcome(events)
