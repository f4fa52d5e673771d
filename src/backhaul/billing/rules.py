"""Invoice rules: what a bill contains, as a pure function of billing events and a date.

`invoice_draft` takes an account's subscriptions (with their price versions), its unbilled
charges and credits, what earlier invoices already covered, and the bill date, and returns
the lines of the invoice: recurring charges in advance for the coming period, everything
not yet billed since service started (pro rata by days for part periods), one-off and usage
charges and credits in arrears, and pro-rata refunds for service ended inside a period
already paid for. The same inputs always give the same invoice, so a dry run shows exactly
what the bill run will issue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache

from backhaul.core.money import Rounding, Taxed, quantize
from backhaul.core.periods import add_months, prorate

RECURRING = "recurring"
ONE_OFF = "one-off"
USAGE = "usage"
CREDIT = "credit"
REFUND = "refund"

MONTHLY = "monthly"
PERIOD_MONTHS = {"monthly": 1, "annual": 12, "two-yearly": 24}
BILLABLE_STATUSES = frozenset({"active", "suspended", "ceased"})


# The date helpers and per-line amounts below are pure, so a bill run of many accounts
# works each distinct case out once and reuses the answer (lru_cache), nothing more.
@lru_cache(maxsize=8192)
def bill_date_in(year: int, month: int, bill_day: int) -> date:
    """The bill date in a month: the account's bill day, or the month's last day when the
    month is shorter (plusnet-business/business-phone-charges#4(a): "monthly invoice date")."""
    first = date(year, month, 1)
    last = (add_months(first, 1) - first).days
    return date(year, month, min(bill_day, last))


@lru_cache(maxsize=8192)
def next_bill_date(on: date, bill_day: int) -> date:
    following = add_months(date(on.year, on.month, 1), 1)
    return bill_date_in(following.year, following.month, bill_day)


@lru_cache(maxsize=8192)
def previous_bill_date(on: date, bill_day: int) -> date:
    preceding = add_months(date(on.year, on.month, 1), -1)
    return bill_date_in(preceding.year, preceding.month, bill_day)


def is_bill_date(on: date, bill_day: int) -> bool:
    return bill_date_in(on.year, on.month, bill_day) == on


@lru_cache(maxsize=8192)
def bill_period_containing(day: date, bill_day: int) -> tuple[date, date]:
    """The billing period [start, end) between consecutive bill dates that contains `day`."""
    this_month = bill_date_in(day.year, day.month, bill_day)
    if day >= this_month:
        return this_month, next_bill_date(this_month, bill_day)
    return previous_bill_date(this_month, bill_day), this_month


@dataclass(frozen=True)
class PriceFact:
    start: date
    amount: Decimal
    vat: str
    clause: str


@dataclass(frozen=True)
class SubscriptionFact:
    id: int
    product: str
    name: str
    billing_period: str
    status: str
    service_start: date | None
    ends_on: date | None
    prices: tuple[PriceFact, ...]
    billed_until: date | None = None


@dataclass(frozen=True)
class ChargeFact:
    id: int
    kind: str
    description: str
    amount: Decimal
    vat_treatment: str
    clause: str
    tax_point: date
    vat: Decimal | None = None
    quantity: Decimal = Decimal(1)
    unit_amount: Decimal | None = None


@dataclass(frozen=True)
class BilledPeriod:
    """A recurring charge an earlier invoice made: which subscription, which days, how much."""

    subscription_id: int
    start: date
    end: date
    net: Decimal
    vat_treatment: str = "exclusive"


@dataclass(frozen=True)
class BillingTerms:
    """The brand's billing parameters from its catalogue."""

    recurring_clause: str
    vat_rates: tuple[tuple[date, Decimal], ...]
    refund_clause: str | None = None


@dataclass(frozen=True)
class DraftLine:
    kind: str
    description: str
    amount: Taxed
    vat_rate: Decimal
    clause: str
    tax_point: date
    quantity: Decimal = Decimal(1)
    unit_amount: Decimal | None = None
    subscription_id: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    charge_id: int | None = None


@dataclass(frozen=True)
class InvoiceDraft:
    bill_date: date
    period_start: date
    period_end: date
    lines: tuple[DraftLine, ...] = field(default=())

    @cached_property
    def total(self) -> Taxed:
        return Taxed.sum_taxed(line.amount for line in self.lines)

    def vat_summary(self) -> dict[Decimal, Taxed]:
        """Net, VAT and gross per VAT rate, as a UK VAT invoice must show."""
        by_rate: dict[Decimal, list[Taxed]] = defaultdict(list)
        for line in self.lines:
            by_rate[line.vat_rate].append(line.amount)
        if len(by_rate) == 1:
            # One rate: its summary is the invoice total.
            return {rate: self.total for rate in by_rate}
        return {rate: Taxed.sum_taxed(items) for rate, items in sorted(by_rate.items())}


def vat_rate_on(table: Iterable[tuple[date, Decimal]], on: date) -> Decimal:
    return _vat_rate_on(tuple(table), on)


@lru_cache(maxsize=4096)
def _vat_rate_on(table: tuple[tuple[date, Decimal], ...], on: date) -> Decimal:
    rate = None
    for start, value in sorted(table):
        if start <= on:
            rate = value
    if rate is None:
        raise ValueError(f"no VAT rate in force on {on}")
    return rate


def taxed_amount(amount: Decimal, *, vat: str, rate: Decimal) -> tuple[Taxed, Decimal]:
    """Net, VAT and gross of a line at the VAT rate in force, half-up to the penny per line
    (VAT policy: per line, HMRC VAT Notice 700 s.17.5 allows rounding per line).

    Returns the amount and the rate applied (0 for supplies outside the scope of VAT).
    """
    if vat == "outside-scope":
        return _taxed(amount, vat, Decimal(0)), Decimal(0)
    return _taxed(amount, vat, rate), rate


@lru_cache(maxsize=16384)
def _taxed(amount: Decimal, vat: str, rate: Decimal) -> Taxed:
    # Equal Decimals (5 and 5.00) give the same rounded amount, so they may share an entry.
    if vat == "inclusive":
        return Taxed.from_gross(quantize(amount, rounding=Rounding.HALF_UP), rate)
    return Taxed.from_net(quantize(amount, rounding=Rounding.HALF_UP), rate)


def part_period_amount(
    price: Decimal, *, start: date, stop: date, period_start: date, period_end: date
) -> Decimal:
    """The charge for days [start, stop) of a billing period, pro rata by days, to the penny.

    Rounded cumulatively: the amount due from the period start to `stop`, rounded half-up,
    less the amount due to `start`, rounded the same way. However a period is split (a
    service starting or ending mid-period, a plan change), its parts sum exactly to the
    price (plugin/general-terms#rule-5: refunds "at the appropriate pro-rata rate").
    """
    whole = (period_end - period_start).days
    upto_stop = quantize(
        prorate(price, (stop - period_start).days, whole), rounding=Rounding.HALF_UP
    )
    upto_start = quantize(
        prorate(price, (start - period_start).days, whole), rounding=Rounding.HALF_UP
    )
    return upto_stop - upto_start


def price_on(prices: Sequence[PriceFact], day: date) -> PriceFact:
    """The price version in force on `day`: the latest start on or before it."""
    best = None
    for price in prices:
        if price.start <= day and (best is None or price.start > best.start):
            best = price
    if best is None:
        raise ValueError(f"no price in force on {day}")
    return best


def _subtract(
    interval: tuple[date, date], taken: Iterable[tuple[date, date]]
) -> list[tuple[date, date]]:
    """The parts of [start, end) not covered by any of the `taken` intervals."""
    pieces = [interval]
    for t_start, t_end in taken:
        next_pieces = []
        for start, end in pieces:
            if t_end <= start or t_start >= end:
                next_pieces.append((start, end))
                continue
            if start < t_start:
                next_pieces.append((start, t_start))
            if t_end < end:
                next_pieces.append((t_end, end))
        pieces = next_pieces
    return [(s, e) for s, e in pieces if s < e]


def _periods(start: date, end: date, *, bill_day: int) -> list[tuple[date, date, date, date]]:
    """Split [start, end) at bill dates: (piece start, piece end, period start, period end)."""
    out = []
    cursor = start
    while cursor < end:
        period_start, period_end = bill_period_containing(cursor, bill_day)
        piece_end = min(end, period_end)
        out.append((cursor, piece_end, period_start, period_end))
        cursor = piece_end
    return out


@lru_cache(maxsize=4096)
def _fmt(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def recurring_lines(
    subscription: SubscriptionFact,
    *,
    bill_date: date,
    bill_day: int,
    billed: Sequence[BilledPeriod],
    terms: BillingTerms,
) -> list[DraftLine]:
    """Recurring charges not yet billed, from service start to the end of the coming period.

    Monthly products are charged in advance for [bill date, next bill date) and for any
    earlier days not yet billed; a part period is charged pro rata by days, half-up to the
    penny (plusnet-business/general-terms#4.5(a), plugin/general-terms#rule-6). Products
    billed annually or two-yearly are charged for each whole period in advance, from the
    service start date. Days billed beyond the day service ended are refunded pro rata where
    the brand's terms say so (plugin/general-terms#rule-5).
    """
    if subscription.service_start is None or subscription.status not in BILLABLE_STATUSES:
        return []
    advance_end = next_bill_date(bill_date, bill_day)
    end = advance_end if subscription.ends_on is None else min(advance_end, subscription.ends_on)
    taken = [(b.start, b.end) for b in billed]
    if subscription.billed_until is not None:
        taken.append((subscription.service_start, subscription.billed_until))
    lines: list[DraftLine] = []
    if subscription.billing_period == MONTHLY:
        for gap_start, gap_end in _subtract((subscription.service_start, end), taken):
            for start, stop, period_start, period_end in _periods(
                gap_start, gap_end, bill_day=bill_day
            ):
                lines.append(
                    _recurring_line(
                        subscription, start, stop, period_start, period_end, bill_date, terms
                    )
                )
    elif subscription.billing_period in PERIOD_MONTHS:
        months = PERIOD_MONTHS[subscription.billing_period]
        k = 0
        while (start := add_months(subscription.service_start, k * months)) < end:
            stop = add_months(subscription.service_start, (k + 1) * months)
            if _subtract((start, stop), taken):
                lines.append(
                    _recurring_line(subscription, start, stop, start, stop, bill_date, terms)
                )
            k += 1
    if subscription.ends_on is not None and terms.refund_clause:
        lines.extend(_refunds(subscription, billed, bill_date, terms))
    return lines


def _recurring_line(
    subscription: SubscriptionFact,
    start: date,
    stop: date,
    period_start: date,
    period_end: date,
    bill_date: date,
    terms: BillingTerms,
) -> DraftLine:
    price = price_on(subscription.prices, start)
    days, whole = (stop - start).days, (period_end - period_start).days
    full = days == whole
    exact = price.amount if full else prorate(price.amount, days, whole)
    # The invoice date is the tax point of everything it bills in advance or in arrears.
    tax_point = bill_date
    amount, rate = taxed_amount(exact, vat=price.vat, rate=vat_rate_on(terms.vat_rates, tax_point))
    last_day = date.fromordinal(stop.toordinal() - 1)
    description = f"{subscription.name}, {_fmt(start)} to {_fmt(last_day)}"
    if not full:
        description += f" (pro rata {days} of {whole} days at £{quantize(price.amount)})"
    return DraftLine(
        kind=RECURRING,
        description=description,
        amount=amount,
        vat_rate=rate,
        clause=price.clause if full else terms.recurring_clause,
        tax_point=tax_point,
        quantity=Decimal(1) if full else Decimal(days) / Decimal(whole),
        unit_amount=price.amount,
        subscription_id=subscription.id,
        period_start=start,
        period_end=stop,
    )


def _refunds(
    subscription: SubscriptionFact,
    billed: Sequence[BilledPeriod],
    bill_date: date,
    terms: BillingTerms,
) -> list[DraftLine]:
    assert subscription.ends_on is not None and terms.refund_clause is not None
    lines = []
    refunded = {p.end for p in billed if p.net < 0}
    for period in billed:
        if period.net <= 0 or period.end <= subscription.ends_on or period.end in refunded:
            continue
        unused_start = max(period.start, subscription.ends_on)
        unused = (period.end - unused_start).days
        whole = (period.end - period.start).days
        # The days used keep their pro-rata share; the rest of what was paid comes back, so
        # used + refunded is exactly what was billed.
        used = quantize(prorate(period.net, whole - unused, whole), rounding=Rounding.HALF_UP)
        refund = -(period.net - used)
        rate = vat_rate_on(terms.vat_rates, bill_date)
        amount = (
            Taxed.from_net(refund, rate)
            if period.vat_treatment != "outside-scope"
            else (Taxed.from_net(refund, Decimal(0)))
        )
        last_day = date.fromordinal(period.end.toordinal() - 1)
        lines.append(
            DraftLine(
                kind=REFUND,
                description=(
                    f"Refund: {subscription.name}, {_fmt(unused_start)} to {_fmt(last_day)} "
                    f"(pro rata {unused} of {whole} days, "
                    f"service ended {_fmt(subscription.ends_on)})"
                ),
                amount=amount,
                vat_rate=rate if period.vat_treatment != "outside-scope" else Decimal(0),
                clause=terms.refund_clause,
                tax_point=bill_date,
                subscription_id=subscription.id,
                period_start=unused_start,
                period_end=period.end,
            )
        )
    return lines


def charge_lines(
    charges: Iterable[ChargeFact], *, bill_date: date, terms: BillingTerms
) -> list[DraftLine]:
    """One-off and usage charges and credits whose tax point is on or before the bill date,
    billed in arrears (plusnet-business/general-terms#4.5(b)).

    A charge whose VAT its area already worked out (calls: each call's VAT-inclusive charge
    rounded up) keeps that VAT; others get VAT at the rate in force on their tax point.
    """
    lines = []
    for charge in sorted(charges, key=lambda c: (c.tax_point, c.id)):
        if charge.tax_point > bill_date:
            continue
        rate = vat_rate_on(terms.vat_rates, charge.tax_point)
        if charge.vat is not None:
            amount = Taxed(net=charge.amount, vat=charge.vat, gross=charge.amount + charge.vat)
            applied = rate
        else:
            amount, applied = taxed_amount(charge.amount, vat=charge.vat_treatment, rate=rate)
        lines.append(
            DraftLine(
                kind=charge.kind,
                description=charge.description,
                amount=amount,
                vat_rate=applied,
                clause=charge.clause,
                tax_point=charge.tax_point,
                quantity=charge.quantity,
                unit_amount=charge.unit_amount,
                charge_id=charge.id,
            )
        )
    return lines


def invoice_draft(
    *,
    bill_date: date,
    bill_day: int,
    subscriptions: Iterable[SubscriptionFact],
    charges: Iterable[ChargeFact],
    billed: Iterable[BilledPeriod],
    terms: BillingTerms,
) -> InvoiceDraft:
    """The invoice an account gets on `bill_date`: a pure function of its billing events.

    Recurring charges come first (per subscription, in date order), then refunds, then
    one-off, usage and credit lines in tax-point order. An empty draft means no invoice.
    """
    billed_by_subscription: dict[int, list[BilledPeriod]] = defaultdict(list)
    for period in billed:
        billed_by_subscription[period.subscription_id].append(period)
    lines: list[DraftLine] = []
    for subscription in sorted(subscriptions, key=lambda s: s.id):
        lines.extend(
            recurring_lines(
                subscription,
                bill_date=bill_date,
                bill_day=bill_day,
                billed=billed_by_subscription.get(subscription.id, []),
                terms=terms,
            )
        )
    lines.extend(charge_lines(charges, bill_date=bill_date, terms=terms))
    return InvoiceDraft(
        bill_date=bill_date,
        period_start=bill_date,
        period_end=next_bill_date(bill_date, bill_day),
        lines=tuple(lines),
    )
