"""Fair-use rules: counters, allowances, Top Ups, throttling, extra usage (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.core.periods import Period
from backhaul.usage import batch_rules, metering, rules

GB = 10**9
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def plugin_policy(allowance_gb: int = 100) -> rules.FairUsePolicy:
    # plugin/broadband-terms#8 as catalogued: 128 kbit/s for 1 GB, then blocked; 10 GB Top Ups.
    return rules.FairUsePolicy(
        clause="plugin/broadband-terms#8",
        allowance_bytes=allowance_gb * GB,
        bytes_per_gb=GB,
        expires=rules.BILLING_PERIOD,
        anchor=date(2026, 10, 2),
        notify_state_changes=True,
        throttle_bytes=1 * GB,
        throttle_rate_kbps=128,
        block_after_throttle=True,
        topup_block_bytes=10 * GB,
    )


def plusnet_policy(allowance_gb: int = 100) -> rules.FairUsePolicy:
    return rules.FairUsePolicy(
        clause="plusnet-business/broadband-schedule#5.5",
        allowance_bytes=allowance_gb * GB,
        bytes_per_gb=GB,
        expires=rules.CALENDAR_MONTH,
        anchor=date(2026, 1, 1),
        notify_percent=(80, 100),
        extra_usage_per_gb=Decimal("1.00"),
        extra_usage_clause="plusnet-business/broadband-charges#7",
        overuse_months=3,
        overuse_clause="plusnet-business/broadband-schedule#5.7",
    )


def opened(policy: rules.FairUsePolicy, day: date) -> rules.Meter:
    period = rules.allowance_period(day, expires=policy.expires, anchor=policy.anchor)
    return rules.meter_open(policy, period)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


# --- counters ----------------------------------------------------------------------------


def test_gigawords_are_combined_with_octets() -> None:
    # RFC 2869: 3 Gigawords and 5 octets = 3 * 2**32 + 5 = 12884901893.
    assert rules.reported_octets(5, 3) == 12_884_901_893


def test_a_32_bit_counter_that_wraps_counts_across_the_wrap() -> None:
    # previous 4294967000, now 500 with no Gigawords: (2**32 - 4294967000) + 500 = 796.
    assert rules.counter_delta(4_294_967_000, 500) == 796


def test_first_update_of_a_session_counts_from_session_start() -> None:
    assert rules.counter_delta(None, 1234) == 1234


def test_a_combined_counter_that_goes_backwards_is_rejected() -> None:
    assert rules.counter_delta(3 * 2**32, 2**32 + 1) is None


def test_interim_updates_are_cumulative_so_usage_is_the_delta() -> None:
    readings = [
        rules.CounterReading(at(0), 100, 1_000),
        rules.CounterReading(at(0.1), 300, 4_000),
        rules.CounterReading(at(0.2), 450, 4_500),
    ]
    deltas = rules.session_deltas(None, readings)
    assert [(d.input_octets, d.output_octets) for d in deltas] == [
        (100, 1000),
        (200, 3000),
        (150, 500),
    ]


counter = st.integers(min_value=0, max_value=2**32 - 1)
LOGINS = pl.DataFrame(
    [{"username": "u", "account_id": 1, "brand_id": 1}], schema=metering.LOGIN_SCHEMA
)
NO_BUSY_HOURS = pl.DataFrame(schema=metering.BUSY_SCHEMA)
#: 29 March 2026: the clocks go forward at 01:00 UTC, so London days and hours shift.
CLOCK_CHANGE = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)


def _details_of(rows: list[dict]):  # type: ignore[no-untyped-def]
    def details(ids: list[int]) -> pl.DataFrame:
        wanted = set(ids)
        return pl.DataFrame(
            [
                {
                    "id": r["id"],
                    "username": r["username"],
                    "nas_ip": "192.0.2.1",
                    "framed_ip": r["framed_ip"],
                    "session_start": r["session_start"],
                }
                for r in rows
                if r["id"] in wanted
            ],
            schema=metering.DETAIL_SCHEMA,
        )

    return details


@settings(max_examples=80, deadline=None)
@given(
    sessions=st.lists(
        st.tuples(
            st.sampled_from(["s1", "s2", "s3"]),
            # Minutes from 22:00 UTC on 28 March 2026: London midnight, the day change
            # and the clock change at 01:00 UTC all fall inside.
            st.integers(min_value=0, max_value=500),
            counter,
            st.integers(min_value=0, max_value=3) | st.none(),
            # Output counters near the top of 32 bits, so wraps happen often.
            st.integers(min_value=2**32 - 5_000, max_value=2**32 - 1) | counter,
        ),
        min_size=1,
        max_size=40,
    ),
    prior=st.none() | st.tuples(counter, counter),
)
def test_vectorised_meter_agrees_with_the_reference(sessions, prior) -> None:
    rows = []
    for index, (session, minute, octets, gigawords, out) in enumerate(sessions):
        rows.append(
            {
                "id": index + 1,
                "session_key": session,
                "username": "u",
                "status": "interim",
                "at": CLOCK_CHANGE + timedelta(minutes=minute),
                "input_reported": rules.reported_octets(octets, gigawords),
                "output_reported": out,
                "has_framed_ip": 1,
                "framed_ip": "198.51.100.9",
                "session_start": CLOCK_CHANGE - timedelta(minutes=30),
            }
        )
    records = pl.DataFrame(
        [{k: r[k] for k in metering.RECORD_SCHEMA} for r in rows], schema=metering.RECORD_SCHEMA
    )
    priors = pl.DataFrame(
        [
            {
                "session_key": "s1",
                "prior_at": CLOCK_CHANGE - timedelta(minutes=5),
                "prior_input": prior[0],
                "prior_output": prior[1],
                "prior_started": CLOCK_CHANGE - timedelta(hours=1),
                "prior_total_input": 0,
                "prior_total_output": 0,
            }
        ]
        if prior
        else [],
        schema=metering.PRIOR_SCHEMA,
    )
    result = metering.meter(records, priors, LOGINS, NO_BUSY_HOURS, _details_of(rows))
    expected: dict[date, list[int]] = {}
    expected_sessions: dict[str, tuple[int, int, int, int]] = {}
    for session in {r["session_key"] for r in rows}:
        seen = set()
        readings = []
        for r in rows:
            key = (r["at"], r["input_reported"], r["output_reported"])
            if r["session_key"] != session or key in seen:
                continue
            seen.add(key)
            readings.append(
                rules.CounterReading(r["at"], r["input_reported"], r["output_reported"])
            )
        deltas = rules.session_deltas(prior if session == "s1" else None, readings)
        last = max(readings, key=lambda r: (r.at, r.input_reported, r.output_reported))
        expected_sessions[session] = (
            sum(d.input_octets for d in deltas),
            sum(d.output_octets for d in deltas),
            last.input_reported,
            last.output_reported,
        )
        for delta in deltas:
            # Usage is split between London days (and so periods) at the update times.
            day = rules.london_date(delta.at)
            totals = expected.setdefault(day, [0, 0])
            totals[0] += delta.input_octets
            totals[1] += delta.output_octets
    got = {
        day: [octets_in, octets_out]
        for day, octets_in, octets_out in result.days.select(
            "day", "input_octets", "output_octets"
        ).iter_rows()
    }
    assert got == {day: totals for day, totals in expected.items() if day in got}
    assert all(totals == [0, 0] for day, totals in expected.items() if day not in got)
    # Each session's counters as last reported, and what it used in all.
    assert {
        key: (total_in, total_out, last_in, last_out)
        for key, total_in, total_out, last_in, last_out in result.sessions.select(
            "session_key", "total_input", "total_output", "last_input", "last_output"
        ).iter_rows()
    } == expected_sessions
    counts = result.counts
    assert counts["read"] == (
        counts["metered"]
        + counts["duplicates"]
        + counts["rejected_counters"]
        + counts["unknown_login"]
        + counts["nas_events"]
    )


# --- PlugIn: allowance, Top Ups, throttle, block -------------------------------------------


def test_plugin_timeline_allowance_then_throttle_then_block_then_next_period() -> None:
    policy = plugin_policy()
    meter = opened(policy, date(2026, 11, 2))
    assert meter.period == Period(date(2026, 11, 2), date(2026, 12, 2))
    outcome = rules.allowance_advance(
        policy,
        meter,
        [
            rules.Usage(at(1), 99 * GB),  # 99 of 100 GB
            rules.Usage(at(2), GB + GB // 2),  # allowance gone, 0.5 GB into the throttled 1 GB
            rules.Usage(at(3), GB),  # the rest of the throttled 1 GB, then 0.5 GB over
        ],
        until=datetime(2026, 12, 2, 0, 30, tzinfo=UTC),
    )
    assert [(t.from_state, t.to_state, t.at) for t in outcome.transitions] == [
        ("normal", "throttled", at(2)),
        ("throttled", "blocked", at(3)),
        # The next billing period starts at London midnight on 2 December (GMT = UTC).
        ("blocked", "normal", datetime(2026, 12, 2, 0, 0, tzinfo=UTC)),
    ]
    assert [n.kind for n in outcome.notices] == ["usage.throttled", "usage.blocked"]
    closed = outcome.closed[0]
    # 99 + 1.5 + 1 = 101.5 GB used; nothing charged: PlugIn has no extra-usage charge.
    assert (closed.used_bytes, closed.extra_gb) == (101_500_000_000, 0)
    assert outcome.meter.allowance_left == 100 * GB  # allowances never roll over


def test_plugin_top_up_bought_while_blocked_restores_the_connection() -> None:
    policy = plugin_policy()
    outcome = rules.allowance_advance(
        policy,
        opened(policy, date(2026, 11, 2)),
        [
            rules.Usage(at(1), 101 * GB),  # allowance + throttled 1 GB: blocked
            rules.TopUp(at(2), 10 * GB),
            rules.Usage(at(3), 4 * GB),
        ],
    )
    # One update used the allowance and the throttled 1 GB: throttled, then blocked, at once.
    assert [(t.to_state, t.reason, t.at) for t in outcome.transitions] == [
        ("throttled", "monthly allowance and Top Ups used", at(1)),
        ("blocked", "additional volume at the throttled rate used", at(1)),
        ("normal", "Top Up bought", at(2)),
    ]
    # 10 GB bought, 4 GB used from it: 6 GB left, which never expires.
    assert outcome.meter.topup_left == 6 * GB
    following = rules.allowance_advance(
        policy, outcome.meter, [], until=datetime(2027, 1, 5, tzinfo=UTC)
    )
    assert following.meter.topup_left == 6 * GB


def test_plugin_top_up_bought_before_the_allowance_runs_out_is_used_after_it() -> None:
    policy = plugin_policy()
    outcome = rules.allowance_advance(
        policy,
        opened(policy, date(2026, 11, 2)),
        [
            rules.TopUp(at(0.5), 10 * GB),
            rules.Usage(at(1), 105 * GB),  # 100 from the allowance, 5 from the Top Up
        ],
    )
    assert outcome.transitions == []
    assert (outcome.meter.allowance_left, outcome.meter.topup_left) == (0, 5 * GB)
    # 5 GB of Top Up and 1 GB throttled remain: 6 GB more and the connection is blocked.
    later = rules.allowance_advance(policy, outcome.meter, [rules.Usage(at(2), 6 * GB)])
    assert [t.to_state for t in later.transitions] == ["throttled", "blocked"]


def test_throttled_volume_is_once_per_period_even_after_a_top_up() -> None:
    policy = plugin_policy(allowance_gb=1)
    outcome = rules.allowance_advance(
        policy,
        opened(policy, date(2026, 11, 2)),
        [
            rules.Usage(at(1), 2 * GB),  # 1 GB allowance + 1 GB throttled: blocked
            rules.TopUp(at(2), 10 * GB),
            rules.Usage(at(3), 10 * GB),  # the Top Up used up: straight to blocked
        ],
    )
    # The throttled 1 GB was used before the Top Up, so its end goes straight to blocked.
    assert [t.to_state for t in outcome.transitions] == [
        "throttled",
        "blocked",
        "normal",
        "blocked",
    ]


# --- Plusnet: notices and extra usage ------------------------------------------------------


def test_plusnet_notices_at_80_and_100_percent_once_a_month() -> None:
    policy = plusnet_policy()
    outcome = rules.allowance_advance(
        policy,
        opened(policy, date(2026, 11, 1)),
        [
            rules.Usage(at(1), 79 * GB),
            rules.Usage(at(2), 1 * GB),  # 80 GB: 80%
            rules.Usage(at(3), 5 * GB),
            rules.Usage(at(4), 15 * GB),  # 100 GB: 100%
            rules.Usage(at(5), 10 * GB),  # over, no more notices this month
        ],
    )
    assert [(n.percent, n.at) for n in outcome.notices] == [(80, at(2)), (100, at(4))]
    assert outcome.transitions == []  # Plusnet charges; it does not throttle
    assert outcome.meter.state == rules.NORMAL


def test_plusnet_extra_usage_is_rounded_up_to_the_next_whole_gb() -> None:
    policy = plusnet_policy()
    # 100 GB + 2.3 GB: 2.3 rounds up to 3 GB at £1.00 = £3.00 (broadband-charges#7).
    outcome = rules.allowance_advance(
        policy,
        opened(policy, date(2026, 11, 1)),
        [rules.Usage(at(1), 102_300_000_000)],
        until=datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
    )
    closed = outcome.closed[0]
    assert (closed.over_bytes, closed.extra_gb, closed.extra_amount) == (
        2_300_000_000,
        3,
        Decimal("3.00"),
    )
    assert closed.clause == "plusnet-business/broadband-charges#7"
    # One byte over is a whole GB: £1.00.
    assert rules.extra_usage(policy, 1) == (1, Decimal("1.00"))
    assert rules.extra_usage(policy, 0) == (0, Decimal("0.00"))


def test_a_calendar_month_starts_at_london_midnight_in_summer_time() -> None:
    policy = plusnet_policy()
    meter = opened(policy, date(2026, 6, 15))
    # 23:30 UTC on 30 June is 00:30 BST on 1 July: the July allowance.
    outcome = rules.allowance_advance(
        policy, meter, [rules.Usage(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), GB)]
    )
    assert outcome.meter.period.start == date(2026, 7, 1)
    assert outcome.closed[0].period.start == date(2026, 6, 1)


def test_late_usage_for_a_closed_period_changes_nothing() -> None:
    policy = plusnet_policy()
    meter = opened(policy, date(2026, 12, 3))
    outcome = rules.allowance_advance(policy, meter, [rules.Usage(at(1), GB)])
    assert (outcome.late_bytes, outcome.meter.used_bytes) == (GB, 0)


@pytest.mark.parametrize(
    ("history", "recommended"),
    [
        ([True, True, True], True),
        ([False, True, True, True], True),
        ([True, True, False], False),
        ([True, False, True, True], False),
        ([True, True], False),
    ],
)
def test_upgrade_after_three_consecutive_months_over(history, recommended) -> None:
    assert rules.upgrade_recommended(plusnet_policy(), history) is recommended


@given(st.lists(st.integers(min_value=0, max_value=30 * GB), min_size=1, max_size=30))
def test_usage_is_conserved_between_buckets(amounts) -> None:
    policy = plugin_policy(allowance_gb=50)
    meter = opened(policy, date(2026, 11, 2))
    outcome = rules.allowance_advance(
        policy, meter, [rules.Usage(at(i / 100), a) for i, a in enumerate(amounts)]
    )
    m = outcome.meter
    used_from_buckets = (
        (policy.allowance_bytes - m.allowance_left)
        + (0 - m.topup_left)
        + ((policy.throttle_bytes or 0) - m.throttle_left)
        + m.over_bytes
    )
    assert used_from_buckets == m.used_bytes == sum(amounts)


def test_speeds_average() -> None:
    # 45 MB in 60 s: 45e6 * 8 / 60 / 1000 = 6000 kbit/s.
    assert rules.average_kbps(45_000_000, 60) == Decimal("6000.0")
    assert rules.average_kbps(10, 0) is None


# --- The vectorised common case agrees with the rules ------------------------------------

usage_step = st.tuples(
    # Days after 2 November 2026 (up to 40: past the period's end on 2 December).
    st.integers(min_value=-3, max_value=40),
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=40 * GB),
)


def _frames(policy: rules.FairUsePolicy, meter: rules.Meter, events: list[rules.Usage]):
    """The meter and usage as the usage import hands them to `within_allowance`: usage
    summed by London day, timed at the day's last update."""
    by_day: dict[date, list] = {}
    for event in events:
        day = rules.london_date(event.at)
        octets, last = by_day.get(day, [0, event.at])
        by_day[day] = [octets + event.octets, max(last, event.at)]
    usage = pl.DataFrame(
        [
            {"account_id": 1, "day": day, "octets": octets, "at": last}
            for day, (octets, last) in by_day.items()
        ],
        schema=batch_rules.USAGE_SCHEMA,
    )
    unnotified = [p for p in sorted(policy.notify_percent) if p not in meter.notified]
    meters = pl.DataFrame(
        [
            {
                "account_id": 1,
                "state": meter.state,
                "period_start": meter.period.start,
                "period_end": meter.period.end,
                "used_bytes": meter.used_bytes,
                "allowance_left": meter.allowance_left,
                "allowance_bytes": policy.allowance_bytes,
                "next_percent": unnotified[0] if unnotified else None,
                "last_at": meter.last_at,
            }
        ],
        schema=batch_rules.METER_SCHEMA,
    )
    daily = [rules.Usage(last, octets) for octets, last in by_day.values()]
    return meters, usage, daily


@settings(max_examples=150, deadline=None)
@given(
    plusnet=st.booleans(),
    before=st.lists(usage_step, max_size=4),
    after=st.lists(usage_step, min_size=1, max_size=6),
)
def test_usage_within_the_allowance_in_bulk_agrees_with_the_rules(plusnet, before, after) -> None:
    policy = plusnet_policy() if plusnet else plugin_policy()
    start = date(2026, 11, 2)

    def usage(steps):  # type: ignore[no-untyped-def]
        return [
            rules.Usage(datetime(2026, 11, 2, hour, tzinfo=UTC) + timedelta(days=d), o)
            for d, hour, o in steps
        ]

    # A meter some way into its period, reached through the rules themselves.
    meter = rules.allowance_advance(
        policy, opened(policy, start), [e for e in usage(before) if e.at.date() >= start]
    ).meter
    meters, frame, daily = _frames(policy, meter, usage(after))
    moved = batch_rules.within_allowance(meters, frame)
    expected = rules.allowance_advance(policy, meter, daily)
    if moved.is_empty():
        return  # not the common case: the rules decide, account by account
    # The common case: nothing for the rules to decide, the same figures either way.
    assert not (expected.transitions or expected.notices or expected.closed)
    assert expected.late_bytes == 0
    assert expected.meter.state == meter.state == rules.NORMAL
    assert expected.meter.period == meter.period
    assert (expected.meter.topup_left, expected.meter.throttle_left) == (
        meter.topup_left,
        meter.throttle_left,
    )
    assert expected.meter.over_bytes == meter.over_bytes
    assert moved.row(0, named=True) == {
        "account_id": 1,
        "used_bytes": expected.meter.used_bytes,
        "allowance_left": expected.meter.allowance_left,
        "last_at": expected.meter.last_at,
    }


def test_usage_that_crosses_a_notice_threshold_is_left_to_the_rules() -> None:
    policy = plusnet_policy()
    meter = opened(policy, date(2026, 11, 2))
    t = datetime(2026, 11, 10, 12, tzinfo=UTC)
    for octets, common in [(79_999_999_999, True), (80 * GB, False)]:
        meters, frame, _ = _frames(policy, meter, [rules.Usage(t, octets)])
        assert (batch_rules.within_allowance(meters, frame).height == 1) is common


def test_an_upgrade_can_be_due_only_when_the_period_just_closed_was_over() -> None:
    # plusnet-business/broadband-schedule#5.7: months over in a row; the streak ends with
    # the period just closed, so a period within the allowance cannot start a recommendation.
    from dataclasses import replace

    policy = replace(plusnet_policy(), overuse_months=3)
    period = Period(date(2026, 11, 1), date(2026, 12, 1))
    gb = 10**9
    over = rules.PeriodClosed(period, 101 * gb, 100 * gb, 1 * gb, 1, Decimal("0"), "c")
    within = rules.PeriodClosed(period, 90 * gb, 100 * gb, 0, 0, Decimal("0"), "c")
    assert rules.upgrade_may_be_due(policy, over)
    assert not rules.upgrade_may_be_due(policy, within)
    assert not rules.upgrade_may_be_due(replace(policy, overuse_months=0), over)
