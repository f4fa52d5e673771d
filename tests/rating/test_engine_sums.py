"""A priced batch's compiled sums equal the same sums grouped by Polars."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.rating.engine.kernels import batch_sums

BANDS = ["weekend", "evening", "daytime"]
CLASSES = 7
MONTHS = 1_000_000

CALLS = st.lists(
    st.fixed_dictionaries(
        {
            "answered": st.booleans(),
            "inclusive": st.booleans(),
            "n": st.integers(0, 120),
            "covered": st.integers(0, 120),
            "ex_pence": st.integers(0, 50_000),
            "vat": st.integers(0, 10_000),
            "class": st.integers(0, CLASSES - 1),
            "account_index": st.integers(0, 5),
            "month": st.sampled_from([202602, 202603, 202604]),
            "matched_line": st.booleans(),
            "line_index": st.integers(0, 9),
            "s": st.integers(1_767_225_600, 1_777_593_600),
            **{f"minutes_{band}": st.integers(0, 120) for band in BANDS},
            **{f"_charged_{i}": st.integers(0, 120) for i in range(len(BANDS))},
        }
    ),
    max_size=60,
)


def _frame(calls: list[dict]) -> pl.DataFrame:
    schema = {
        "answered": pl.Boolean,
        "inclusive": pl.Boolean,
        "n": pl.Int64,
        "covered": pl.Int64,
        "ex_pence": pl.Int64,
        "vat": pl.Int64,
        "class": pl.Int32,
        "account_index": pl.Int32,
        "month": pl.Int32,
        "matched_line": pl.Boolean,
        "line_index": pl.Int32,
        "s": pl.Int64,
        **{f"minutes_{band}": pl.Int64 for band in BANDS},
        **{f"_charged_{i}": pl.Int64 for i in range(len(BANDS))},
    }
    frame = pl.DataFrame(calls, schema=schema)
    # Only a matched line has a position; VAT is never negative.
    return frame.with_columns(
        pl.when(pl.col("matched_line")).then(pl.col("line_index")).alias("line_index"),
        (pl.col("ex_pence") + pl.col("vat")).alias("inc_pence"),
    )


@settings(max_examples=150, deadline=None)
@given(CALLS)
def test_batch_sums_equal_polars_grouping(calls: list[dict]) -> None:
    frame = _frame(calls)
    found = batch_sums(frame, BANDS, CLASSES, by_account=True, months=MONTHS, accounts=6, lines=10)

    whole = frame.select(
        (~pl.col("answered")).sum().alias("unanswered"),
        pl.col("inclusive").sum().alias("inclusive"),
        pl.col("ex_pence").sum().alias("ex"),
        pl.col("inc_pence").sum().alias("inc"),
        *[pl.col(f"minutes_{b}").sum().alias(f"m{i}") for i, b in enumerate(BANDS)],
        *[pl.col(f"_charged_{i}").sum().alias(f"c{i}") for i in range(len(BANDS))],
    ).row(0, named=True)
    assert found.counts == {name: int(value or 0) for name, value in whole.items()}

    classes = (
        frame.group_by("class")
        .agg(
            pl.len().cast(pl.Int64).alias("calls"),
            pl.col("answered").sum().cast(pl.Int64).alias("answered"),
            pl.col("n").sum().alias("minutes"),
            pl.col("ex_pence").sum().alias("ex"),
            pl.col("inc_pence").sum().alias("inc"),
        )
        .sort("class")
    )
    assert found.destinations.sort("class").rows() == classes.rows()

    months = (
        frame.filter(pl.col("answered"))
        .group_by((pl.col("account_index").cast(pl.Int64) * MONTHS + pl.col("month")).alias("_key"))
        .agg(
            pl.len().cast(pl.Int64).alias("calls"),
            pl.col("n").sum().alias("minutes"),
            pl.col("covered").sum().alias("covered"),
            pl.col("ex_pence").sum().alias("ex_pence"),
            (pl.col("inc_pence") - pl.col("ex_pence")).sum().alias("vat_pence"),
        )
        .sort("_key")
    )
    assert found.account_months is not None
    assert found.account_months.sort("_key").rows() == months.rows()

    last = frame.filter(pl.col("matched_line")).group_by("line_index").agg(pl.col("s").max())
    assert found.last_calls is not None
    assert found.last_calls.sort("line_index").rows() == last.sort("line_index").rows()


def test_batch_sums_without_accounts_leave_the_account_sums_out() -> None:
    frame = _frame(
        [
            {
                "answered": True,
                "inclusive": False,
                "n": 3,
                "covered": 0,
                "ex_pence": 25,
                "vat": 5,
                "class": 2,
                "account_index": 0,
                "month": 202603,
                "matched_line": False,
                "line_index": 0,
                "s": 1_774_000_000,
                **{f"minutes_{band}": 1 for band in BANDS},
                **{f"_charged_{i}": 1 for i in range(len(BANDS))},
            }
        ]
    )
    found = batch_sums(frame, BANDS, CLASSES, by_account=False, months=MONTHS)
    assert found.account_months is None and found.last_calls is None
    assert found.counts["ex"] == 25 and found.counts["inc"] == 30
    assert found.destinations.rows() == [(2, 1, 1, 3, 25, 30)]
