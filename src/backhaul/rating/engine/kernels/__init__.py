"""Per-call arithmetic compiled to machine code: one pass over a batch's columns.

Banding and pricing a call is a few dozen table lookups and integer operations. As Polars
expressions each of them is a pass over the batch that writes a column; here they are one
loop per batch (Numba), reading the batch's Arrow buffers and the tariff's tables as
NumPy arrays without copying them, and writing only the columns that are kept. The loops
release the interpreter, so the worker threads rate batches side by side.

Each kernel does exactly what the Polars expressions it stands for did (the same tables,
the same integer formulas, Python's floor division), and the differential tests hold it
to the plain-Python reference (docs/decisions/0003-rating-kernels.md).

| module | kernels |
|---|---|
| `arrays` | the tariff's tables as arrays; a string column's bytes in place |
| `texts` | the time answered, the duration, plain numbers and their keys, call ids |
| `lookups` | number keys in a hash table: classes, callers' lines and accounts; tariff limits |
| `money` | bands and prices |
| `sums` | a priced batch's counts and sums for the run's totals |
"""

from __future__ import annotations

import numpy as np
import polars as pl

from backhaul.rating.engine.kernels.arrays import fixed, string_views, tariff_arrays
from backhaul.rating.engine.kernels.lookups import (
    KeyTable,
    accounts,
    destination_classes,
    tariff_checks,
)
from backhaul.rating.engine.kernels.money import BAND_COLUMNS, band, charge
from backhaul.rating.engine.kernels.sums import batch_sums
from backhaul.rating.engine.kernels.texts import (
    billsec_seconds,
    call_id_bad,
    iso_seconds_fixed,
    plain_numbers,
)
from backhaul.rating.engine.tables import CompiledTariff

__all__ = [
    "BAND_COLUMNS",
    "KeyTable",
    "accounts",
    "band",
    "batch_sums",
    "billsec_seconds",
    "call_id_bad",
    "charge",
    "destination_classes",
    "fixed",
    "iso_seconds_fixed",
    "plain_numbers",
    "string_views",
    "tariff_arrays",
    "tariff_checks",
    "warm",
]


def warm(c: CompiledTariff) -> None:
    """Load (or, the first time on a machine, compile and store) every kernel, on one
    made-up call. A run does this anyway on its first batch; a benchmark does it first."""
    texts = pl.DataFrame(
        {
            "text": ["2026-03-29T01:30:00+01:00"],
            "number": ["01142000001"],
            "billsec": ["61"],
            "call_id": ["c1"],
        }
    )
    iso_seconds_fixed(texts["text"])
    _plain, keys = plain_numbers(texts["number"], 17)
    billsec_seconds(texts["billsec"])
    call_id_bad(texts["call_id"], 100)
    table = KeyTable.of([int(keys[0])], [0])
    destination_classes(
        texts["number"],
        pl.Series(keys),
        exact=table,
        on_net=table,
        on_net_code=c.on_net_code,
        prefix_offsets=fixed(np.array(c.prefix_offsets, dtype=np.int64)),
        prefix_table=fixed(c.prefix_table.fill_null(-1).to_numpy().astype(np.int32)),
        width=c.prefix_width,
    )
    one_int32 = fixed(np.zeros(1, dtype=np.int32))
    one_int64 = fixed(np.zeros(1, dtype=np.int64))
    accounts(
        pl.Series(keys),
        pl.Series([False]),
        pl.Series([0], dtype=pl.Int32),
        lines=table,
        line_account=one_int32,
        line_plan=one_int32,
        line_start=one_int64,
        line_end=one_int64,
        account_plan=one_int32,
        account_known=fixed(np.ones(1, dtype=np.bool_)),
    )
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
    tariff_checks(c, calls)
    banded = band(c, calls.with_columns(rate_row=pl.col("family") * len(c.classes)))
    priced = charge(c, banded.with_columns(covered=pl.lit(0, dtype=pl.Int64)))
    batch_sums(
        priced.with_columns(
            account_index=pl.lit(0, dtype=pl.Int32),
            matched_line=pl.lit(True),
            line_index=pl.lit(0, dtype=pl.Int32),
        ),
        c.bands,
        len(c.classes),
        by_account=True,
        months=1_000_000,
        accounts=1,
        lines=1,
    )
