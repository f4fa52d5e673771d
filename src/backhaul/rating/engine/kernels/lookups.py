"""Lookups by number key (an open-addressing hash table): destination classes, each
caller's line and account; and the tariff's limits the checks test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit

from backhaul.rating.engine.kernels.arrays import fixed, flags, located, string_views
from backhaul.rating.engine.tables import CompiledTariff

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
def key_find(table: np.ndarray, bits: int, key: int) -> int:
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
            found = key_find(exact, exact_bits, key)
            if found >= 0:
                classes[row] = found
                continue
            if on_net_code >= 0 and key_find(on_net, on_net_bits, key) >= 0:
                classes[row] = on_net_code
                continue
        inline, at, length = located(views, starts, row)
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
        line = key_find(lines, line_bits, key) if key >= 0 else -1
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
        flags(given),
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
    found = _tariff_checks_kernel(
        fixed(frame["plan"].fill_null(-1).cast(pl.Int32).to_numpy()),
        fixed(frame["class"].fill_null(-1).cast(pl.Int32).to_numpy()),
        fixed(frame["billsec_n"].fill_null(-1).cast(pl.Int64).to_numpy()),
        flags(frame["answered"].fill_null(False)),
        fixed(np.array(c.free, dtype=np.bool_)),
        fixed(np.array(c.has_rate, dtype=np.bool_)),
        fixed(np.array(c.plan_family, dtype=np.int32)),
        len(c.classes),
        c.tariff.max_record_minutes * 60,
        fixed(np.array(c.plan_max_call, dtype=np.int64)),
        fixed(np.array(c.max_exempt, dtype=np.bool_)),
    )
    return tuple(pl.Series(values) for values in found)
