"""Fair-use rules: counters, allowances, Top Ups, throttling, extra usage (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.core.periods import Period
from backhaul.usage import metering, rules

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


@settings(max_examples=60, deadline=None)
@given(
    sessions=st.lists(
        st.tuples(
            st.sampled_from(["s1", "s2", "s3"]),
            st.integers(min_value=0, max_value=500),
            counter,
            st.integers(min_value=0, max_value=3) | st.none(),
            counter,
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
                "nas_ip": "192.0.2.1",
                "status": "interim",
                "at": T0 + timedelta(minutes=minute),
                "session_start": None,
                "input_octets": octets,
                "input_gigawords": gigawords,
                "output_octets": out,
                "output_gigawords": None,
                "framed_ip": "",
            }
        )
    records = pl.DataFrame(rows, schema=metering.RECORD_SCHEMA)
    priors = pl.DataFrame(
        [
            {
                "session_key": "s1",
                "prior_at": T0 - timedelta(minutes=5),
                "prior_input": prior[0],
                "prior_output": prior[1],
                "prior_started": T0 - timedelta(hours=1),
                "prior_total_input": 0,
                "prior_total_output": 0,
            }
        ]
        if prior
        else [],
        schema=metering.PRIOR_SCHEMA,
    )
    logins = pl.DataFrame(
        [{"username": "u", "account_id": 1, "brand_id": 1}],
        schema={"username": pl.Utf8, "account_id": pl.Int64, "brand_id": pl.Int64},
    )
    busy = pl.DataFrame(schema={"brand_id": pl.Int64, "busy_start": pl.Int32, "busy_end": pl.Int32})
    result = metering.meter(records, priors, logins, busy)
    expected_in = expected_out = 0
    for session in {r["session_key"] for r in rows}:
        seen = set()
        readings = []
        for r in rows:
            reported_in = rules.reported_octets(r["input_octets"], r["input_gigawords"])
            key = (r["at"], reported_in, r["output_octets"])
            if r["session_key"] != session or key in seen:
                continue
            seen.add(key)
            readings.append(rules.CounterReading(r["at"], reported_in, r["output_octets"]))
        deltas = rules.session_deltas(prior if session == "s1" else None, readings)
        expected_in += sum(d.input_octets for d in deltas)
        expected_out += sum(d.output_octets for d in deltas)
    assert result.days["input_octets"].sum() == expected_in
    assert result.days["output_octets"].sum() == expected_out
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
