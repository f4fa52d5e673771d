"""Support rules: worked SLA timelines, credits, claim windows, visits, complaints, Ofcom.

Working Hours are 08:00 to 20:00 London time, Monday to Friday, excluding bank holidays of
England & Wales (plusnet-business/general-terms#def-working-hours). Enhanced Care: a 1
working-hour response (broadband-schedule#7.1) and a 24 working-hour resolution (7.2).
Times in comments are London wall-clock times.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.core.calendar import LONDON, WorkingTime
from backhaul.core.errors import InvalidInput
from backhaul.support import rules

CALENDAR = WorkingTime()
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
PLUSNET_PAUSES = {
    "retest": "plusnet-business/broadband-schedule#7.5(a)",
    "diagnostics": "plusnet-business/broadband-schedule#7.5(b)",
    "awaiting_appointment": "plusnet-business/broadband-schedule#7.5(c)",
    "no_access": "plusnet-business/broadband-schedule#7.5(d)",
}
SERVICE_CREDIT = rules.ServiceCreditTerms(
    max_per_fault=Decimal("20.00"),  # "a maximum of £20 as a Service Credit" (7.19)
    clause="plusnet-business/broadband-schedule#7.19",
    monthly_cap_clause="plusnet-business/broadband-schedule#7.22",
    claim_working_days=5,  # 7.21
    claim_clause="plusnet-business/broadband-schedule#7.21",
    one_claim_clause="plusnet-business/broadband-schedule#7.23",
    discretionary_clause="plusnet-business/broadband-schedule#7.24",
    exclusions={
        "scheduled-maintenance": "plusnet-business/broadband-schedule#7.26(a)",
        "customer-equipment-transmission": "plusnet-business/broadband-schedule#7.26(d)",
    },
    exclusions_clause="plusnet-business/broadband-schedule#7.26",
)
ENHANCED = rules.SlaPolicy(
    care="enhanced",
    response=rules.Target(
        "response", HOUR, rules.CLOCK_WORKING, "plusnet-business/broadband-schedule#7.1"
    ),
    resolution=rules.Target(
        "resolution", 24 * HOUR, rules.CLOCK_WORKING, "plusnet-business/broadband-schedule#7.2"
    ),
    pause_reasons=PLUSNET_PAUSES,
    clauses=("plusnet-business/general-terms#def-working-hours",),
    auto_close_working_days=5,
    auto_close_clause="plusnet-business/broadband-schedule#7.7",
    service_credit=SERVICE_CREDIT,
)
STANDARD = rules.SlaPolicy(
    care="standard",
    response=rules.Target(
        "response",
        8 * HOUR,
        rules.CLOCK_WORKING,
        "plusnet-business/broadband-schedule#6.1",
        guaranteed=False,
    ),
    resolution=None,
    pause_reasons=PLUSNET_PAUSES,
    clauses=(),
    auto_close_working_days=5,
)
UPTIME = rules.UptimeGuaranteeTerms(
    fraction="1/30",
    period=24 * HOUR,
    clause="plugin/uptime-guarantee#terms",
    circumstances={"misdiagnosis": "plugin/uptime-guarantee#terms-1"},
    exclusions={
        "customer-equipment-or-internal-wiring": "plugin/uptime-guarantee#exclusions-2",
    },
    exclusions_clause="plugin/uptime-guarantee#exclusions",
    claim_working_days=7,
    claim_clause="plugin/uptime-guarantee#claims",
)
PLUGIN = rules.SlaPolicy(
    care="standard",
    response=rules.Target(
        "response", 2 * HOUR, rules.CLOCK_WORKING, "plugin/uptime-guarantee#terms-2"
    ),
    resolution=rules.Target(
        "resolution", 24 * HOUR, rules.CLOCK_ELAPSED, "plugin/uptime-guarantee#terms-3"
    ),
    pause_reasons=PLUSNET_PAUSES,
    clauses=(),
    auto_close_working_days=5,
    uptime_guarantee=UPTIME,
)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def ev(at: datetime, kind: str, reason: str = "") -> rules.TicketEvent:
    return rules.TicketEvent(at=at, type=kind, reason=reason)


def indexed(events: list[rules.TicketEvent]) -> list[rules.TicketEvent]:
    return [rules.TicketEvent(e.at, e.type, e.reason, i) for i, e in enumerate(events)]


def evaluate(
    events: list[rules.TicketEvent],
    policy: rules.SlaPolicy = ENHANCED,
    monthly: str = "26.50",
    at: datetime | None = None,
) -> rules.SlaResult:
    return rules.sla_evaluate(
        indexed(events),
        policy=policy,
        calendar=CALENDAR,
        monthly_subscription=Decimal(monthly),
        at=at,
    )


def minutes(span: timedelta) -> int:
    return span // MINUTE


# Worked timelines --------------------------------------------------------------------------


def test_pause_across_a_weekend_is_given_back() -> None:
    # Fri 6 Feb 2026 18:00 fault raised; response 18:40 (40 working minutes).
    # Paused for diagnostics Fri 19:30 until Mon 9 Feb 10:00, resolved Tue 10 Feb 15:00.
    # Counted: Fri 18:00-19:30 = 90, Mon 10:00-20:00 = 600, Tue 08:00-15:00 = 420 -> 1110.
    # Given back: Fri 19:30-20:00 = 30 and Mon 08:00-10:00 = 120 -> 150.
    result = evaluate(
        [
            ev(london(2026, 2, 6, 18), "created"),
            ev(london(2026, 2, 6, 18, 40), "responded"),
            ev(london(2026, 2, 6, 19, 30), "paused", "diagnostics"),
            ev(london(2026, 2, 9, 10), "resumed"),
            ev(london(2026, 2, 10, 15), "resolved"),
        ]
    )
    assert minutes(result.response_working_time) == 40
    assert minutes(result.resolution_working_time) == 1110
    assert minutes(result.paused_working_time) == 150
    assert result.response.due == london(2026, 2, 6, 19)
    # 1440 - 1110 = 330 left at Tue 15:00: 300 to Tue 20:00, 30 more on Wed -> 08:30.
    assert result.resolution.due == london(2026, 2, 11, 8, 30)
    assert not result.response.breached and not result.resolution.breached
    # Five working days after Tue 10 Feb: Wed 11, Thu 12, Fri 13, Mon 16, Tue 17 (20:00).
    assert result.auto_close_at == london(2026, 2, 17, 20)
    assert result.state == "resolved"
    assert result.credit == Decimal("0.00")
    assert PLUSNET_PAUSES["diagnostics"] in result.clauses


def test_christmas_2026_with_the_substitute_boxing_day() -> None:
    # Thu 24 Dec 17:00 raised; Fri 25 Christmas Day, Sat 26 Boxing Day, Sun 27, Mon 28 Dec
    # the substitute Boxing Day bank holiday. Response at 19:30 = 150 working minutes: the
    # 1-hour response (due 18:00) is missed.
    # Resolution: Thu 17:00-20:00 = 3h, Tue 29 = 12h, Wed 30 from 08:00: 9h more -> 17:00.
    result = evaluate(
        [
            ev(london(2026, 12, 24, 17), "created"),
            ev(london(2026, 12, 24, 19, 30), "responded"),
            ev(london(2026, 12, 30, 16), "resolved"),
        ]
    )
    assert minutes(result.response_working_time) == 150
    assert result.response.due == london(2026, 12, 24, 18)
    assert result.response.breached
    assert result.resolution.due == london(2026, 12, 30, 17)
    assert minutes(result.resolution_working_time) == 3 * 60 + 12 * 60 + 8 * 60
    assert not result.resolution.breached
    # A missed service level earns the £20 maximum, less than one month's £26.50 (7.22).
    assert result.credit == Decimal("20.00")
    assert "plusnet-business/broadband-schedule#7.19" in result.clauses
    # Auto-close: Thu 31 Dec (1), Fri 1 Jan is New Year's Day, Mon 4 (2), Tue 5 (3),
    # Wed 6 (4), Thu 7 Jan 2027 (5) at 20:00.
    assert result.auto_close_at == london(2027, 1, 7, 20)


def test_credit_never_exceeds_one_months_subscription() -> None:
    # The same missed response on a £15.00 line: the credit is capped at £15.00 (7.22).
    result = evaluate(
        [
            ev(london(2026, 12, 24, 17), "created"),
            ev(london(2026, 12, 24, 19, 30), "responded"),
            ev(london(2026, 12, 30, 16), "resolved"),
        ],
        monthly="15.00",
    )
    assert result.credit == Decimal("15.00")
    assert "plusnet-business/broadband-schedule#7.22" in result.clauses


def test_easter_2026_awaiting_an_engineer() -> None:
    # Thu 2 Apr 2026 19:00 raised, responded 19:20; paused awaiting an engineer at 19:30
    # until Tue 7 Apr 12:00 (Good Friday 3 Apr and Easter Monday 6 Apr are bank holidays);
    # resolved Wed 8 Apr 10:00. Counted: 30 + Tue 12:00-20:00 480 + Wed 08:00-10:00 120.
    result = evaluate(
        [
            ev(london(2026, 4, 2, 19), "created"),
            ev(london(2026, 4, 2, 19, 20), "responded"),
            ev(london(2026, 4, 2, 19, 30), "paused", "awaiting_appointment"),
            ev(london(2026, 4, 7, 12), "resumed"),
            ev(london(2026, 4, 8, 10), "resolved"),
        ]
    )
    assert minutes(result.resolution_working_time) == 30 + 480 + 120
    # Given back: Thu 19:30-20:00 (30) and Tue 08:00-12:00 (240); the holidays have none.
    assert minutes(result.paused_working_time) == 270
    # 1440 - 630 = 810 left at Wed 10:00: 600 on Wed, 210 on Thu 9 Apr -> 11:30.
    assert result.resolution.due == london(2026, 4, 9, 11, 30)
    # Wed 8 Apr + 5 working days: Thu 9, Fri 10, Mon 13, Tue 14, Wed 15 Apr.
    assert result.auto_close_at == london(2026, 4, 15, 20)


def test_spring_clock_change() -> None:
    # Clocks go forward at 01:00 GMT on Sun 29 Mar 2026. Fri 27 Mar 19:00 GMT to Mon 30 Mar
    # 09:00 BST (08:00 UTC) is one working hour on Friday and one on Monday.
    result = evaluate(
        [
            ev(datetime(2026, 3, 27, 19, tzinfo=UTC), "created"),
            ev(datetime(2026, 3, 30, 8, tzinfo=UTC), "responded"),
        ]
    )
    assert minutes(result.response_working_time) == 120
    assert result.response.breached
    # The hour was used up at Friday 20:00 GMT.
    assert result.response.due == london(2026, 3, 27, 20)


def test_autumn_clock_change() -> None:
    # Clocks go back at 02:00 BST on Sun 25 Oct 2026. Fri 23 Oct 19:30 BST (18:30 UTC)
    # raised; responded Mon 26 Oct 08:15 GMT: 30 + 15 = 45 working minutes, in time.
    result = evaluate(
        [
            ev(datetime(2026, 10, 23, 18, 30, tzinfo=UTC), "created"),
            ev(datetime(2026, 10, 26, 8, 15, tzinfo=UTC), "responded"),
        ]
    )
    assert minutes(result.response_working_time) == 45
    assert not result.response.breached
    assert result.response.due == london(2026, 10, 26, 8, 30)


def test_real_hours_across_the_autumn_clock_change() -> None:
    # PlugIn: an Openreach fault must be fixed within 24 (real) hours of the first report.
    # Sat 24 Oct 2026 12:00 BST + 24 hours = Sun 25 Oct 11:00 GMT: the repeated hour counts.
    result = evaluate(
        [ev(london(2026, 10, 24, 12), "created"), ev(london(2026, 10, 24, 12, 30), "responded")],
        policy=PLUGIN,
        monthly="24.99",
    )
    assert result.resolution.due == datetime(2026, 10, 25, 11, tzinfo=UTC)
    assert result.resolution.due.astimezone(LONDON).hour == 11


def test_plugin_uptime_guarantee_credit_per_day_or_part() -> None:
    # Raised Mon 2 Nov 2026 09:00, responded 09:30, fixed Tue 3 Nov 15:00: 30 real hours,
    # more than the 24 hours of #terms-3. Two 24-hour periods or part: 2/30 of £24.99 =
    # £1.666 -> £1.67.
    result = evaluate(
        [
            ev(london(2026, 11, 2, 9), "created"),
            ev(london(2026, 11, 2, 9, 30), "responded"),
            ev(london(2026, 11, 3, 15), "resolved"),
        ],
        policy=PLUGIN,
        monthly="24.99",
    )
    assert result.resolution.breached and not result.response.breached
    assert result.credit == Decimal("1.67")
    assert "plugin/uptime-guarantee#terms" in result.clauses


def test_standard_care_has_an_aim_but_no_credit() -> None:
    # Standard: "aim to respond to faults within 8 working hours however there is no
    # Service Level Guarantee" (6.1). A 9-hour response is late but earns nothing.
    result = evaluate(
        [ev(london(2026, 11, 2, 9), "created"), ev(london(2026, 11, 2, 18), "responded")],
        policy=STANDARD,
    )
    assert result.response.breached
    assert result.resolution is None
    assert result.credit == Decimal("0.00")
    assert "no service level guarantee" in result.credit_reason


def test_confirmation_closes_before_the_automatic_close() -> None:
    result = evaluate(
        [
            ev(london(2026, 11, 2, 9), "created"),
            ev(london(2026, 11, 2, 9, 10), "responded"),
            ev(london(2026, 11, 2, 12), "resolved"),
            ev(london(2026, 11, 3, 9), "confirmed"),
        ]
    )
    assert (result.state, result.closed_at, result.close_reason) == (
        "closed",
        london(2026, 11, 3, 9),
        "confirmed",
    )


def test_automatic_close_when_the_customer_does_not_answer() -> None:
    events = [
        ev(london(2026, 11, 2, 9), "created"),
        ev(london(2026, 11, 2, 9, 10), "responded"),
        ev(london(2026, 11, 2, 12), "resolved"),
    ]
    # Mon 2 Nov + 5 working days = Mon 9 Nov, 20:00.
    before = evaluate(events, at=london(2026, 11, 9, 19, 59))
    after = evaluate(events, at=london(2026, 11, 9, 20))
    assert before.state == "resolved"
    assert (after.state, after.closed_at, after.close_reason) == (
        "closed",
        london(2026, 11, 9, 20),
        "auto-close",
    )


def test_an_open_ticket_read_now_and_a_paused_clock_has_no_due_time() -> None:
    events = [
        ev(london(2026, 11, 2, 9), "created"),
        ev(london(2026, 11, 2, 9, 30), "responded"),
        ev(london(2026, 11, 2, 11), "paused", "retest"),
    ]
    result = evaluate(events, at=london(2026, 11, 4, 9))
    assert result.state == "pending" and result.pending_reason == "retest"
    assert result.resolution.paused and result.resolution.due is None
    assert minutes(result.resolution.used) == 120


# Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T08:00:00+00:00", "type": "responded"},
            ],
            "events[1] (responded at 2026-11-02T08:00:00+00:00): out of order, before "
            "events[0] (created at 2026-11-02T09:00:00+00:00); list events in time order",
        ),
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T10:00:00+00:00", "type": "escalated"},
            ],
            "events[1]: unknown event type 'escalated' (known: created, responded, paused, "
            "resumed, resolved, reopened, confirmed)",
        ),
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T10:00:00+00:00", "type": "resumed"},
            ],
            "events[1] (resumed at 2026-11-02T10:00:00+00:00): resumed without paused; "
            "the clock is running",
        ),
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T10:00:00+00:00", "type": "paused", "reason": "lunch"},
            ],
            "events[1] (paused at 2026-11-02T10:00:00+00:00): reason must be one of retest, "
            "diagnostics, awaiting_appointment, no_access, not 'lunch'",
        ),
        (
            [{"at": "2026-11-02T09:00:00", "type": "created"}],
            "events[0] (created): 'at' must be a date and time with a UTC offset, for "
            "example 2026-11-23T09:00:00+00:00, not '2026-11-02T09:00:00'",
        ),
        (
            [{"at": "2026-11-02T09:00:00+00:00", "type": "responded"}],
            "events[0] (responded at 2026-11-02T09:00:00+00:00): before the ticket was "
            "created; start with created",
        ),
        (
            [
                {"at": "2026-11-02T09:00:00+00:00", "type": "created"},
                {"at": "2026-11-02T10:00:00+00:00", "type": "resolved"},
                {"at": "2026-11-02T11:00:00+00:00", "type": "paused", "reason": "retest"},
            ],
            "events[2] (paused at 2026-11-02T11:00:00+00:00): the fault was resolved by "
            "events[1]; only responded, reopened or confirmed may follow",
        ),
        ([], "events: empty; the log starts with a created event"),
    ],
)
def test_bad_event_logs_name_the_event(raw: list[dict[str, str]], message: str) -> None:
    with pytest.raises(rules.EventLogError) as caught:
        rules.sla_evaluate(
            rules.parse_events(raw),
            policy=ENHANCED,
            calendar=CALENDAR,
            monthly_subscription=Decimal("26.50"),
        )
    assert str(caught.value) == message


def test_equal_timestamps_pause_and_resume_in_either_order() -> None:
    # Paused at 10:00, then "resumed" and "paused" again at 11:00 (a new reason): valid in
    # any arrival order, because the clock was paused just before 11:00.
    t = london(2026, 11, 2, 9)
    first = [
        ev(t, "created"),
        ev(t + HOUR, "paused", "diagnostics"),
        ev(t + 2 * HOUR, "paused", "retest"),
        ev(t + 2 * HOUR, "resumed"),
        ev(t + 3 * HOUR, "resumed"),
    ]
    second = [first[0], first[1], first[3], first[2], first[4]]
    assert evaluate(first) == evaluate(second)
    assert minutes(evaluate(first).resolution_working_time) == 60


# Properties ---------------------------------------------------------------------------------

GAPS = [0, 0, 1, 15, 60, 240, 600, 900, 1440, 2880, 4320]


@st.composite
def event_logs(draw: st.DrawFn) -> list[rules.TicketEvent]:
    """Valid logs: created, then responses, pauses and resumes, maybe resolved, confirmed."""
    start = draw(
        st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 4, 30))
    ).replace(second=0, microsecond=0, tzinfo=UTC)
    events = [ev(start, "created")]
    moment, paused = start, False
    for _ in range(draw(st.integers(0, 7))):
        moment += timedelta(minutes=draw(st.sampled_from(GAPS)))
        kind = draw(st.sampled_from(["responded", "resumed" if paused else "paused"]))
        reason = draw(st.sampled_from(list(PLUSNET_PAUSES))) if kind == "paused" else ""
        paused = paused if kind == "responded" else not paused
        events.append(ev(moment, kind, reason))
    if draw(st.booleans()):
        moment += timedelta(minutes=draw(st.sampled_from(GAPS)))
        events.append(ev(moment, "resolved"))
        if draw(st.booleans()):
            moment += timedelta(minutes=draw(st.sampled_from(GAPS)))
            events.append(ev(moment, "confirmed"))
    return events


def _without_pauses(events: list[rules.TicketEvent]) -> list[rules.TicketEvent]:
    return [e for e in events if e.type not in ("paused", "resumed")]


@settings(max_examples=150, deadline=None)
@given(event_logs(), st.integers(0, 5000))
def test_pausing_never_increases_elapsed_working_time(
    events: list[rules.TicketEvent], later_minutes: int
) -> None:
    at = events[-1].at + timedelta(minutes=later_minutes)
    paused = evaluate(events, at=at)
    unpaused = evaluate(_without_pauses(events), at=at)
    assert paused.response_working_time <= unpaused.response_working_time
    assert paused.resolution_working_time <= unpaused.resolution_working_time
    assert paused.resolution.used <= unpaused.resolution.used
    assert paused.response.used <= unpaused.response.used
    assert (
        paused.resolution_working_time + paused.paused_working_time
        == unpaused.resolution_working_time
    )


@settings(max_examples=150, deadline=None)
@given(event_logs(), st.randoms(use_true_random=False))
def test_the_order_of_events_sharing_a_timestamp_does_not_matter(
    events: list[rules.TicketEvent], rng: random.Random
) -> None:
    shuffled: list[rules.TicketEvent] = []
    start = 0
    while start < len(events):
        end = start
        while end < len(events) and events[end].at == events[start].at:
            end += 1
        group = events[start:end]
        rng.shuffle(group)
        shuffled.extend(group)
        start = end
    assert evaluate(shuffled) == evaluate(events)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["paused", "resumed", "responded"]), st.integers(0, 2)),
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_valid_or_not_is_the_same_whatever_the_arrival_order(
    steps: list[tuple[str, int]], rng: random.Random
) -> None:
    """Logs that may be invalid: acceptance does not depend on how ties arrive."""
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


# Claims ----------------------------------------------------------------------------------


def test_monthly_cap_across_faults() -> None:
    # One month's subscription, £26.50, per calendar month (7.22): £20 for the first fault,
    # £6.50 for the second (26.50 - 20.00), nothing for the third.
    first = rules.service_credit_after_cap(
        Decimal("20.00"), monthly_subscription=Decimal("26.50"), credited_in_month=Decimal(0)
    )
    second = rules.service_credit_after_cap(
        Decimal("20.00"),
        monthly_subscription=Decimal("26.50"),
        credited_in_month=Decimal("20.00"),
    )
    third = rules.service_credit_after_cap(
        Decimal("20.00"),
        monthly_subscription=Decimal("26.50"),
        credited_in_month=Decimal("26.50"),
    )
    assert (first, second, third) == (
        (Decimal("20.00"), False),
        (Decimal("6.50"), True),
        (Decimal("0.00"), True),
    )


def test_claim_window_one_working_day_inside_and_outside() -> None:
    # Resolution notice Thu 24 Dec 2026. Five working days: Tue 29 (1), Wed 30 (2), Thu 31
    # (3), Mon 4 Jan (4), Tue 5 Jan (5): a claim on Tue 5 Jan is in time, on Wed 6 Jan
    # (the next working day) it is late.
    notice = london(2026, 12, 24, 10)
    assert rules.claim_deadline(notice, 5, CALENDAR) == date(2027, 1, 5)
    assert rules.claim_in_time(london(2027, 1, 4, 23, 59), notice, 5, CALENDAR)
    assert rules.claim_in_time(london(2027, 1, 5, 19), notice, 5, CALENDAR)
    assert not rules.claim_in_time(london(2027, 1, 6, 8), notice, 5, CALENDAR)


def test_plugin_claim_window_over_easter() -> None:
    # Resolved Thu 2 Apr 2026; Fri 3 and Mon 6 Apr are bank holidays. Seven working days:
    # Tue 7, Wed 8, Thu 9, Fri 10, Mon 13, Tue 14, Wed 15 Apr.
    resolved = london(2026, 4, 2, 16)
    assert rules.claim_deadline(resolved, 7, CALENDAR) == date(2026, 4, 15)
    assert not rules.claim_in_time(london(2026, 4, 16, 9), resolved, 7, CALENDAR)


def _resolved_with_missed_response() -> rules.SlaResult:
    return evaluate(
        [
            ev(london(2026, 12, 24, 17), "created"),
            ev(london(2026, 12, 24, 19, 30), "responded"),
            ev(london(2026, 12, 30, 16), "resolved"),
        ]
    )


def test_service_credit_claim_decisions() -> None:
    sla = _resolved_with_missed_response()

    def decide(claimed: datetime, credited: str = "0", exclusions: tuple[str, ...] = ()):
        return rules.service_credit_decision(
            terms=SERVICE_CREDIT,
            sla=sla,
            claimed_at=claimed,
            calendar=CALENDAR,
            monthly_subscription=Decimal("26.50"),
            credited_in_month=Decimal(credited),
            earlier_claims=0,
            exclusions=exclusions,
        )

    # Resolved Wed 30 Dec: Thu 31 (1), Mon 4 (2), Tue 5 (3), Wed 6 (4), Thu 7 Jan (5).
    in_time = decide(london(2027, 1, 7, 12))
    assert (in_time.accepted, in_time.amount) == (True, Decimal("20.00"))
    late = decide(london(2027, 1, 8, 9))
    assert not late.accepted
    assert [r.code for r in late.reasons] == ["late"]
    assert late.reasons[0].clause == "plusnet-business/broadband-schedule#7.21"
    capped = decide(london(2027, 1, 4, 9), credited="20.00")
    assert (capped.accepted, capped.amount, capped.capped) == (True, Decimal("6.50"), True)
    excluded = decide(london(2027, 1, 4, 9), exclusions=("scheduled-maintenance",))
    assert not excluded.accepted
    assert excluded.reasons[0].clause == "plusnet-business/broadband-schedule#7.26(a)"
    with pytest.raises(InvalidInput, match="exclusions: unknown 'weather'"):
        decide(london(2027, 1, 4, 9), exclusions=("weather",))


def test_uptime_guarantee_claim() -> None:
    sla = evaluate(
        [
            ev(london(2026, 11, 2, 9), "created"),
            ev(london(2026, 11, 2, 9, 30), "responded"),
            ev(london(2026, 11, 3, 15), "resolved"),
        ],
        policy=PLUGIN,
        monthly="24.99",
    )
    decision = rules.uptime_guarantee_decision(
        terms=UPTIME,
        sla=sla,
        outage=30 * HOUR,
        claimed_at=london(2026, 11, 12, 17),  # Tue 3 + 7 working days = Thu 12 Nov
        calendar=CALENDAR,
        monthly_subscription=Decimal("24.99"),
        earlier_claims=0,
    )
    assert (decision.accepted, decision.amount, decision.periods) == (True, Decimal("1.67"), 2)
    refused = rules.uptime_guarantee_decision(
        terms=UPTIME,
        sla=sla,
        outage=30 * HOUR,
        claimed_at=london(2026, 11, 12, 17),
        calendar=CALENDAR,
        monthly_subscription=Decimal("24.99"),
        earlier_claims=0,
        exclusions=("customer-equipment-or-internal-wiring",),
    )
    assert not refused.accepted
    assert refused.reasons[0].clause == "plugin/uptime-guarantee#exclusions-2"


@pytest.mark.parametrize(
    ("outage", "expected"),
    [
        # 1/30 of £24.99 = 0.833 -> £0.83 for one period; 24h exactly is one period.
        (24 * HOUR, (Decimal("0.83"), 1)),
        # 24h and a minute is two periods: 2 x 24.99 / 30 = 1.666 -> £1.67.
        (24 * HOUR + MINUTE, (Decimal("1.67"), 2)),
        (timedelta(0), (Decimal("0.00"), 0)),
    ],
)
def test_uptime_guarantee_periods(outage: timedelta, expected: tuple[Decimal, int]) -> None:
    assert (
        rules.uptime_guarantee_credit(
            monthly_subscription=Decimal("24.99"), outage=outage, terms=UPTIME
        )
        == expected
    )


PHONE = rules.PhoneCompensationTerms(
    clause="plusnet-business/business-phone-schedule#2.2",
    max_per_line_per_year=Decimal("180.00"),
    max_clause="plusnet-business/business-phone-schedule#2.3(a)",
    claim_days=30,
    claim_clause="plusnet-business/business-phone-schedule#2.4(a)",
    exclusions={"network-wide-outage": "plusnet-business/business-phone-schedule#2.4(b)"},
    exclusions_clause="plusnet-business/business-phone-schedule#2.4",
)


def test_phone_compensation_pro_rata_and_the_yearly_cap() -> None:
    # Line rental £13.00; reported Mon 2 Nov 2026 10:00, restored Thu 5 Nov 14:00: 3 days
    # and 4 hours = 4 days or part, each 13/30 (November has 30 days): 52/30 = 1.7333 ->
    # £1.73. With £179.00 already paid this year only £1.00 is left of the £180 cap.
    decide = rules.phone_compensation_decision
    common = {
        "terms": PHONE,
        "appointment_missed_by_provider": True,
        "reported_at": london(2026, 11, 2, 10),
        "restored_at": london(2026, 11, 5, 14),
        "monthly_subscription": Decimal("13.00"),
    }
    paid = decide(**common, claimed_at=london(2026, 12, 2, 9), paid_in_year=Decimal(0))
    assert (paid.accepted, paid.amount, paid.periods) == (True, Decimal("1.73"), 4)
    capped = decide(**common, claimed_at=london(2026, 12, 2, 9), paid_in_year=Decimal("179.00"))
    assert (capped.amount, capped.capped) == (Decimal("1.00"), True)
    # 30 days after 2 Nov is 2 Dec: a claim on 3 Dec is late (2.4(a)).
    late = decide(**common, claimed_at=london(2026, 12, 3, 9), paid_in_year=Decimal(0))
    assert not late.accepted and late.reasons[0].code == "late"
    kept = decide(
        **{**common, "appointment_missed_by_provider": False},
        claimed_at=london(2026, 11, 6, 9),
        paid_in_year=Decimal(0),
    )
    assert not kept.accepted and kept.reasons[0].code == "no-missed-appointment"


# Hosting uptime ------------------------------------------------------------------------------

HOSTING = rules.HostingUptimeTerms(
    clause="plugin/hosting-terms#4",
    target_percent=Decimal("99"),
    threshold=HOUR,
    min_days=1,
)


def test_hosting_refund_counts_days_with_more_than_an_hour_down() -> None:
    # November 2026 (30 days), £5.99 a month. Down 3 Nov 10:00-11:30 (90 min: counts),
    # 4 Nov 10:00-11:00 (exactly 60 min: does not), 9 Nov 23:30 to 10 Nov 01:00 (30 and
    # 60 min: neither day counts). One day: 5.99 / 30 = 0.1996 -> £0.20.
    outages = [
        (london(2026, 11, 3, 10), london(2026, 11, 3, 11, 30)),
        (london(2026, 11, 4, 10), london(2026, 11, 4, 11)),
        (london(2026, 11, 9, 23, 30), london(2026, 11, 10, 1)),
    ]
    downtime = rules.downtime_by_day(
        outages, start=date(2026, 11, 1), end=date(2026, 12, 1), now=london(2026, 12, 1)
    )
    result = rules.hosting_uptime_compensation(
        terms=HOSTING,
        downtime=downtime,
        month_start=date(2026, 11, 1),
        month_end=date(2026, 12, 1),
        monthly_price=Decimal("5.99"),
    )
    assert result.days == (date(2026, 11, 3),)
    assert result.amount == Decimal("0.20")
    # Down 90 + 60 + 30 + 60 = 240 minutes of 43200: 99.444% up.
    assert result.uptime_percent == Decimal("99.444")


def test_hosting_refund_is_at_most_a_month() -> None:
    # Down for the whole of November: 30 days refunded = one month's £5.99, no more.
    downtime = {date(2026, 11, 1) + timedelta(days=n): 24 * HOUR for n in range(30)}
    result = rules.hosting_uptime_compensation(
        terms=HOSTING,
        downtime=downtime,
        month_start=date(2026, 11, 1),
        month_end=date(2026, 12, 1),
        monthly_price=Decimal("5.99"),
    )
    assert result.amount == Decimal("5.99")


# Ofcom automatic compensation ---------------------------------------------------------------

OFCOM = rules.OfcomTerms(
    enabled=True,
    account_kinds=("residential",),
    repair_grace_working_days=2,
    amounts=(
        rules.OfcomAmounts(date(2019, 4, 1), Decimal("8.00"), Decimal("5.00"), Decimal("25.00")),
        rules.OfcomAmounts(date(2024, 4, 1), Decimal("9.76"), Decimal("6.10"), Decimal("30.50")),
    ),
    clause="plugin/code-of-practice#faults",
    late_repair_clause="plugin/code-of-practice#faults",
    late_provision_clause="plugin/uptime-guarantee#terms",
    missed_appointment_clause="plugin/broadband-terms#5",
    missed_appointment_cancellation_hours=24,
)


def test_ofcom_late_repair_after_two_full_working_days() -> None:
    # Reported Thu 2 Apr 2026 15:00; Good Friday and Easter Monday are not working days,
    # so the two full working days are Tue 7 and Wed 8 Apr. Repaired Fri 10 Apr: Thu 9 and
    # Fri 10 are late, 2 x £9.76 = £19.52.
    result = rules.ofcom_late_repair(
        OFCOM,
        reported_at=london(2026, 4, 2, 15),
        repaired_at=london(2026, 4, 10, 12),
        calendar=CALENDAR,
    )
    assert (result.days, result.amount) == (2, Decimal("19.52"))
    on_time = rules.ofcom_late_repair(
        OFCOM,
        reported_at=london(2026, 4, 2, 15),
        repaired_at=london(2026, 4, 8, 19),
        calendar=CALENDAR,
    )
    assert on_time.amount == Decimal("0.00")


def test_ofcom_amounts_are_effective_dated() -> None:
    # Late provision promised Fri 29 Mar 2024, provided Tue 2 Apr: 29, 30, 31 Mar at £5.00
    # and 1 Apr at £6.10 = £21.10 (the missed start date counts).
    result = rules.ofcom_late_provision(
        OFCOM, promised=date(2024, 3, 29), provided=date(2024, 4, 2)
    )
    assert (result.days, result.amount) == (4, Decimal("21.10"))


def test_ofcom_missed_appointment_and_short_notice_cancellation() -> None:
    slot = london(2026, 11, 10, 8)
    assert rules.ofcom_missed_appointment(OFCOM, slot_start=slot, missed=True).amount == Decimal(
        "30.50"
    )
    short = rules.ofcom_missed_appointment(
        OFCOM, slot_start=slot, missed=False, cancelled_by_provider_at=slot - 23 * HOUR
    )
    enough = rules.ofcom_missed_appointment(
        OFCOM, slot_start=slot, missed=False, cancelled_by_provider_at=slot - 24 * HOUR
    )
    assert (short.amount, enough.amount) == (Decimal("30.50"), Decimal("0.00"))


# Engineer visits ---------------------------------------------------------------------------

PLUGIN_VISITS = rules.VisitChargeTerms(
    model="per-visit",
    clause="plugin/broadband-terms#5",
    charged_outcomes={
        key: "plugin/broadband-terms#5"
        for key in ("fault-not-confirmed", "fault-not-service", "no-access", "late-cancellation")
    },
    visit_charge="engineer-no-fault-found",
    late_cancellation_cutoff=time(13, 30),
)
PLUSNET_VISITS = rules.VisitChargeTerms(
    model="call-out-and-hourly",
    clause="plusnet-business/business-phone-charges#14",
    charged_outcomes={
        "fault-not-confirmed": "plusnet-business/business-phone-charges#15(f)",
        "no-access": "plusnet-business/business-phone-charges#15(d)",
        "late-cancellation": "plusnet-business/business-phone-charges#15(g)",
    },
    call_out_charge="engineer-visit-call-out",
    hourly_charge="engineer-visit-hourly",
    call_out_covers=HOUR,
    late_cancellation_hours=48,
)


def test_plugin_late_cancellation_after_half_past_one_the_day_before() -> None:
    slot = london(2026, 11, 10, 8)  # Tue 10 Nov
    cutoff = london(2026, 11, 9, 13, 30)
    assert not rules.late_cancellation(PLUGIN_VISITS, slot_start=slot, cancelled_at=cutoff)
    assert rules.late_cancellation(PLUGIN_VISITS, slot_start=slot, cancelled_at=cutoff + MINUTE)


def test_plusnet_late_cancellation_within_48_hours() -> None:
    slot = london(2026, 11, 10, 8)
    assert not rules.late_cancellation(
        PLUSNET_VISITS, slot_start=slot, cancelled_at=slot - 48 * HOUR
    )
    assert rules.late_cancellation(
        PLUSNET_VISITS, slot_start=slot, cancelled_at=slot - 48 * HOUR + MINUTE
    )


def test_visit_charges() -> None:
    assert rules.visit_charges(PLUGIN_VISITS, outcome="fixed") == ()
    (line,) = rules.visit_charges(PLUGIN_VISITS, outcome="fault-not-service")
    assert (line.charge, line.quantity) == ("engineer-no-fault-found", 1)
    # Plusnet: 2 h 10 min on site with no fault found: the call-out covers the first hour,
    # then 1 h 10 min is 2 hours or part at the hourly charge.
    lines = rules.visit_charges(
        PLUSNET_VISITS, outcome="fault-not-confirmed", time_on_site=timedelta(hours=2, minutes=10)
    )
    assert [(x.charge, x.quantity, x.clause) for x in lines] == [
        ("engineer-visit-call-out", 1, "plusnet-business/business-phone-charges#15(f)"),
        ("engineer-visit-hourly", 2, "plusnet-business/business-phone-charges#14"),
    ]
    assert rules.visit_charges(PLUSNET_VISITS, outcome="missed-by-provider") == ()


# Complaints -------------------------------------------------------------------------------

COMPLAINTS = rules.ComplaintTerms(
    clause="plugin/complaints#procedure",
    first_response=rules.Target(
        "first response", 4 * HOUR, rules.CLOCK_WORKING, "plugin/complaints#procedure", False
    ),
    escalated_answer=rules.Target(
        "escalated answer", 48 * HOUR, rules.CLOCK_ELAPSED, "plugin/complaints#escalation", False
    ),
    escalated_resolve=rules.Target(
        "escalated resolve",
        timedelta(days=5),
        rules.CLOCK_CALENDAR_DAYS,
        "plugin/complaints#escalation",
        False,
    ),
    adr_after=timedelta(weeks=8),
    adr_on_deadlock=True,
    adr_clause="plugin/complaints#procedure",
)


def test_complaint_clocks() -> None:
    # Received Fri 6 Nov 2026 18:00: 2 working hours on Friday, so 4 are up Mon 9 Nov 10:00.
    # Escalated Mon 9 Nov 12:00: answer due Wed 11 Nov 12:00 (48 real hours), resolution
    # due by the end of Sat 14 Nov (5 days).
    clocks = rules.complaint_clocks(
        COMPLAINTS,
        calendar=CALENDAR,
        received_at=london(2026, 11, 6, 18),
        at=london(2026, 11, 12, 9),
        first_response_at=london(2026, 11, 9, 9),
        escalated_at=london(2026, 11, 9, 12),
    )
    assert clocks.first_response.due == london(2026, 11, 9, 10)
    assert clocks.first_response.state == "met"
    assert clocks.escalated_answer.due == london(2026, 11, 11, 12)
    assert clocks.escalated_answer.breached
    assert clocks.escalated_resolve.due == london(2026, 11, 15)
    assert not clocks.escalated_resolve.breached
    # Eight weeks after 6 Nov 18:00 is 1 Jan 2027 18:00.
    assert clocks.adr_available_from == london(2027, 1, 1, 18)
    assert not clocks.adr_available


def test_deadlock_letter_opens_adr_at_once() -> None:
    clocks = rules.complaint_clocks(
        COMPLAINTS,
        calendar=CALENDAR,
        received_at=london(2026, 11, 6, 18),
        at=london(2026, 11, 20, 9),
        resolved_at=london(2026, 11, 20, 9),
        deadlock_at=london(2026, 11, 20, 9),
    )
    assert clocks.adr_available
    assert clocks.adr_reason == "a deadlock letter was sent"
