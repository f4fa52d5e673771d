"""Contract rules: the order lifecycle, minimum and notice periods, and what leaving costs.

Pure functions over plain values; every number comes from the brand's catalogue and every
line names the clause it applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.money import Rounding, Taxed, quantize
from backhaul.core.periods import add_months, whole_months_and_part

ORDERED = "ordered"
LINE_TEST = "line-test"
CANCELLED = "cancelled"
ACTIVE = "active"
SUSPENDED = "suspended"
CEASED = "ceased"

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    ORDERED: frozenset({LINE_TEST, ACTIVE, CANCELLED}),
    LINE_TEST: frozenset({ACTIVE, CANCELLED}),
    ACTIVE: frozenset({SUSPENDED, CEASED}),
    SUSPENDED: frozenset({ACTIVE, CEASED}),
    CANCELLED: frozenset(),
    CEASED: frozenset(),
}


def check_transition(current: str, target: str) -> None:
    """Refuse a lifecycle change the order lifecycle does not allow.

    ordered -> line test and survey -> (cancelled, without liability if the line cannot be
    served) -> active from the Service Start Date -> suspended -> ceased
    (plusnet-business/broadband-schedule#1.5, plugin/broadband-terms#13).
    """
    if target not in ALLOWED_TRANSITIONS:
        raise TransitionNotAllowed(f"unknown status {target!r}")
    if target not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS.get(current, frozenset()))) or "nothing"
        raise TransitionNotAllowed(
            f"cannot change a subscription from {current} to {target} (allowed: {allowed})"
        )


def minimum_period_end(service_start: date, term_months: int) -> date:
    """The day the Minimum Period ends: the Service Start Date plus the term in months,
    clamped to the month's end (plusnet-business/broadband-charges#2)."""
    if term_months < 1:
        raise InvalidInput(f"term: must be at least one month, not {term_months}")
    return add_months(service_start, term_months)


def termination_date(
    *,
    notice_given: date,
    notice_days: int,
    service_start: date,
    notice_before_renewal: bool = False,
) -> date:
    """The day the contract ends after notice.

    Normally notice runs from the day it is given: termination = notice date + notice period
    (plusnet-business/general-terms#6.2, 30 days). Where notice must reach the provider a
    number of days before the renewal date (plugin/broadband-terms#2, 20 days), the contract
    ends on the first monthly renewal date at least that many days after the notice.
    """
    if notice_given < service_start:
        raise InvalidInput(
            f"notice: {notice_given} is before the service start date {service_start}"
        )
    earliest = notice_given + timedelta(days=notice_days)
    if not notice_before_renewal:
        return earliest
    months = 0
    while (renewal := add_months(service_start, months)) < earliest:
        months += 1
    return renewal


def early_termination_charge(
    *, monthly_price: Decimal, termination: date, minimum_end: date
) -> Decimal:
    """The remaining recurring charges of the Minimum Period, to the penny.

    Whole months n from the termination date T (the largest n with T + n months <= M) at the
    monthly price, plus the part month pro rata by days:
    price x (M - (T + n months)) / ((T + n + 1 months) - (T + n months)), rounded half-up
    to the penny (plusnet-business/broadband-schedule#4.8, plusnet-business/general-terms#6.3,
    plusnet-business/broadband-charges#9).
    Nothing is due when T is on or after M.
    """
    if termination >= minimum_end:
        return Decimal("0.00")
    months, part_days, month_days = whole_months_and_part(termination, minimum_end)
    exact = monthly_price * months + monthly_price * part_days / month_days
    return quantize(exact, rounding=Rounding.HALF_UP)


def detrimental_change_waiver_applies(
    *, notice_given: date, change_notified: date | None, window_days: int
) -> bool:
    """A customer who gives notice within `window_days` of being told of a change to their
    significant detriment leaves without early termination charges
    (plusnet-business/general-terms#6.3(b)).
    """
    if change_notified is None:
        return False
    return change_notified <= notice_given <= change_notified + timedelta(days=window_days)


def vat_rate_in_force(table: tuple[tuple[date, Decimal], ...], on: date) -> Decimal:
    """The VAT rate whose start is the latest on or before `on`."""
    rate = None
    for start, value in sorted(table):
        if start <= on:
            rate = value
    if rate is None:
        raise InvalidInput(f"no VAT rate in force on {on}")
    return rate


def taxed(amount: Decimal, *, vat: str, rate: Decimal) -> Taxed:
    """An amount as net, VAT and gross, each to the penny half-up, whether the terms quote
    it plus VAT, including VAT, or outside the scope of VAT."""
    if vat == "inclusive":
        return Taxed.from_gross(quantize(amount, rounding=Rounding.HALF_UP), rate)
    if vat == "outside-scope":
        return Taxed.from_net(quantize(amount, rounding=Rounding.HALF_UP), Decimal(0))
    return Taxed.from_net(quantize(amount, rounding=Rounding.HALF_UP), rate)


@dataclass(frozen=True)
class ExitTerms:
    """What the catalogue says about leaving one product, for one term and market."""

    product: str
    product_name: str
    term_months: int
    monthly_price: Decimal
    price_vat: str
    price_clause: str
    notice_days: int
    notice_clause: str
    notice_before_renewal: bool
    minimum_period_clause: str
    early_termination_clause: str | None
    detrimental_window_days: int | None
    detrimental_clause: str | None
    cease_amount: Decimal | None
    cease_vat: str
    cease_clause: str | None
    cease_waived_with_mac: bool
    vat_rates: tuple[tuple[date, Decimal], ...]


@dataclass(frozen=True)
class ExitLine:
    kind: str
    description: str
    amount: Taxed
    clause: str


@dataclass(frozen=True)
class Waiver:
    kind: str
    reason: str
    clause: str


@dataclass(frozen=True)
class ExitQuote:
    termination_date: date
    minimum_period_end: date
    notice_days: int
    notice_clause: str
    vat_rate: Decimal
    lines: tuple[ExitLine, ...]
    waived: tuple[Waiver, ...] = field(default=())

    @property
    def total(self) -> Taxed:
        return Taxed.sum_taxed(line.amount for line in self.lines)


def exit_quote(
    terms: ExitTerms,
    *,
    service_start: date,
    notice_given: date,
    mac: bool = False,
    detrimental_change_notified: date | None = None,
) -> ExitQuote:
    """What ending the contract costs when notice is given on `notice_given`.

    Early termination: the remaining recurring charges of the Minimum Period
    (`early_termination_charge`), waived for notice given within the window after a change
    to the customer's significant detriment. Cease charge: due when the customer leaves
    without a migration access code (plusnet-business/broadband-charges#8,
    plugin/broadband-terms#12). VAT on each line at the rate in force on the termination
    date, half-up to the penny.
    """
    if detrimental_change_notified is not None and detrimental_change_notified > notice_given:
        raise InvalidInput(
            f"detrimental change notified {detrimental_change_notified} is after the notice "
            f"date {notice_given}"
        )
    end = termination_date(
        notice_given=notice_given,
        notice_days=terms.notice_days,
        service_start=service_start,
        notice_before_renewal=terms.notice_before_renewal,
    )
    minimum_end = minimum_period_end(service_start, terms.term_months)
    rate = vat_rate_in_force(terms.vat_rates, end)
    lines: list[ExitLine] = []
    waived: list[Waiver] = []

    charge = early_termination_charge(
        monthly_price=terms.monthly_price, termination=end, minimum_end=minimum_end
    )
    if charge and terms.early_termination_clause:
        waiver = terms.detrimental_window_days is not None and detrimental_change_waiver_applies(
            notice_given=notice_given,
            change_notified=detrimental_change_notified,
            window_days=terms.detrimental_window_days,
        )
        if waiver:
            waived.append(
                Waiver(
                    kind="early_termination",
                    reason=(
                        f"notice given within {terms.detrimental_window_days} days of being "
                        f"notified on {detrimental_change_notified} of a change to the "
                        "customer's significant detriment"
                    ),
                    clause=terms.detrimental_clause or terms.early_termination_clause,
                )
            )
        else:
            lines.append(
                ExitLine(
                    kind="early_termination",
                    description=(
                        f"Early termination: {terms.product_name}, remaining charges of the "
                        f"{terms.term_months}-month minimum period from {end} to {minimum_end} "
                        f"at £{quantize(terms.monthly_price, rounding=Rounding.HALF_UP)} a month"
                    ),
                    amount=taxed(charge, vat=terms.price_vat, rate=rate),
                    clause=terms.early_termination_clause,
                )
            )

    if terms.cease_amount is not None and terms.cease_clause:
        if mac and terms.cease_waived_with_mac:
            waived.append(
                Waiver(
                    kind="cease",
                    reason="leaving with a migration access code (MAC)",
                    clause=terms.cease_clause,
                )
            )
        else:
            lines.append(
                ExitLine(
                    kind="cease",
                    description="Cease charge: leaving without a migration access code (MAC)",
                    amount=taxed(terms.cease_amount, vat=terms.cease_vat, rate=rate),
                    clause=terms.cease_clause,
                )
            )
    return ExitQuote(
        termination_date=end,
        minimum_period_end=minimum_end,
        notice_days=terms.notice_days,
        notice_clause=terms.notice_clause,
        vat_rate=rate,
        lines=tuple(lines),
        waived=tuple(waived),
    )
