"""Leaving rules: equipment return deadlines and refunds of full months paid in advance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from backhaul.core.money import Rounding, quantize
from backhaul.core.periods import add_months


def equipment_return_deadline(received_on: date, *, return_days: int) -> date:
    """The last day to return equipment: `return_days` after the prepaid package arrives
    (plusnet-business/broadband-schedule#5.2: "within 14 days of receiving the prepaid
    postage package"). Charges may be raised from the day after."""
    return received_on + timedelta(days=return_days)


@dataclass(frozen=True)
class PaidPeriod:
    start: date
    end: date
    net: Decimal


@dataclass(frozen=True)
class FullMonthsRefund:
    months: int
    net: Decimal
    explanation: str
    periods: tuple[tuple[date, date], ...] = field(default=())


def full_months_refund(
    paid: Sequence[PaidPeriod], *, ends_on: date, monthly_price: Decimal, clause: str
) -> FullMonthsRefund:
    """ "We will refund any full months paid in advance" when the provider asks a customer
    to move (plugin/hosting-terms#8, plugin/email-terms#9): the whole months from the day
    service ends to the end of what was paid for, at the monthly price; part months are
    not refunded."""
    months = 0
    spans = []
    for period in sorted(paid, key=lambda p: p.start):
        if period.net <= 0 or period.end <= ends_on:
            continue
        start = max(period.start, ends_on)
        n = 0
        while add_months(start, n + 1) <= period.end:
            n += 1
        if n:
            spans.append((start, add_months(start, n)))
            months += n
    net = quantize(monthly_price * months, rounding=Rounding.HALF_UP)
    why = (
        f"{months} full month{'s' if months != 1 else ''} paid in advance after {ends_on} "
        f"at £{quantize(monthly_price)} ({clause})"
    )
    return FullMonthsRefund(months=months, net=net, explanation=why, periods=tuple(spans))
