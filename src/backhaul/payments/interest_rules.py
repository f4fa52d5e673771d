"""Late payment interest rules: day by day, at the brand's rate, rounded once per invoice.

Interest accrues exactly, day by day, and is rounded half-up to the penny once per
invoice each time it is charged (`interest_for_invoice`). The rate model, margin and the
ECB rate table come from the brand's catalogue through the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from backhaul.core.errors import InvalidInput
from backhaul.core.money import Rounding, quantize
from backhaul.core.periods import add_months
from backhaul.payments.payment_rules import HUNDRED, ZERO, Piece, exact_context

MONTHLY_PERCENT = "monthly-percent"
ECB_PLUS = "ecb-plus"


@dataclass(frozen=True)
class InterestTerms:
    """The brand's [rules.late_payment]."""

    model: str
    clause: str
    monthly_percent: Decimal = ZERO
    margin_percent: Decimal = ZERO
    days_in_year: int = 365
    base_rates: tuple[tuple[date, Decimal], ...] = ()
    """ECB main refinancing rate (percent) from each start date."""
    base_rates_verified_until: date | None = None


def _days_in_month(day: date) -> int:
    first = day.replace(day=1)
    return (add_months(first, 1) - first).days


def base_rate_on(rates: Sequence[tuple[date, Decimal]], day: date) -> tuple[date, Decimal]:
    """The ECB rate in force on `day` and the day it took effect."""
    best: tuple[date, Decimal] | None = None
    for start, rate in rates:
        if start <= day and (best is None or start > best[0]):
            best = (start, rate)
    if best is None:
        first = min((s for s, _ in rates), default=None)
        raise InvalidInput(
            f"no ECB base rate in the catalogue for {day} (the rate table starts {first})"
        )
    return best


@dataclass(frozen=True)
class DayRate:
    """The interest rate for one day: `fraction` of the principal accrues that day."""

    fraction: Decimal
    label: str
    period_key: tuple[Any, ...]
    unverified: bool = False


def day_rate(terms: InterestTerms, day: date) -> DayRate:
    """How much of the principal one day outstanding costs.

    monthly-percent (plugin/general-terms#rule-6, "1% per month on outstanding amounts"):
    monthly_percent / 100 / days in that calendar month, so each whole calendar month
    costs exactly 1%.
    ecb-plus (plusnet-business/general-terms#4.11(b), "daily interest ... at a per annum
    rate equal to 7% above the base lending rate of the European Central Bank"):
    (ECB rate in force that day + margin) / 100 / days_in_year.
    """
    ctx = exact_context()
    if terms.model == MONTHLY_PERCENT:
        month_days = _days_in_month(day)
        return DayRate(
            fraction=ctx.divide(terms.monthly_percent, ctx.multiply(HUNDRED, month_days)),
            label=f"{terms.monthly_percent}% a month, 1/{month_days} of it a day",
            period_key=(day.year, day.month),
        )
    if terms.model == ECB_PLUS:
        start, base = base_rate_on(terms.base_rates, day)
        annual = base + terms.margin_percent
        verified = terms.base_rates_verified_until
        return DayRate(
            fraction=ctx.divide(annual, ctx.multiply(HUNDRED, terms.days_in_year)),
            label=(
                f"{annual}% a year (ECB {base}% from {start} + {terms.margin_percent}%), "
                f"1/{terms.days_in_year} of it a day"
            ),
            period_key=(start, verified is not None and day > verified),
            unverified=verified is not None and day > verified,
        )
    raise InvalidInput(f"late_payment.model: unknown interest model {terms.model!r}")


@dataclass(frozen=True)
class InterestPeriod:
    """Consecutive days [start, end) at one principal and one rate."""

    start: date
    end: date
    principal: Decimal
    rate: str
    interest: Decimal
    """Exact, not rounded."""
    unverified_rate: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class InvoiceInterest:
    invoice: str
    periods: tuple[InterestPeriod, ...]
    exact: Decimal
    amount: Decimal
    """Rounded half-up to the penny, once for the invoice."""


def _principal_changes(
    pieces: Sequence[Piece], paid: Sequence[tuple[str, date, Decimal]]
) -> list[tuple[date, Decimal]]:
    changes: list[tuple[date, Decimal]] = []
    for piece in pieces:
        if piece.due_on is None:
            continue
        changes.append((piece.due_on, piece.amount))
    for _key, day, amount in paid:
        changes.append((day, -amount))
    return changes


def principal_on(
    pieces: Sequence[Piece], paid: Sequence[tuple[str, date, Decimal]], day: date
) -> Decimal:
    """What was due and unpaid on an invoice on `day`: its pieces due by then, less the
    payments that met it by then (never below zero)."""
    total = sum(
        (amount for start, amount in _principal_changes(pieces, paid) if start <= day), ZERO
    )
    return max(total, ZERO)


def interest_periods(
    *,
    pieces: Sequence[Piece],
    paid: Sequence[tuple[str, date, Decimal]],
    start: date,
    end: date,
    terms: InterestTerms,
) -> list[InterestPeriod]:
    """Interest on one invoice for the days [start, end), as runs of days at one principal
    and one rate. Interest runs "for the period beginning on the date on which payment is
    due and ending on the date on which payment is made" (plusnet-business/general-terms
    #4.11(b)): a day accrues if it is on or after the due date and before the payment."""
    periods: list[InterestPeriod] = []
    ctx = exact_context()
    day = start
    current: list[Any] | None = None
    while day < end:
        principal = principal_on(pieces, paid, day)
        if principal <= 0:
            if current is not None:
                periods.append(_period(current))
            day += timedelta(days=1)
            current = None
            continue
        rate = day_rate(terms, day)
        accrued = ctx.multiply(principal, rate.fraction)
        if current is not None and current[0] == (principal, rate.period_key) and current[1] == day:
            current[3] = ctx.add(current[3], accrued)
            current[1] = day + timedelta(days=1)
        else:
            if current is not None:
                periods.append(_period(current))
            current = [(principal, rate.period_key), day + timedelta(days=1), day, accrued, rate]
        day += timedelta(days=1)
    if current is not None:
        periods.append(_period(current))
    return periods


def _period(current: list[Any]) -> InterestPeriod:
    (principal, _key), end, start, interest, rate = current
    return InterestPeriod(
        start=start,
        end=end,
        principal=principal,
        rate=rate.label,
        interest=interest,
        unverified_rate=rate.unverified,
    )


def interest_for_invoice(
    *,
    invoice: str,
    pieces: Sequence[Piece],
    paid: Sequence[tuple[str, date, Decimal]],
    start: date,
    end: date,
    terms: InterestTerms,
) -> InvoiceInterest:
    """Late payment interest on one invoice for [start, end): accrued exactly, then rounded
    half-up to the penny once for the invoice (the rounding named in the brand's
    [rules.late_payment] `rounding = "half-up-per-invoice"`)."""
    periods = interest_periods(pieces=pieces, paid=paid, start=start, end=end, terms=terms)
    exact = sum((p.interest for p in periods), Decimal(0))
    return InvoiceInterest(
        invoice=invoice,
        periods=tuple(periods),
        exact=exact,
        amount=quantize(exact, rounding=Rounding.HALF_UP),
    )
