"""Exact money: parsing, quantising, formatting and VAT-inclusive amounts.

Every amount in Backhaul is a :class:`~decimal.Decimal`; floats are refused wherever an amount
or a rate enters. Every rounding names its mode through :class:`Rounding`, and the
functions that round for a particular clause say which clause in their docstring.

Arithmetic that must not lose digits before the final rounding (VAT on a net amount, VAT
backed out of a gross price, a rate such as ``1/30``) runs in a local context of
:data:`WORKING_PRECISION` significant digits, so the result never depends on the caller's
decimal context.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from backhaul.core.errors import InvalidInput

__all__ = [
    "PENNY",
    "WORKING_PRECISION",
    "MoneyError",
    "Rounding",
    "Taxed",
    "format_amount",
    "format_gbp",
    "is_penny_scale",
    "parse_amount",
    "parse_rate",
    "quantize",
    "sum_taxed",
    "to_penny_ceiling",
    "to_penny_half_up",
    "vat_for",
]

PENNY = Decimal("0.01")

#: Significant digits used for intermediate results (rates, VAT before rounding).
WORKING_PRECISION = 40


class MoneyError(InvalidInput, ValueError):
    """An amount or rate that Backhaul cannot accept: a float, a typo, too many decimals.

    It is an :class:`~backhaul.core.errors.InvalidInput`, so adapters report it as bad input.
    """


class Rounding(Enum):
    """Rounding modes, named so that every rounding site says which one it uses."""

    HALF_UP = decimal.ROUND_HALF_UP
    """Half a penny or more rounds away from zero: VAT on invoice lines (HMRC guidance)."""
    CEILING = decimal.ROUND_CEILING
    """Always towards plus infinity: call charges, "rounded up to the next penny"."""
    DOWN = decimal.ROUND_DOWN
    """Towards zero (truncation)."""
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    """Half to the even neighbour (banker's rounding)."""


def _context() -> decimal.Context:
    """A fresh context for exact intermediate arithmetic, independent of the caller's."""
    return decimal.Context(
        prec=WORKING_PRECISION,
        rounding=decimal.ROUND_HALF_EVEN,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def _require_decimal(value: object, what: str = "amounts") -> Decimal:
    """Return ``value`` if it is a finite Decimal, else raise :class:`MoneyError`."""
    if isinstance(value, float):
        raise MoneyError(f"{what} must be strings or Decimal, not float: {value!r}")
    if not isinstance(value, Decimal):
        raise MoneyError(f"{what} must be Decimal, not {type(value).__name__}: {value!r}")
    if not value.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return value


def _without_negative_zero(value: Decimal) -> Decimal:
    """``-0.00`` prints badly on an invoice; zero keeps its scale but loses its sign."""
    return value.copy_abs() if value.is_zero() else value


def quantize(
    value: Decimal, exponent: Decimal = PENNY, rounding: Rounding = Rounding.HALF_UP
) -> Decimal:
    """Round ``value`` to the scale of ``exponent`` (a penny by default) using ``rounding``.

    The one place in Backhaul that rounds money. Callers pass the mode they need and the
    clause that requires it is named at their call site. A zero result is never negative.
    """
    value = _require_decimal(value)
    exponent = _require_decimal(exponent, "exponents")
    if not isinstance(rounding, Rounding):
        raise MoneyError(f"rounding must be a Rounding, not {rounding!r}")
    try:
        result = value.quantize(exponent, rounding=rounding.value, context=_context())
    except decimal.InvalidOperation as exc:
        raise MoneyError(f"cannot quantize {value!r} to {exponent!r}") from exc
    return _without_negative_zero(result)


def to_penny_half_up(value: Decimal) -> Decimal:
    """Round to the penny, half a penny rounding away from zero (``ROUND_HALF_UP``).

    Used for VAT on invoice lines, following HMRC's guidance on rounding VAT on invoices
    (VAT Notice 700: to the nearest penny, half a penny rounding up), and for prorated
    recurring charges.
    """
    return quantize(value, PENNY, Rounding.HALF_UP)


def to_penny_ceiling(value: Decimal) -> Decimal:
    """Round up to the next penny (``ROUND_CEILING``, towards plus infinity).

    Serves ``plusnet-business/business-phone-charges#7``: "Call charges are rounded up to
    the next penny before VAT is added. The charge including VAT will also be rounded up to
    the next whole penny."
    """
    return quantize(value, PENNY, Rounding.CEILING)


def is_penny_scale(value: Decimal) -> bool:
    """True if ``value`` has no non-zero digits beyond the second decimal place."""
    value = _require_decimal(value)
    if int(value.as_tuple().exponent) >= -2:
        return True
    try:
        return value == value.quantize(PENNY, rounding=decimal.ROUND_DOWN, context=_context())
    except decimal.InvalidOperation as exc:
        raise MoneyError(f"amount too large: {value!r}") from exc


_NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
_POUNDS_RE = re.compile(rf"(?P<sign>[-+]?)£?(?P<number>{_NUMBER})")
_PENCE_RE = re.compile(rf"(?P<sign>[-+]?)(?P<number>{_NUMBER})p")
_PLAIN_RE = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?")
_PERCENT_RE = re.compile(r"(?P<number>[-+]?[0-9]+(?:\.[0-9]+)?)\s*%")
_FRACTION_RE = re.compile(r"(?P<num>[-+]?[0-9]+(?:\.[0-9]+)?)\s*/\s*(?P<den>[0-9]+(?:\.[0-9]+)?)")


def parse_amount(text: str | Decimal) -> Decimal:
    """Parse an amount of pounds as written in catalogues, CSV files and forms.

    Accepts ``"20.83"``, ``"£20.83"``, ``"  £1,000.00 "``, ``"-5.00"``, ``"-£4.10"`` and
    pence such as ``"30p"`` (``Decimal("0.30")``) or ``"1.5p"``. The scale written is kept
    (``"20.8300"`` stays four places); nothing is rounded. A Decimal passes through
    unchanged if it is finite.

    Raises :class:`MoneyError` for floats (money is exact), empty text, anything that is not
    a plain decimal number, ``NaN`` and ``Infinity``.
    """
    if isinstance(text, Decimal):
        return _require_decimal(text)
    if not isinstance(text, str):
        raise MoneyError(f"amounts must be strings or Decimal, not {type(text).__name__}")
    stripped = text.strip()
    match = _PENCE_RE.fullmatch(stripped) or _POUNDS_RE.fullmatch(stripped)
    if match is None:
        raise MoneyError(f"not an amount: {text!r}")
    amount = Decimal(match["sign"] + match["number"].replace(",", ""))
    if match.re is _PENCE_RE:
        amount = amount.scaleb(-2)
    return amount


def parse_rate(text: str | Decimal) -> Decimal:
    """Parse a rate: a fraction ``"0.20"``, a percentage ``"20%"`` or a ratio ``"1/30"``.

    ``"20%"`` gives ``Decimal("0.20")`` and ``"17.5%"`` gives ``Decimal("0.175")`` (exact).
    A ratio is divided to :data:`WORKING_PRECISION` significant digits, so ``"1/30"`` keeps
    far more precision than any later penny rounding needs. A Decimal passes through.
    Catalogue VAT rates are fractions (``"0.20"``); fields ending in ``_percent`` use the
    percentage form.
    """
    if isinstance(text, Decimal):
        return _require_decimal(text, "rates")
    if not isinstance(text, str):
        raise MoneyError(f"rates must be strings or Decimal, not {type(text).__name__}")
    stripped = text.strip()
    if _PLAIN_RE.fullmatch(stripped):
        return Decimal(stripped)
    if match := _PERCENT_RE.fullmatch(stripped):
        return Decimal(match["number"]).scaleb(-2)
    if match := _FRACTION_RE.fullmatch(stripped):
        numerator, denominator = Decimal(match["num"]), Decimal(match["den"])
        if denominator.is_zero():
            raise MoneyError(f"rate divides by zero: {text!r}")
        return _context().divide(numerator, denominator)
    raise MoneyError(f"not a rate: {text!r}")


def format_amount(value: Decimal) -> str:
    """Format an amount with exactly two decimals: ``"20.83"``, ``"-4.10"``, ``"0.00"``.

    Never rounds: an amount with non-zero digits beyond the penny raises
    :class:`MoneyError`, because a rounding has to name its mode (see :func:`quantize`).
    """
    value = _require_decimal(value)
    if not is_penny_scale(value):
        raise MoneyError(f"amount has more than two decimal places; round it first: {value!r}")
    return f"{quantize(value):f}"


def format_gbp(value: Decimal, *, thousands: bool = False) -> str:
    """Format an amount in pounds: ``"£20.83"``, ``"-£4.10"``; ``"£1,000.00"`` with thousands.

    Like :func:`format_amount` it never rounds. The output parses back with
    :func:`parse_amount`.
    """
    text = format_amount(value)
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    if thousands:
        whole, _, pence = digits.partition(".")
        digits = f"{int(whole):,}.{pence}"
    return f"{sign}£{digits}"


def _require_rate(rate: Decimal) -> Decimal:
    rate = _require_decimal(rate, "rates")
    if rate.is_signed() and not rate.is_zero():
        raise MoneyError(f"VAT rate must not be negative: {rate!r}")
    return rate


def _require_penny_scale(value: Decimal, what: str) -> Decimal:
    value = _require_decimal(value)
    if not is_penny_scale(value):
        raise MoneyError(f"{what} must be a whole number of pence: {value!r}")
    return value


def vat_for(net: Decimal, rate: Decimal, rounding: Rounding) -> Decimal:
    """VAT on a net amount at ``rate``, rounded to the penny with the named mode.

    Invoice lines use :attr:`Rounding.HALF_UP` (HMRC guidance). The product is formed
    exactly before the single rounding.
    """
    net = _require_decimal(net)
    rate = _require_rate(rate)
    return quantize(_context().multiply(net, rate), PENNY, rounding)


@dataclass(frozen=True)
class Taxed:
    """An amount split into net, VAT and gross, each in whole pence, with net + VAT = gross.

    The invariant is checked on construction, so a ``Taxed`` that exists is consistent;
    sums and negations of consistent values stay consistent. Negative values are credits.
    Fields are normalised to two decimal places (``Decimal("5")`` is stored as ``5.00``).
    """

    net: Decimal
    vat: Decimal
    gross: Decimal

    def __post_init__(self) -> None:
        for name in ("net", "vat", "gross"):
            value = _require_penny_scale(getattr(self, name), name)
            object.__setattr__(self, name, quantize(value))
        if _context().add(self.net, self.vat) != self.gross:
            raise MoneyError(f"net + VAT must equal gross: {self.net} + {self.vat} != {self.gross}")

    @classmethod
    def from_net(cls, net: Decimal, rate: Decimal, rounding: Rounding = Rounding.HALF_UP) -> Taxed:
        """VAT added to a price quoted exclusive of VAT.

        ``net`` must already be in whole pence; ``vat = quantize(net * rate, rounding)``.
        Invoice lines round half-up (HMRC guidance); call charges pass
        :attr:`Rounding.CEILING` (``plusnet-business/business-phone-charges#7``).
        """
        net = _require_penny_scale(net, "net")
        vat = vat_for(net, rate, rounding)
        return cls(net=net, vat=vat, gross=_context().add(net, vat))

    @classmethod
    def from_gross(
        cls, gross: Decimal, rate: Decimal, rounding: Rounding = Rounding.HALF_UP
    ) -> Taxed:
        """VAT backed out of a price quoted inclusive of VAT ("inc VAT").

        The gross stays exactly as quoted: ``vat = quantize(gross * rate / (1 + rate),
        rounding)`` and ``net = gross - vat``.
        """
        gross = _require_penny_scale(gross, "gross")
        rate = _require_rate(rate)
        ctx = _context()
        vat = quantize(ctx.divide(ctx.multiply(gross, rate), ctx.add(1, rate)), PENNY, rounding)
        return cls(net=ctx.subtract(gross, vat), vat=vat, gross=gross)

    @classmethod
    def zero(cls) -> Taxed:
        """Nothing: 0.00 + 0.00 = 0.00."""
        return cls(net=Decimal("0.00"), vat=Decimal("0.00"), gross=Decimal("0.00"))

    @classmethod
    def sum_taxed(cls, items: Iterable[Taxed]) -> Taxed:
        """Sum of taxed amounts; the same as the module-level :func:`sum_taxed`."""
        return sum_taxed(items)

    def __add__(self, other: object) -> Taxed:
        if not isinstance(other, Taxed):
            return NotImplemented
        ctx = _context()
        return Taxed(
            net=ctx.add(self.net, other.net),
            vat=ctx.add(self.vat, other.vat),
            gross=ctx.add(self.gross, other.gross),
        )

    def __sub__(self, other: object) -> Taxed:
        if not isinstance(other, Taxed):
            return NotImplemented
        return self + (-other)

    def __neg__(self) -> Taxed:
        return Taxed(net=-self.net, vat=-self.vat, gross=-self.gross)


def sum_taxed(items: Iterable[Taxed]) -> Taxed:
    """Sum of taxed amounts (an invoice total from its lines); :meth:`Taxed.zero` if empty.

    Each component is summed on its own and the result checked once: every item already
    holds net + VAT = gross, so the sums do too.
    """
    ctx = _context()
    net = vat = gross = Decimal("0.00")
    for item in items:
        net = ctx.add(net, item.net)
        vat = ctx.add(vat, item.vat)
        gross = ctx.add(gross, item.gross)
    return Taxed(net=net, vat=vat, gross=gross)
