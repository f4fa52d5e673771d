"""Rating fixtures: the Plusnet Business tariff straight from its catalogue file, numbers on
every call plan, and a helper that writes canonical CDR files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backhaul.rating.engine import CompiledTariff, compile_tariff
from backhaul.rating.importers import CANONICAL_HEADER
from backhaul.rating.rules import LineInfo, Subscribers
from backhaul.rating.tariff_rules import PhoneTariff
from backhaul.rating.tariffs import tariff_from_catalogue_file
from tests.conftest import PLUSNET

LINE_START = datetime(2020, 1, 1, tzinfo=UTC)

# One number per call plan, each on its own account.
NUMBERS = {
    "business-phone-line": ("01142000001", "PB100001"),
    "business-phone-anytime": ("01142000002", "PB100002"),
    "broadband-phone-payg": ("01142000003", "PB100003"),
    "broadband-phone-business": ("01142000004", "PB100004"),
    "broadband-phone-business-extra": ("01142000005", "PB100005"),
}


@pytest.fixture(scope="session")
def tariff() -> PhoneTariff:
    return tariff_from_catalogue_file(PLUSNET)


@pytest.fixture(scope="session")
def compiled(tariff: PhoneTariff) -> CompiledTariff:
    return compile_tariff(tariff)


@pytest.fixture(scope="session")
def subscribers() -> Subscribers:
    lines = {
        number: LineInfo(number, account, plan, LINE_START)
        for plan, (number, account) in NUMBERS.items()
    }
    return Subscribers(
        lines=lines,
        account_plans={account: plan for plan, (_number, account) in NUMBERS.items()}
        | {"PB100009": None},
    )


Row = Sequence[str]


def write_cdrs(path: Path, rows: Sequence[Row | str], *, header: str = CANONICAL_HEADER) -> Path:
    """A canonical CDR file: the header, then each row (fields joined by commas)."""
    lines = [header] + [row if isinstance(row, str) else ",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cdr_file(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1_000_000))

    def make(rows: Sequence[Row | str], **kwargs: str) -> Path:
        return write_cdrs(tmp_path / f"cdrs-{next(counter)}.csv", rows, **kwargs)

    return make


def engine_rows(path: Path, compiled: CompiledTariff, tmp_path: Path, **kwargs: object) -> dict:
    """Rate with the engine; rated rows by line (as dicts) and rejects by line."""
    import polars as pl

    from backhaul.rating.engine import rate_file

    out = tmp_path / f"{path.stem}.parquet"
    rejects = tmp_path / f"{path.stem}.rejects.csv"
    result = rate_file(path, tariff=compiled, rated_path=out, rejects_path=rejects, **kwargs)
    rated = {row["line"]: row for row in pl.read_parquet(out).iter_rows(named=True)}
    rejected = {
        line: reason
        for line, reason, _text in pl.read_csv(
            rejects, schema={"line": pl.Int64, "reason": pl.String, "text": pl.String}
        ).iter_rows()
    }
    return {"result": result, "rated": rated, "rejected": rejected}


def reference_rows(path: Path, tariff: PhoneTariff, **kwargs: object) -> dict:
    from backhaul.rating.reference import rate_file_reference

    result = rate_file_reference(path, tariff=tariff, **kwargs)
    return {
        "result": result,
        "rated": {row.line: row for row in result.rows},
        "rejected": {reject.line: reject.reason for reject in result.rejects},
    }


def as_engine_row(row: object) -> dict:
    """A reference row in the engine's output shape, for comparison."""
    from backhaul.rating.reference import ReferenceRow

    assert isinstance(row, ReferenceRow)
    rated = row.rated
    return {
        "line": row.line,
        "call_id": row.call_id,
        "account": row.account,
        "caller": row.caller,
        "callee": row.callee,
        "answered_at": row.answered_at.replace(microsecond=0),
        "billsec": row.billsec,
        "answered": row.answered,
        "plan": rated.plan,
        "destination_class": rated.destination,
        "billed_minutes": rated.billed_minutes,
        "bands": dict(rated.minutes_by_band),
        "covered_minutes": rated.covered_minutes,
        "inclusive": rated.inclusive,
        "operator_assisted": rated.operator_assisted,
        "setup_fee": rated.setup_fee,
        "charge_ex_vat": rated.ex_vat,
        "charge_inc_vat": rated.inc_vat,
        "vat": rated.vat,
        "clause": rated.clause,
        "billing_month": row.billing_month,
    }


def comparable(engine_row: dict) -> dict:
    return {**engine_row, "billing_month": engine_row["billing_month"].strftime("%Y-%m")}


def rate_both(
    path: Path,
    tariff: PhoneTariff,
    compiled: CompiledTariff,
    tmp_path: Path,
    **kwargs: object,
) -> dict:
    """Rate with the engine and the reference, assert they agree, return the engine's rows.

    `used` gives allowance minutes drawn before, by (account, plan, yyyymm).
    """
    import polars as pl

    used: dict[tuple[str, str, int], int] = kwargs.pop("used", None) or {}  # type: ignore[assignment]

    def engine_used(groups: pl.DataFrame) -> pl.DataFrame:
        plans = list(compiled.plans)
        return groups.with_columns(
            pl.struct("account_key", "plan", "month")
            .map_elements(
                lambda g: used.get((g["account_key"], plans[g["plan"]], g["month"]), 0),
                return_dtype=pl.Int64,
            )
            .alias("used")
        )

    engine_options: dict = kwargs.pop("engine_options", None) or {}  # type: ignore[assignment]
    engine = engine_rows(
        path, compiled, tmp_path, allowance_used=engine_used, **kwargs, **engine_options
    )
    reference = reference_rows(
        path,
        tariff,
        allowance_used=lambda account, plan, month: used.get((account, plan, month), 0),
        **kwargs,
    )
    assert engine["rejected"] == reference["rejected"]
    assert {line: comparable(row) for line, row in engine["rated"].items()} == {
        line: as_engine_row(row) for line, row in reference["rated"].items()
    }
    return engine
