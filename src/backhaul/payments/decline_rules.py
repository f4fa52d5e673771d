"""Decline and chargeback rules: when a failed payment is charged, and which charge.

Pure functions over plain values; the number of free failures a year and the charges come
from the brand's catalogue through the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from backhaul.core.periods import add_months


@dataclass(frozen=True)
class DeclineDecision:
    occurrence: int
    """How many counted failures in the 12 months up to and including this one."""
    chargeable: bool
    explanation: str


def decline_charge_due(
    earlier: Iterable[date], *, on: date, free_per_year: int, clause: str
) -> DeclineDecision:
    """Whether a card decline, standing order decline or cheque bounce is charged.

    "We do not charge for card declines, standing order declines or cheque bounces at
    present. However, should this happen on more than 3 occasions per year we reserve the
    right to then charge £20 per incident" (plugin/broadband-terms#10): the failures in the
    12 months up to and including this one are counted; the first `free_per_year` are
    free and each one after that is charged.
    """
    window_start = add_months(on, -12)
    occurrence = 1 + sum(1 for day in earlier if window_start < day <= on)
    chargeable = occurrence > free_per_year
    if chargeable:
        why = (
            f"failure {occurrence} in the 12 months to {on}: more than {free_per_year} "
            f"a year are charged ({clause})"
        )
    else:
        why = f"failure {occurrence} of {free_per_year} free in the 12 months to {on} ({clause})"
    return DeclineDecision(occurrence=occurrence, chargeable=chargeable, explanation=why)


def chargeback_charge_key(
    *, default_key: str, by_product: dict[str, str], product_kind: str
) -> str:
    """The chargeback charge for the product paid for: broadband and hosting chargebacks
    are "£20 plus VAT", email ones "£20 per incident" (plugin/broadband-terms#10,
    plugin/hosting-terms#7, plugin/email-terms#7)."""
    return by_product.get(product_kind, default_key)
