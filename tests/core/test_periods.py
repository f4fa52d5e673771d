"""Billing periods, anniversary dates and proration: worked examples and properties."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.core.money import to_penny_half_up
from backhaul.core.periods import (
    Frequency,
    Period,
    PeriodError,
    add_months,
    period_containing,
    periods_between,
    prorate,
    split_prorated,
    whole_months_and_part,
)

D = Decimal

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
frequencies = st.sampled_from(list(Frequency))
pennies = st.integers(min_value=-(10**6), max_value=10**6).map(lambda p: D(p).scaleb(-2))


# add_months -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), 2, date(2025, 3, 31)),  # counted from the start, not chained
        (date(2026, 10, 20), 14, date(2027, 12, 20)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 5, 15), 0, date(2025, 5, 15)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_add_months_refuses_datetimes() -> None:
    with pytest.raises(PeriodError, match="must be a date"):
        add_months(datetime(2025, 1, 31, 12), 1)


# Period ---------------------------------------------------------------------------------


def test_period_is_half_open() -> None:
    october = Period(date(2026, 10, 1), date(2026, 11, 1))
    assert october.days == 31
    assert october.contains(date(2026, 10, 1))
    assert october.contains(date(2026, 10, 31))
    assert not october.contains(date(2026, 11, 1))
    assert not october.contains(date(2026, 9, 30))
    assert str(october) == "[2026-10-01, 2026-11-01)"


def test_period_must_not_be_empty() -> None:
    with pytest.raises(PeriodError, match="must end after it starts"):
        Period(date(2026, 10, 1), date(2026, 10, 1))
    with pytest.raises(PeriodError):
        Period(date(2026, 10, 2), date(2026, 10, 1))
    with pytest.raises(InvalidInput):
        Period(date(2026, 10, 2), date(2026, 10, 1))


def test_period_overlap_and_order() -> None:
    october = Period(date(2026, 10, 1), date(2026, 11, 1))
    from_20th = Period(date(2026, 10, 20), date(2026, 11, 20))
    november = Period(date(2026, 11, 1), date(2026, 12, 1))
    assert october.overlap(from_20th) == Period(date(2026, 10, 20), date(2026, 11, 1))
    assert from_20th.overlap(october) == october.overlap(from_20th)
    assert october.overlap(november) is None  # adjacent periods share no day
    assert sorted([november, from_20th, october]) == [october, from_20th, november]


def test_frequency_months() -> None:
    assert [f.months for f in Frequency] == [1, 12, 24]
    assert Frequency("two-yearly") is Frequency.TWO_YEARLY
    assert str(Frequency.ANNUAL) == "annual"


# period_containing / periods_between ----------------------------------------------------


def test_monthly_periods_anchored_on_the_31st() -> None:
    # Billing day 31, clamped to the end of shorter months; every boundary from the anchor.
    anchor = date(2025, 1, 31)
    starts = [period_containing(add_months(anchor, k), Frequency.MONTHLY, anchor) for k in range(4)]
    assert starts == [
        Period(date(2025, 1, 31), date(2025, 2, 28)),
        Period(date(2025, 2, 28), date(2025, 3, 31)),
        Period(date(2025, 3, 31), date(2025, 4, 30)),
        Period(date(2025, 4, 30), date(2025, 5, 31)),
    ]
    # 29 Feb 2028 and 1 Mar 2028 fall in different periods with the same anchor.
    assert period_containing(date(2028, 2, 29), Frequency.MONTHLY, anchor) == Period(
        date(2028, 2, 29), date(2028, 3, 31)
    )
    assert period_containing(date(2028, 2, 28), Frequency.MONTHLY, anchor) == Period(
        date(2028, 1, 31), date(2028, 2, 29)
    )


def test_calendar_months_use_an_anchor_on_the_first() -> None:
    assert period_containing(date(2026, 2, 14), Frequency.MONTHLY, date(2020, 1, 1)) == Period(
        date(2026, 2, 1), date(2026, 3, 1)
    )


def test_annual_and_two_yearly_periods() -> None:
    anchor = date(2024, 2, 29)
    assert period_containing(date(2025, 3, 1), Frequency.ANNUAL, anchor) == Period(
        date(2025, 2, 28), date(2026, 2, 28)
    )
    assert period_containing(date(2027, 6, 1), Frequency.TWO_YEARLY, anchor) == Period(
        date(2026, 2, 28), date(2028, 2, 29)
    )
    assert period_containing(anchor, Frequency.ANNUAL, anchor).start == anchor


def test_period_containing_refuses_dates_before_the_anchor() -> None:
    with pytest.raises(PeriodError, match="before the billing anchor"):
        period_containing(date(2025, 1, 30), Frequency.MONTHLY, date(2025, 1, 31))


def test_periods_between_clips_both_ends() -> None:
    # Service billed on the 20th; invoices from 1 Nov 2026 to 1 Jan 2027.
    assert periods_between(
        date(2026, 11, 1), date(2027, 1, 1), Frequency.MONTHLY, date(2026, 10, 20)
    ) == [
        Period(date(2026, 11, 1), date(2026, 11, 20)),
        Period(date(2026, 11, 20), date(2026, 12, 20)),
        Period(date(2026, 12, 20), date(2027, 1, 1)),
    ]
    assert (
        periods_between(date(2026, 11, 1), date(2026, 11, 1), Frequency.MONTHLY, date(2026, 10, 20))
        == []
    )
    with pytest.raises(PeriodError):
        periods_between(date(2026, 11, 2), date(2026, 11, 1), Frequency.MONTHLY, date(2026, 10, 20))


@given(
    anchor=dates,
    start_offset=st.integers(0, 3000),
    length=st.integers(0, 3000),
    frequency=frequencies,
)
@settings(max_examples=200)
def test_periods_between_tiles_the_span(
    anchor: date, start_offset: int, length: int, frequency: Frequency
) -> None:
    start = anchor + timedelta(days=start_offset)
    end = start + timedelta(days=length)
    periods = periods_between(start, end, frequency, anchor)
    if start == end:
        assert periods == []
        return
    assert periods[0].start == start
    assert periods[-1].end == end
    for earlier, later in itertools.pairwise(periods):
        assert earlier.end == later.start  # no gaps, no overlaps
    assert sum(p.days for p in periods) == length
    for piece in periods:
        # Each piece lies inside one whole billing period.
        whole = period_containing(piece.start, frequency, anchor)
        assert whole.start <= piece.start and piece.end <= whole.end


@given(anchor=dates, offset=st.integers(0, 5000), frequency=frequencies)
@settings(max_examples=200)
def test_period_containing_contains(anchor: date, offset: int, frequency: Frequency) -> None:
    on = anchor + timedelta(days=offset)
    period = period_containing(on, frequency, anchor)
    assert period.contains(on)
    assert period.start >= anchor
    # Boundaries are the anchor moved by whole periods (clamping never changes the month).
    months = (period.start.year - anchor.year) * 12 + period.start.month - anchor.month
    assert months % frequency.months == 0
    assert add_months(anchor, months) == period.start
    assert add_months(anchor, months + frequency.months) == period.end


# prorate / split_prorated ---------------------------------------------------------------


def test_prorate_is_exact_division() -> None:
    assert prorate(D("31.00"), 10, 31) == D("10")
    assert prorate(D("-30.00"), 1, 30) == D("-1")
    # Not rounded to the penny: 40 significant digits, whatever the caller's context.
    expected = D("6.719354838709677419354838709677419354839")
    assert prorate(D("20.83"), 10, 31) == expected
    with localcontext() as ctx:
        ctx.prec = 3
        assert prorate(D("20.83"), 10, 31) == expected
    with pytest.raises(PeriodError, match="whole_days must be positive"):
        prorate(D("30.00"), 1, 0)
    with pytest.raises(PeriodError):
        prorate(D("30.00"), -1, 30)
    with pytest.raises(PeriodError):
        prorate(D("NaN"), 1, 30)


def test_split_a_month_exactly() -> None:
    # £20.83 over a 31-day month split 10/11/10: exact shares 6.7193.., 7.3912.., 6.7193..
    # Floors 6.71 + 7.39 + 6.71 = 20.81; two pennies left go to the largest remainders
    # (0.93p each for the 10-day parts, 0.12p for the 11-day part): 6.72, 7.39, 6.72.
    shares = split_prorated(D("20.83"), [10, 11, 10], 31)
    assert shares == [D("6.72"), D("7.39"), D("6.72")]
    assert sum(shares) == D("20.83")


def test_split_ties_go_to_the_earliest_part() -> None:
    # £0.10 in three equal parts: 3.33p each, one penny left over -> the first part.
    assert split_prorated(D("0.10"), [10, 10, 10], 30) == [D("0.04"), D("0.03"), D("0.03")]
    assert split_prorated(D("-0.10"), [10, 10, 10], 30) == [D("-0.04"), D("-0.03"), D("-0.03")]


def test_split_part_of_a_period_sums_to_the_rounded_prorated_total() -> None:
    # 10 + 5 days of a 30-day £10.00 month: total 15/30 * 10.00 = 5.00: 3.33 + 1.67 (the
    # 5-day part has the larger remainder, 0.67p against 0.33p).
    assert split_prorated(D("10.00"), [10, 5], 30) == [D("3.33"), D("1.67")]
    # 1 day of a 31-day £20.83 month: 0.67193.. -> 0.67 (half-up of the total).
    assert split_prorated(D("20.83"), [1], 31) == [D("0.67")]
    # 3 days of a 6-day £0.01: exactly half a penny, rounded half-up to 0.01.
    assert split_prorated(D("0.01"), [3], 6) == [D("0.01")]
    assert split_prorated(D("-0.01"), [3], 6) == [D("-0.01")]


def test_split_edge_cases() -> None:
    assert split_prorated(D("20.83"), [], 31) == []
    assert split_prorated(D("20.83"), [0, 31, 0], 31) == [D("0.00"), D("20.83"), D("0.00")]
    assert split_prorated(D("0.00"), [15, 16], 31) == [D("0.00"), D("0.00")]
    with pytest.raises(PeriodError, match="more than"):
        split_prorated(D("20.83"), [20, 20], 31)
    with pytest.raises(PeriodError, match="whole number of pence"):
        split_prorated(D("20.833"), [31], 31)
    with pytest.raises(PeriodError):
        split_prorated(D("20.83"), [-1, 32], 31)
    with pytest.raises(PeriodError):
        split_prorated(20.83, [31], 31)  # type: ignore[arg-type]


def _cuts(whole_days: int) -> st.SearchStrategy[list[int]]:
    """Ways to cut ``whole_days`` into consecutive parts (empty parts allowed)."""
    return st.lists(st.integers(0, whole_days), max_size=6).map(
        lambda points: [
            b - a for a, b in zip([0, *sorted(points)], [*sorted(points), whole_days], strict=True)
        ]
    )


@given(data=st.data(), amount=pennies, whole_days=st.integers(1, 800))
@settings(max_examples=200)
def test_split_of_a_whole_period_sums_to_the_amount(
    data: st.DataObject, amount: Decimal, whole_days: int
) -> None:
    parts = data.draw(_cuts(whole_days))
    shares = split_prorated(amount, parts, whole_days)
    assert sum(shares, D(0)) == amount
    for share, days in zip(shares, parts, strict=True):
        assert share.as_tuple().exponent == -2
        # Each share is its exact prorated value rounded down or up to the next penny.
        assert abs(share - amount * days / whole_days) < D("0.01")
        if days == 0:
            assert share == 0


@given(data=st.data(), amount=pennies, whole_days=st.integers(1, 800))
@settings(max_examples=200)
def test_split_of_part_of_a_period(data: st.DataObject, amount: Decimal, whole_days: int) -> None:
    parts = data.draw(_cuts(whole_days))
    assume(len(parts) > 1)
    dropped = parts[:-1]  # leave the last part uncovered
    covered = sum(dropped)
    shares = split_prorated(amount, dropped, whole_days)
    expected_total = to_penny_half_up(prorate(amount, covered, whole_days))
    assert sum(shares, D(0)) == expected_total
    assert split_prorated(-amount, dropped, whole_days) == [-share for share in shares]


# whole_months_and_part ------------------------------------------------------------------


def test_whole_months_and_part_worked_example() -> None:
    # Termination 2026-10-20, minimum period ends 2028-01-15. 2026-10-20 + 14 months is
    # 2027-12-20 (<= end); + 15 months is 2028-01-20 (> end). Part: 2028-01-15 - 2027-12-20
    # = 26 days, of a month 2027-12-20 .. 2028-01-20 of 31 days.
    assert whole_months_and_part(date(2026, 10, 20), date(2028, 1, 15)) == (14, 26, 31)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), (0, 0, 31)),
        (date(2026, 1, 31), date(2026, 2, 28), (1, 0, 31)),  # 28 Feb is the anniversary
        (date(2026, 1, 31), date(2026, 2, 27), (0, 27, 28)),
        (date(2026, 1, 31), date(2026, 3, 30), (1, 30, 31)),  # month 28 Feb .. 31 Mar
        (date(2024, 1, 15), date(2026, 1, 15), (24, 0, 31)),
    ],
)
def test_whole_months_and_part(start: date, end: date, expected: tuple[int, int, int]) -> None:
    assert whole_months_and_part(start, end) == expected


def test_whole_months_and_part_refuses_reversed_dates() -> None:
    with pytest.raises(PeriodError, match="must not be after"):
        whole_months_and_part(date(2026, 1, 2), date(2026, 1, 1))


@given(start=dates, length=st.integers(0, 3000))
@settings(max_examples=200)
def test_whole_months_and_part_reconstructs_the_end(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    months, part_days, month_days = whole_months_and_part(start, end)
    assert add_months(start, months) + timedelta(days=part_days) == end
    assert 0 <= part_days < month_days
    assert 28 <= month_days <= 31
    assert month_days == (add_months(start, months + 1) - add_months(start, months)).days
