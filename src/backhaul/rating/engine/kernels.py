"""Per-call arithmetic compiled to machine code: one pass over a batch's columns.

Banding and pricing a call is a few dozen table lookups and integer operations. As Polars
expressions each of them is a pass over the batch that writes a column; here they are one
loop per batch (Numba), reading the batch's Arrow buffers and the tariff's tables as
NumPy arrays without copying them, and writing only the columns that are kept. The loops
release the interpreter, so the worker threads rate batches side by side.

Each kernel does exactly what the Polars expressions it stands for did (the same tables,
the same integer formulas, Python's floor division), and the differential tests hold it
to the plain-Python reference (docs/decisions/0004-compiled-kernels.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
from numba import njit

from backhaul.rating.engine.tables import (
    END_SECOND,
    EPOCH_WEEKDAY,
    FIRST_SECOND,
    PENNY_UNITS,
    PERCENT_SCALE,
    SLOT_BITS,
    CompiledTariff,
)
from backhaul.rating.tariff_rules import MINUTES_PER_DAY, MINUTES_PER_WEEK

_SLOT_MASK = (1 << SLOT_BITS) - 1
_VIEW_BYTES = 16  # an Arrow string view: length, then 12 bytes inline or prefix/buffer/offset
_INLINE = 12
_ISO_LENGTH = len("2026-03-29T01:30:00+01:00")
_FIRST_FAST_YEAR, _LAST_FAST_YEAR = 1970, 2100
_BILLSEC_DIGITS = 9  # importers.BILLSEC
_PLAIN_DIGITS = 19  # any 19 digits fit in 64 bits
_0044 = int.from_bytes(b"0044", "little")


# --- the tariff as arrays ---------------------------------------------------------------------


@dataclass(frozen=True)
class TariffArrays:
    """A compiled tariff's tables as NumPy arrays, as the kernels take them."""

    tables: np.ndarray
    table_length: int
    chargeable_base: int
    transition_starts: np.ndarray
    transition_offsets: np.ndarray
    month_starts: np.ndarray
    month_codes: np.ndarray
    first_day: int  # the day (since 1970-01-01) of the first entry of the two day tables
    day_period: np.ndarray  # the offset period in force as each UTC day begins
    day_month: np.ndarray  # the month (index into month_starts) of each local day
    plan_allowance: np.ndarray
    plan_window: np.ndarray
    plan_inclusive: np.ndarray  # plan * classes + class
    classes: int
    free: np.ndarray
    operator: np.ndarray
    setup_exempt: np.ndarray
    rates: np.ndarray  # rate row * slots + slot
    slots: int
    vat_days: np.ndarray
    vat_numerators: np.ndarray
    vat_denominators: np.ndarray
    setup_units: int
    admin_multiplier: int
    rate_clause: np.ndarray
    class_clause: np.ndarray
    plan_clause: np.ndarray
    tariff_clause: int
    operator_clause: int


_ARRAYS: dict[int, tuple[CompiledTariff, TariffArrays]] = {}


def tariff_arrays(c: CompiledTariff) -> TariffArrays:
    """The arrays of `c`, built once per compiled tariff."""
    found = _ARRAYS.get(id(c))
    if found is not None and found[0] is c:
        return found[1]
    slots = len(c.bands)
    starts = c.transition_starts.to_numpy().astype(np.int64)
    month_starts = c.month_starts.to_numpy().astype(np.int64)
    # A binary search per call costs more than the rest of banding: the period and month
    # of each day are looked up instead (every instant rated lies within these days).
    days = np.arange(FIRST_SECOND // 86_400 - 2, END_SECOND // 86_400 + 2, dtype=np.int64)
    arrays = TariffArrays(
        tables=c.tables.to_numpy().astype(np.int64),
        table_length=c.table_length,
        chargeable_base=c.chargeable_base,
        transition_starts=starts,
        transition_offsets=c.transition_offsets.to_numpy().astype(np.int64),
        month_starts=month_starts,
        month_codes=c.month_codes.to_numpy().astype(np.int32),
        first_day=int(days[0]),
        day_period=(np.searchsorted(starts, days * 86_400, side="right") - 1).astype(np.int64),
        day_month=(np.searchsorted(month_starts, days, side="right") - 1).astype(np.int64),
        plan_allowance=np.array(c.plan_allowance, dtype=np.int64),
        plan_window=np.array(c.plan_window, dtype=np.bool_),
        plan_inclusive=np.array([f for row in c.plan_inclusive for f in row], dtype=np.bool_),
        classes=len(c.classes),
        free=np.array(c.free, dtype=np.bool_),
        operator=np.array(c.operator, dtype=np.bool_),
        setup_exempt=np.array(c.setup_exempt, dtype=np.bool_),
        rates=np.array([row[i] for row in c.rates for i in range(slots)], dtype=np.int64),
        slots=slots,
        vat_days=c.vat_days.to_numpy().astype(np.int64),
        vat_numerators=c.vat_numerators.to_numpy().astype(np.int64),
        vat_denominators=c.vat_denominators.to_numpy().astype(np.int64),
        setup_units=c.setup_units,
        admin_multiplier=c.admin_multiplier,
        rate_clause=np.array(c.rate_clause, dtype=np.int32),
        class_clause=np.array(c.class_clause, dtype=np.int32),
        plan_clause=np.array(c.plan_clause, dtype=np.int32),
        tariff_clause=c.tariff_clause,
        operator_clause=c.operator_clause,
    )
    arrays = TariffArrays(
        **{
            name: fixed(value) if isinstance(value, np.ndarray) else value
            for name, value in vars(arrays).items()
        }
    )
    if len(_ARRAYS) > 8:
        _ARRAYS.clear()
    _ARRAYS[id(c)] = (c, arrays)
    return arrays


def fixed(values: np.ndarray) -> np.ndarray:
    """`values` as a contiguous read-only array.

    A kernel is compiled once for each combination of argument types, and whether an array
    may be written is part of its type: NumPy views of Polars' buffers are read-only and
    copies are not, so every argument is made read-only and each kernel has one version.
    """
    values = np.ascontiguousarray(values)
    if values.flags.writeable:
        values = values.view()
        values.flags.writeable = False
    return values


def _ints(series: pl.Series) -> np.ndarray:
    return fixed(series.cast(pl.Int64).to_numpy())


def _int32s(series: pl.Series) -> np.ndarray:
    return fixed(series.cast(pl.Int32).to_numpy())


def _flags(series: pl.Series) -> np.ndarray:
    return fixed(series.to_numpy().astype(np.bool_, copy=False))


# --- times -----------------------------------------------------------------------------------


def string_views(series: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A string column's Arrow buffers as NumPy arrays, without copying the views.

    Returns (views, data, buffer starts, valid): the views are 16 bytes each, one after
    another; a string of up to 12 bytes is inside its view, a longer one in data buffer
    ``view[8:12]`` at offset ``view[12:16]``. The data buffers are joined into one array,
    and ``buffer starts`` says where each begins.

    The kernels index these arrays directly: a slice of an array costs a reference count
    in compiled code, more than reading the few bytes of a field.
    """
    array = series.rechunk().to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_string_view(array.type):
        array = array.cast(pa.string_view())
    buffers = array.buffers()
    size = len(array)
    views = np.frombuffer(buffers[1], dtype=np.uint8)[
        array.offset * _VIEW_BYTES : (array.offset + size) * _VIEW_BYTES
    ]
    parts = [np.frombuffer(b, dtype=np.uint8) for b in buffers[2:] if b is not None]
    starts = np.zeros(len(parts) + 1, dtype=np.int64)
    if parts:
        starts[1:] = np.cumsum([len(p) for p in parts])
    if len(parts) == 1:
        data = parts[0]
    else:
        data = np.concatenate(parts) if parts else np.zeros(1, dtype=np.uint8)
    valid = (
        np.ones(size, dtype=np.bool_)
        if array.null_count == 0
        else np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    )
    return fixed(views), fixed(data), fixed(starts), fixed(valid)


@njit(cache=True, nogil=True, inline="always")
def _word(buffer: np.ndarray, at: int) -> int:
    """The little-endian 32-bit unsigned integer at `at`."""
    return (
        np.int64(buffer[at])
        | (np.int64(buffer[at + 1]) << 8)
        | (np.int64(buffer[at + 2]) << 16)
        | (np.int64(buffer[at + 3]) << 24)
    )


@njit(cache=True, nogil=True, inline="always")
def _located(views: np.ndarray, starts: np.ndarray, row: int) -> tuple[bool, int, int]:
    """Where string `row` is: (inside its view?, position of its first byte, length)."""
    at = row * _VIEW_BYTES
    length = _word(views, at)
    if length <= _INLINE:
        return True, at + 4, length
    return False, starts[_word(views, at + 8)] + _word(views, at + 12), length


@njit(cache=True, nogil=True, inline="always")
def _digits_value(buffer: np.ndarray, at: int, length: int) -> int:
    """The value of `length` ASCII digits at `at`, or -1 if any byte is not a digit."""
    value = 0
    for position in range(at, at + length):
        digit = _digit(buffer[position])
        if digit < 0:
            return -1
        value = value * 10 + digit
    return value


@njit(cache=True, nogil=True, inline="always")
def _digit(byte: int) -> int:
    """The digit a byte stands for, or -1."""
    value = np.int64(byte) - 48
    return value if 0 <= value <= 9 else -1


@njit(cache=True, nogil=True, inline="always")
def _two(data: np.ndarray, at: int) -> int:
    high, low = _digit(data[at]), _digit(data[at + 1])
    return -1 if high < 0 or low < 0 else high * 10 + low


@njit(cache=True, nogil=True, inline="always")
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    shifted = month + 9 if month <= 2 else month - 3
    day_of_year = (153 * shifted + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@njit(cache=True, nogil=True, inline="always")
def _month_length(year: int, month: int) -> int:
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@njit(cache=True, nogil=True)
def _iso_seconds_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    size = valid.shape[0]
    seconds = np.zeros(size, dtype=np.int64)
    ok = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = _located(views, starts, row)
        if inline or length != _ISO_LENGTH:
            continue
        text = data
        if (
            text[at + 4] != 45  # -
            or text[at + 7] != 45
            or text[at + 10] != 84  # T
            or text[at + 13] != 58  # :
            or text[at + 16] != 58
            or text[at + 22] != 58
            or text[at + 24] != 48  # the offset in whole tens of minutes
            or (text[at + 19] != 43 and text[at + 19] != 45)  # + or -
        ):
            continue
        century, years = _two(text, at), _two(text, at + 2)
        month, day = _two(text, at + 5), _two(text, at + 8)
        hour, minute, second = _two(text, at + 11), _two(text, at + 14), _two(text, at + 17)
        offset_hours, offset_tens = _two(text, at + 20), _digit(text[at + 23])
        if min(century, years, month, day, hour, minute, second, offset_hours, offset_tens) < 0:
            continue
        year = century * 100 + years
        if not (_FIRST_FAST_YEAR <= year <= _LAST_FAST_YEAR and 1 <= month <= 12):
            continue
        if not (1 <= day <= _month_length(year, month)):
            continue
        if hour > 23 or minute > 59 or second > 59 or offset_hours > 23 or offset_tens > 5:
            continue
        offset = offset_hours * 3600 + offset_tens * 600
        if text[at + 19] == 45:
            offset = -offset
        seconds[row] = (
            _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
        )
        ok[row] = True
    return seconds, ok


def iso_seconds_fixed(series: pl.Series) -> pl.Series:
    """Unix seconds of ``YYYY-MM-DDTHH:MM:SS+hh:m0``, the usual form; null for any other
    text (which then goes to the general parser)."""
    seconds, ok = _iso_seconds_kernel(*string_views(series))
    return pl.Series(series.name, seconds).zip_with(
        pl.Series(ok), pl.Series([None], dtype=pl.Int64)
    )


# --- durations and numbers -------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _billsec_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    size = valid.shape[0]
    values = np.zeros(size, dtype=np.int64)
    ok = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = _located(views, starts, row)
        if not 1 <= length <= _BILLSEC_DIGITS:
            continue
        value = _digits_value(views if inline else data, at, length)
        if value >= 0:
            values[row] = value
            ok[row] = True
    return values, ok


def billsec_seconds(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``billsec`` as seconds where it is 1 to 9 digits (``importers.BILLSEC``), else null;
    and whether it is."""
    values, ok = _billsec_kernel(*string_views(series))
    flags = pl.Series(ok)
    return pl.Series(values).zip_with(flags, pl.Series([None], dtype=pl.Int64)), flags


@njit(cache=True, nogil=True)
def _number_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray, key_digits: int
) -> tuple[np.ndarray, np.ndarray]:
    size = valid.shape[0]
    keys = np.full(size, -1, dtype=np.int64)
    plain = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = _located(views, starts, row)
        if not 1 <= length <= _PLAIN_DIGITS:
            continue
        text = views if inline else data
        if length >= 4 and _word(text, at) == _0044:
            continue  # 0044...: rewritten to national form elsewhere
        value = _digits_value(text, at, length)
        if value < 0:
            continue
        plain[row] = True
        if length <= key_digits:
            keys[row] = value * 32 + length
    return plain, keys


def plain_numbers(series: pl.Series, key_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Which numbers are digits only (1 to 19 of them, not starting ``0044``), and for those
    of up to `key_digits` digits the integer key ``value * 32 + length`` (else -1)."""
    return _number_kernel(*string_views(series), key_digits)


# --- numbers as keys ---------------------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True, inline="always")
def _slot_of(key: int, bits: int) -> int:
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(64 - bits))


@njit(cache=True, nogil=True)
def _key_table_build(keys: np.ndarray, values: np.ndarray, bits: int) -> np.ndarray:
    size = 1 << bits
    table = np.full((size, 2), -1, dtype=np.int64)
    mask = size - 1
    for position in range(keys.shape[0]):
        slot = _slot_of(keys[position], bits)
        while table[slot, 0] >= 0 and table[slot, 0] != keys[position]:
            slot = (slot + 1) & mask
        if table[slot, 0] < 0:  # the first of equal keys wins
            table[slot, 0] = keys[position]
            table[slot, 1] = values[position]
    return table


@njit(cache=True, nogil=True, inline="always")
def _key_find(table: np.ndarray, bits: int, key: int) -> int:
    """The value stored for `key` (a non-negative number key), or -1."""
    mask = (1 << bits) - 1
    slot = _slot_of(key, bits)
    while table[slot, 0] >= 0:
        if table[slot, 0] == key:
            return table[slot, 1]
        slot = (slot + 1) & mask
    return -1


@dataclass(frozen=True)
class KeyTable:
    """Number keys (``fields.number_key``) and a value for each, in an open-addressing hash
    table that kernels probe (a few nanoseconds a lookup, against a binary search's tens)."""

    table: np.ndarray
    bits: int

    @classmethod
    def of(cls, keys: list[int], values: list[int]) -> KeyTable:
        bits = max(4, (2 * max(len(keys), 1) - 1).bit_length())
        table = _key_table_build(
            fixed(np.array(keys, dtype=np.int64)), fixed(np.array(values, dtype=np.int64)), bits
        )
        return cls(fixed(table), bits)


@njit(cache=True, nogil=True)
def _class_kernel(
    views: np.ndarray,
    data: np.ndarray,
    starts: np.ndarray,
    valid: np.ndarray,
    keys: np.ndarray,
    exact: np.ndarray,
    exact_bits: int,
    on_net: np.ndarray,
    on_net_bits: int,
    on_net_code: int,
    prefix_offsets: np.ndarray,
    prefix_table: np.ndarray,
    width: int,
) -> np.ndarray:
    size = valid.shape[0]
    classes = np.full(size, -1, dtype=np.int32)
    for row in range(size):
        if not valid[row]:
            continue
        key = keys[row]
        if key >= 0:
            found = _key_find(exact, exact_bits, key)
            if found >= 0:
                classes[row] = found
                continue
            if on_net_code >= 0 and _key_find(on_net, on_net_bits, key) >= 0:
                classes[row] = on_net_code
                continue
        inline, at, length = _located(views, starts, row)
        text = views if inline else data
        digits = min(length, width)
        leading = 0
        for position in range(at, at + digits):
            leading = leading * 10 + (np.int64(text[position]) - 48)
        classes[row] = prefix_table[prefix_offsets[digits] + leading]
    return classes


def destination_classes(
    numbers: pl.Series,
    keys: pl.Series,
    *,
    exact: KeyTable,
    on_net: KeyTable,
    on_net_code: int | None,
    prefix_offsets: np.ndarray,
    prefix_table: np.ndarray,
    width: int,
) -> pl.Series:
    """Each national number's destination class: a whole number the tariff lists, else an
    on-net number, else its longest prefix (``tables._prefix_table``); null for none.
    `keys` are the numbers' keys (null where a number has none: it is then matched by its
    prefix only, as no listed or on-net number is that long)."""
    views, data, starts, valid = string_views(numbers)
    classes = _class_kernel(
        views,
        data,
        starts,
        valid,
        fixed(keys.fill_null(-1).cast(pl.Int64).to_numpy()),
        exact.table,
        exact.bits,
        on_net.table,
        on_net.bits,
        -1 if on_net_code is None else on_net_code,
        prefix_offsets,
        prefix_table,
        width,
    )
    result = pl.Series(classes)
    return result.zip_with(result >= 0, pl.Series([None], dtype=pl.Int32))


@njit(cache=True, nogil=True)
def _accounts_kernel(
    caller_keys: np.ndarray,
    given: np.ndarray,
    given_index: np.ndarray,
    lines: np.ndarray,
    line_bits: int,
    line_account: np.ndarray,
    line_plan: np.ndarray,
    line_start: np.ndarray,
    line_end: np.ndarray,
    account_plan: np.ndarray,
    account_known: np.ndarray,
) -> tuple[np.ndarray, ...]:
    size = caller_keys.shape[0]
    line_out = np.full(size, -1, dtype=np.int32)
    owner_out = np.full(size, -1, dtype=np.int32)
    plan_out = np.full(size, -1, dtype=np.int32)
    own_out = np.zeros(size, dtype=np.bool_)
    account_out = np.full(size, -1, dtype=np.int32)
    known_out = np.zeros(size, dtype=np.bool_)
    start_out = np.zeros(size, dtype=np.int64)
    end_out = np.zeros(size, dtype=np.int64)
    for row in range(size):
        key = caller_keys[row]
        line = _key_find(lines, line_bits, key) if key >= 0 else -1
        named = given_index[row]
        known = named >= 0 and account_known[named]
        own = line >= 0 and (not given[row] or line_account[line] == named)
        line_out[row] = line
        known_out[row] = known
        own_out[row] = own
        if line >= 0:
            start_out[row] = line_start[line]
            end_out[row] = line_end[line]
        if own:
            owner_out[row] = line_account[line]
            plan_out[row] = line_plan[line]
            account_out[row] = line_account[line]
        else:
            if named >= 0:
                plan_out[row] = account_plan[named]
            if known:
                account_out[row] = named
    return line_out, owner_out, plan_out, own_out, account_out, known_out, start_out, end_out


def accounts(
    caller_keys: pl.Series,
    given: pl.Series,
    given_index: pl.Series,
    *,
    lines: KeyTable,
    line_account: np.ndarray,
    line_plan: np.ndarray,
    line_start: np.ndarray,
    line_end: np.ndarray,
    account_plan: np.ndarray,
    account_known: np.ndarray,
) -> dict[str, pl.Series]:
    """Per record: the line its caller's number is (by key), and from it and the account
    given (its position, or null) the account and plan the call is rated on
    (``BatchRater._resolve_accounts``). Null account plans are -1 in `account_plan`."""
    line, owner, plan, own, account, known, start, end = _accounts_kernel(
        fixed(caller_keys.fill_null(-1).cast(pl.Int64).to_numpy()),
        _flags(given),
        fixed(given_index.fill_null(-1).cast(pl.Int32).to_numpy()),
        lines.table,
        lines.bits,
        line_account,
        line_plan,
        line_start,
        line_end,
        account_plan,
        account_known,
    )

    def nullable(values: np.ndarray, dtype: pl.DataType) -> pl.Series:
        series = pl.Series(values)
        return series.zip_with(series >= 0, pl.Series([None], dtype=dtype))

    has_line = pl.Series(line >= 0)
    return {
        "line_index": nullable(line, pl.Int32),
        "_owner": nullable(owner, pl.Int32),
        "plan": nullable(plan, pl.Int32),
        "matched_line": pl.Series(own),
        "account_index": nullable(account, pl.Int32),
        "account_known": pl.Series(known),
        "line_start": pl.Series(start).zip_with(has_line, pl.Series([None], dtype=pl.Int64)),
        "line_end": pl.Series(end).zip_with(has_line, pl.Series([None], dtype=pl.Int64)),
    }


# --- checks ----------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _call_id_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray, most: int
) -> np.ndarray:
    size = valid.shape[0]
    bad = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = _located(views, starts, row)
        text = views if inline else data
        characters = 0
        control = False
        for position in range(at, at + length):
            byte = text[position]
            if byte < 0x20 or byte == 0x7F:
                control = True
                break
            characters += (byte & 0xC0) != 0x80  # not a UTF-8 continuation byte
        bad[row] = control or not 1 <= characters <= most
    return bad


def call_id_bad(series: pl.Series, most: int) -> pl.Series:
    """Call ids with a control character, or not 1 to `most` characters (``importers.CALL_ID``);
    null where the id is null."""
    views, data, starts, valid = string_views(series)
    bad = pl.Series(_call_id_kernel(views, data, starts, valid, most))
    return bad if series.null_count() == 0 else bad.zip_with(pl.Series(valid), None)


@njit(cache=True, nogil=True)
def _tariff_checks_kernel(
    plan: np.ndarray,
    klass: np.ndarray,
    billsec: np.ndarray,
    answered: np.ndarray,
    free: np.ndarray,
    has_rate: np.ndarray,
    plan_family: np.ndarray,
    classes: int,
    record_seconds: int,
    plan_max_call: np.ndarray,
    max_exempt: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    size = plan.shape[0]
    no_rate = np.zeros(size, dtype=np.bool_)
    too_long = np.zeros(size, dtype=np.bool_)
    over_plan = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        p, c, seconds = plan[row], klass[row], billsec[row]
        long_answered = answered[row] and seconds >= 0
        too_long[row] = long_answered and seconds > record_seconds
        if c < 0 or p < 0:
            continue
        no_rate[row] = not free[c] and not has_rate[plan_family[p] * classes + c]
        most = plan_max_call[p]
        over_plan[row] = long_answered and most > 0 and not max_exempt[c] and seconds > most
    return no_rate, too_long, over_plan


def tariff_checks(c: CompiledTariff, frame: pl.DataFrame) -> tuple[pl.Series, ...]:
    """Per record: no rate for its class on its plan's family; answered and longer than any
    call accepted; answered and over its plan's maximum call (classes exempt aside). False
    where a field they need is missing (other checks reject those records)."""
    flags = _tariff_checks_kernel(
        fixed(frame["plan"].fill_null(-1).cast(pl.Int32).to_numpy()),
        fixed(frame["class"].fill_null(-1).cast(pl.Int32).to_numpy()),
        fixed(frame["billsec_n"].fill_null(-1).cast(pl.Int64).to_numpy()),
        _flags(frame["answered"].fill_null(False)),
        fixed(np.array(c.free, dtype=np.bool_)),
        fixed(np.array(c.has_rate, dtype=np.bool_)),
        fixed(np.array(c.plan_family, dtype=np.int32)),
        len(c.classes),
        c.tariff.max_record_minutes * 60,
        fixed(np.array(c.plan_max_call, dtype=np.int64)),
        fixed(np.array(c.max_exempt, dtype=np.bool_)),
    )
    return tuple(pl.Series(values) for values in flags)


# --- bands -----------------------------------------------------------------------------------


@njit(cache=True, nogil=True, inline="always")
def _range_count(
    tables: np.ndarray, base: int, w: int, n: int, k: int, delta: int, start: int
) -> int:
    """Packed band counts of the minutes [start, n) of a call (see pricing.range_count)."""
    before = tables[base + w + min(n, k)] - tables[base + w + min(start, k)]
    after_from = max(start, k)
    after = tables[base + w + delta + max(n, after_from)] - tables[base + w + delta + after_from]
    return before + after


@njit(cache=True, nogil=True)
def _band_kernel(
    s: np.ndarray,
    answered: np.ndarray,
    billsec: np.ndarray,
    plan: np.ndarray,
    klass: np.ndarray,
    family: np.ndarray,
    tables: np.ndarray,
    table_length: int,
    transition_starts: np.ndarray,
    transition_offsets: np.ndarray,
    month_starts: np.ndarray,
    month_codes: np.ndarray,
    first_day: int,
    day_period: np.ndarray,
    day_month: np.ndarray,
    plan_allowance: np.ndarray,
    plan_window: np.ndarray,
    plan_inclusive: np.ndarray,
    classes: int,
    free: np.ndarray,
) -> tuple[np.ndarray, ...]:
    size = s.shape[0]
    n_out = np.empty(size, dtype=np.int64)
    allowance_out = np.empty(size, dtype=np.int64)
    free_out = np.empty(size, dtype=np.bool_)
    windowed_out = np.empty(size, dtype=np.bool_)
    w_out = np.empty(size, dtype=np.int64)
    k_out = np.empty(size, dtype=np.int64)
    delta_out = np.empty(size, dtype=np.int64)
    day_out = np.empty(size, dtype=np.int64)
    packed_out = np.empty(size, dtype=np.int64)
    month_out = np.empty(size, dtype=np.int32)
    month_day_out = np.empty(size, dtype=np.int64)
    deferred_out = np.empty(size, dtype=np.bool_)
    for row in range(size):
        second = s[row]
        at = second // 86400 - first_day
        if 0 <= at < day_period.shape[0]:
            period = day_period[at]
            while second >= transition_starts[period + 1]:
                period += 1
        else:
            period = np.searchsorted(transition_starts, second, side="right") - 1
        off0 = transition_offsets[period]
        off1 = transition_offsets[period + 1]
        change = transition_starts[period + 1]
        local = second + off0
        n = (billsec[row] + 59) // 60 if answered[row] else 0
        w = (local // 60 + EPOCH_WEEKDAY * MINUTES_PER_DAY) % MINUTES_PER_WEEK + MINUTES_PER_WEEK
        k = min(n, (change - second + 59) // 60)
        delta = (off1 - off0) // 60
        day = local // 86400
        if 0 <= day - first_day < day_month.shape[0]:
            month_index = day_month[day - first_day]
        else:
            month_index = np.searchsorted(month_starts, day, side="right") - 1
        p, c = plan[row], klass[row]
        is_free = free[c]
        inclusive = plan_inclusive[p * classes + c]
        allowance = plan_allowance[p]
        n_out[row] = n
        allowance_out[row] = allowance
        free_out[row] = is_free
        windowed_out[row] = inclusive and plan_window[p] and not is_free
        w_out[row] = w
        k_out[row] = k
        delta_out[row] = delta
        day_out[row] = day
        packed_out[row] = _range_count(tables, family[row] * table_length, w, n, k, delta, 0)
        month_out[row] = month_codes[month_index]
        month_day_out[row] = month_starts[month_index]
        deferred_out[row] = answered[row] and n > 0 and not is_free and inclusive and allowance >= 0
    return (
        n_out,
        allowance_out,
        free_out,
        windowed_out,
        w_out,
        k_out,
        delta_out,
        day_out,
        packed_out,
        month_out,
        month_day_out,
        deferred_out,
    )


BAND_COLUMNS = (
    "n",
    "allowance",
    "_free",
    "windowed",
    "w",
    "k",
    "delta",
    "local_day",
    "all_packed",
    "month",
    "month_day",
    "deferred",
)


def band(c: CompiledTariff, frame: pl.DataFrame) -> pl.DataFrame:
    """Billed minutes, the local minute of the week, the clock change a call may span, the
    billing month and the minutes in each band (packed), for accepted records."""
    t = tariff_arrays(c)
    columns = _band_kernel(
        _ints(frame["s"]),
        _flags(frame["answered"]),
        _ints(frame["billsec_n"]),
        _int32s(frame["plan"]),
        _int32s(frame["class"]),
        _int32s(frame["family"]),
        t.tables,
        t.table_length,
        t.transition_starts,
        t.transition_offsets,
        t.month_starts,
        t.month_codes,
        t.first_day,
        t.day_period,
        t.day_month,
        t.plan_allowance,
        t.plan_window,
        t.plan_inclusive,
        t.classes,
        t.free,
    )
    return frame.with_columns(
        pl.Series(name, values) for name, values in zip(BAND_COLUMNS, columns, strict=True)
    )


# --- money -----------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _charge_kernel(
    windowed: np.ndarray,
    plan: np.ndarray,
    family: np.ndarray,
    covered: np.ndarray,
    all_packed: np.ndarray,
    n_minutes: np.ndarray,
    w_minute: np.ndarray,
    k_minutes: np.ndarray,
    delta_minutes: np.ndarray,
    is_free: np.ndarray,
    op_flag: np.ndarray,
    klass: np.ndarray,
    rate_row: np.ndarray,
    local_day: np.ndarray,
    tables: np.ndarray,
    table_length: int,
    chargeable_base: int,
    operator: np.ndarray,
    setup_exempt: np.ndarray,
    rates: np.ndarray,
    slots: int,
    vat_days: np.ndarray,
    vat_numerators: np.ndarray,
    vat_denominators: np.ndarray,
    setup_units: int,
    admin_multiplier: int,
    rate_clause: np.ndarray,
    class_clause: np.ndarray,
    plan_clause: np.ndarray,
    tariff_clause: int,
    operator_clause: int,
) -> tuple[np.ndarray, ...]:
    size = windowed.shape[0]
    minutes = np.empty((slots, size), dtype=np.int64)
    charged = np.empty((slots, size), dtype=np.int64)
    covered_out = np.empty(size, dtype=np.int64)
    operator_out = np.empty(size, dtype=np.bool_)
    inclusive_out = np.empty(size, dtype=np.bool_)
    setup_out = np.empty(size, dtype=np.int64)
    ex_out = np.empty(size, dtype=np.int64)
    inc_out = np.empty(size, dtype=np.int64)
    clause_out = np.empty(size, dtype=np.int32)
    for row in range(size):
        n = n_minutes[row]
        c = klass[row]
        if windowed[row]:
            base = plan[row] * table_length + chargeable_base
        else:
            base = family[row] * table_length
        if is_free[row]:
            chargeable = 0
        else:
            chargeable = _range_count(
                tables, base, w_minute[row], n, k_minutes[row], delta_minutes[row], covered[row]
            )
        packed = all_packed[row]
        charged_total = 0
        minute_units = 0
        rate_base = rate_row[row] * slots
        for slot in range(slots):
            shift = SLOT_BITS * slot
            minutes[slot, row] = (packed >> shift) & _SLOT_MASK
            count = (chargeable >> shift) & _SLOT_MASK
            charged[slot, row] = count
            charged_total += count
            minute_units += count * rates[rate_base + slot]
        covered_out[row] = n - charged_total if windowed[row] else covered[row]
        billed = n > 0
        operator_call = op_flag[row] or operator[c]
        inclusive = billed and charged_total == 0
        payable = billed and not inclusive
        with_setup = payable and not setup_exempt[c]
        setup = setup_units if with_setup else 0
        multiplier = admin_multiplier if operator_call else PERCENT_SCALE
        exact = (minute_units + setup) * multiplier
        ex = (exact + PENNY_UNITS - 1) // PENNY_UNITS if payable else 0
        vat_index = np.searchsorted(vat_days, local_day[row], side="right") - 1
        numerator, denominator = vat_numerators[vat_index], vat_denominators[vat_index]
        operator_out[row] = operator_call
        inclusive_out[row] = inclusive
        setup_out[row] = setup_units // 10_000 if with_setup else 0
        ex_out[row] = ex
        inc_out[row] = (ex * (denominator + numerator) + denominator - 1) // denominator
        if not billed:
            clause_out[row] = tariff_clause
        elif is_free[row]:
            clause_out[row] = class_clause[c]
        elif inclusive:
            clause_out[row] = plan_clause[plan[row]]
        elif operator_call:
            clause_out[row] = operator_clause
        else:
            clause_out[row] = rate_clause[rate_row[row]]
    return (
        minutes,
        charged,
        covered_out,
        operator_out,
        inclusive_out,
        setup_out,
        ex_out,
        inc_out,
        clause_out,
    )


def charge(c: CompiledTariff, frame: pl.DataFrame) -> pl.DataFrame:
    """Price banded rows; `covered` must be set (0 except for allowance rows)."""
    t = tariff_arrays(c)
    minutes, charged, covered, operator, inclusive, setup, ex, inc, clause = _charge_kernel(
        _flags(frame["windowed"]),
        _int32s(frame["plan"]),
        _int32s(frame["family"]),
        _ints(frame["covered"].fill_null(0)),
        _ints(frame["all_packed"]),
        _ints(frame["n"]),
        _ints(frame["w"]),
        _ints(frame["k"]),
        _ints(frame["delta"]),
        _flags(frame["_free"]),
        _flags(frame["op_flag"]),
        _int32s(frame["class"]),
        _int32s(frame["rate_row"]),
        _ints(frame["local_day"]),
        t.tables,
        t.table_length,
        t.chargeable_base,
        t.operator,
        t.setup_exempt,
        t.rates,
        t.slots,
        t.vat_days,
        t.vat_numerators,
        t.vat_denominators,
        t.setup_units,
        t.admin_multiplier,
        t.rate_clause,
        t.class_clause,
        t.plan_clause,
        t.tariff_clause,
        t.operator_clause,
    )
    return frame.with_columns(
        *[pl.Series(f"minutes_{name}", minutes[i]) for i, name in enumerate(c.bands)],
        *[pl.Series(f"_charged_{i}", charged[i]) for i in range(len(c.bands))],
        pl.Series("covered", covered),
        pl.Series("operator_assisted_call", operator),
        pl.Series("inclusive", inclusive),
        pl.Series("setup_pence", setup),
        pl.Series("ex_pence", ex),
        pl.Series("inc_pence", inc),
        pl.Series("clause_code", clause),
    )


def warm(c: CompiledTariff) -> None:
    """Load (or, the first time on a machine, compile and store) every kernel, on one
    made-up call. A run does this anyway on its first batch; a benchmark does it first."""
    frame = pl.DataFrame(
        {"text": ["2026-03-29T01:30:00+01:00"], "number": ["01142000001"], "billsec": ["61"]}
    )
    iso_seconds_fixed(frame["text"])
    plain_numbers(frame["number"], 17)
    billsec_seconds(frame["billsec"])
    calls = pl.DataFrame(
        {
            "s": [1774744200],
            "answered": [True],
            "billsec_n": [61],
            "plan": [0],
            "class": [0],
            "family": [c.plan_family[0]],
            "op_flag": [False],
        }
    ).with_columns(pl.col("plan", "class", "family").cast(pl.Int32))
    banded = band(c, calls.with_columns(rate_row=pl.col("family") * len(c.classes)))
    charge(c, banded.with_columns(covered=pl.lit(0, dtype=pl.Int64)))
