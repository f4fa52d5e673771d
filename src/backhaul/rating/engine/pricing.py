"""Pricing banded calls in integers, and the rated rows as written.

Rates are integers in millionths of a pound, the operator admin fee and VAT are ratios, and
each penny ceiling of business-phone-charges#7 is an integer ceiling division, so every
call's charge is exact.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from backhaul.rating.engine.checks import lit_series
from backhaul.rating.engine.tables import (
    IN_MEMORY,
    PENNY_UNITS,
    PERCENT_SCALE,
    SLOT_BITS,
    CompiledTariff,
)

#: The money columns of the output, in pence while priced, written as pounds.
MONEY_COLUMNS = ("setup_fee", "charge_ex_vat", "charge_inc_vat", "vat")
MONEY_TYPE = pa.decimal64(12, 2)  # pence as 64-bit integers, read as hundredths


def range_count(table: pl.Expr, base: pl.Expr, start: pl.Expr) -> pl.Expr:
    """Packed band counts of the minutes [start, n) of each call.

    Minute k of a call starts at local minute-of-week ``w + k``, and the table holds prefix
    sums, so the count is a difference of two lookups. A call that spans a clock change is
    counted in two parts: minutes before the change (``k`` of them) at ``w + k``, minutes
    after it at ``w + delta + k``. For a call that spans none (``n <= k``) the second part
    is empty.
    """
    w, n, k, delta = pl.col("w"), pl.col("n"), pl.col("k"), pl.col("delta")
    before_change = table.gather(base + w + pl.min_horizontal(n, k)) - table.gather(
        base + w + pl.min_horizontal(start, k)
    )
    after_from = pl.max_horizontal(start, k)
    after_change = table.gather(base + w + delta + pl.max_horizontal(n, after_from)) - table.gather(
        base + w + delta + after_from
    )
    return before_change + after_change


def _slot(packed: pl.Expr, slot: int) -> pl.Expr:
    return ((packed // (1 << (SLOT_BITS * slot))) % (1 << SLOT_BITS)).cast(pl.Int64)


def charge(c: CompiledTariff, frame: pl.DataFrame) -> pl.DataFrame:
    """Price banded rows; `covered` must be set (0 except for allowance rows)."""
    base = (
        pl.when(pl.col("windowed"))
        .then(pl.col("plan") * c.table_length + c.chargeable_base)
        .otherwise(pl.col("family") * c.table_length)
    )
    chargeable = range_count(pl.lit(c.tables), base, pl.col("covered"))
    slots = range(len(c.bands))
    charged_total = pl.sum_horizontal(*[pl.col(f"_charged_{i}") for i in slots])
    operator = pl.col("op_flag") | lit_series(c.operator, pl.Boolean).gather(pl.col("class"))
    exempt = lit_series(c.setup_exempt, pl.Boolean).gather(pl.col("class"))
    payable = pl.col("_billed") & ~pl.col("inclusive")
    minute_units = pl.sum_horizontal(
        *[
            pl.col(f"_charged_{i}")
            * lit_series([row[i] for row in c.rates], pl.Int64).gather(pl.col("rate_row"))
            for i in slots
        ]
    )
    setup = pl.when(payable & ~exempt).then(c.setup_units).otherwise(0)
    multiplier = (
        pl.when(pl.col("operator_assisted_call")).then(c.admin_multiplier).otherwise(PERCENT_SCALE)
    )
    exact = (minute_units + setup) * multiplier
    vat_index = (
        pl.lit(c.vat_days).search_sorted(pl.col("local_day"), side="right").cast(pl.Int64) - 1
    )
    numerator = pl.lit(c.vat_numerators).gather(vat_index)
    denominator = pl.lit(c.vat_denominators).gather(vat_index)
    clause = (
        pl.when(~pl.col("_billed"))
        .then(c.tariff_clause)
        .when(pl.col("_free"))
        .then(lit_series(c.class_clause, pl.Int32).gather(pl.col("class")))
        .when(pl.col("inclusive"))
        .then(lit_series(c.plan_clause, pl.Int32).gather(pl.col("plan")))
        .when(pl.col("operator_assisted_call"))
        .then(c.operator_clause)
        .otherwise(lit_series(c.rate_clause, pl.Int32).gather(pl.col("rate_row")))
    )
    return (
        frame.lazy()
        .with_columns(
            pl.when(pl.col("_free"))
            .then(pl.lit(0, dtype=pl.Int64))
            .otherwise(chargeable)
            .alias("charged_packed")
        )
        .with_columns(
            *[_slot(pl.col("all_packed"), i).alias(f"minutes_{c.bands[i]}") for i in slots],
            *[_slot(pl.col("charged_packed"), i).alias(f"_charged_{i}") for i in slots],
        )
        .with_columns(
            pl.when(pl.col("windowed"))
            .then(pl.col("n") - charged_total)
            .otherwise(pl.col("covered"))
            .alias("covered"),
            (pl.col("n") > 0).alias("_billed"),
            operator.alias("operator_assisted_call"),
            charged_total.alias("_charged_total"),
        )
        .with_columns(
            (pl.col("_billed") & (pl.col("_charged_total") == 0)).alias("inclusive"),
        )
        .with_columns(
            pl.when(payable & ~exempt)
            .then(c.setup_units // 10_000)
            .otherwise(0)
            .alias("setup_pence"),
            pl.when(payable)
            .then((exact + PENNY_UNITS - 1) // PENNY_UNITS)
            .otherwise(0)
            .alias("ex_pence"),
        )
        .with_columns(
            (
                (pl.col("ex_pence") * (denominator + numerator) + denominator - 1) // denominator
            ).alias("inc_pence"),
            clause.alias("clause_code"),
        )
        .collect(engine=IN_MEMORY)
    )


def output(c: CompiledTariff, frame: pl.DataFrame) -> pa.Table:
    """The rated rows as written: one per call, money as decimals (pounds and pence)."""
    table = frame.select(
        "line",
        "call_id",
        pl.col("account_key").alias("account"),
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
