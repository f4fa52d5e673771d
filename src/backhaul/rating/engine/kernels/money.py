"""Banding and pricing calls: packed band counts, set-up and admin fees, penny ceilings and
VAT, in integers (business-phone-charges#7)."""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

from backhaul.rating.engine.kernels.arrays import flags, int32s, ints, tariff_arrays
from backhaul.rating.engine.tables import (
    EPOCH_WEEKDAY,
    PENNY_UNITS,
    PERCENT_SCALE,
    SLOT_BITS,
    CompiledTariff,
)
from backhaul.rating.tariff_rules import MINUTES_PER_DAY, MINUTES_PER_WEEK

_SLOT_MASK = (1 << SLOT_BITS) - 1


# --- bands -----------------------------------------------------------------------------------


@njit(cache=True, nogil=True, inline="always")
def range_count(
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
        packed_out[row] = range_count(tables, family[row] * table_length, w, n, k, delta, 0)
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
        ints(frame["s"]),
        flags(frame["answered"]),
        ints(frame["billsec_n"]),
        int32s(frame["plan"]),
        int32s(frame["class"]),
        int32s(frame["family"]),
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
            chargeable = range_count(
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
        flags(frame["windowed"]),
        int32s(frame["plan"]),
        int32s(frame["family"]),
        ints(frame["covered"].fill_null(0)),
        ints(frame["all_packed"]),
        ints(frame["n"]),
        ints(frame["w"]),
        ints(frame["k"]),
        ints(frame["delta"]),
        flags(frame["_free"]),
        flags(frame["op_flag"]),
        int32s(frame["class"]),
        int32s(frame["rate_row"]),
        ints(frame["local_day"]),
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
