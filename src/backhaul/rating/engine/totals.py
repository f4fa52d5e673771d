"""Running counts and sums of a rating run, kept per batch and folded at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from backhaul.rating.engine import kernels
from backhaul.rating.engine.checks import lit_series
from backhaul.rating.engine.tables import CompiledTariff


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


_FOLD_EVERY = 8
_MONTHS = 1_000_000  # month codes (yyyymm) are below this


@dataclass
class BatchSums:
    """What one batch adds to the totals."""

    rejected: int = 0
    rated: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    destinations: pl.DataFrame | None = None
    account_months: pl.DataFrame | None = None
    last_calls: pl.DataFrame | None = None


class Totals:
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

    def summarise(self, rated: pl.DataFrame, rejects: pl.DataFrame) -> BatchSums:
        """One batch's counts and sums (safe to call from any thread)."""
        sums = BatchSums(rejected=rejects.height)
        if rejects.height:
            counts = rejects.group_by(pl.col("reason").str.split(":").list.first()).len()
            sums.reasons = {reason: count for reason, count in counts.iter_rows()}
        if rated.height == 0:
            return sums
        sums.rated = rated.height
        found = kernels.batch_sums(
            rated,
            self.c.bands,
            len(self.c.classes),
            by_account=self.by_account,
            months=_MONTHS,
            accounts=len(self.account_names),
            lines=len(self.line_numbers),
        )
        sums.counts = found.counts
        sums.destinations = found.destinations
        sums.account_months, sums.last_calls = found.account_months, found.last_calls
        return sums

    def add(self, sums: BatchSums) -> None:
        """Add a batch's sums (in the thread that owns the totals)."""
        self.rejected += sums.rejected
        self.read += sums.rejected + sums.rated
        for reason, count in sums.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count
        if not sums.rated:
            return
        self.rated_count += sums.rated
        counts = sums.counts
        self.unanswered += counts["unanswered"]
        self.inclusive += counts["inclusive"]
        self.ex += counts["ex"]
        self.inc += counts["inc"]
        for i, band in enumerate(self.c.bands):
            self.bands[band][0] += counts[f"m{i}"]
            self.bands[band][1] += counts[f"c{i}"]
        if sums.destinations is not None:
            self.destinations.append(sums.destinations)
        if sums.account_months is None or sums.last_calls is None:
            return
        self.account_months.append(sums.account_months)
        self.last_calls.append(sums.last_calls)
        if len(self.account_months) >= _FOLD_EVERY:
            # Keep one row per account and month (and per number), not one per batch.
            self.account_months = [
                pl.concat(self.account_months, how="vertical_relaxed")
                .group_by("_key")
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
            "calls": pl.Int64,
            "minutes": pl.Int64,
            "covered": pl.Int64,
            "ex_pence": pl.Int64,
            "vat_pence": pl.Int64,
        }
        months = [f for f in self.account_months if f.height]
        result.account_months = (
            pl.concat(months, how="vertical_relaxed")
            .group_by("_key")
            .agg(pl.all().sum())
            .select(
                lit_series(self.account_names, pl.String)
                .gather(pl.col("_key") // _MONTHS)
                .alias("account_key"),
                (pl.col("_key") % _MONTHS).cast(pl.Int32).alias("month"),
                pl.exclude("_key"),
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
