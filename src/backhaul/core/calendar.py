"""Working time in Europe/London: working days, working hours and UK bank holidays.

Support clocks run in working time. The Plusnet Business terms define "Working Day: any
day between Monday and Friday, excluding bank and public holidays" and "Working Hours:
8.00am to 8.00pm Monday to Friday, excluding bank holidays"; fault response targets
("Plusnet aim to respond to faults within 8 working hours") and engineer visit deadlines
are counted with :class:`WorkingTime`.

Working hours are London wall-clock hours, so the window of a day is found in local time
and converted to UTC; all arithmetic is then done on UTC instants. That keeps every
duration exact across the clock changes (a naive subtraction of two aware datetimes in the
same zone would count wall-clock time, not elapsed time).

Each calendar year's windows are built once per calendar and cached together with running
totals, so durations and deadlines are found by binary search: a span of several years
costs microseconds after the first use.
"""

from __future__ import annotations

import functools
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from backhaul.core.errors import InvalidInput

__all__ = [
    "HOLIDAY_REGIONS",
    "LONDON",
    "CalendarError",
    "WorkingTime",
]

LONDON = ZoneInfo("Europe/London")

#: Subdivisions of the United Kingdom whose bank holidays Backhaul knows: England (which
#: with Wales forms "England & Wales" for bank holidays), Wales, Scotland and Northern Ireland.
HOLIDAY_REGIONS: frozenset[str] = frozenset({"ENG", "WLS", "SCT", "NIR"})

_ONE_DAY = timedelta(days=1)
_NO_TIME = timedelta(0)
# Any calendar with at least one working weekday has a working window within a few weeks;
# this bounds the search for a deadline so a misconfigured calendar fails instead of hanging.
_MAX_EMPTY_YEARS = 5


class CalendarError(InvalidInput, ValueError):
    """Bad input to a working-time calculation: naive datetimes, reversed spans, bad settings.

    It is an :class:`~backhaul.core.errors.InvalidInput`, so adapters report it as bad input.
    """


@functools.lru_cache(maxsize=len(HOLIDAY_REGIONS))
def _region_holidays(region: str) -> holidays.HolidayBase:
    """The ``holidays`` calendar for a UK subdivision; years are added to it on first use."""
    return holidays.country_holidays("GB", subdiv=region)


_holiday_lock = threading.Lock()


@functools.lru_cache(maxsize=1024)
def _holidays_in_year(region: str, year: int) -> Mapping[date, str]:
    """Bank holidays of one region and year, read-only, in date order."""
    calendar = _region_holidays(region)
    with _holiday_lock:
        # Membership populates the year in the shared calendar object.
        date(year, 1, 1) in calendar  # noqa: B015
        found = sorted((day, name) for day, name in calendar.items() if day.year == year)
    return MappingProxyType(dict(found))


def _as_utc(moment: datetime, what: str = "datetime") -> datetime:
    """``moment`` as a UTC instant; naive datetimes are refused."""
    if not isinstance(moment, datetime):
        raise CalendarError(f"{what} must be a datetime, not {type(moment).__name__}: {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"datetime must be timezone-aware: {what} is {moment!r}")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class _YearWindows:
    """The working windows of one calendar year, as UTC instants, with running totals."""

    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]
    before: tuple[timedelta, ...]
    """Working time in this year before window ``i`` opens."""
    through: tuple[timedelta, ...]
    """Working time in this year up to the end of window ``i``."""

    @property
    def total(self) -> timedelta:
        return self.through[-1] if self.through else _NO_TIME

    def elapsed_until(self, moment: datetime) -> timedelta:
        """Working time in this year before the UTC instant ``moment``."""
        index = bisect_right(self.starts, moment) - 1
        if index < 0:
            return _NO_TIME
        return self.before[index] + min(moment, self.ends[index]) - self.starts[index]

    def instant_after(self, amount: timedelta) -> datetime:
        """Earliest instant by which ``amount`` (0 < amount <= total) has elapsed this year."""
        index = bisect_left(self.through, amount)
        return self.starts[index] + (amount - self.before[index])


@dataclass(frozen=True)
class WorkingTime:
    """A working-time calendar: daily hours, working weekdays and whose bank holidays count.

    The defaults are the Plusnet Business "Working Hours" definition: 08:00 to 20:00
    London time, Monday to Friday, excluding bank holidays of England & Wales. A brand's
    catalogue names its region (``bank_holidays = "SCT"``).

    Weekdays use :meth:`datetime.date.weekday` numbering: Monday is 0, Sunday is 6.

    On a clock-change day a window boundary is a London wall-clock time; a boundary that
    falls into the hour skipped in March is moved forward by that hour, and one that falls
    into the hour repeated in October means its first occurrence. The default 08:00 to
    20:00 window is unaffected either way.
    """

    day_start: time = time(8)
    day_end: time = time(20)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holiday_region: str = "ENG"
    tz: ZoneInfo = LONDON
    exclude_holidays: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.day_start, time) or not isinstance(self.day_end, time):
            raise CalendarError("day_start and day_end must be times of day")
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise CalendarError("day_start and day_end are wall-clock times in tz, without tzinfo")
        if not self.day_start < self.day_end:
            raise CalendarError(
                f"day_start must be before day_end: {self.day_start} >= {self.day_end}"
            )
        weekdays = frozenset(self.weekdays)
        if not weekdays:
            raise CalendarError("weekdays must name at least one working weekday")
        if not all(isinstance(day, int) and 0 <= day <= 6 for day in weekdays):
            raise CalendarError(f"weekdays must be 0 (Monday) to 6 (Sunday): {sorted(weekdays)}")
        object.__setattr__(self, "weekdays", weekdays)
        if self.holiday_region not in HOLIDAY_REGIONS:
            raise CalendarError(
                f"unknown bank holiday region {self.holiday_region!r}; "
                f"use one of {', '.join(sorted(HOLIDAY_REGIONS))}"
            )
        if not isinstance(self.tz, tzinfo):
            raise CalendarError(f"tz must be a time zone: {self.tz!r}")

    # Days -------------------------------------------------------------------------------

    def bank_holidays(self, year: int) -> dict[date, str]:
        """The bank holidays of ``year`` in this calendar's region, in date order.

        Includes substitute days ("Boxing Day (observed)") and one-off holidays. Returned
        whether or not this calendar excludes holidays from working time.
        """
        return dict(_holidays_in_year(self.holiday_region, year))

    def is_working_day(self, day: date) -> bool:
        """True if ``day`` is a working weekday and (when holidays count) not a bank holiday."""
        if day.weekday() not in self.weekdays:
            return False
        return not (
            self.exclude_holidays and day in _holidays_in_year(self.holiday_region, day.year)
        )

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + _ONE_DAY
        while not self.is_working_day(candidate):
            candidate += _ONE_DAY
        return candidate

    def add_working_days(self, day: date, count: int) -> date:
        """The date ``count`` working days after ``day`` (``day`` itself is not counted).

        ``add_working_days(d, 0)`` is ``d``. Used for deadlines stated in working days.
        """
        if count < 0:
            raise CalendarError(f"count of working days must not be negative: {count}")
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, first: date, last: date) -> int:
        """The number of working days ``d`` with ``first < d <= last``."""
        if last < first:
            raise CalendarError(f"last must not be before first: {last} < {first}")
        count = 0
        day = first + _ONE_DAY
        while day <= last:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count

    # Hours ------------------------------------------------------------------------------

    def _boundary(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.tz).astimezone(UTC)

    def _year_windows(self, year: int) -> _YearWindows:
        return _windows_of_year(self, year)

    def _elapsed_in_year(self, moment: datetime) -> tuple[int, timedelta]:
        """(local year of the UTC instant ``moment``, working time of that year before it)."""
        year = moment.astimezone(self.tz).year
        return year, self._year_windows(year).elapsed_until(moment)

    def _elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end) for UTC instants with start <= end."""
        start_year, before_start = self._elapsed_in_year(start)
        end_year, before_end = self._elapsed_in_year(end)
        if start_year == end_year:
            return before_end - before_start
        total = self._year_windows(start_year).total - before_start + before_end
        for year in range(start_year + 1, end_year):
            total += self._year_windows(year).total
        return total

    def working_time_between(
        self,
        start: datetime,
        end: datetime,
        paused: Iterable[tuple[datetime, datetime]] = (),
    ) -> timedelta:
        """Working time elapsed in ``[start, end)``, less the working time of ``paused`` spans.

        Pauses (a ticket waiting on the customer, for example) are clipped to
        ``[start, end)`` and merged first, so overlapping pauses count once and their order
        does not matter. The result is exact elapsed time, including on clock-change days.
        """
        start_utc = _as_utc(start, "start")
        end_utc = _as_utc(end, "end")
        if end_utc < start_utc:
            raise CalendarError(
                f"end must not be before start: {end.isoformat()} < {start.isoformat()}"
            )
        total = self._elapsed(start_utc, end_utc)
        for pause_start, pause_end in _merge_spans(paused, start_utc, end_utc):
            total -= self._elapsed(pause_start, pause_end)
        return total

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant by which ``amount`` of working time has elapsed since ``start``.

        If ``start`` is outside working hours the clock starts at the next window opening.
        A deadline that uses up a window exactly is that window's close (20:00), not the
        next morning. ``amount`` of zero gives ``start`` itself. The result is in ``tz``.
        """
        start_utc = _as_utc(start, "start")
        if not isinstance(amount, timedelta):
            raise CalendarError(f"amount must be a timedelta: {amount!r}")
        if amount < _NO_TIME:
            raise CalendarError(f"amount of working time must not be negative: {amount}")
        if amount == _NO_TIME:
            return start_utc.astimezone(self.tz)
        year, target = self._elapsed_in_year(start_utc)
        target += amount
        empty_years = 0
        while True:
            windows = self._year_windows(year)
            if target <= windows.total:
                return windows.instant_after(target).astimezone(self.tz)
            if not windows.starts:
                empty_years += 1
                if empty_years > _MAX_EMPTY_YEARS:
                    raise CalendarError(f"no working time in this calendar after {start}")
            target -= windows.total
            year += 1


@functools.lru_cache(maxsize=512)
def _windows_of_year(calendar: WorkingTime, year: int) -> _YearWindows:
    """Build the UTC working windows of every working day of ``year`` in ``calendar``."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    before: list[timedelta] = []
    through: list[timedelta] = []
    elapsed = _NO_TIME
    day = date(year, 1, 1)
    while day.year == year:
        if calendar.is_working_day(day):
            opens = calendar._boundary(day, calendar.day_start)
            closes = calendar._boundary(day, calendar.day_end)
            if starts:
                # Never overlap the previous window, whatever a clock change does.
                opens = max(opens, ends[-1])
            if opens < closes:
                starts.append(opens)
                ends.append(closes)
                before.append(elapsed)
                elapsed += closes - opens
                through.append(elapsed)
        day += _ONE_DAY
    return _YearWindows(tuple(starts), tuple(ends), tuple(before), tuple(through))


def _merge_spans(
    spans: Iterable[tuple[datetime, datetime]], lower: datetime, upper: datetime
) -> list[tuple[datetime, datetime]]:
    """Spans as UTC instants, clipped to [lower, upper), sorted, with overlaps merged."""
    clipped: list[tuple[datetime, datetime]] = []
    for span in spans:
        try:
            raw_start, raw_end = span
        except (TypeError, ValueError) as exc:
            raise CalendarError(f"a pause must be a (start, end) pair: {span!r}") from exc
        span_start = _as_utc(raw_start, "pause start")
        span_end = _as_utc(raw_end, "pause end")
        if span_end < span_start:
            raise CalendarError(f"pause ends before it starts: {raw_start!r} to {raw_end!r}")
        span_start, span_end = max(span_start, lower), min(span_end, upper)
        if span_start < span_end:
            clipped.append((span_start, span_end))
    clipped.sort()
    merged: list[tuple[datetime, datetime]] = []
    for span_start, span_end in clipped:
        if merged and span_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span_end))
        else:
            merged.append((span_start, span_end))
    return merged
