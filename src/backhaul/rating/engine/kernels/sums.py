"""A priced batch's counts and sums for the run's totals, in one pass: the whole batch, each
destination class, each account and billing month, and each number's last call."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit

from backhaul.rating.engine.kernels.arrays import fixed, flags, int32s, ints
from backhaul.rating.engine.kernels.lookups import _slot_of

#: What each destination class adds up, in this order.
CLASS_SUMS = ("calls", "answered", "minutes", "ex", "inc")
#: What each account and billing month adds up (answered calls only), in this order.
MONTH_SUMS = ("calls", "minutes", "covered", "ex_pence", "vat_pence")


@njit(cache=True, nogil=True, inline="always")
def _group(slots: np.ndarray, keys: np.ndarray, groups: int, key: int, bits: int) -> int:
    """The group of `key` (a non-negative integer) in an open-addressing table of group
    numbers; a key not seen before gets number `groups`."""
    mask = (1 << bits) - 1
    slot = _slot_of(key, bits)
    while slots[slot] >= 0:
        if keys[slots[slot]] == key:
            return slots[slot]
        slot = (slot + 1) & mask
    slots[slot] = groups
    keys[groups] = key
    return groups


@njit(cache=True, nogil=True, inline="always")
def _bits(groups: int) -> int:
    bits = 4
    while (1 << bits) < 2 * groups:
        bits += 1
    return bits


@njit(cache=True, nogil=True)
def _sums_kernel(
    answered: np.ndarray,
    inclusive: np.ndarray,
    n: np.ndarray,
    covered: np.ndarray,
    ex: np.ndarray,
    inc: np.ndarray,
    minutes: np.ndarray,  # band * rows
    charged: np.ndarray,  # band * rows
    classes: np.ndarray,
    class_count: int,
    by_account: bool,
    month_keys: np.ndarray,
    month_groups: int,
    matched_line: np.ndarray,
    line_index: np.ndarray,
    line_groups: int,
    instants: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = answered.shape[0]
    bands = minutes.shape[0]
    whole = np.zeros(4 + 2 * bands, dtype=np.int64)
    by_class = np.zeros((class_count, 5), dtype=np.int64)
    # Tables of twice the most groups there can be: a batch's memory is not touched in full
    # (fresh pages cost the system more than the grouping).
    month_bits = _bits(month_groups)
    month_slots = np.full(1 << month_bits, -1, dtype=np.int64)
    month_group = np.empty(month_groups, dtype=np.int64)
    month_sums = np.empty((month_groups, 5), dtype=np.int64)
    months = 0
    line_bits = _bits(line_groups)
    line_slots = np.full(1 << line_bits, -1, dtype=np.int64)
    line_group = np.empty(line_groups, dtype=np.int64)
    line_last = np.empty(line_groups, dtype=np.int64)
    lines = 0
    for row in range(rows):
        whole[0] += not answered[row]
        whole[1] += inclusive[row]
        whole[2] += ex[row]
        whole[3] += inc[row]
        for band in range(bands):
            whole[4 + band] += minutes[band, row]
            whole[4 + bands + band] += charged[band, row]
        cls = classes[row]
        by_class[cls, 0] += 1
        by_class[cls, 1] += answered[row]
        by_class[cls, 2] += n[row]
        by_class[cls, 3] += ex[row]
        by_class[cls, 4] += inc[row]
        if not by_account:
            continue
        if answered[row]:
            group = _group(month_slots, month_group, months, month_keys[row], month_bits)
            if group == months:
                months += 1
                month_sums[group, :] = 0
            month_sums[group, 0] += 1
            month_sums[group, 1] += n[row]
            month_sums[group, 2] += covered[row]
            month_sums[group, 3] += ex[row]
            month_sums[group, 4] += inc[row] - ex[row]
        if matched_line[row]:
            group = _group(line_slots, line_group, lines, line_index[row], line_bits)
            if group == lines:
                lines += 1
                line_last[group] = instants[row]
            elif instants[row] > line_last[group]:
                line_last[group] = instants[row]
    return (
        whole,
        by_class,
        month_group[:months].copy(),
        month_sums[:months].copy(),
        line_group[:lines].copy(),
        line_last[:lines].copy(),
    )


@dataclass
class Sums:
    """What :func:`batch_sums` found."""

    counts: dict[str, int]
    destinations: pl.DataFrame
    account_months: pl.DataFrame | None
    last_calls: pl.DataFrame | None


def _rows(frame: pl.DataFrame, columns: list[str]) -> np.ndarray:
    """Integer columns as the rows of one array."""
    return fixed(np.stack([frame[name].cast(pl.Int64).to_numpy() for name in columns]))


def batch_sums(
    rated: pl.DataFrame,
    bands: list[str],
    class_count: int,
    *,
    by_account: bool,
    months: int,
    accounts: int = 0,
    lines: int = 0,
) -> Sums:
    """Counts and sums of a priced batch: the whole batch (``unanswered``, ``inclusive``,
    ``ex``, ``inc``, and per band ``m<i>`` minutes and ``c<i>`` charged minutes), per
    destination class, and with `by_account` per account and billing month (answered calls,
    keyed ``account_index * months + month``; of `accounts`) and each matched line's last
    call (of `lines`)."""
    answered = flags(rated["answered"])
    month_groups = line_groups = 0
    if by_account:
        if rated["account_index"].null_count():
            raise ValueError("every call rated on an account has the account's position")
        month = rated["month"].cast(pl.Int64)
        month_keys = fixed(rated["account_index"].cast(pl.Int64).to_numpy() * months + month)
        matched = flags(rated["matched_line"])
        line_index = ints(rated["line_index"].fill_null(0))
        if rated.height:
            first, last = month.min(), month.max()
            span = (last // 100 * 12 + last % 100) - (first // 100 * 12 + first % 100) + 1
            month_groups = min(rated.height, max(accounts, 1) * span)
            line_groups = min(rated.height, max(lines, 1))
    else:
        month_keys = line_index = fixed(np.zeros(0, dtype=np.int64))
        matched = fixed(np.zeros(0, dtype=np.bool_))
    whole, by_class, month_group, month_sums, line_group, line_last = _sums_kernel(
        answered,
        flags(rated["inclusive"]),
        ints(rated["n"]),
        ints(rated["covered"]),
        ints(rated["ex_pence"]),
        ints(rated["inc_pence"]),
        _rows(rated, [f"minutes_{band}" for band in bands]),
        _rows(rated, [f"_charged_{i}" for i in range(len(bands))]),
        int32s(rated["class"]),
        class_count,
        by_account,
        month_keys,
        month_groups,
        matched,
        line_index,
        line_groups,
        ints(rated["s"]),
    )
    names = ["unanswered", "inclusive", "ex", "inc"]
    names += [f"m{i}" for i in range(len(bands))] + [f"c{i}" for i in range(len(bands))]
    present = by_class[:, 0] > 0
    destinations = pl.DataFrame(
        {
            "class": pl.Series(np.flatnonzero(present), dtype=pl.Int32),
            **{
                name: pl.Series(by_class[present, column], dtype=pl.Int64)
                for column, name in enumerate(CLASS_SUMS)
            },
        }
    )
    account_months = last_calls = None
    if by_account:
        account_months = pl.DataFrame(
            {
                "_key": pl.Series(month_group, dtype=pl.Int64),
                **{
                    name: pl.Series(month_sums[:, column], dtype=pl.Int64)
                    for column, name in enumerate(MONTH_SUMS)
                },
            }
        )
        last_calls = pl.DataFrame(
            {
                "line_index": pl.Series(line_group, dtype=pl.Int32),
                "s": pl.Series(line_last, dtype=pl.Int64),
            }
        )
    return Sums(
        {name: int(value) for name, value in zip(names, whole, strict=True)},
        destinations,
        account_months,
        last_calls,
    )
