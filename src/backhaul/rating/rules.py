"""Telephone rating rules: destination classes, time bands, billed minutes and call charges.

Pure functions over plain values. The tariff (:class:`~backhaul.rating.tariff_rules.PhoneTariff`)
is read from a brand's ``[rules.phone_rating]`` catalogue section by
:mod:`backhaul.rating.tariff_rules`; nothing here hard-codes a rate, a prefix or a band. The
clauses applied:

- ``plusnet-business/business-phone-charges#2`` and ``broadband-phone-charges#3``: the time
  bands, in the brand's local time (Europe/London), per product family.
- ``plusnet-business/business-phone-charges#7``: durations rounded up to the whole minute; a
  5p set-up fee except on inclusive calls; the charge before VAT rounded up to the next
  penny, and the charge including VAT rounded up to the next penny.
- ``plusnet-business/business-phone-charges#9``: a call crossing a band boundary is charged
  pro rata for each band; each billed minute is charged at the rate of the band in force
  when that minute starts.
- ``plusnet-business/business-phone-charges#call-charges-operator``: operator-assisted calls
  pay the set-up fee and a 5% admin fee on the call charge.
- ``plusnet-business/broadband-phone-charges#6``: 50 and 83 anytime hours to 01/02/03
  numbers per billing month; ``business-phone-charges#call-plans-anytime``: Anytime calls.
- ``plusnet-business/broadband-phone-schedule#3.7``: the 120-minute maximum call.
- ``plusnet-business/broadband-phone-schedule#3.11``: free numbers lapse after 90 days.

The plain-Python reference rater (``backhaul.rating.reference``) applies these functions
call by call; the vectorised engine (``backhaul.rating.engine``) compiles the same tariff
into lookup tables, and the two are tested against each other to the penny.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from backhaul.core.errors import InvalidInput
from backhaul.core.money import PENNY, Rounding, quantize
from backhaul.rating.tariff_rules import BandScheme, Destination, PhoneTariff, Plan

__all__ = [
    "CallCharge",
    "LineInfo",
    "RatedCall",
    "Subscribers",
    "allowance_cover",
    "billed_minutes",
    "call_charge",
    "classify_number",
    "feature_bundle_for",
    "inclusive_minute_flags",
    "minute_bands",
    "normalise_number",
    "number_has_lapsed",
    "number_lapses_on",
    "rate_call",
    "vat_rate_for",
]

_SEPARATORS = re.compile(r"[ \-().]")
_DIGITS = re.compile(r"^[0-9]{3,20}$")


# --- numbers and destination classes -------------------------------------------------------


def normalise_number(text: str) -> str | None:
    """A dialled or presented number in national form, or None if it is not a number.

    Spaces, hyphens, dots and brackets are dropped; ``+44`` and ``0044`` become ``0``; any
    other ``+`` becomes the international prefix ``00``. What is left must be 3 to 20
    digits (short codes such as 100 and 999 included).
    """
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    elif digits.startswith("+"):
        digits = "00" + digits[1:]
    elif digits.startswith("0044"):
        digits = "0" + digits[4:]
    return digits if _DIGITS.fullmatch(digits) else None


def classify_number(
    number: str, destinations: Sequence[Destination], *, on_net: bool
) -> Destination | None:
    """The destination class of a normalised number, or None if no class matches.

    Whole numbers first (the provider's support numbers), then on-net numbers (held on this
    brand, free: plusnet-business/business-phone-charges#call-plans-on-net), then the
    longest matching prefix.
    """
    for destination in destinations:
        if number in destination.numbers:
            return destination
    if on_net:
        for destination in destinations:
            if destination.on_net:
                return destination
    best: Destination | None = None
    best_length = 0
    for destination in destinations:
        for prefix in destination.prefixes:
            if number.startswith(prefix) and len(prefix) > best_length:
                best, best_length = destination, len(prefix)
    return best


# --- minutes and bands ----------------------------------------------------------------------


def billed_minutes(billsec: int) -> int:
    """Call duration rounded up to the next whole minute (business-phone-charges#7)."""
    if billsec < 0:
        raise InvalidInput(f"billsec: negative duration {billsec}")
    return -(-billsec // 60)


def _minute_starts(start: datetime, minutes: int, zone: ZoneInfo) -> Iterable[datetime]:
    if start.tzinfo is None:
        raise InvalidInput("answered_at: a time with an offset is needed")
    first = start.astimezone(UTC)
    for index in range(minutes):
        yield (first + timedelta(minutes=index)).astimezone(zone)


def minute_bands(start: datetime, minutes: int, scheme: BandScheme, zone: ZoneInfo) -> list[str]:
    """The band in force at the start of each billed minute of a call.

    Each minute starts a whole number of elapsed minutes after the call was answered and is
    placed in local time, so a call across a clock change is banded as the clock on the wall
    reads (plusnet-business/business-phone-charges#9, #2; broadband-phone-charges#3).
    """
    return [
        scheme.band_at(local.weekday(), local.hour * 60 + local.minute)
        for local in _minute_starts(start, minutes, zone)
    ]


def inclusive_minute_flags(start: datetime, minutes: int, plan: Plan, zone: ZoneInfo) -> list[bool]:
    """For each billed minute, whether it starts in the plan's inclusive hours.

    plusnet-business/business-phone-charges#call-plans-anytime: "calls to standard UK
    landline numbers beginning with 01, 02, & 03 from 6am to 6pm Monday to Friday".
    """
    return [
        plan.in_window(local.weekday(), local.hour * 60 + local.minute)
        for local in _minute_starts(start, minutes, zone)
    ]


def allowance_cover(remaining: int, minutes: int) -> int:
    """How many of a call's minutes an allowance with `remaining` minutes left covers.

    The allowance is used in call order (plusnet-business/broadband-phone-charges#6(b)):
    a call covered in full is inclusive; a call that uses up the allowance pays for the
    minutes left over.
    """
    return max(0, min(minutes, remaining))


# --- money ---------------------------------------------------------------------------------


def vat_rate_for(vat_rates: Sequence[tuple[date, Decimal]], day: date) -> Decimal:
    """The VAT rate in force on `day` from a table of (start, rate)."""
    rate: Decimal | None = None
    for start, value in vat_rates:
        if start <= day:
            rate = value
    if rate is None:
        raise InvalidInput(f"no VAT rate in force on {day}")
    return rate


@dataclass(frozen=True)
class CallCharge:
    """A call's charge: the exact amount, then each penny ceiling of business-phone-charges#7."""

    exact: Decimal
    setup_fee: Decimal
    ex_vat: Decimal
    inc_vat: Decimal

    @property
    def vat(self) -> Decimal:
        return self.inc_vat - self.ex_vat


def call_charge(
    *,
    minutes_by_band: Mapping[str, int],
    rates: Mapping[str, Decimal],
    setup_fee: Decimal,
    admin_fee_percent: Decimal,
    vat_rate: Decimal,
) -> CallCharge:
    """Price one call (plusnet-business/business-phone-charges#7, #9, #call-charges-operator).

    Each chargeable minute costs the rate of its band; the set-up fee is added; an
    operator-assisted call then pays `admin_fee_percent` on top. The charge before VAT is
    rounded up to the next penny, and the charge including VAT is rounded up to the next
    penny again.
    """
    exact = sum(
        (Decimal(minutes) * rates[band] for band, minutes in minutes_by_band.items() if minutes),
        Decimal(0),
    )
    exact += setup_fee
    if admin_fee_percent:
        exact = exact * (1 + admin_fee_percent / 100)
    ex_vat = quantize(exact, PENNY, Rounding.CEILING)
    inc_vat = quantize(ex_vat * (1 + vat_rate), PENNY, Rounding.CEILING)
    return CallCharge(exact=exact, setup_fee=setup_fee, ex_vat=ex_vat, inc_vat=inc_vat)


@dataclass(frozen=True)
class RatedCall:
    """What one call costs and why: its class, minutes per band, cover, fees and clause."""

    destination: str
    plan: str
    billed_minutes: int
    minutes_by_band: Mapping[str, int]
    charged_by_band: Mapping[str, int]
    covered_minutes: int
    inclusive: bool
    operator_assisted: bool
    setup_fee: Decimal
    ex_vat: Decimal
    inc_vat: Decimal
    clause: str

    @property
    def vat(self) -> Decimal:
        return self.inc_vat - self.ex_vat


_ZERO = Decimal("0.00")


def rate_call(
    *,
    tariff: PhoneTariff,
    plan: Plan,
    destination: Destination,
    start: datetime,
    billsec: int,
    answered: bool,
    operator_flag: bool,
    allowance_remaining: int = 0,
) -> RatedCall:
    """Rate one call, minute by minute, exactly as the terms read.

    - Billed minutes: ``ceil(billsec / 60)``; an unanswered call, or one answered for no
      whole second, is recorded and not charged (business-phone-charges#7).
    - Calls to free classes (the provider's support, on-net numbers) cost nothing
      (business-phone-charges#call-plans-support, #call-plans-on-net).
    - On an Anytime plan, minutes starting in the inclusive hours are inclusive; on an
      allowance plan the first `allowance_remaining` minutes are covered. A call with no
      chargeable minute left is inclusive and pays no set-up fee; a partly covered call
      pays the set-up fee and its other minutes (business-phone-charges#7,
      broadband-phone-charges#6).
    - Each chargeable minute costs the rate of the band in force when it starts (#9).
    """
    scheme = tariff.schemes[plan.family]
    minutes = billed_minutes(billsec) if answered else 0
    bands = minute_bands(start, minutes, scheme, tariff.zone)
    minutes_by_band = {name: bands.count(name) for name in scheme.names}
    zero_bands = dict.fromkeys(scheme.names, 0)
    operator = operator_flag or destination.operator_assisted
    if minutes == 0 or destination.free:
        return RatedCall(
            destination=destination.name,
            plan=plan.key,
            billed_minutes=minutes,
            minutes_by_band=minutes_by_band,
            charged_by_band=zero_bands,
            covered_minutes=0,
            inclusive=minutes > 0,
            operator_assisted=operator,
            setup_fee=_ZERO,
            ex_vat=_ZERO,
            inc_vat=_ZERO,
            clause=destination.clause if minutes else tariff.clause,
        )
    included = destination.name in plan.inclusive_classes
    charged = list(bands)
    covered = 0
    if included and plan.has_window:
        flags = inclusive_minute_flags(start, minutes, plan, tariff.zone)
        charged = [band for band, inside in zip(bands, flags, strict=True) if not inside]
        covered = minutes - len(charged)
    elif included and plan.has_allowance:
        covered = allowance_cover(allowance_remaining, minutes)
        charged = bands[covered:]
    charged_by_band = {name: charged.count(name) for name in scheme.names}
    if not charged:
        return RatedCall(
            destination=destination.name,
            plan=plan.key,
            billed_minutes=minutes,
            minutes_by_band=minutes_by_band,
            charged_by_band=charged_by_band,
            covered_minutes=covered,
            inclusive=True,
            operator_assisted=operator,
            setup_fee=_ZERO,
            ex_vat=_ZERO,
            inc_vat=_ZERO,
            clause=plan.clause,
        )
    rates = tariff.rates[(plan.family, destination.name)]
    setup_fee = (
        tariff.setup_fee if destination.name not in tariff.setup_fee_exempt_classes else Decimal(0)
    )
    local_day = start.astimezone(tariff.zone).date()
    charge = call_charge(
        minutes_by_band=charged_by_band,
        rates=rates.by_band,
        setup_fee=setup_fee,
        admin_fee_percent=tariff.operator_admin_fee_percent if operator else Decimal(0),
        vat_rate=vat_rate_for(tariff.vat_rates, local_day),
    )
    return RatedCall(
        destination=destination.name,
        plan=plan.key,
        billed_minutes=minutes,
        minutes_by_band=minutes_by_band,
        charged_by_band=charged_by_band,
        covered_minutes=covered,
        inclusive=False,
        operator_assisted=operator,
        setup_fee=quantize(setup_fee, PENNY, Rounding.CEILING),
        ex_vat=charge.ex_vat,
        inc_vat=charge.inc_vat,
        clause=tariff.operator_clause if operator else rates.clause,
    )


# --- who is calling --------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInfo:
    """A number held on the brand: its account, the plan its calls are rated on, when."""

    number: str
    account: str
    plan: str
    start: datetime
    end: datetime | None = None

    def in_service(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


@dataclass(frozen=True)
class Subscribers:
    """The brand's numbers, and every account with the plan its other calls are rated on.

    A record naming an account but made from a number that is not one of its own (a
    presented number, an extension) is rated on ``account_plans[account]``: the plan of the
    account's first number, or None when the account has no number on this brand.
    """

    lines: Mapping[str, LineInfo] = field(default_factory=dict)
    account_plans: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def on_net(self) -> frozenset[str]:
        return frozenset(self.lines)


# --- calling features and number lapse --------------------------------------------------------


def feature_bundle_for(
    features: Sequence[str], *, bundles: Mapping[int, str], eligible: Iterable[str]
) -> str | None:
    """The feature bundle priced for this many features, or None to subscribe singly.

    plusnet-business/business-phone-charges#feature-bundles: bundles of 2 to 5 features,
    priced by the number of features; only features "Available in bundle" may be chosen.
    """
    chosen = list(dict.fromkeys(features))
    allowed = set(eligible)
    if len(chosen) < min(bundles, default=2):
        return None
    outside = [key for key in chosen if key not in allowed]
    if outside:
        raise InvalidInput(f"features: not available in a bundle: {', '.join(outside)}")
    if len(chosen) not in bundles:
        raise InvalidInput(
            f"features: bundles hold {min(bundles)} to {max(bundles)} features, not {len(chosen)}"
        )
    return bundles[len(chosen)]


def number_lapses_on(last_used: date, days: int) -> date:
    """The day a free number lapses: the first day more than `days` days after last use.

    plusnet-business/broadband-phone-schedule#3.11: "you allow more than 90 days to pass
    after the last time you used it to make an outgoing call".
    """
    return last_used + timedelta(days=days + 1)


def number_has_lapsed(last_used: date, on: date, days: int) -> bool:
    """True once more than `days` days have passed since `last_used` (#3.11)."""
    return on >= number_lapses_on(last_used, days)
