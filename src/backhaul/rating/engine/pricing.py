"""Pricing banded calls in integers, and the rated rows as written.

Rates are integers in millionths of a pound, the operator admin fee and VAT are ratios, and
each penny ceiling of business-phone-charges#7 is an integer ceiling division, so every
call's charge is exact.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from backhaul.rating.engine import kernels
from backhaul.rating.engine.checks import lit_series
from backhaul.rating.engine.tables import (
    CompiledTariff,
)

#: The money columns of the output, in pence while priced, written as pounds.
MONEY_COLUMNS = ("setup_fee", "charge_ex_vat", "charge_inc_vat", "vat")
MONEY_TYPE = pa.decimal64(12, 2)  # pence as 64-bit integers, read as hundredths


def charge(c: CompiledTariff, frame: pl.DataFrame) -> pl.DataFrame:
    """Price banded rows; `covered` must be set (0 except for allowance rows)."""
    return kernels.charge(c, frame)


def output(
    c: CompiledTariff, frame: pl.DataFrame, account_names: pl.Series | None = None
) -> pa.Table:
    """The rated rows as written: one per call, money as decimals (pounds and pence).

    With `account_names` (as an Enum, when every call is rated on an account of the brand)
    the account column is their codes gathered by ``account_index``: a dictionary column,
    so neither the strings nor the Parquet writer's dictionary are built call by call.
    """
    if account_names is not None and frame["account_index"].null_count() == 0:
        account = pl.lit(account_names).gather(pl.col("account_index"))
    else:  # strings (the writer casts them to the file's dictionary column if need be)
        account = pl.col("account_key")
    table = frame.select(
        "line",
        "call_id",
        account.alias("account"),
        pl.col("caller_n").alias("caller"),
        pl.col("callee_n").alias("callee"),
        pl.from_epoch(pl.col("s"), time_unit="s").dt.replace_time_zone("UTC").alias("answered_at"),
        pl.col("billsec_n").cast(pl.Int32).alias("billsec"),
        "answered",
        lit_series(c.plans, pl.Enum(c.plans)).gather(pl.col("plan")).alias("plan"),
        lit_series(c.classes, pl.Enum(c.classes))
        .gather(pl.col("class"))
        .alias("destination_class"),
        pl.col("n").cast(pl.Int32).alias("billed_minutes"),
        pl.struct([pl.col(f"minutes_{band}").cast(pl.Int32).alias(band) for band in c.bands]).alias(
            "bands"
        ),
        pl.col("covered").cast(pl.Int32).alias("covered_minutes"),
        "inclusive",
        pl.col("operator_assisted_call").alias("operator_assisted"),
        pl.col("setup_pence").alias("setup_fee"),
        pl.col("ex_pence").alias("charge_ex_vat"),
        pl.col("inc_pence").alias("charge_inc_vat"),
        (pl.col("inc_pence") - pl.col("ex_pence")).alias("vat"),
        lit_series(c.clause_names, pl.Enum(c.clause_names))
        .gather(pl.col("clause_code"))
        .alias("clause"),
        pl.col("month_day").cast(pl.Int32).cast(pl.Date).alias("billing_month"),
    ).to_arrow()
    for name in MONEY_COLUMNS:
        table = table.set_column(
            table.schema.get_field_index(name), name, _pounds(table.column(name))
        )
    # Every column has a value in every rated row: saying so in the schema spares the
    # Parquet writer a definition level per value (the cast fails on a null).
    return table.cast(_required(table.schema))


def _required(schema: pa.Schema) -> pa.Schema:
    """`schema` with every field, nested ones too, marked as never null."""

    def field(item: pa.Field) -> pa.Field:
        kind = item.type
        if pa.types.is_struct(kind):
            kind = pa.struct([field(kind.field(i)) for i in range(kind.num_fields)])
        return pa.field(item.name, kind, nullable=False)

    return pa.schema([field(item) for item in schema])


def _pounds(pence: pa.ChunkedArray) -> pa.ChunkedArray:
    """Whole pence as pounds with two decimal places: the same integers, read as hundredths."""
    return pa.chunked_array(
        [chunk.view(MONEY_TYPE) for chunk in pc.cast(pence, pa.int64()).chunks], type=MONEY_TYPE
    )
