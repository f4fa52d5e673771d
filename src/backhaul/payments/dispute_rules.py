"""Dispute rules: whether a bill may be disputed, and what stays payable meanwhile.

The disputed share of a bill is compared exactly, never rounded (`dispute_assess`); the
window and threshold come from the brand's catalogue through the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backhaul.core.errors import InvalidInput
from backhaul.core.money import is_penny_scale
from backhaul.payments.payment_rules import HUNDRED, exact_context

PAY_IN_FULL = "pay-in-full"
PAY_UNDISPUTED = "pay-undisputed"


@dataclass(frozen=True)
class DisputeTerms:
    clause: str
    window_days: int
    threshold_percent: Decimal
    under_clause: str = ""
    over_clause: str = ""
    exactly_threshold: str = PAY_IN_FULL


@dataclass(frozen=True)
class DisputeAssessment:
    percent: Decimal
    outcome: str
    payable_now: Decimal
    """What is due by the bill's due date while the dispute is open."""
    clause: str
    explanation: str


def dispute_assess(
    *,
    terms: DisputeTerms,
    invoice: str,
    bill_date: date,
    bill_total: Decimal,
    disputed: Decimal,
    raised_on: date,
) -> DisputeAssessment:
    """Whether a dispute may be raised, and what stays payable while it is open.

    "within 30 days of the date of the bill"; where the disputed amount is "(a) less than
    5% of the total bill, the Customer will pay the full amount of the bill; or (b) more
    than 5% of the total bill, the Customer must pay the amount not in dispute"
    (plusnet-business/general-terms#4.10). Exactly 5% is not "more than 5%": the catalogue's
    `exactly_threshold` says which way it goes (pay in full). The share is compared exactly.
    """
    if raised_on < bill_date:
        raise InvalidInput(f"raised_on: {raised_on} is before the bill date {bill_date}")
    late = (raised_on - bill_date).days
    if late > terms.window_days:
        raise InvalidInput(
            f"{invoice}: a dispute must be raised within {terms.window_days} days of the bill "
            f"date; {invoice} is dated {bill_date}, {late} days before {raised_on} ({terms.clause})"
        )
    if not is_penny_scale(disputed) or disputed <= 0:
        raise InvalidInput(f"amount: dispute a positive amount in pence, not {disputed}")
    if disputed > bill_total:
        raise InvalidInput(f"amount: £{disputed} is more than the £{bill_total} {invoice} asks for")
    ctx = exact_context()
    percent = ctx.divide(ctx.multiply(disputed, HUNDRED), bill_total)
    if percent > terms.threshold_percent:
        outcome = PAY_UNDISPUTED
    elif percent < terms.threshold_percent:
        outcome = PAY_IN_FULL
    else:
        outcome = terms.exactly_threshold
    if outcome == PAY_UNDISPUTED:
        payable, clause = bill_total - disputed, terms.over_clause or terms.clause
        why = (
            f"£{disputed} is {percent:.4f}% of the £{bill_total} bill, more than "
            f"{terms.threshold_percent}%: pay the £{payable} not in dispute ({clause})"
        )
    else:
        payable, clause = bill_total, terms.under_clause or terms.clause
        relation = "less than" if percent < terms.threshold_percent else "exactly"
        why = (
            f"£{disputed} is {percent:.4f}% of the £{bill_total} bill, {relation} "
            f"{terms.threshold_percent}%: the whole bill stays payable ({clause})"
        )
    return DisputeAssessment(
        percent=percent, outcome=outcome, payable_now=payable, clause=clause, explanation=why
    )
