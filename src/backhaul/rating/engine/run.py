"""Rating a whole file: batches in order, allowances last, output in full or not at all."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from backhaul.core.errors import InvalidInput
from backhaul.rating import importers
from backhaul.rating.engine.batch import (
    AlreadyRated,
    BatchRater,
    empty_records,
    empty_rejects,
    lit_series,
)
from backhaul.rating.engine.tables import CompiledTariff, compile_tariff
from backhaul.rating.importers import (
    CANONICAL,
    CHUNK_BYTES,
    MAX_LINE_BYTES,
    Chunk,
)
from backhaul.rating.rules import (
    PhoneTariff,
    Subscribers,
)

# --- engine inputs and outputs ---------------------------------------------------------------


AllowanceUsed = Callable[[pl.DataFrame], pl.DataFrame]
Progress = Callable[[int, int], None]


@dataclass
class EngineResult:
    """Counts and totals of one rating run; amounts in pence."""

    read: int = 0
    rated: int = 0
    rejected: int = 0
    unanswered: int = 0
    inclusive: int = 0
    total_ex_pence: int = 0
    total_inc_pence: int = 0
    by_band: dict[str, dict[str, int]] = field(default_factory=dict)
    by_destination: dict[str, dict[str, int]] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    account_months: pl.DataFrame | None = None
    last_calls: pl.DataFrame | None = None
    rated_path: Path | None = None
    rejects_path: Path | None = None


# --- the run ---------------------------------------------------------------------------------


class _Writer:
    """Streams rated rows to Parquet or CSV, and rejects to CSV, one batch at a time."""

    def __init__(self, rated_path: Path | None, rejects_path: Path | None) -> None:
        self.rated_path = rated_path
        self.rejects_path = rejects_path
        self._parquet: pq.ParquetWriter | None = None
        self._schema: Any = None
        self._csv: Any = None
        self._rejects: Any = None

    def rated(self, frame: pl.DataFrame) -> None:
        if self.rated_path is None:
            return
        if self.rated_path.suffix == ".parquet":
            table = frame.to_arrow()
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(
                    str(self.rated_path),
                    self._schema,
                    compression="lz4",
                    use_dictionary=["account", "plan", "destination_class", "clause"],
                    write_statistics=["line", "answered_at", "billing_month"],
                    store_decimal_as_integer=True,
                )
            if frame.height:
                same = table.schema.equals(self._schema)
                self._parquet.write_table(table if same else table.cast(self._schema))
        else:
            first = self._csv is None
            if first:
                self._csv = self.rated_path.open("wb")
            if first or frame.height:
                frame.with_columns(pl.col("bands").struct.json_encode()).write_csv(
                    self._csv, include_header=first, datetime_format="%Y-%m-%dT%H:%M:%S%:z"
                )

    def rejects(self, frame: pl.DataFrame) -> None:
        if self.rejects_path is None:
            return
        first = self._rejects is None
        if first:
            self._rejects = self.rejects_path.open("wb")
        if first or frame.height:
            frame.write_csv(self._rejects, include_header=first)

    def abort(self) -> None:
        """Close whatever is open; used when a run stops half way (the files are dropped)."""
        for handle in (self._parquet, self._csv, self._rejects):
            if handle is not None:
                handle.close()
        self._parquet = self._csv = self._rejects = None

    def close(self) -> None:
        for handle in (self._parquet, self._csv, self._rejects):
            if handle is not None:
                handle.close()
        self._parquet = self._csv = self._rejects = None


def _chunks(path: Path, fmt: str, chunk_bytes: int, max_line_bytes: int) -> Iterator[Chunk]:
    return importers.iter_chunks(path, fmt, chunk_bytes=chunk_bytes, max_line_bytes=max_line_bytes)


def rate_file(
    path: Path,
    *,
    tariff: PhoneTariff | CompiledTariff,
    fmt: str = CANONICAL,
    subscribers: Subscribers | None = None,
    plan: str | None = None,
    rated_path: Path | None = None,
    rejects_path: Path | None = None,
    already_rated: AlreadyRated | None = None,
    allowance_used: AllowanceUsed | None = None,
    asterisk_utc: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
    max_line_bytes: int = MAX_LINE_BYTES,
    progress: Progress | None = None,
) -> EngineResult:
    """Rate a CDR file; write the rated rows and the rejects; return counts and totals.

    With `plan`, every call is rated as if on that plan and grouped for allowances by its
    account field, or its caller where that is empty (a tariff what-if). Without it, the
    caller's number (or the account field) finds the account and its plan in
    `subscribers`. The output files are written in full or not at all: they appear under
    their names only when the whole file has been rated.
    """
    compiled = tariff if isinstance(tariff, CompiledTariff) else compile_tariff(tariff)
    if plan is None and subscribers is None:
        raise InvalidInput("give a plan to rate on, or the numbers and accounts to match")
    work = Path(tempfile.mkdtemp(prefix="backhaul-rating-"))
    try:
        suspects: pl.Series | None = None
        while True:
            rater = BatchRater(
                compiled=compiled,
                subscribers=subscribers,
                plan=plan,
                fmt=fmt,
                asterisk_utc=asterisk_utc,
                already_rated=already_rated,
                suspects=suspects,
                max_line_bytes=max_line_bytes,
            )
            result = _run(
                path,
                rater,
                work,
                rated=rated_path is not None,
                rejects=rejects_path is not None,
                suffix=rated_path.suffix if rated_path else ".parquet",
                chunk_bytes=chunk_bytes,
                allowance_used=allowance_used,
                progress=progress,
            )
            repeated = rater.repeated.repeated() if suspects is None else None
            if repeated is None:
                break
            suspects = repeated  # some call ids repeat: rate again, comparing those exactly
        if rated_path is not None and result.rated_path is not None:
            shutil.move(str(result.rated_path), str(rated_path))
            result.rated_path = rated_path
        if rejects_path is not None and result.rejects_path is not None:
            shutil.move(str(result.rejects_path), str(rejects_path))
            result.rejects_path = rejects_path
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _run(
    path: Path,
    rater: BatchRater,
    work: Path,
    *,
    rated: bool,
    rejects: bool,
    suffix: str,
    chunk_bytes: int,
    allowance_used: AllowanceUsed | None,
    progress: Progress | None,
) -> EngineResult:
    """One pass over the file; output staged in `work`."""
    for stale in work.iterdir():
        stale.unlink()
    staged_rated = work / f"rated{suffix}"
    staged_rejects = work / "rejects.csv"
    writer = _Writer(staged_rated if rated else None, staged_rejects if rejects else None)
    result = EngineResult()
    totals = _Totals(
        rater.c,
        by_account=rater.plan_code is None,
        account_names=rater.account_names,
        line_numbers=rater.line_numbers,
    )
    deferred_files: list[Path] = []
    try:
        total_bytes = path.stat().st_size
        done = 0
        # An empty batch first: the output files get their columns even if nothing is rated.
        empty, _ = rater.prepare(empty_records())
        writer.rated(rater.output(rater.charge(empty.with_columns(pl.lit(0).alias("covered")))))
        writer.rejects(empty_rejects())
        for chunk in _chunks(path, rater.fmt, chunk_bytes, rater.max_line_bytes):
            frame, shape_rejects = rater.frame(chunk, path)
            accepted, rejected = rater.prepare(frame)
            rejected = pl.concat([shape_rejects, rejected]).sort("line")
            writer.rejects(rejected)
            totals.rejects(rejected)
            later = accepted.filter(pl.col("deferred"))
            now_rows = accepted.filter(~pl.col("deferred")).with_columns(
                pl.lit(0, dtype=pl.Int64).alias("covered")
            )
            if later.height:
                spill = work / f"deferred-{len(deferred_files):05d}.parquet"
                later.write_parquet(spill, compression="uncompressed", statistics=False)
                deferred_files.append(spill)
            priced = rater.charge(now_rows)
            totals.rated(priced)
            writer.rated(rater.output(priced))
            done += len(chunk.data)
            if progress is not None:
                progress(min(done, total_bytes), total_bytes)
        if deferred_files:
            covered = _allowance_cover(deferred_files, allowance_used)
            for spill in deferred_files:
                rows = pl.read_parquet(spill).join(covered, on="line", how="left")
                priced = rater.charge(rows)
                totals.rated(priced)
                writer.rated(rater.output(priced))
        writer.close()
    finally:
        writer.abort()
    totals.fill(result)
    result.rated_path = staged_rated if rated else None
    result.rejects_path = staged_rejects if rejects else None
    if progress is not None:
        progress(total_bytes, total_bytes)
    return result


def _allowance_cover(files: list[Path], allowance_used: AllowanceUsed | None) -> pl.DataFrame:
    """Covered minutes of each allowance call: the allowance used in call order.

    plusnet-business/broadband-phone-charges#6(b), 6(c): per account, plan and billing
    month; a call takes what is left of the allowance when it starts.
    """
    calls = (
        pl.scan_parquet(files)
        .select("account_key", "plan", "month", "s", "line", "n", "allowance")
        .collect()
    )
    groups = calls.select("account_key", "plan", "month").unique()
    if allowance_used is not None and groups.height:
        used = allowance_used(groups)
        calls = calls.join(used, on=["account_key", "plan", "month"], how="left")
    else:
        calls = calls.with_columns(pl.lit(0, dtype=pl.Int64).alias("used"))
    ordered = calls.sort(["account_key", "plan", "month", "s", "line"])
    return ordered.select(
        "line",
        (
            pl.col("allowance")
            - pl.col("used").fill_null(0)
            - (pl.col("n").cum_sum().over(["account_key", "plan", "month"]) - pl.col("n"))
        )
        .clip(0, None)
        .pipe(lambda remaining: pl.min_horizontal(remaining, pl.col("n")))
        .cast(pl.Int64)
        .alias("covered"),
    )


_FOLD_EVERY = 8


class _Totals:
    """Running counts and sums, kept per batch and folded at the end."""

    def __init__(
        self,
        compiled: CompiledTariff,
        *,
        by_account: bool = False,
        account_names: list[str] | None = None,
        line_numbers: list[str] | None = None,
    ) -> None:
        self.c = compiled
        self.by_account = by_account
        self.account_names = account_names or []
        self.line_numbers = line_numbers or []
        self.read = 0
        self.rated_count = 0
        self.rejected = 0
        self.unanswered = 0
        self.inclusive = 0
        self.ex = 0
        self.inc = 0
        self.bands = {band: [0, 0] for band in compiled.bands}
        self.destinations: list[pl.DataFrame] = []
        self.reasons: dict[str, int] = {}
        self.account_months: list[pl.DataFrame] = []
        self.last_calls: list[pl.DataFrame] = []

    def rejects(self, rejects: pl.DataFrame) -> None:
        self.rejected += rejects.height
        self.read += rejects.height
        if rejects.height:
            counts = rejects.group_by(pl.col("reason").str.split(":").list.first()).len()
            for reason, count in counts.iter_rows():
                self.reasons[reason] = self.reasons.get(reason, 0) + count

    def rated(self, rated: pl.DataFrame) -> None:
        if rated.height == 0:
            return
        self.read += rated.height
        self.rated_count += rated.height
        sums = rated.select(
            (~pl.col("answered")).sum().alias("unanswered"),
            pl.col("inclusive").sum().alias("inclusive"),
            pl.col("ex_pence").sum().alias("ex"),
            pl.col("inc_pence").sum().alias("inc"),
            *[pl.col(f"minutes_{b}").sum().alias(f"m{i}") for i, b in enumerate(self.c.bands)],
            *[pl.col(f"_charged_{i}").sum().alias(f"c{i}") for i in range(len(self.c.bands))],
        ).row(0, named=True)
        self.unanswered += int(sums["unanswered"])
        self.inclusive += int(sums["inclusive"])
        self.ex += int(sums["ex"])
        self.inc += int(sums["inc"])
        for i, band in enumerate(self.c.bands):
            self.bands[band][0] += int(sums[f"m{i}"])
            self.bands[band][1] += int(sums[f"c{i}"])
        self.destinations.append(
            rated.group_by("class").agg(
                pl.len().alias("calls"),
                pl.col("answered").sum().alias("answered"),
                pl.col("n").sum().alias("minutes"),
                pl.col("ex_pence").sum().alias("ex"),
                pl.col("inc_pence").sum().alias("inc"),
            )
        )
        if not self.by_account:
            return
        self.account_months.append(
            rated.filter(pl.col("answered"))
            .group_by("account_index", "month")
            .agg(
                pl.len().alias("calls"),
                pl.col("n").sum().alias("minutes"),
                pl.col("covered").sum().alias("covered"),
                pl.col("ex_pence").sum().alias("ex_pence"),
                (pl.col("inc_pence") - pl.col("ex_pence")).sum().alias("vat_pence"),
            )
        )
        self.last_calls.append(
            rated.filter(pl.col("matched_line")).group_by("line_index").agg(pl.col("s").max())
        )
        if len(self.account_months) >= _FOLD_EVERY:
            # Keep one row per account and month (and per number), not one per batch.
            self.account_months = [
                pl.concat(self.account_months, how="vertical_relaxed")
                .group_by("account_index", "month")
                .agg(pl.all().sum())
            ]
            self.last_calls = [
                pl.concat(self.last_calls).group_by("line_index").agg(pl.col("s").max())
            ]

    def fill(self, result: EngineResult) -> None:
        result.read = self.read
        result.rated = self.rated_count
        result.rejected = self.rejected
        result.unanswered = self.unanswered
        result.inclusive = self.inclusive
        result.total_ex_pence = self.ex
        result.total_inc_pence = self.inc
        result.by_band = {
            band: {"minutes": values[0], "charged_minutes": values[1]}
            for band, values in self.bands.items()
        }
        result.by_reason = dict(sorted(self.reasons.items()))
        if self.destinations:
            folded = (
                pl.concat(self.destinations).group_by("class").agg(pl.all().sum()).sort("class")
            )
            result.by_destination = {
                self.c.classes[row["class"]]: {
                    "calls": int(row["calls"]),
                    "answered": int(row["answered"]),
                    "minutes": int(row["minutes"]),
                    "ex_pence": int(row["ex"]),
                    "inc_pence": int(row["inc"]),
                }
                for row in folded.iter_rows(named=True)
            }
        schema = {
            "account_key": pl.String,
            "month": pl.Int32,
            "calls": pl.UInt32,
            "minutes": pl.Int64,
            "covered": pl.Int64,
            "ex_pence": pl.Int64,
            "vat_pence": pl.Int64,
        }
        months = [f for f in self.account_months if f.height]
        result.account_months = (
            pl.concat(months, how="vertical_relaxed")
            .group_by("account_index", "month")
            .agg(pl.all().sum())
            .select(
                lit_series(self.account_names, pl.String)
                .gather(pl.col("account_index"))
                .alias("account_key"),
                pl.exclude("account_index"),
            )
            .sort("account_key", "month")
            if months
            else pl.DataFrame(schema=schema)
        )
        calls = [f for f in self.last_calls if f.height]
        result.last_calls = (
            pl.concat(calls)
            .group_by("line_index")
            .agg(pl.col("s").max())
            .select(
                lit_series(self.line_numbers, pl.String)
                .gather(pl.col("line_index"))
                .alias("caller_n"),
                "s",
            )
            if calls
            else pl.DataFrame(schema={"caller_n": pl.String, "s": pl.Int64})
        )


def check_file(path: Path, fmt: str) -> None:
    """Refuse a file that is not call records at all, before anything else is done."""
    with importers.open_checked(path, fmt):
        pass


def parquet_to_csv(source: Path, target: Path) -> None:
    """Rewrite a rated Parquet file as CSV, a batch at a time (bands as JSON)."""
    first = True
    with target.open("wb") as handle:
        for batch in pq.ParquetFile(source).iter_batches(batch_size=200_000):
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            frame.with_columns(pl.col("bands").struct.json_encode()).write_csv(
                handle, include_header=first, datetime_format="%Y-%m-%dT%H:%M:%S%:z"
            )
            first = False
