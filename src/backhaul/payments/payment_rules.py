"""Payment rules: which methods a brand takes, how payments meet invoices, and the ledger.

Pure functions over plain values; each names the clause it implements, and every number
comes from the brand's catalogue through the caller. Money is exact: allocation moves
whole amounts and never rounds.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from backhaul.core.errors import InvalidInput
from backhaul.core.money import WORKING_PRECISION, is_penny_scale, quantize

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def exact_context() -> decimal.Context:
    """The context for shares and rates worked out before their one rounding."""
    return decimal.Context(prec=WORKING_PRECISION, rounding=decimal.ROUND_HALF_EVEN)


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
