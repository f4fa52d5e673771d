"""Rating a whole file: batches in order, allowances last, output in full or not at all.

Three things happen at once, each in its own thread, so both processors are kept busy:
the next chunks of the file are read and split into fields, the current batch is rated,
and the previous batch is written. Polars and Arrow release the interpreter while they
work; anything that calls back into Backhaul (earlier imports, allowances used) runs in
the calling thread.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from backhaul.core.errors import InvalidInput
from backhaul.rating import importers
from backhaul.rating.engine.batch import AlreadyRated, BatchRater
from backhaul.rating.engine.reading import empty_records, empty_rejects
from backhaul.rating.engine.tables import IN_MEMORY, CompiledTariff, compile_tariff
from backhaul.rating.engine.totals import BatchSums, EngineResult, Totals
from backhaul.rating.importers import CANONICAL, CHUNK_BYTES, MAX_LINE_BYTES, Chunk
from backhaul.rating.rules import Subscribers
from backhaul.rating.tariff_rules import PhoneTariff

AllowanceUsed = Callable[[pl.DataFrame], pl.DataFrame]
Progress = Callable[[int, int], None]

#: Batches rated at once (and chunks read ahead of the one being counted and written).
#: More than the two processors: while one batch waits for Polars' threads another runs
#: a compiled kernel or Python (measured: about a tenth faster than two).
_WORKERS = 3
#: Calls set aside for their allowance are priced in runs of about this many.
_DEFERRED_ROWS = 150_000


class _Writer:
    """Streams rated rows to Parquet or CSV, and rejects to CSV, one batch at a time."""

    def __init__(self, rated_path: Path | None, rejects_path: Path | None) -> None:
        self.rated_path = rated_path
        self.rejects_path = rejects_path
        self._parquet: pq.ParquetWriter | None = None
        self._schema: Any = None
        self._csv: Any = None
        self._rejects: Any = None

    def write(self, rated: pa.Table, rejects: pl.DataFrame) -> None:
        self.rated(rated)
        self.rejects(rejects)

    def rated(self, table: pa.Table) -> None:
        if self.rated_path is None:
            return
        if self.rated_path.suffix == ".parquet":
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(
                    str(self.rated_path),
                    self._schema,
                    compression="none",  # lz4: half the size, ~0.15 CPU-s more per million calls
                    use_dictionary=["account", "plan", "destination_class", "clause"],
                    write_statistics=["line", "answered_at", "billing_month"],
                    store_decimal_as_integer=True,
                )
            if table.num_rows:
                same = table.schema.equals(self._schema)
                self._parquet.write_table(table if same else table.cast(self._schema))
        else:
            first = self._csv is None
            if first:
                self._csv = self.rated_path.open("wb")
            if first or table.num_rows:
                frame = pl.from_arrow(table)
                assert isinstance(frame, pl.DataFrame)
                _write_csv(frame, self._csv, header=first)

    def rejects(self, frame: pl.DataFrame) -> None:
        if self.rejects_path is None:
            return
        first = self._rejects is None
        if first:
            self._rejects = self.rejects_path.open("wb")
        if first or frame.height:
            frame.write_csv(self._rejects, include_header=first)

    def close(self) -> None:
        """Close whatever is open (also when a run stops half way: its files are dropped)."""
        for handle in (self._parquet, self._csv, self._rejects):
            if handle is not None:
                handle.close()
        self._parquet = self._csv = self._rejects = None


def _write_csv(frame: pl.DataFrame, handle: Any, *, header: bool) -> None:
    frame.with_columns(pl.col("bands").struct.json_encode()).write_csv(
        handle, include_header=header, datetime_format="%Y-%m-%dT%H:%M:%S%:z"
    )


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
    # A run makes no reference cycles worth collecting, but many short-lived objects: the
    # cyclic collector would keep walking every object the process holds (a tenth of the
    # interpreter's time in a long run). It is back on as the run ends.
    collecting = gc.isenabled()
    gc.disable()
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
        if collecting:
            gc.enable()
    return result


@dataclass
class _Batch:
    """A rated batch, ready to be written and counted."""

    size: int
    table: pa.Table
    rejects: pl.DataFrame
    sums: BatchSums
    spilled: tuple[int, int] | None = None  # first line and rows set aside for allowances


def _rate_batch(
    rater: BatchRater,
    totals: Totals,
    framed: tuple[pl.DataFrame, pl.DataFrame],
    size: int,
    spill: Path,
) -> _Batch:
    """Rate one chunk's records; calls that draw on an allowance are set aside in `spill`."""
    frame, shape_rejects = framed
    accepted, rejected = rater.prepare(frame)
    if shape_rejects.height:
        rejected = pl.concat([shape_rejects, rejected]).sort("line")
    deferred = accepted["deferred"]
    spilled = None
    if deferred.any():
        later = accepted.filter(deferred)
        later.write_ipc(spill, compression="uncompressed")  # Arrow as in memory: no encoding
        spilled = (int(later["line"][0]), later.height)
        accepted = accepted.filter(~deferred)
    priced = rater.charge(accepted.with_columns(pl.lit(0, dtype=pl.Int64).alias("covered")))
    table = rater.output(priced)
    return _Batch(size, table, rejected, totals.summarise(priced, rejected), spilled)


def _spill_groups(spills: list[Path], spill_lines: dict[Path, tuple[int, int]]) -> list[list[Path]]:
    """Consecutive spills in runs of about a batch's rows: each run is priced at once (a
    batch costs some milliseconds whatever its size, and a spill is a fraction of one)."""
    groups: list[list[Path]] = []
    rows = 0
    for spill in spills:
        if not groups or rows >= _DEFERRED_ROWS:
            groups.append([])
            rows = 0
        groups[-1].append(spill)
        rows += spill_lines[spill][1]
    return groups


def _rate_deferred(
    rater: BatchRater, totals: Totals, spills: list[Path], covered: pl.DataFrame
) -> _Batch:
    """Price calls set aside for their allowance, now that the minutes covered are known."""
    calls = pl.scan_ipc(spills).collect(engine=IN_MEMORY)
    if calls["line"].equals(covered["line"]):  # the same calls in the same order
        calls = calls.with_columns(covered["covered"])
    else:
        calls = calls.join(covered, on="line", how="left")
    priced = rater.charge(calls)
    rejects = empty_rejects()
    return _Batch(0, rater.output(priced), rejects, totals.summarise(priced, rejects))


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
    """One pass over the file; output staged in `work`.

    Batches are rated two at a time in worker threads, unless rating one depends on those
    before it or calls back into Backhaul (call ids rated by earlier imports, a second pass
    for repeated ids): then the records are still read ahead, but rated in this thread.
    Either way they are counted and written in file order.
    """
    for stale in work.iterdir():
        stale.unlink()
    staged_rated = work / f"rated{suffix}"
    staged_rejects = work / "rejects.csv"
    writer = _Writer(staged_rated if rated else None, staged_rejects if rejects else None)
    result = EngineResult()
    totals = Totals(
        rater.c,
        by_account=rater.plan_code is None,
        account_names=rater.account_names,
        line_numbers=rater.line_numbers,
    )
    parallel = rater.already_rated is None and rater.repeated.suspects is None
    total_bytes = path.stat().st_size
    chunks = _chunks(path, rater.fmt, chunk_bytes, rater.max_line_bytes)
    spills: list[Path] = []
    spill_lines: dict[Path, tuple[int, int]] = {}  # first line and rows of each spill
    workers = ThreadPoolExecutor(_WORKERS, thread_name_prefix="rating")
    writing = ThreadPoolExecutor(1, thread_name_prefix="rating-write")
    ahead: deque[tuple[int, Path, Future[Any]]] = deque()
    written: Future[None] | None = None

    def read_ahead() -> None:
        while len(ahead) < _WORKERS + 1:
            chunk = next(chunks, None)
            if chunk is None:
                return
            spill = work / f"deferred-{len(spills):05d}.arrow"
            spills.append(spill)
            if parallel:
                future = workers.submit(
                    lambda c=chunk, s=spill: _rate_batch(
                        rater, totals, rater.frame(c, path), len(c.data), s
                    )
                )
            else:
                future = workers.submit(rater.frame, chunk, path)
            ahead.append((len(chunk.data), spill, future))

    def take(batch: _Batch) -> None:
        nonlocal written
        totals.add(batch.sums)
        if written is not None:
            written.result()
        written = writing.submit(writer.write, batch.table, batch.rejects)

    try:
        # An empty batch first: the output files get their columns even if nothing is rated.
        empty, _ = rater.prepare(empty_records())
        take(
            _Batch(
                0,
                rater.output(rater.charge(empty.with_columns(pl.lit(0).alias("covered")))),
                empty_rejects(),
                BatchSums(),
            )
        )
        done = 0
        read_ahead()
        while ahead:
            size, spill, future = ahead.popleft()
            outcome = future.result()
            read_ahead()
            batch = outcome if parallel else _rate_batch(rater, totals, outcome, size, spill)
            take(batch)
            if batch.spilled is not None:
                spill_lines[spill] = batch.spilled
            done += size
            if progress is not None:
                progress(min(done, total_bytes), total_bytes)
        # Whether any call id repeats is known only now; it is worked out while the
        # allowance calls are priced.
        repeats = None
        if rater.repeated.suspects is None:
            repeats = ThreadPoolExecutor(1, thread_name_prefix="rating-ids")
            found_ids = repeats.submit(rater.repeated.repeated)
            repeats.shutdown(wait=False)
        deferred = list(spill_lines)
        if deferred:
            covered = _allowance_cover(deferred, allowance_used)
            lines = covered["line"]
            pending: deque[Future[_Batch]] = deque()
            for group in _spill_groups(deferred, spill_lines):
                # Spilled rows are in line order, and `covered` sorted by line: a run of
                # spills needs only the slice from its first line.
                first = spill_lines[group[0]][0]
                rows = sum(spill_lines[spill][1] for spill in group)
                part = covered.slice(lines.search_sorted(first), rows)
                pending.append(workers.submit(_rate_deferred, rater, totals, group, part))
                if len(pending) > _WORKERS:
                    take(pending.popleft().result())
            while pending:
                take(pending.popleft().result())
        if written is not None:
            written.result()
        if repeats is not None:
            rater.repeated.found = found_ids.result()
    finally:
        for _size, _spill, waiting in ahead:
            waiting.cancel()
        workers.shutdown(wait=True, cancel_futures=True)
        writing.shutdown(wait=True)
        writer.close()
    totals.fill(result)
    result.rated_path = staged_rated if rated else None
    result.rejects_path = staged_rejects if rejects else None
    if progress is not None:
        progress(total_bytes, total_bytes)
    return result


#: Bits of the packed allowance sort key (:func:`_allowance_cover`): the caller's account,
#: plan and month above, seconds into the month below.
_PLAN_BITS, _MONTH_BITS, _SECOND_BITS = 6, 12, 22
_GROUP_LIMIT = 1 << (63 - _SECOND_BITS)
_FIRST_MONTH = 1969 * 12  # month codes are yyyymm from 1969 (tables.month_codes)


def _allowance_cover(files: list[Path], allowance_used: AllowanceUsed | None) -> pl.DataFrame:
    """Covered minutes of each allowance call: the allowance used in call order.

    plusnet-business/broadband-phone-charges#6(b), 6(c): per account, plan and billing
    month; a call takes what is left of the allowance when it starts.

    Each call gets one 64-bit sort key: its account, plan and month above, its seconds
    since two days before the month began below (under 2**22). A stable sort by that key
    puts the calls of each group together in time order (equal times in line order, as
    they were read), the minutes used before each call are a running sum less the running
    sum at the start of its group, and the result goes back to line order by position.
    """
    group = ["account_key", "plan", "month"]
    calls = (
        pl.scan_ipc(files)
        .select(*group, "account_index", "month_day", "s", "line", "n", "allowance")
        .collect(engine=IN_MEMORY)
    )
    if calls.height == 0:
        return pl.DataFrame(schema={"line": pl.Int64, "covered": pl.Int64})
    who = pl.col("account_index").cast(pl.Int64)
    if calls["account_index"].null_count() or calls["account_index"].max() >= _largest_who():
        who = pl.col("account_key").rank("dense").cast(pl.Int64)  # a tariff what-if
    month = pl.col("month") // 100 * 12 + pl.col("month") % 100 - _FIRST_MONTH
    group_key = (who * (1 << _PLAN_BITS) + pl.col("plan")) * (1 << _MONTH_BITS) + month
    second = pl.col("s") - (pl.col("month_day") - 2) * 86_400
    ordered = (
        calls.with_row_index("_row")
        .with_columns(group_key.alias("_group"))
        .with_columns((pl.col("_group") * (1 << _SECOND_BITS) + second).alias("_key"))
        .sort("_key", maintain_order=True)
    )
    first = pl.col("_group") != pl.col("_group").shift(1, fill_value=-1)
    ordered = ordered.with_columns((first.cum_sum() - 1).alias("_number"))
    if allowance_used is not None:
        groups = ordered.filter(first).select(*group)
        used = groups.join(allowance_used(groups), on=group, how="left", maintain_order="left")
        spent = used["used"].fill_null(0).cast(pl.Int64)
    else:
        spent = pl.Series("used", [], dtype=pl.Int64)
    running = pl.col("n").cum_sum() - pl.col("n")  # minutes of every call before this one
    before = running - pl.when(first).then(running).otherwise(None).forward_fill()
    used_before = pl.lit(spent).gather(pl.col("_number")) if spent.len() else pl.lit(0)
    remaining = (pl.col("allowance") - used_before - before).clip(0, None)
    covered = ordered.select(
        "_row", pl.min_horizontal(remaining, pl.col("n")).cast(pl.Int64).alias("covered")
    )
    values = pl.zeros(calls.height, dtype=pl.Int64, eager=True).alias("covered")
    return calls.select("line").with_columns(values.scatter(covered["_row"], covered["covered"]))


def _largest_who() -> int:
    """Account positions from this one on do not fit the packed key."""
    return _GROUP_LIMIT >> (_PLAN_BITS + _MONTH_BITS)


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
            _write_csv(frame, handle, header=first)
            first = False
