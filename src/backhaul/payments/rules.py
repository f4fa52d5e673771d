"""Payment and credit control rules: pure functions over plain values.

Each function names the clause it implements. Every number (free declines a year, the
dispute threshold, the interest margin, the ECB rate table, the dunning ladder) comes from
the brand's catalogue through the caller; nothing here knows a brand.

Money is exact. The roundings are:

- interest accrues exactly, day by day, and is rounded half-up to the penny once per
  invoice each time it is charged (`interest_for_invoice`);
- the disputed share of a bill is compared exactly, never rounded
  (`dispute_assess`);
- an agency's cost worked out as a share of a debt is rounded half-up to the penny
  (`agency_cost`).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from backhaul.core.errors import InvalidInput
from backhaul.core.money import WORKING_PRECISION, Rounding, is_penny_scale, quantize
from backhaul.core.periods import add_months

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# --- Payment methods ------------------------------------------------------------------

CARD = "card"
CARD_KINDS = ("credit-card", "debit-card")
METHODS = ("direct-debit", CARD, "bacs", "cheque", "standing-order")
#: Methods Backhaul never records: cash and Visa Electron cards.
NOT_STORED = ("cash", "visa-electron")


class PaymentRefused(InvalidInput):
    """A payment method or card the brand's terms do not accept."""


@dataclass(frozen=True)
class MethodTerms:
    """The brand's [rules.payment_methods]."""

    clause: str
    accepted: tuple[str, ...]
    refused: tuple[str, ...] = ()
    others_by_agreement: bool = False


def _method_list(values: Iterable[str]) -> str:
    return ", ".join(values) or "none"


def payment_method_check(
    method: str, *, terms: MethodTerms, brand: str, card_brand: str = "", by_agreement: bool = False
) -> str:
    """The stored method for a payment, or `PaymentRefused` saying which rule refuses it.

    Methods are the catalogue's keys: direct-debit, credit-card, debit-card, cheque, bacs,
    standing-order; `card` means a credit or debit card. Methods and card brands the brand
    refuses are refused outright (plugin/code-of-practice#charges: "Debit Card (except Visa
    Electron) ... Cash payments are not accepted"). Others not in the accepted list are
    refused unless the brand takes other methods by agreement and staff say it was agreed
    (plusnet-business/general-terms#4.9: "unless otherwise advised by Plusnet").
    """
    asked = method.strip().lower()
    card = card_brand.strip().lower()
    for value, what in ((asked, "method"), (card, "card")):
        if value and value in terms.refused:
            raise PaymentRefused(
                f"{what}: {brand} does not accept {value} "
                f"({terms.clause}: refused {_method_list(terms.refused)})"
            )
    offered: tuple[str, ...]
    if asked in CARD_KINDS:
        stored, offered = CARD, (asked,)
    elif asked == CARD:
        stored, offered = CARD, CARD_KINDS
    elif asked in METHODS:
        stored, offered = asked, (asked,)
    elif asked in NOT_STORED:
        raise PaymentRefused(
            f"method: {brand} does not take {asked} "
            f"({terms.clause}: accepts {_method_list(terms.accepted)})"
        )
    else:
        known = ", ".join((*METHODS, *CARD_KINDS))
        raise InvalidInput(f"method: unknown payment method {method!r} (known: {known})")
    if any(m in terms.accepted for m in offered):
        return stored
    if terms.others_by_agreement and by_agreement:
        return stored
    hint = " unless agreed by staff" if terms.others_by_agreement else ""
    raise PaymentRefused(
        f"method: {brand} does not take {asked}{hint} "
        f"({terms.clause}: accepts {_method_list(terms.accepted)})"
    )


def payment_amount_check(amount: Decimal) -> Decimal:
    """A payment or refund is a positive amount of whole pence."""
    if not is_penny_scale(amount):
        raise InvalidInput(f"amount: whole pence only, not {amount}")
    if amount <= 0:
        raise InvalidInput(f"amount: must be more than zero, not {amount}")
    return quantize(amount)


# --- Allocation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Debt:
    """Something the customer owes, in the order it is paid off (oldest first)."""

    key: str
    order: tuple[Any, ...]
    amount: Decimal
    available_on: date


@dataclass(frozen=True)
class Fund:
    """Money the customer has paid (or a credit they hold), in the order it is used."""

    key: str
    order: tuple[Any, ...]
    amount: Decimal
    received_on: date


@dataclass(frozen=True)
class AllocationPart:
    fund: str
    debt: str
    amount: Decimal
    on: date
    """The day the money met the debt: the later of payment and debt."""


def allocate(debts: Sequence[Debt], funds: Sequence[Fund]) -> tuple[AllocationPart, ...]:
    """Pay debts oldest first from funds oldest first.

    Each debt takes from the oldest fund with money left until it is paid or the funds run
    out; a fund larger than what is owed leaves a credit. No debt is paid more than it
    owes, no fund gives more than it holds, and the total allocated is the smaller of what
    is owed and what was paid. Debts and funds of zero or less take no part.
    """
    owing = sorted((d for d in debts if d.amount > 0), key=lambda d: d.order)
    money = sorted((f for f in funds if f.amount > 0), key=lambda f: f.order)
    left = [d.amount for d in owing]
    held = [f.amount for f in money]
    parts: list[AllocationPart] = []
    i = j = 0
    while i < len(owing) and j < len(money):
        take = min(left[i], held[j])
        parts.append(
            AllocationPart(
                fund=money[j].key,
                debt=owing[i].key,
                amount=take,
                on=max(money[j].received_on, owing[i].available_on),
            )
        )
        left[i] -= take
        held[j] -= take
        if left[i] == 0:
            i += 1
        if held[j] == 0:
            j += 1
    return tuple(parts)


# --- The ledger of one account ----------------------------------------------------------


@dataclass(frozen=True)
class DisputeFact:
    id: int
    raised_on: date
    amount: Decimal
    withholds: bool
    """Over the threshold: only the undisputed part is due until it is resolved."""
    resolved_on: date | None = None
    credited: Decimal = ZERO


@dataclass(frozen=True)
class InvoiceFact:
    number: str
    bill_date: date
    due_date: date
    total: Decimal
    credits: tuple[tuple[date, Decimal], ...] = ()
    """Credit notes against it: (date, amount credited as a positive gross amount)."""
    disputes: tuple[DisputeFact, ...] = ()


@dataclass(frozen=True)
class Piece:
    """Part of an invoice with one due date; `due_on` None while it is withheld."""

    invoice: str
    key: str
    due_on: date | None
    amount: Decimal
    bill_date: date


def invoice_pieces(invoice: InvoiceFact, *, on: date) -> list[Piece]:
    """What an invoice asks for as of `on`, split by when it is due.

    Credit notes issued by `on` correct the invoice as if it had been billed right.
    A dispute over the threshold holds back the disputed amount until it is resolved;
    then whatever was not credited is "payable immediately", due on the day of resolution
    (plusnet-business/general-terms#4.10). A dispute under it withholds nothing.
    """
    credited = sum((amount for day, amount in invoice.credits if day <= on), ZERO)
    amount = invoice.total - credited
    pieces: list[Piece] = []
    held = ZERO
    for dispute in sorted(invoice.disputes, key=lambda d: (d.raised_on, d.id)):
        if not dispute.withholds or dispute.raised_on > on:
            continue
        if dispute.resolved_on is not None and dispute.resolved_on <= on:
            rest = min(max(dispute.amount - dispute.credited, ZERO), amount - held)
            due: date | None = max(dispute.resolved_on, invoice.due_date)
        else:
            rest, due = min(dispute.amount, amount - held), None
        if rest > 0:
            pieces.append(
                Piece(
                    invoice=invoice.number,
                    key=f"{invoice.number}#d{dispute.id}",
                    due_on=due,
                    amount=rest,
                    bill_date=invoice.bill_date,
                )
            )
            held += rest
    base = amount - held
    if base > 0:
        pieces.insert(
            0,
            Piece(
                invoice=invoice.number,
                key=invoice.number,
                due_on=invoice.due_date,
                amount=base,
                bill_date=invoice.bill_date,
            ),
        )
    return pieces


FAR_FUTURE = date.max


def piece_debt(piece: Piece) -> Debt:
    """Pieces are paid by due date (withheld amounts last), then bill date and number."""
    return Debt(
        key=piece.key,
        order=(piece.due_on or FAR_FUTURE, piece.bill_date, piece.invoice, piece.key),
        amount=piece.amount,
        available_on=piece.bill_date,
    )


@dataclass(frozen=True)
class MoneyFact:
    """A payment, refund or set-off: `direction` +1 money in, -1 money out."""

    key: str
    on: date
    amount: Decimal
    direction: int
    reversed_on: date | None = None


@dataclass(frozen=True)
class Ledger:
    pieces: tuple[Piece, ...]
    allocations: tuple[AllocationPart, ...]
    balance: Decimal
    """What the customer owes (negative: a credit they hold)."""
    credit: Decimal
    """Money paid and not yet used."""

    def paid(self, key: str) -> Decimal:
        return sum((a.amount for a in self.allocations if a.debt == key), ZERO)

    def outstanding(self, piece: Piece) -> Decimal:
        return piece.amount - self.paid(piece.key)

    def invoice_outstanding(self, number: str) -> Decimal:
        return sum((self.outstanding(p) for p in self.pieces if p.invoice == number), ZERO)

    def overdue(self, *, on: date) -> list[tuple[Piece, Decimal]]:
        """Pieces due before `on` and not fully paid, oldest first, with what is left."""
        out = [
            (p, self.outstanding(p))
            for p in self.pieces
            if p.due_on is not None and p.due_on < on and self.outstanding(p) > 0
        ]
        return sorted(out, key=lambda item: piece_debt(item[0]).order)

    def due_now(self, *, on: date) -> Decimal:
        """What must be paid by `on`: everything due on or before it, less what was paid."""
        return sum(
            (
                self.outstanding(p)
                for p in self.pieces
                if p.due_on is not None and p.due_on <= on and self.outstanding(p) > 0
            ),
            ZERO,
        )

    def withheld(self) -> Decimal:
        return sum((self.outstanding(p) for p in self.pieces if p.due_on is None), ZERO)


def ledger(invoices: Sequence[InvoiceFact], money: Sequence[MoneyFact], *, on: date) -> Ledger:
    """An account's position on `on`: what each invoice asks for, how payments met it
    (oldest first), the balance, and any credit held.

    Balance = invoices + credit notes - payments + refunds (set-offs count as a payment
    into the account that receives them and a refund out of the one that gives them). A
    payment reversed by `on` (bounced, charged back) counts as never made. Refunds and
    set-offs out are paid from funds like debts, in date order.
    """
    pieces = [
        p for invoice in invoices if invoice.bill_date <= on for p in invoice_pieces(invoice, on=on)
    ]
    debts = [piece_debt(p) for p in pieces]
    funds = []
    balance = sum((p.amount for p in pieces), ZERO)
    for item in money:
        if item.on > on or (item.reversed_on is not None and item.reversed_on <= on):
            continue
        if item.direction > 0:
            funds.append(
                Fund(
                    key=item.key, order=(item.on, item.key), amount=item.amount, received_on=item.on
                )
            )
            balance -= item.amount
        else:
            debts.append(
                Debt(
                    key=item.key,
                    order=(item.on, date.min, "", item.key),
                    amount=item.amount,
                    available_on=item.on,
                )
            )
            balance += item.amount
    parts = allocate(debts, funds)
    used = sum((p.amount for p in parts), ZERO)
    paid_in = sum((f.amount for f in funds), ZERO)
    return Ledger(pieces=tuple(pieces), allocations=parts, balance=balance, credit=paid_in - used)


# --- Declines and chargebacks ----------------------------------------------------------


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


# --- Late payment interest -------------------------------------------------------------

MONTHLY_PERCENT = "monthly-percent"
ECB_PLUS = "ecb-plus"


def _ctx() -> decimal.Context:
    return decimal.Context(prec=WORKING_PRECISION, rounding=decimal.ROUND_HALF_EVEN)


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
    ctx = _ctx()
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
    ctx = _ctx()
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


# --- Disputes --------------------------------------------------------------------------

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
    percent = _ctx().divide(_ctx().multiply(disputed, HUNDRED), bill_total)
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


# --- Dunning ---------------------------------------------------------------------------

KIND_ALIASES = {"suspend": "suspension", "terminate": "termination", "restrict": "restriction"}


@dataclass(frozen=True)
class LadderStep:
    kind: str
    after_days: int
    clause: str
    services: tuple[str, ...] = ()
    charge: str = ""
    lift_charge: str = ""


def ladder_from_params(steps: Iterable[dict[str, Any]]) -> tuple[LadderStep, ...]:
    """The brand's [rules.dunning] steps, in the order they are taken."""
    out = []
    for step in steps:
        kind = str(step["kind"])
        out.append(
            LadderStep(
                kind=KIND_ALIASES.get(kind, kind),
                after_days=int(step["after_days"]),
                clause=str(step["clause"]),
                services=tuple(str(s) for s in step.get("services", [])),
                charge=str(step.get("charge", "")),
                lift_charge=str(step.get("lift_charge", "")),
            )
        )
    return tuple(sorted(out, key=lambda s: s.after_days))


def dunning_steps_due(
    ladder: Sequence[LadderStep], *, days_overdue: int, taken: Iterable[str]
) -> list[LadderStep]:
    """The steps an account in arrears for `days_overdue` days has reached and not yet
    taken in this run of arrears, in ladder order (reminder -> restriction or suspension
    -> termination), e.g. plugin/broadband-terms#9, plusnet-business/general-terms#6.5(a)."""
    done = set(taken)
    return [s for s in ladder if s.after_days <= days_overdue and s.kind not in done]


@dataclass(frozen=True)
class ContactFact:
    on: date
    outcome: str


def termination_blocked(
    *, required: bool, attempts: Sequence[ContactFact], since: date, clause: str
) -> str:
    """Why termination must wait, or "" if it may go ahead.

    "We will not terminate your services unless we have failed to gain a response from you
    within a reasonable time frame" (plugin/general-terms#rule-7): at least one recorded
    attempt to reach the customer in this run of arrears, and no response since the last
    one. A response means staff decide (hold the ladder, or record a further attempt).
    """
    if not required:
        return ""
    recent = sorted((a for a in attempts if a.on >= since), key=lambda a: a.on)
    if not recent:
        return f"no attempt to reach the customer is recorded since {since} ({clause})"
    if recent[-1].outcome != "no-response":
        return (
            f"the customer responded on {recent[-1].on}: hold the ladder or record a further "
            f"attempt that failed ({clause})"
        )
    return ""


def agency_cost(debt: Decimal, *, percent: Decimal) -> Decimal:
    """The agency's cost added to the debt handed over, as a share of it, rounded half-up
    to the penny (plusnet-business/general-terms#4.12: "will not exceed the reasonable
    costs Plusnet has to pay to the agency")."""
    if debt <= 0:
        return ZERO
    return quantize(
        _ctx().divide(_ctx().multiply(debt, percent), HUNDRED), rounding=Rounding.HALF_UP
    )


# --- Leaving ---------------------------------------------------------------------------


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
