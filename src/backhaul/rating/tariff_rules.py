"""The telephone tariff as a brand's catalogue gives it: classes, bands, rates and plans.

:func:`tariff_from_params` reads and checks the ``[rules.phone_rating]`` section into a
:class:`PhoneTariff` of frozen values; nothing here hard-codes a rate, a prefix or a band.
Each value keeps the clause it comes from:

- ``plusnet-business/business-phone-charges#2`` and ``broadband-phone-charges#3``: the time
  bands, in the brand's local time (Europe/London), per product family.
- ``plusnet-business/business-phone-charges#call-charges`` and ``#10``: the destination
  classes by number prefix, and their rates per band.
- ``plusnet-business/broadband-phone-charges#6`` and
  ``business-phone-charges#call-plans-anytime``: the call plans' inclusive minutes.
- ``plusnet-business/broadband-phone-schedule#3.7``: the 120-minute maximum call.

How a call is rated under the tariff is :mod:`backhaul.rating.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backhaul.core.errors import InvalidInput
from backhaul.core.money import parse_amount, parse_rate

__all__ = [
    "DAYS",
    "MINUTES_PER_DAY",
    "MINUTES_PER_WEEK",
    "SECTION",
    "Band",
    "BandScheme",
    "ClassRates",
    "Destination",
    "PhoneTariff",
    "Plan",
    "TariffError",
    "tariff_from_params",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
SECTION = "rules.phone_rating"
_TIME = re.compile(r"^(?P<h>[0-2][0-9]):(?P<m>[0-5][0-9])$")
_AMOUNT_PLACES = 6


class TariffError(InvalidInput, ValueError):
    """A ``[rules.phone_rating]`` section Backhaul cannot rate with; the message names the key."""


# --- the tariff, as read from the catalogue -------------------------------------------------


@dataclass(frozen=True)
class Band:
    """One time band: on `days` (0 = Monday) within `windows` of minutes [from, until)."""

    name: str
    days: frozenset[int]
    windows: tuple[tuple[int, int], ...]
    clause: str

    def applies(self, weekday: int, minute: int) -> bool:
        if weekday not in self.days:
            return False
        return not self.windows or any(start <= minute < end for start, end in self.windows)


@dataclass(frozen=True)
class BandScheme:
    """The time bands of one product family, in precedence order; the last is the default."""

    family: str
    bands: tuple[Band, ...]
    clause: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(band.name for band in self.bands)

    def band_at(self, weekday: int, minute: int) -> str:
        """The band of a local weekday (0 = Monday) and minute of the day.

        plusnet-business/business-phone-charges#2, broadband-phone-charges#3: weekend
        first, then evening, and daytime at any other time.
        """
        for band in self.bands[:-1]:
            if band.applies(weekday, minute):
                return band.name
        return self.bands[-1].name


@dataclass(frozen=True)
class Destination:
    """A destination class: how numbers are matched to it and whether calls to it are free."""

    name: str
    clause: str
    prefixes: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    on_net: bool = False
    free: bool = False
    operator_assisted: bool = False
    example: bool = False


@dataclass(frozen=True)
class ClassRates:
    """Per-minute rates before VAT for one family and destination class, by band."""

    by_band: Mapping[str, Decimal]
    clause: str
    example: bool = False


@dataclass(frozen=True)
class Plan:
    """A product calls are rated on: its family, and what it includes.

    `allowance_minutes` is a monthly allowance to the `inclusive_classes`
    (plusnet-business/broadband-phone-charges#6(b), 6(c)); `inclusive_windows` make calls to
    those classes inclusive on `inclusive_days` in those hours
    (plusnet-business/business-phone-charges#call-plans-anytime).
    """

    key: str
    family: str
    clause: str
    inclusive_classes: frozenset[str] = frozenset()
    inclusive_days: frozenset[int] = frozenset()
    inclusive_windows: tuple[tuple[int, int], ...] = ()
    allowance_minutes: int | None = None
    max_call_minutes: int | None = None

    @property
    def has_window(self) -> bool:
        return bool(self.inclusive_classes) and bool(self.inclusive_days)

    @property
    def has_allowance(self) -> bool:
        return bool(self.inclusive_classes) and self.allowance_minutes is not None

    def in_window(self, weekday: int, minute: int) -> bool:
        if not self.has_window or weekday not in self.inclusive_days:
            return False
        return not self.inclusive_windows or any(
            start <= minute < end for start, end in self.inclusive_windows
        )


@dataclass(frozen=True)
class PhoneTariff:
    """Everything needed to rate a call for one brand, read from its catalogue."""

    brand: str
    timezone: str
    clause: str
    setup_fee: Decimal
    setup_fee_clause: str
    setup_fee_exempt_classes: frozenset[str]
    operator_admin_fee_percent: Decimal
    operator_clause: str
    max_call_minutes: int
    max_call_clause: str
    max_call_exempt_classes: frozenset[str]
    max_record_minutes: int
    destinations: tuple[Destination, ...]
    schemes: Mapping[str, BandScheme]
    rates: Mapping[tuple[str, str], ClassRates]
    plans: Mapping[str, Plan]
    vat_rates: tuple[tuple[date, Decimal], ...]
    band_crossing_clause: str = ""
    vat_rounding_clause: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def band_names(self) -> tuple[str, ...]:
        """Every band name of every family, in first-seen precedence order."""
        seen: list[str] = []
        for scheme in self.schemes.values():
            for name in scheme.names:
                if name not in seen:
                    seen.append(name)
        return tuple(seen)

    def destination(self, name: str) -> Destination:
        for destination in self.destinations:
            if destination.name == name:
                return destination
        raise KeyError(name)

    def plan(self, key: str) -> Plan:
        try:
            return self.plans[key]
        except KeyError:
            known = ", ".join(sorted(self.plans))
            raise InvalidInput(
                f"plan: {key!r} is not a call plan of {self.brand} (known: {known})"
            ) from None


def _where(path: str) -> str:
    return f"{SECTION}.{path}" if path else SECTION


def _require(params: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in params:
        raise TariffError(f"{_where(path + '.' + key if path else key)}: required key is missing")
    return params[key]


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise TariffError(f"{_where(path)}: expected text, found {value!r}")
    return value


def _int(value: Any, path: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TariffError(f"{_where(path)}: expected a whole number >= {minimum}, found {value!r}")
    return value


def _amount(value: Any, path: str) -> Decimal:
    try:
        amount = parse_amount(value) if isinstance(value, str) else parse_amount(str(value))
    except InvalidInput as exc:
        raise TariffError(f"{_where(path)}: {exc}") from None
    if amount < 0:
        raise TariffError(f"{_where(path)}: must not be negative, found {value!r}")
    exponent = int(amount.as_tuple().exponent)
    if -exponent > _AMOUNT_PLACES:
        raise TariffError(
            f"{_where(path)}: at most {_AMOUNT_PLACES} decimal places, found {value!r}"
        )
    return amount


def _days(value: Any, path: str) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        raise TariffError(f"{_where(path)}: expected a list of days such as ['mon', 'tue']")
    days = set()
    for item in value:
        if item not in DAYS:
            raise TariffError(f"{_where(path)}: unknown day {item!r} (use {', '.join(DAYS)})")
        days.add(DAYS.index(item))
    return frozenset(days)


def _minute_of_day(value: Any, path: str) -> int:
    match = _TIME.match(value) if isinstance(value, str) else None
    minute = int(match["h"]) * 60 + int(match["m"]) if match else -1
    if not match or minute > MINUTES_PER_DAY:
        raise TariffError(f"{_where(path)}: expected a time HH:MM up to 24:00, found {value!r}")
    return minute


def _windows(value: Any, path: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list):
        raise TariffError(f"{_where(path)}: expected a list of [from, until] times")
    windows = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(item, list) or len(item) != 2:
            raise TariffError(f"{_where(where)}: expected [from, until], found {item!r}")
        start, end = _minute_of_day(item[0], where), _minute_of_day(item[1], where)
        if start >= end:
            raise TariffError(f"{_where(where)}: {item[0]} is not before {item[1]}")
        windows.append((start, end))
    return tuple(windows)


def _scheme(family: str, params: Any) -> BandScheme:
    path = f"bands.{family}"
    if not isinstance(params, Mapping):
        raise TariffError(f"{_where(path)}: expected a table")
    precedence = _require(params, "precedence", path)
    if not isinstance(precedence, list) or not precedence:
        raise TariffError(f"{_where(path)}.precedence: expected a list of band names")
    bands = []
    for position, name in enumerate(precedence):
        spec = _require(params, name, path)
        where = f"{path}.{name}"
        if not isinstance(spec, Mapping):
            raise TariffError(f"{_where(where)}: expected a table")
        last = position == len(precedence) - 1
        if last and ("days" in spec or "windows" in spec):
            raise TariffError(f"{_where(where)}: the last band is 'any other time': no days")
        days = frozenset(range(7)) if last else _days(_require(spec, "days", where), where)
        windows = _windows(spec.get("windows", []), where + ".windows")
        bands.append(Band(name, days, windows, _text(_require(spec, "clause", where), where)))
    if len(bands) > 4:
        raise TariffError(f"{_where(path)}.precedence: at most 4 bands")
    clause = _text(_require(params, "clause", path), path + ".clause")
    return BandScheme(family=family, bands=tuple(bands), clause=clause)


def _destination(name: str, params: Any) -> Destination:
    path = f"destinations.{name}"
    if not isinstance(params, Mapping):
        raise TariffError(f"{_where(path)}: expected a table")
    prefixes = tuple(params.get("prefixes", []))
    numbers = tuple(params.get("numbers", []))
    for key, values in (("prefixes", prefixes), ("numbers", numbers)):
        for value in values:
            if not isinstance(value, str) or not value.isdigit():
                raise TariffError(f"{_where(path)}.{key}: {value!r} is not a string of digits")
    on_net = bool(params.get("on_net", False))
    if not (prefixes or numbers or on_net):
        raise TariffError(f"{_where(path)}: give prefixes, numbers or on_net = true")
    return Destination(
        name=name,
        clause=_text(_require(params, "clause", path), path + ".clause"),
        prefixes=prefixes,
        numbers=numbers,
        on_net=on_net,
        free=bool(params.get("free", False)),
        operator_assisted=bool(params.get("operator_assisted", False)),
        example=bool(params.get("example", False)),
    )


def _plan(key: str, params: Any, families: Mapping[str, BandScheme], classes: set[str]) -> Plan:
    path = f"plans.{key}"
    if not isinstance(params, Mapping):
        raise TariffError(f"{_where(path)}: expected a table")
    family = _text(_require(params, "family", path), path + ".family")
    if family not in families:
        raise TariffError(f"{_where(path)}.family: no bands for family {family!r}")
    inclusive = frozenset(params.get("inclusive_classes", []))
    unknown = sorted(inclusive - classes)
    if unknown:
        raise TariffError(f"{_where(path)}.inclusive_classes: unknown {', '.join(unknown)}")
    hours = params.get("inclusive_hours")
    days = params.get("inclusive_days")
    if hours is not None and days is not None:
        raise TariffError(f"{_where(path)}: give inclusive_hours or inclusive_days, not both")
    if inclusive and hours is None and days is None:
        raise TariffError(f"{_where(path)}: inclusive_classes need inclusive_hours or _days")
    return Plan(
        key=key,
        family=family,
        clause=_text(_require(params, "clause", path), path + ".clause"),
        inclusive_classes=inclusive,
        inclusive_days=_days(days, path + ".inclusive_days") if days is not None else frozenset(),
        inclusive_windows=_windows(params.get("inclusive_windows", []), path + ".windows"),
        allowance_minutes=(
            _int(hours, path + ".inclusive_hours") * 60 if hours is not None else None
        ),
    )


def tariff_from_params(
    params: Mapping[str, Any],
    *,
    brand: str,
    timezone: str,
    vat_rates: Iterable[tuple[date, Decimal]],
) -> PhoneTariff:
    """Read a ``[rules.phone_rating]`` section into a :class:`PhoneTariff`.

    Raises :class:`TariffError` naming the key for anything that cannot be rated with:
    a missing clause, a band without days, a rate with more than six decimal places, a plan
    whose family has no bands.
    """
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TariffError(f"brand {brand}: unknown timezone {timezone!r}") from None
    schemes_spec = _require(params, "bands", "")
    if not isinstance(schemes_spec, Mapping) or not schemes_spec:
        raise TariffError(f"{_where('bands')}: expected a table per product family")
    schemes = {family: _scheme(family, spec) for family, spec in schemes_spec.items()}
    destinations_spec = _require(params, "destinations", "")
    if not isinstance(destinations_spec, Mapping) or not destinations_spec:
        raise TariffError(f"{_where('destinations')}: expected a table per destination class")
    destinations = tuple(_destination(name, spec) for name, spec in destinations_spec.items())
    classes = {d.name for d in destinations}
    rates: dict[tuple[str, str], ClassRates] = {}
    rates_spec = _require(params, "rates", "")
    if not isinstance(rates_spec, Mapping):
        raise TariffError(f"{_where('rates')}: expected a table per product family")
    for family, table in rates_spec.items():
        if family not in schemes:
            raise TariffError(f"{_where('rates.' + family)}: no bands for family {family!r}")
        if not isinstance(table, Mapping):
            raise TariffError(f"{_where('rates.' + family)}: expected a table")
        family_clause = _text(_require(table, "clause", f"rates.{family}"), f"rates.{family}")
        family_example = bool(table.get("example", False))
        for name, spec in table.items():
            if name in ("clause", "example") or name.endswith("_clause"):
                continue
            path = f"rates.{family}.{name}"
            if name not in classes:
                raise TariffError(f"{_where(path)}: unknown destination class {name!r}")
            if not isinstance(spec, Mapping):
                raise TariffError(f'{_where(path)}: expected {{ band = "rate", ... }}')
            by_band = {
                band: _amount(_require(spec, band, path), f"{path}.{band}")
                for band in schemes[family].names
            }
            rates[(family, name)] = ClassRates(
                by_band=by_band,
                clause=str(spec.get("clause", family_clause)),
                example=family_example or bool(spec.get("example", False)),
            )
    plans_spec = _require(params, "plans", "")
    if not isinstance(plans_spec, Mapping) or not plans_spec:
        raise TariffError(f"{_where('plans')}: expected a table per call plan")
    max_minutes = _int(_require(params, "max_call_minutes", ""), "max_call_minutes", minimum=1)
    max_products = set(params.get("max_call_products", []))
    plans = {}
    for key, spec in plans_spec.items():
        plan = _plan(key, spec, schemes, classes)
        if key in max_products:
            plan = replace(plan, max_call_minutes=max_minutes)
        plans[key] = plan
    record_minutes = _int(params.get("max_record_minutes", 1440), "max_record_minutes", minimum=1)
    vat = tuple(sorted((start, Decimal(rate)) for start, rate in vat_rates))
    if not vat:
        raise TariffError(f"brand {brand}: no VAT rates")
    return PhoneTariff(
        brand=brand,
        timezone=timezone,
        clause=_text(_require(params, "clause", ""), "clause"),
        setup_fee=_amount(_require(params, "setup_fee", ""), "setup_fee"),
        setup_fee_clause=str(params.get("setup_fee_clause", params["clause"])),
        setup_fee_exempt_classes=frozenset(params.get("setup_fee_exempt_classes", [])),
        operator_admin_fee_percent=_percent(params.get("operator_admin_fee_percent", "0")),
        operator_clause=str(params.get("operator_admin_fee_percent_clause", params["clause"])),
        max_call_minutes=max_minutes,
        max_call_clause=str(params.get("max_call_minutes_clause", params["clause"])),
        max_call_exempt_classes=frozenset(params.get("max_call_exempt_classes", [])),
        max_record_minutes=max(record_minutes, max_minutes),
        destinations=destinations,
        schemes=schemes,
        rates=rates,
        plans=plans,
        vat_rates=vat,
        band_crossing_clause=str(params.get("band_crossing_clause", params["clause"])),
        vat_rounding_clause=str(params["clause"]),
    )


def _percent(value: Any) -> Decimal:
    try:
        percent = parse_rate(str(value))
    except InvalidInput as exc:
        raise TariffError(f"{_where('operator_admin_fee_percent')}: {exc}") from None
    if percent < 0 or -int(percent.as_tuple().exponent) > 2:
        raise TariffError(
            f"{_where('operator_admin_fee_percent')}: a percentage with at most 2 decimal "
            f"places, found {value!r}"
        )
    return percent
