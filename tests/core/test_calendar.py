"""Working time in Europe/London: worked examples from the terms and properties.

The default calendar is the Plusnet Business definition of Working Hours: 08:00 to 20:00,
Monday to Friday, excluding bank holidays of England & Wales.
"""

from __future__ import annotations

import time as wall_clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.core.calendar import LONDON, CalendarError, WorkingTime
from backhaul.core.errors import InvalidInput

ENGLAND = WorkingTime()
SCOTLAND = WorkingTime(holiday_region="SCT")
EVERY_DAY = WorkingTime(weekdays=frozenset(range(7)))
# A window that contains both clock changes, to exercise them on working days.
ALMOST_ALL_DAY = WorkingTime(
    weekdays=frozenset(range(7)), day_start=time(0, 30), day_end=time(23, 30)
)
# Boundaries inside the hour skipped in March and the hour repeated in October.
IN_THE_GAP = WorkingTime(weekdays=frozenset(range(7)), day_start=time(1, 30), day_end=time(2, 30))

HOUR = timedelta(hours=1)


def london(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, microsecond: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, 0, microsecond, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Worked examples ------------------------------------------------------------------------


def test_friday_evening_carries_over_the_weekend() -> None:
    # Fri 6 Feb 2026 19:30: half an hour left on Friday (to 20:00); the weekend does not
    # count; the remaining half hour runs from Monday 08:00, ending at 08:30.
    deadline = ENGLAND.add_working_time(london(2026, 2, 6, 19, 30), HOUR)
    assert deadline == london(2026, 2, 9, 8, 30)
    assert deadline.tzinfo is LONDON


def test_christmas_2026() -> None:
    # Thu 24 Dec 19:00: one hour until 20:00. Fri 25 Dec is Christmas Day, Sat 26 Boxing
    # Day and Sun 27 are the weekend, and Mon 28 Dec is the substitute Boxing Day holiday.
    # The second hour runs on Tue 29 Dec from 08:00 to 09:00.
    bank_holidays = ENGLAND.bank_holidays(2026)
    assert bank_holidays[date(2026, 12, 25)] == "Christmas Day"
    assert date(2026, 12, 26) in bank_holidays
    assert date(2026, 12, 28) in bank_holidays
    deadline = ENGLAND.add_working_time(london(2026, 12, 24, 19), 2 * HOUR)
    assert deadline == london(2026, 12, 29, 9)
    assert ENGLAND.working_time_between(london(2026, 12, 24, 19), deadline) == 2 * HOUR
    assert ENGLAND.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert ENGLAND.working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3


def test_easter_2026_differs_between_england_and_scotland() -> None:
    # Good Friday is 3 Apr and Easter Monday 6 Apr in England & Wales; Scotland has Good
    # Friday but not Easter Monday. From Thu 2 Apr 12:00, 10 working hours: 8 on Thursday
    # (to 20:00), then 2 more on the next working day.
    assert {date(2026, 4, 3), date(2026, 4, 6)} <= ENGLAND.bank_holidays(2026).keys()
    start = london(2026, 4, 2, 12)
    assert ENGLAND.add_working_time(start, 10 * HOUR) == london(2026, 4, 7, 10)
    assert SCOTLAND.add_working_time(start, 10 * HOUR) == london(2026, 4, 6, 10)
    # Working days after Thu 2 Apr up to Tue 7 Apr: England only Tuesday; Scotland Mon, Tue.
    assert ENGLAND.working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert SCOTLAND.working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 2


def test_second_of_january_is_a_holiday_only_in_scotland() -> None:
    # 2 Jan 2026 is a Friday: a working day in England, the New Year holiday in Scotland.
    # From Wed 31 Dec 2025 19:00, 2 hours: one on Wednesday, none on New Year's Day, then
    # England finishes on Friday at 09:00 and Scotland on Monday 5 Jan at 09:00.
    assert date(2026, 1, 2) not in ENGLAND.bank_holidays(2026)
    assert date(2026, 1, 2) in SCOTLAND.bank_holidays(2026)
    assert ENGLAND.is_working_day(date(2026, 1, 2))
    assert not SCOTLAND.is_working_day(date(2026, 1, 2))
    start = london(2025, 12, 31, 19)
    assert ENGLAND.add_working_time(start, 2 * HOUR) == london(2026, 1, 2, 9)
    assert SCOTLAND.add_working_time(start, 2 * HOUR) == london(2026, 1, 5, 9)


def test_spring_clock_change_weekend() -> None:
    # Clocks go forward at 01:00 UTC on Sun 29 Mar 2026. Fri 27 Mar 19:00 is GMT (+00:00)
    # and Mon 30 Mar 09:00 is BST (+01:00): one hour on Friday, one on Monday.
    friday, monday = london(2026, 3, 27, 19), london(2026, 3, 30, 9)
    assert friday.utcoffset() == timedelta(0)
    assert monday.utcoffset() == HOUR
    assert ENGLAND.working_time_between(friday, monday) == 2 * HOUR
    deadline = ENGLAND.add_working_time(friday, 2 * HOUR)
    assert deadline == monday
    assert deadline.utcoffset() == HOUR
    assert deadline.astimezone(UTC) == utc(2026, 3, 30, 8)


def test_autumn_clock_change_weekend() -> None:
    # Clocks go back at 01:00 UTC on Sun 25 Oct 2026: Friday is BST, Monday is GMT.
    friday = london(2026, 10, 23, 19)
    deadline = ENGLAND.add_working_time(friday, 2 * HOUR)
    assert deadline == london(2026, 10, 26, 9)
    assert friday.utcoffset() == HOUR
    assert deadline.utcoffset() == timedelta(0)
    assert deadline.astimezone(UTC) == utc(2026, 10, 26, 9)


def test_working_window_on_clock_change_sundays_is_real_time() -> None:
    # With Sunday as a working day, 08:00-20:00 on 29 Mar is after the 01:00 jump: 12 real
    # hours, from 07:00 to 19:00 UTC. The same holds on 25 Oct (08:00-20:00 GMT).
    assert EVERY_DAY.working_time_between(london(2026, 3, 29), london(2026, 3, 30)) == 12 * HOUR
    assert EVERY_DAY.working_time_between(utc(2026, 3, 29, 7), utc(2026, 3, 29, 19)) == 12 * HOUR
    assert EVERY_DAY.working_time_between(london(2026, 10, 25), london(2026, 10, 26)) == 12 * HOUR
    # A 00:00-23:00 wall-clock window spans the change: 22 real hours in March (the clock
    # skips 01:00-02:00), 24 in October (01:00-02:00 happens twice).
    long_day = WorkingTime(weekdays=frozenset(range(7)), day_start=time(0), day_end=time(23))
    assert long_day.working_time_between(london(2026, 3, 29), london(2026, 3, 30)) == 22 * HOUR
    assert long_day.working_time_between(london(2026, 10, 25), london(2026, 10, 26)) == 24 * HOUR
    assert long_day.add_working_time(london(2026, 3, 29), 22 * HOUR) == london(2026, 3, 29, 23)


def test_deadline_that_fills_a_window_is_its_close_not_the_next_morning() -> None:
    monday = london(2026, 2, 9, 19)
    assert ENGLAND.add_working_time(monday, HOUR) == london(2026, 2, 9, 20)
    assert ENGLAND.add_working_time(monday, HOUR + timedelta(microseconds=1)) == london(
        2026, 2, 10, 8, 0, 1
    )


def test_clock_starts_at_the_next_window_when_started_outside_hours() -> None:
    saturday = london(2026, 2, 7, 10)
    assert ENGLAND.add_working_time(saturday, timedelta(minutes=30)) == london(2026, 2, 9, 8, 30)
    early = london(2026, 2, 9, 6)
    assert ENGLAND.add_working_time(early, 12 * HOUR) == london(2026, 2, 9, 20)
    # Eight working hours (the fault response aim) from Monday 15:00: 5 on Monday, 3 on Tuesday.
    assert ENGLAND.add_working_time(london(2026, 2, 9, 15), 8 * HOUR) == london(2026, 2, 10, 11)


def test_zero_amount_returns_start_in_the_calendars_zone() -> None:
    saturday_utc = utc(2026, 2, 7, 10)
    result = ENGLAND.add_working_time(saturday_utc, timedelta(0))
    assert result == saturday_utc
    assert result.tzinfo is LONDON


def test_inputs_in_any_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    # 14:30 in New York on Fri 6 Feb 2026 is 19:30 in London.
    start = datetime(2026, 2, 6, 14, 30, tzinfo=new_york)
    assert ENGLAND.add_working_time(start, HOUR) == london(2026, 2, 9, 8, 30)
    assert ENGLAND.working_time_between(start, utc(2026, 2, 9, 8, 30)) == HOUR


def test_paused_intervals_are_clipped_and_merged() -> None:
    # Mon 9 Feb 09:00 to Tue 10 Feb 09:00 is 11 + 1 = 12 working hours. The ticket waits
    # on the customer 12:00-14:00 and 13:00-15:00 (overlapping: 12:00-15:00, 3 hours) and
    # from Tue 08:30 to Wed (clipped to Tue 08:30-09:00, half an hour): 8.5 hours remain.
    start, end = london(2026, 2, 9, 9), london(2026, 2, 10, 9)
    assert ENGLAND.working_time_between(start, end) == 12 * HOUR
    paused = [
        (london(2026, 2, 9, 12), london(2026, 2, 9, 14)),
        (london(2026, 2, 9, 13), london(2026, 2, 9, 15)),
        (london(2026, 2, 10, 8, 30), london(2026, 2, 11, 12)),
        (london(2026, 2, 1), london(2026, 2, 2)),  # entirely before the span: ignored
    ]
    assert ENGLAND.working_time_between(start, end, paused) == timedelta(hours=8, minutes=30)
    assert ENGLAND.working_time_between(start, end, [(start, end)]) == timedelta(0)


def test_working_days() -> None:
    # Thu 24 Dec 2026 + 1 working day: Fri 25, Mon 28 holidays, weekend between -> Tue 29.
    assert ENGLAND.add_working_days(date(2026, 12, 24), 0) == date(2026, 12, 24)
    assert ENGLAND.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert ENGLAND.add_working_days(date(2026, 12, 24), 3) == date(2026, 12, 31)
    # 1 Jan 2027 is a Friday holiday: the fourth working day is Mon 4 Jan 2027.
    assert ENGLAND.add_working_days(date(2026, 12, 24), 4) == date(2027, 1, 4)
    assert ENGLAND.working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 4
    assert ENGLAND.working_days_between(date(2026, 2, 9), date(2026, 2, 9)) == 0
    assert ENGLAND.is_working_day(date(2026, 2, 9))
    assert not ENGLAND.is_working_day(date(2026, 2, 7))


def test_holidays_can_be_counted_as_working_time() -> None:
    no_holidays = WorkingTime(exclude_holidays=False)
    assert no_holidays.is_working_day(date(2026, 12, 25))
    assert no_holidays.add_working_time(london(2026, 12, 24, 19), 2 * HOUR) == london(
        2026, 12, 25, 9
    )
    assert no_holidays.bank_holidays(2026) == ENGLAND.bank_holidays(2026)


def test_bank_holidays_of_2026_in_england() -> None:
    assert list(ENGLAND.bank_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 28),
    ]
    # A copy: changing it does not change the calendar.
    ENGLAND.bank_holidays(2026).clear()
    assert len(ENGLAND.bank_holidays(2026)) == 9


# Refusals -------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 2, 9, 9)
    with pytest.raises(CalendarError, match="datetime must be timezone-aware"):
        ENGLAND.working_time_between(naive, london(2026, 2, 9, 10))
    with pytest.raises(CalendarError, match="datetime must be timezone-aware"):
        ENGLAND.add_working_time(naive, HOUR)
    with pytest.raises(CalendarError, match="datetime must be timezone-aware"):
        ENGLAND.working_time_between(
            london(2026, 2, 9), london(2026, 2, 10), [(naive, london(2026, 2, 9, 10))]
        )


def test_reversed_spans_and_negative_amounts_are_refused() -> None:
    with pytest.raises(CalendarError, match="end must not be before start"):
        ENGLAND.working_time_between(london(2026, 2, 10), london(2026, 2, 9))
    with pytest.raises(CalendarError, match="pause ends before it starts"):
        ENGLAND.working_time_between(
            london(2026, 2, 9), london(2026, 2, 10), [(london(2026, 2, 9, 12), london(2026, 2, 9))]
        )
    with pytest.raises(CalendarError, match="must not be negative"):
        ENGLAND.add_working_time(london(2026, 2, 9), -HOUR)
    with pytest.raises(CalendarError, match="must not be negative"):
        ENGLAND.add_working_days(date(2026, 2, 9), -1)
    with pytest.raises(CalendarError):
        ENGLAND.working_days_between(date(2026, 2, 10), date(2026, 2, 9))


@pytest.mark.parametrize(
    "settings_",
    [
        {"day_start": time(20), "day_end": time(8)},
        {"day_start": time(8), "day_end": time(8)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
        {"weekdays": frozenset({-1, 0})},
        {"holiday_region": "XYZ"},
        {"holiday_region": "England"},
    ],
)
def test_invalid_calendars_are_refused(settings_: dict[str, object]) -> None:
    with pytest.raises(CalendarError):
        WorkingTime(**settings_)  # type: ignore[arg-type]


def test_calendar_errors_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        WorkingTime(holiday_region="XYZ")


@pytest.mark.parametrize("region", ["ENG", "WLS", "SCT", "NIR"])
def test_every_uk_region_is_known(region: str) -> None:
    calendar = WorkingTime(holiday_region=region)
    assert calendar.bank_holidays(2026)[date(2026, 12, 25)] == "Christmas Day"


def test_a_span_of_years_is_fast() -> None:
    calendar = WorkingTime(holiday_region="NIR")
    began = wall_clock.perf_counter()
    for offset in range(200):
        start = utc(2024, 1, 1) + timedelta(hours=7 * offset)
        elapsed = calendar.working_time_between(start, start + timedelta(days=4 * 365))
        assert calendar.add_working_time(start, elapsed) <= start + timedelta(days=4 * 365)
    assert wall_clock.perf_counter() - began < 2.0


# Properties -----------------------------------------------------------------------------

calendars = st.sampled_from([ENGLAND, SCOTLAND, EVERY_DAY, ALMOST_ALL_DAY, IN_THE_GAP])


def _clock_changes() -> list[datetime]:
    """The UK clock changes of 2024-2028: 01:00 UTC on the last Sundays of March and October."""
    changes = []
    for year in range(2024, 2029):
        for month in (3, 10):
            last = date(year, month, 31)
            last -= timedelta(days=(last.weekday() + 1) % 7)
            changes.append(datetime(last.year, last.month, last.day, 1, tzinfo=UTC))
    return changes


CLOCK_CHANGES = _clock_changes()

instants = st.one_of(
    st.datetimes(
        min_value=datetime(2024, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.just(UTC),
    ),
    st.builds(
        lambda change, offset: change + offset,
        st.sampled_from(CLOCK_CHANGES),
        st.timedeltas(min_value=-timedelta(days=3), max_value=timedelta(days=3)),
    ),
)

amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))

pauses = st.lists(st.tuples(instants, instants).map(sorted).map(tuple), max_size=5)


def test_clock_changes_are_the_real_ones() -> None:
    for change in CLOCK_CHANGES:
        before, after = change - timedelta(seconds=1), change
        assert before.astimezone(LONDON).utcoffset() != after.astimezone(LONDON).utcoffset()


@given(calendar=calendars, moments=st.lists(instants, min_size=3, max_size=3).map(sorted))
@settings(max_examples=200)
def test_working_time_is_additive(calendar: WorkingTime, moments: list[datetime]) -> None:
    a, b, c = moments
    assert calendar.working_time_between(a, b) + calendar.working_time_between(
        b, c
    ) == calendar.working_time_between(a, c)


@given(calendar=calendars, start=instants, amount=amounts)
@settings(max_examples=200)
def test_add_working_time_is_the_inverse(
    calendar: WorkingTime, start: datetime, amount: timedelta
) -> None:
    deadline = calendar.add_working_time(start, amount)
    assert deadline.tzinfo is calendar.tz
    assert deadline >= start
    assert calendar.working_time_between(start, deadline) == amount
    if amount:
        # Earliest such instant: a microsecond earlier is not enough. (Subtract in UTC:
        # arithmetic on a London datetime is wall-clock arithmetic and drops the fold.)
        earlier = deadline.astimezone(UTC) - timedelta(microseconds=1)
        assert calendar.working_time_between(start, earlier) < amount


@given(calendar=calendars, span=st.tuples(instants, instants).map(sorted), paused=pauses)
@settings(max_examples=200)
def test_pausing_never_adds_time_and_order_does_not_matter(
    calendar: WorkingTime, span: list[datetime], paused: list[tuple[datetime, datetime]]
) -> None:
    start, end = span
    unpaused = calendar.working_time_between(start, end)
    with_pauses = calendar.working_time_between(start, end, paused)
    assert timedelta(0) <= with_pauses <= unpaused
    assert calendar.working_time_between(start, end, reversed(paused)) == with_pauses
    assert calendar.working_time_between(start, end, paused + paused) == with_pauses


def _reference_working_time(calendar: WorkingTime, start: datetime, end: datetime) -> timedelta:
    """Day-by-day oracle: each working day's wall-clock window converted to UTC and clipped."""
    region = holidays.country_holidays("GB", subdiv=calendar.holiday_region)
    total = timedelta(0)
    day = start.astimezone(LONDON).date()
    while day <= end.astimezone(LONDON).date():
        if day.weekday() in calendar.weekdays and day not in region:
            opens = datetime.combine(day, calendar.day_start, tzinfo=LONDON).astimezone(UTC)
            closes = datetime.combine(day, calendar.day_end, tzinfo=LONDON).astimezone(UTC)
            total += max(timedelta(0), min(closes, end) - max(opens, start))
        day += timedelta(days=1)
    return total


@given(
    calendar=calendars,
    start=instants,
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
@settings(max_examples=200)
def test_matches_a_day_by_day_reference(
    calendar: WorkingTime, start: datetime, length: timedelta
) -> None:
    end = start + length
    assert calendar.working_time_between(start, end) == _reference_working_time(
        calendar, start, end
    )


@given(calendar=calendars, day=st.dates(date(2024, 1, 1), date(2028, 12, 31)), n=st.integers(0, 30))
@settings(max_examples=200)
def test_working_days_round_trip(calendar: WorkingTime, day: date, n: int) -> None:
    later = calendar.add_working_days(day, n)
    assert calendar.working_days_between(day, later) == n
    if n:
        assert calendar.is_working_day(later)
