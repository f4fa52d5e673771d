"""A batch's columns and a tariff's tables as the arrays the kernels take, and the bytes of a
string column read in place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
from numba import njit

from backhaul.rating.engine.tables import END_SECOND, FIRST_SECOND, CompiledTariff

VIEW_BYTES = 16  # an Arrow string view: length, then 12 bytes inline or prefix/buffer/offset
INLINE = 12


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


def ints(series: pl.Series) -> np.ndarray:
    return fixed(series.cast(pl.Int64).to_numpy())


def int32s(series: pl.Series) -> np.ndarray:
    return fixed(series.cast(pl.Int32).to_numpy())


def flags(series: pl.Series) -> np.ndarray:
    return fixed(series.to_numpy().astype(np.bool_, copy=False))


# --- string columns as buffers ----------------------------------------------------------------


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
        array.offset * VIEW_BYTES : (array.offset + size) * VIEW_BYTES
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
def word(buffer: np.ndarray, at: int) -> int:
    """The little-endian 32-bit unsigned integer at `at`."""
    return (
        np.int64(buffer[at])
        | (np.int64(buffer[at + 1]) << 8)
        | (np.int64(buffer[at + 2]) << 16)
        | (np.int64(buffer[at + 3]) << 24)
    )


@njit(cache=True, nogil=True, inline="always")
def located(views: np.ndarray, starts: np.ndarray, row: int) -> tuple[bool, int, int]:
    """Where string `row` is: (inside its view?, position of its first byte, length)."""
    at = row * VIEW_BYTES
    length = word(views, at)
    if length <= INLINE:
        return True, at + 4, length
    return False, starts[word(views, at + 8)] + word(views, at + 12), length


@njit(cache=True, nogil=True, inline="always")
def digits_value(buffer: np.ndarray, at: int, length: int) -> int:
    """The value of `length` ASCII digits at `at`, or -1 if any byte is not a digit."""
    value = 0
    for position in range(at, at + length):
        place = digit(buffer[position])
        if place < 0:
            return -1
        value = value * 10 + place
    return value


@njit(cache=True, nogil=True, inline="always")
def digit(byte: int) -> int:
    """The digit a byte stands for, or -1."""
    value = np.int64(byte) - 48
    return value if 0 <= value <= 9 else -1


@njit(cache=True, nogil=True, inline="always")
def two_digits(data: np.ndarray, at: int) -> int:
    high, low = digit(data[at]), digit(data[at + 1])
    return -1 if high < 0 or low < 0 else high * 10 + low
