"""Email and hosting package rules: monthly rolling periods, renewal invoiced before the
renewal date, notice before the renewal date, a full refund in the first days, and the
hosting acceptable use flags.

Pure functions over plain values; the numbers come from the brand's catalogue:

- plugin/email-terms#2, plugin/hosting-terms#2: "Contract terms are monthly rolling. We
  require 30 days notice of termination prior to your renewal date ... If you are in the
  first 30 days of your contract with us you can terminate your contract at any time
  within those first 30 days for a full refund."
- plugin/email-terms#6, plugin/hosting-terms#6: renewal is automatic, with an invoice
  before the renewal date.
- plugin/hosting-terms#money-back: 100% refund in the first 30 days "(excluding domain
  registration and other services)".
- plugin/hosting-terms#5: no public FTP, peer-to-peer or file sharing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from backhaul.contracts.rules import termination_date
from backhaul.core.errors import InvalidInput
from backhaul.core.money import Rounding, quantize
from backhaul.core.periods import Frequency, Period, period_containing


def current_period(*, started_on: date, on: date) -> Period:
    """The monthly period of a package started on `started_on` that contains `on`.

    Periods are counted from the start date, so a package started on 31 January renews on
    the last day of shorter months and on the 31st again after.
    """
    return period_containing(on, Frequency.MONTHLY, started_on)


def next_period(*, started_on: date, renewal: date) -> Period:
    """The period that starts on the renewal date `renewal`."""
    return current_period(started_on=started_on, on=renewal)


def invoice_date(renewal: date, days_before: int) -> date:
    """The day the renewal is charged: `days_before` the renewal date, so the invoice
    reaches the customer "prior to it's renewal" (plugin/hosting-terms#6)."""
    if days_before < 0:
        raise InvalidInput(f"invoice days before renewal must not be negative: {days_before}")
    return renewal - timedelta(days=days_before)


def renewal_invoice_due(*, renewal: date, on: date, days_before: int) -> bool:
    return invoice_date(renewal, days_before) <= on


def end_after_notice(
    *, notice_given: date, notice_days: int, started_on: date, before_renewal: bool
) -> date:
    """The day a package ends after notice: the first renewal date at least `notice_days`
    after the notice when notice must come before the renewal date
    (plugin/hosting-terms#2), as for any contract (`contracts.rules.termination_date`)."""
    return termination_date(
        notice_given=notice_given,
        notice_days=notice_days,
        service_start=started_on,
        notice_before_renewal=before_renewal,
    )


def within_first_days(*, started_on: date, on: date, days: int) -> bool:
    """True on the first `days` days of a contract: the start date is day 1, so with 30
    days the last day is the start date plus 29 (plugin/hosting-terms#2)."""
    return 0 <= (on - started_on).days < days


def refund_credit(paid: Iterable[Decimal], percent: Decimal) -> Decimal:
    """The credit for a refund of `percent` of what was paid for the package itself: a
    negative amount, rounded half-up to the penny (plugin/hosting-terms#money-back:
    "we will refund you 100% (excluding domain registration and other services)")."""
    total = sum(paid, Decimal("0"))
    if percent < 0 or percent > 100:
        raise InvalidInput(f"refund percent must be between 0 and 100, not {percent}")
    return -quantize(total * percent / Decimal(100), rounding=Rounding.HALF_UP)


def applies_to(scope: Iterable[str], *, product_key: str, product_kind: str) -> bool:
    """True when a rule's product list names this product by key or by kind."""
    names = set(scope)
    return product_key in names or product_kind in names


def check_aup_kind(kind: str, forbidden: Iterable[str]) -> str:
    """A forbidden use from the brand's list (plugin/hosting-terms#5), or a clear error."""
    allowed = list(forbidden)
    value = kind.strip().lower()
    if value not in allowed:
        raise InvalidInput(f"kind: must be one of {', '.join(allowed)}, not {kind!r}")
    return value
