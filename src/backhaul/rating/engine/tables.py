"""The tariff as lookup tables: prefix classes, packed band prefix sums, clock changes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl

from backhaul.core.errors import InvalidInput
from backhaul.rating.tariff_rules import (
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    BandScheme,
    PhoneTariff,
    Plan,
)

FIRST_YEAR, LAST_YEAR = 1971, 2099
FIRST_SECOND = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
END_SECOND = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())
SLOT_BITS = 16
MAX_SLOTS = 4
_AMOUNT_SCALE = 10**6  # rates and fees in millionths of a pound
PERCENT_SCALE = 10**4  # the admin fee multiplier: 10000 + percent * 100
PENNY_UNITS = _AMOUNT_SCALE * PERCENT_SCALE // 100
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
SHOWN_CHARACTERS = 40
#: A batch is held in memory whole anyway: Polars' in-memory engine costs less for it than
#: the streaming one.
IN_MEMORY = "in-memory"


# --- time zone offsets -------------------------------------------------------------------------


def utc_offset_changes(timezone: str) -> tuple[list[int], list[int]]:
    """Every change of UTC offset in `timezone` from 1970 to 2100, as two lists.

    ``starts[i]`` is the Unix second a period begins and ``offsets[i]`` its UTC offset in
    seconds. The first entry is a sentinel in the distant past and the last one in the
    distant future, so every instant in range has a period and a next change.
    """
    zone = ZoneInfo(timezone)

    def offset(second: int) -> int:
        value = datetime.fromtimestamp(second, zone).utcoffset()
        return int(value.total_seconds()) if value is not None else 0

    starts, offsets = [-(2**62)], [offset(FIRST_SECOND - 366 * 86400)]
    step = 86400 * 7
    second = FIRST_SECOND - 366 * 86400
    while second < END_SECOND + 366 * 86400:
        following = second + step
        if offset(following) != offsets[-1]:
            low, high = second, following
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == offsets[-1]:
                    low = middle
                else:
                    high = middle
            starts.append(high)
            offsets.append(offset(high))
        second = following
    starts.append(2**62)
    offsets.append(offsets[-1])
    return starts, offsets


# --- the tariff as lookup tables --------------------------------------------------------------


@dataclass(frozen=True)
class CompiledTariff:
    """A :class:`PhoneTariff` turned into the integer tables the engine gathers from."""

    tariff: PhoneTariff
    classes: list[str]
    exact_numbers: dict[str, int]
    prefix_width: int
    prefix_offsets: list[int]
    prefix_table: pl.Series
    on_net_code: int | None
    free: list[bool]
    operator: list[bool]
    setup_exempt: list[bool]
    max_exempt: list[bool]
    plans: list[str]
    plan_family: list[int]
    plan_window: list[bool]
    plan_allowance: list[int]
    plan_max_call: list[int]
    plan_inclusive: list[list[bool]]
    families: list[str]
    bands: list[str]
    table_length: int
    tables: pl.Series
    chargeable_base: int
    month_starts: pl.Series
    month_codes: pl.Series
    rates: list[list[int]]
    has_rate: list[bool]
    transition_starts: pl.Series
    transition_offsets: pl.Series
    vat_days: pl.Series
    vat_numerators: pl.Series
    vat_denominators: pl.Series
    setup_units: int
    admin_multiplier: int
    clause_names: list[str]
    rate_clause: list[int]
    class_clause: list[int]
    plan_clause: list[int]
    tariff_clause: int
    operator_clause: int

    def class_code(self, name: str) -> int:
        return self.classes.index(name)

    def plan_code(self, key: str) -> int:
        self.tariff.plan(key)
        return self.plans.index(key)


def _units(amount: Decimal) -> int:
    value = amount * _AMOUNT_SCALE
    if value != value.to_integral_value():
        raise InvalidInput(f"amount {amount} has more than six decimal places")
    return int(value)


_MAX_PREFIX_DIGITS = 6
_MIN_NUMBER_DIGITS = 3


def _prefix_table(tariff: PhoneTariff) -> tuple[int, list[int], pl.Series]:
    """Longest-prefix classes as one lookup table, indexed by a number's leading digits.

    For a number of length L the table holds, at ``offsets[min(L, width)] + int(first
    min(L, width) digits)``, the class of its longest matching prefix (null for none).
    Shorter numbers get their own tables so that "999" never matches a prefix "9990".
    """
    prefixes = [(p, code) for code, d in enumerate(tariff.destinations) for p in d.prefixes]
    width = max((len(p) for p, _ in prefixes), default=_MIN_NUMBER_DIGITS)
    width = max(width, _MIN_NUMBER_DIGITS)
    if width > _MAX_PREFIX_DIGITS:
        raise InvalidInput(f"destination prefixes longer than {_MAX_PREFIX_DIGITS} digits")
    offsets = [0] * (width + 1)
    table: list[int | None] = []
    # Shorter prefixes first, so that a longer one overwrites the range it refines; among
    # equal prefixes the class listed first in the catalogue wins.
    ordered = sorted(enumerate(prefixes), key=lambda item: (len(item[1][0]), -item[0]))
    for digits in range(_MIN_NUMBER_DIGITS, width + 1):
        offsets[digits] = len(table)
        block: list[int | None] = [None] * 10**digits
        for _position, (prefix, code) in ordered:
            if len(prefix) > digits:
                continue
            span = 10 ** (digits - len(prefix))
            first = int(prefix) * span
            block[first : first + span] = [code] * span
        table += block
    return width, offsets, pl.Series("prefix_classes", table, dtype=pl.Int32)


_COMPILED: dict[str, CompiledTariff] = {}


def compile_tariff(tariff: PhoneTariff) -> CompiledTariff:
    """The lookup tables for `tariff`, built once per distinct tariff."""
    key = repr(tariff)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) > 8:
            _COMPILED.clear()
        found = _COMPILED[key] = _compile(tariff)
    return found


def _compile(tariff: PhoneTariff) -> CompiledTariff:
    """Build the lookup tables for `tariff` (a few hundred thousand small integers)."""
    classes = [d.name for d in tariff.destinations]
    exact = {number: i for i, d in enumerate(tariff.destinations) for number in d.numbers}
    width, prefix_offsets, prefix_table = _prefix_table(tariff)
    on_net = next((i for i, d in enumerate(tariff.destinations) if d.on_net), None)
    families = list(tariff.schemes)
    bands = list(tariff.band_names)
    if len(bands) > MAX_SLOTS:
        raise InvalidInput(f"at most {MAX_SLOTS} band names across families, found {bands}")
    plans = list(tariff.plans)
    plan_objects = [tariff.plans[key] for key in plans]
    span = 2 * MINUTES_PER_WEEK + tariff.max_record_minutes + 4 * 60 + 1

    def packed_table(classify: Callable[[int, int], int | None]) -> list[int]:
        week = []
        for minute in range(MINUTES_PER_WEEK):
            slot = classify(minute // MINUTES_PER_DAY, minute % MINUTES_PER_DAY)
            week.append(0 if slot is None else 1 << (SLOT_BITS * slot))
        repeated = (week * (span // MINUTES_PER_WEEK + 1))[: span - 1]
        return [0, *itertools.accumulate(repeated)]

    def every_minute(scheme: BandScheme) -> Callable[[int, int], int | None]:
        return lambda day, minute: bands.index(scheme.band_at(day, minute))

    def chargeable_minutes(plan: Plan) -> Callable[[int, int], int | None]:
        scheme = tariff.schemes[plan.family]
        return lambda day, minute: (
            None if plan.in_window(day, minute) else bands.index(scheme.band_at(day, minute))
        )

    all_tables: list[int] = []
    for family in families:
        all_tables += packed_table(every_minute(tariff.schemes[family]))
    chargeable: list[int] = []
    for plan in plan_objects:
        chargeable += packed_table(chargeable_minutes(plan))
    rates: list[list[int]] = []
    has_rate: list[bool] = []
    clause_names: list[str] = []

    def clause_code(clause: str) -> int:
        if clause not in clause_names:
            clause_names.append(clause)
        return clause_names.index(clause)

    rate_clause: list[int] = []
    for family in families:
        for name in classes:
            found = tariff.rates.get((family, name))
            has_rate.append(found is not None)
            row = [0] * MAX_SLOTS
            if found is not None:
                for band, amount in found.by_band.items():
                    row[bands.index(band)] = _units(amount)
            rates.append(row)
            rate_clause.append(clause_code(found.clause if found else tariff.clause))
    starts, offsets = utc_offset_changes(tariff.timezone)
    epoch = date(1970, 1, 1)
    months = [
        ((date(year, month, 1) - epoch).days, year * 100 + month)
        for year in range(1969, LAST_YEAR + 2)
        for month in range(1, 13)
    ]
    vat_days = [(start - epoch).days for start, _ in tariff.vat_rates]
    vat_ratios = [rate.as_integer_ratio() for _, rate in tariff.vat_rates]
    percent = tariff.operator_admin_fee_percent * 100
    return CompiledTariff(
        tariff=tariff,
        classes=classes,
        exact_numbers=exact,
        prefix_width=width,
        prefix_offsets=prefix_offsets,
        prefix_table=prefix_table,
        on_net_code=on_net,
        free=[d.free for d in tariff.destinations],
        operator=[d.operator_assisted for d in tariff.destinations],
        setup_exempt=[d.name in tariff.setup_fee_exempt_classes for d in tariff.destinations],
        max_exempt=[d.name in tariff.max_call_exempt_classes for d in tariff.destinations],
        plans=plans,
        plan_family=[families.index(p.family) for p in plan_objects],
        plan_window=[p.has_window for p in plan_objects],
        plan_allowance=[
            (p.allowance_minutes or 0) if p.has_allowance else -1 for p in plan_objects
        ],
        plan_max_call=[(p.max_call_minutes or 0) * 60 for p in plan_objects],
        plan_inclusive=[[name in p.inclusive_classes for name in classes] for p in plan_objects],
        families=families,
        bands=bands,
        table_length=span,
        tables=pl.Series("tables", all_tables + chargeable, dtype=pl.Int64),
        chargeable_base=len(all_tables),
        month_starts=pl.Series("month_starts", [d for d, _ in months], dtype=pl.Int64),
        month_codes=pl.Series("month_codes", [m for _, m in months], dtype=pl.Int32),
        rates=rates,
        has_rate=has_rate,
        transition_starts=pl.Series("starts", starts, dtype=pl.Int64),
        transition_offsets=pl.Series("offsets", offsets, dtype=pl.Int64),
        vat_days=pl.Series("days", vat_days, dtype=pl.Int64),
        vat_numerators=pl.Series("num", [n for n, _ in vat_ratios], dtype=pl.Int64),
        vat_denominators=pl.Series("den", [d for _, d in vat_ratios], dtype=pl.Int64),
        setup_units=_units(tariff.setup_fee),
        admin_multiplier=PERCENT_SCALE + int(percent),
        clause_names=clause_names,
        rate_clause=rate_clause,
        class_clause=[clause_code(d.clause) for d in tariff.destinations],
        plan_clause=[clause_code(p.clause) for p in plan_objects],
        tariff_clause=clause_code(tariff.clause),
        operator_clause=clause_code(tariff.operator_clause),
    )
