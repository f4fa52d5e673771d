"""Billing periods, anniversary dates and proration of recurring charges.

A period is half-open, ``[start, end)``: a monthly period starting on 20 October ends on
20 November and does not include it, so consecutive periods tile time with no gaps or
overlaps. Periods are aligned to an anchor (the service start date, or the 1st of a month
for calendar billing) and each boundary is computed from the anchor, so a service that
started on the 31st is billed on the last day of shorter months and on the 31st again
afterwards.

Proration follows the terms' "pro-rata" wording (refunds at "the appropriate pro-rata
rate", compensation "calculated on a pro-rata basis", early termination "for any remaining
part of the Minimum Period"): a share of a period's price in proportion to its days.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from backhaul.core.errors import InvalidInput
from backhaul.core.money import WORKING_PRECISION, is_penny_scale

__all__ = [
    "Frequency",
    "Period",
    "PeriodError",
    "add_months",
    "period_containing",
    "periods_between",
    "prorate",
    "split_prorated",
    "whole_months_and_part",
]


class PeriodError(InvalidInput, ValueError):
    """Bad input to a period calculation: an empty period, a date before the anchor.

    It is an :class:`~backhaul.core.errors.InvalidInput`, so adapters report it as bad input.
    """


def _require_date(value: object, what: str) -> date:
    # A datetime is a date subclass, but mixing the two silently drops the time of day.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise PeriodError(f"{what} must be a date, not {type(value).__name__}: {value!r}")
    return value


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of shorter months.

    2025-01-31 + 1 month is 2025-02-28; 2024-01-31 + 1 month is 2024-02-29. Negative
    ``months`` move backwards.
    """
    result: date = _require_date(day, "day") + relativedelta(months=months)
    return result


@dataclass(frozen=True, order=True)
class Period:
    """The half-open date range ``[start, end)``; never empty."""

    start: date
    end: date

    def __post_init__(self) -> None:
        _require_date(self.start, "start")
        _require_date(self.end, "end")
        if not self.start < self.end:
            raise PeriodError(f"a period must end after it starts: [{self.start}, {self.end})")

    @property
    def days(self) -> int:
        """Number of days in the period (the end date is not counted)."""
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        """True if ``start <= day < end``."""
        return self.start <= day < self.end

    def overlap(self, other: Period) -> Period | None:
        """The days both periods share, or None if they share none."""
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start, end) if start < end else None

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


class Frequency(StrEnum):
    """How often a recurring charge is billed (catalogue ``billing_period``)."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
    TWO_YEARLY = "two-yearly"

    @property
    def months(self) -> int:
        """Length of one billing period in calendar months."""
        return _FREQUENCY_MONTHS[self]


_FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.ANNUAL: 12, Frequency.TWO_YEARLY: 24}


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def period_containing(on: date, frequency: Frequency, anchor: date) -> Period:
    """The billing period of ``frequency`` aligned to ``anchor`` that contains ``on``.

    Period ``k`` is ``[add_months(anchor, k * m), add_months(anchor, (k + 1) * m))`` with
    ``m`` the frequency's months, always counted from the anchor: an anchor on 31 January
    gives monthly periods starting 31 Jan, 28 (or 29) Feb, 31 Mar, 30 Apr... For calendar
    months pass an anchor on the 1st. ``on`` before ``anchor`` raises :class:`PeriodError`.
    """
    _require_date(on, "on")
    _require_date(anchor, "anchor")
    if on < anchor:
        raise PeriodError(f"{on} is before the billing anchor {anchor}")
    step = Frequency(frequency).months
    index = _months_between(anchor, on) // step
    # The month arithmetic can overshoot by one period when on's day is before anchor's.
    while add_months(anchor, index * step) > on:
        index -= 1
    while add_months(anchor, (index + 1) * step) <= on:
        index += 1
    return Period(add_months(anchor, index * step), add_months(anchor, (index + 1) * step))


def periods_between(start: date, end: date, frequency: Frequency, anchor: date) -> list[Period]:
    """Billing periods covering ``[start, end)``, the first and last clipped to it.

    The result tiles ``[start, end)`` exactly, in order; it is empty when ``start == end``.
    ``start`` must not be before ``anchor``.
    """
    _require_date(start, "start")
    _require_date(end, "end")
    if end < start:
        raise PeriodError(f"end must not be before start: {end} < {start}")
    periods: list[Period] = []
    cursor = start
    while cursor < end:
        whole = period_containing(cursor, frequency, anchor)
        piece = Period(cursor, min(whole.end, end))
        periods.append(piece)
        cursor = piece.end
    return periods


def _context() -> decimal.Context:
    return decimal.Context(
        prec=WORKING_PRECISION,
        rounding=decimal.ROUND_HALF_EVEN,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def _require_amount(amount: object) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise PeriodError(f"amount must be a finite Decimal: {amount!r}")
    return amount


def _require_days(days: object, what: str) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise PeriodError(f"{what} must be a whole number of days: {days!r}")
    if days < 0:
        raise PeriodError(f"{what} must not be negative: {days}")
    return days


def prorate(amount: Decimal, part_days: int, whole_days: int) -> Decimal:
    """``amount * part_days / whole_days``, not rounded (40 significant digits).

    The caller rounds once, with a named mode, when the share becomes an invoice line.
    """
    amount = _require_amount(amount)
    _require_days(part_days, "part_days")
    if _require_days(whole_days, "whole_days") == 0:
        raise PeriodError("whole_days must be positive")
    ctx = _context()
    return ctx.divide(ctx.multiply(amount, part_days), whole_days)


def split_prorated(amount: Decimal, parts: Sequence[int], whole_days: int) -> list[Decimal]:
    """Shares of ``amount`` (a whole number of pence) for parts of a period, by days.

    Each share is rounded to the penny by the largest-remainder method: every part gets
    its exact share rounded down, and the pennies left over go to the parts with the
    largest remainders (ties to the earliest part). Hence:

    - when the parts cover the period (``sum(parts) == whole_days``) the shares add up to
      ``amount`` exactly, so splitting a month across invoices never gains or loses a
      penny;
    - when they cover less, the shares add up to the prorated total of all the parts,
      rounded half-up once.

    A credit (negative amount) splits as the exact negation of the matching charge.
    """
    amount = _require_amount(amount)
    if not is_penny_scale(amount):
        raise PeriodError(f"amount to split must be a whole number of pence: {amount!r}")
    if _require_days(whole_days, "whole_days") == 0:
        raise PeriodError("whole_days must be positive")
    days = [_require_days(part, "each part") for part in parts]
    covered = sum(days)
    if covered > whole_days:
        raise PeriodError(f"parts cover {covered} days, more than the {whole_days} in the period")

    sign = -1 if amount < 0 else 1
    pennies = int(abs(amount).scaleb(2, context=_context()))
    # The prorated total in pence, rounded half-up as for any invoice line, in exact
    # integer arithmetic; it equals ``pennies`` when the parts cover the whole period.
    total = (2 * pennies * covered + whole_days) // (2 * whole_days)
    exact = [Fraction(pennies * part, whole_days) for part in days]
    shares = [int(share) for share in exact]  # floors: every exact share is non-negative
    leftover = total - sum(shares)
    by_remainder = sorted(range(len(days)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return [Decimal(sign * share).scaleb(-2) for share in shares]


def whole_months_and_part(start: date, end: date) -> tuple[int, int, int]:
    """Whole months from ``start`` to ``end`` and the days left over: ``(n, part, month)``.

    ``n`` is the largest number of months with ``add_months(start, n) <= end``;
    ``part = (end - add_months(start, n)).days`` and
    ``month = (add_months(start, n + 1) - add_months(start, n)).days``, the length of the
    month the part falls in. An early termination charge for the remaining part of a
    Minimum Period (``plusnet-business/general-terms#6.3``, charges schedule 4.8) is then
    ``price * n + price * part / month``.
    """
    _require_date(start, "start")
    _require_date(end, "end")
    if start > end:
        raise PeriodError(f"start must not be after end: {start} > {end}")
    months = _months_between(start, end)
    while add_months(start, months) > end:
        months -= 1
    while add_months(start, months + 1) <= end:
        months += 1
    anniversary = add_months(start, months)
    return (
        months,
        (end - anniversary).days,
        (add_months(start, months + 1) - anniversary).days,
    )
