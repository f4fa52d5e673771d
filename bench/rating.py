"""Benchmark: rate canonical CDR files end to end (CSV in, Parquet out, summary).

Generates a file of canonical call records with a realistic mix (geographic, mobile FM1-FM6,
0845/0870, freephone, international, premium, directory, operator, support and on-net
calls; unanswered attempts; a few bad records), spread over March 2026 so the clock change
is crossed, from numbers on every Plusnet Business call plan. Then:

1. rates it with the vectorised engine (``backhaul.rating.engine``) and reports CDRs/s;
2. rates a sample (``--sample``, 100k by default) with the plain-Python reference rater and
   with the engine, and checks both agree to the penny on every call;
3. rates the whole file with a DuckDB SQL rating written here (the same tariff as tables,
   the same rules as SQL) and checks its totals against the engine's.

Prints one JSON object. ``python bench/rating.py`` runs a size that finishes in a few
minutes on two cores; ``--size 10000000`` is the full target.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

# Polars' allocator keeps freed pages for a minute instead of handing them back to the
# system at once: batch after batch reuses them, with no page faults (see docs/rating.md).
# Set before Polars is imported; a value already in the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:60000,muzzy_decay_ms:60000")

import polars as pl  # noqa: E402
from machine import cpu_times, steal_percent  # noqa: E402

from backhaul.rating.engine import CompiledTariff, compile_tariff, kernels, rate_file  # noqa: E402
from backhaul.rating.reference import rate_file_reference  # noqa: E402
from backhaul.rating.rules import LineInfo, Subscribers  # noqa: E402
from backhaul.rating.tariff_rules import PhoneTariff  # noqa: E402
from backhaul.rating.tariffs import tariff_from_catalogue_file  # noqa: E402

CATALOGUE = ROOT / "catalogues" / "plusnet-business.toml"
PLANS = [
    ("business-phone-line", 30),
    ("business-phone-anytime", 20),
    ("broadband-phone-payg", 30),
    ("broadband-phone-business", 15),
    ("broadband-phone-business-extra", 5),
]
# (share in 10,000, callee expression): the destination mix.
DUCKDB_MEMORY = "2GB"
MONTH_START = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
MONTH_SECONDS = 31 * 86400
LINE_START = datetime(2020, 1, 1, tzinfo=UTC)


def _digits(seed: int, width: int) -> pl.Expr:
    """`width` pseudo-random digits per row, from a hash of the row index."""
    return (pl.col("i").hash(seed) % (10**width)).cast(pl.String).str.zfill(width)


def _subscribers(lines: int) -> Subscribers:
    weights = [w for _, w in PLANS]
    plans: list[str] = []
    for key, weight in PLANS:
        plans += [key] * weight
    numbers = {}
    account_plans: dict[str, str | None] = {}
    for index in range(lines):
        number = f"0114{index:07d}"
        account = f"PB{index // 2:06d}"
        plan = plans[index % sum(weights)]
        numbers[number] = LineInfo(number, account, plan, LINE_START)
        account_plans.setdefault(account, plan)
    return Subscribers(lines=numbers, account_plans=account_plans)


def generate(path: Path, size: int, lines: int, *, batch: int = 500_000) -> None:
    """Write `size` canonical CDRs to `path`, a batch at a time (bounded memory)."""
    mix = [
        (5200, pl.concat_str([pl.lit("01"), _digits(11, 9)])),
        (700, pl.concat_str([pl.lit("02"), _digits(12, 9)])),
        (400, pl.concat_str([pl.lit("03"), _digits(13, 9)])),
        (300, pl.concat_str([pl.lit("071"), _digits(14, 8)])),
        (300, pl.concat_str([pl.lit("074"), _digits(15, 8)])),
        (500, pl.concat_str([pl.lit("077"), _digits(16, 8)])),
        (500, pl.concat_str([pl.lit("078"), _digits(17, 8)])),
        (500, pl.concat_str([pl.lit("079"), _digits(18, 8)])),
        (50, pl.concat_str([pl.lit("07624"), _digits(19, 6)])),
        (250, pl.concat_str([pl.lit("0845"), _digits(20, 7)])),
        (150, pl.concat_str([pl.lit("0870"), _digits(21, 7)])),
        (400, pl.concat_str([pl.lit("0800"), _digits(22, 7)])),
        (250, pl.concat_str([pl.lit("00"), _digits(23, 11)])),
        (40, pl.concat_str([pl.lit("09"), _digits(24, 9)])),
        (40, pl.concat_str([pl.lit("118"), _digits(25, 3)])),
        (20, pl.lit("100")),
        (100, pl.lit("08000280282")),
        (
            290,
            pl.concat_str(
                [pl.lit("0114"), (pl.col("i").hash(26) % lines).cast(pl.String).str.zfill(7)]
            ),
        ),
        (10, pl.lit("999")),
    ]
    assert sum(share for share, _ in mix) == 10_000
    pick = pl.col("i").hash(1) % 10_000
    callee: pl.Expr = pl.lit("01632960000")
    threshold = 10_000
    for share, expr in reversed(mix):
        threshold -= share
        callee = pl.when(pick >= threshold).then(expr).otherwise(callee)
    outcome = pl.col("i").hash(2) % 1000
    length = pl.col("i").hash(3) % 1000
    billsec = (
        pl.when(length < 700)
        .then(pl.col("i").hash(4) % 600)
        .when(length < 970)
        .then(pl.col("i").hash(4) % 3600)
        .otherwise(pl.col("i").hash(4) % 7201)
    )
    instant = (
        pl.from_epoch(
            pl.lit(MONTH_START) + (pl.col("i").hash(5) % MONTH_SECONDS).cast(pl.Int64),
            time_unit="s",
        )
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Europe/London")
    )
    caller_index = (pl.col("i").hash(6) % lines).cast(pl.Int64)
    with path.open("wb") as handle:
        for first in range(0, size, batch):
            count = min(batch, size - first)
            frame = pl.DataFrame({"i": pl.int_range(first, first + count, eager=True)})
            frame = frame.select(
                pl.format("c{}", pl.col("i")).alias("call_id"),
                pl.when(pl.col("i").hash(7) % 5 == 0)
                .then(pl.format("PB{}", (caller_index // 2).cast(pl.String).str.zfill(6)))
                .otherwise(pl.lit(""))
                .alias("account"),
                pl.format("0114{}", caller_index.cast(pl.String).str.zfill(7)).alias("caller"),
                pl.when(pl.col("i").hash(8) % 2000 == 0)
                .then(pl.lit("not-a-number"))
                .otherwise(callee)
                .alias("callee"),
                instant.dt.strftime("%Y-%m-%dT%H:%M:%S%:z").alias("answered_at"),
                pl.when(pl.col("i").hash(9) % 5000 == 0)
                .then(pl.lit("-5"))
                .when(outcome < 850)
                .then(billsec.cast(pl.String))
                .otherwise(pl.lit("0"))
                .alias("billsec"),
                pl.when(outcome < 850)
                .then(pl.lit("ANSWERED"))
                .when(outcome < 950)
                .then(pl.lit("NO ANSWER"))
                .when(outcome < 990)
                .then(pl.lit("BUSY"))
                .otherwise(pl.lit("FAILED"))
                .alias("disposition"),
                pl.when(pick.is_between(10_000 - 420, 10_000 - 400, closed="left"))
                .then(pl.lit("true"))
                .otherwise(pl.lit("false"))
                .alias("operator_assisted"),
            )
            frame.write_csv(handle, include_header=first == 0, quote_style="never")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_run(path: Path, lines: int, out: Path) -> dict:
    """Rate the whole file with the engine (in a process of its own, to measure its memory)."""
    tariff = compile_tariff(tariff_from_catalogue_file(CATALOGUE))
    subscribers = _subscribers(lines)
    # Loading the compiled kernels is a once-per-process cost, like importing Polars: it is
    # done (and reported) before the clock starts, as a long-running worker would have.
    loading = time.perf_counter()
    kernels.warm(tariff)
    loaded = time.perf_counter() - loading
    host = cpu_times()
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = rate_file(
        path,
        tariff=tariff,
        subscribers=subscribers,
        rated_path=out,
        rejects_path=out.with_suffix(".rejects.csv"),
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(seconds, 3),
        "kernels_load_seconds": round(loaded, 3),
        "cpu_seconds": round(cpu, 3),
        "cdrs_per_second": round(result.read / seconds),
        "cdrs_per_cpu_second": round(result.read / cpu),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "host_steal_percent": steal_percent(host),
        "read": result.read,
        "rated": result.rated,
        "rejected": result.rejected,
        "unanswered": result.unanswered,
        "total_ex_vat": f"{result.total_ex_pence / 100:.2f}",
        "total_inc_vat": f"{result.total_inc_pence / 100:.2f}",
        "total_ex_pence": result.total_ex_pence,
        "total_inc_pence": result.total_inc_pence,
        "rated_mb": round(out.stat().st_size / 1e6, 1),
        "peak_rss_mb": round(_peak_mb()),
    }


def _in_a_process_of_its_own(function: Any, *args: Any) -> dict:
    """Run a stage in a fresh process, so its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result: dict = pool.submit(function, *args).result()
    return result


def sample_comparison(
    path: Path, sample: int, tariff: PhoneTariff, subscribers: Subscribers, work: Path
) -> dict:
    sample_path = work / "sample.csv"
    with path.open("rb") as source, sample_path.open("wb") as target:
        for _ in range(sample + 1):
            line = source.readline()
            if not line:
                break
            target.write(line)
    compiled = compile_tariff(tariff)
    started = time.perf_counter()
    engine = rate_file(
        sample_path,
        tariff=compiled,
        subscribers=subscribers,
        rated_path=work / "sample.parquet",
        rejects_path=work / "sample.rejects.csv",
    )
    engine_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference = rate_file_reference(sample_path, tariff=tariff, subscribers=subscribers)
    reference_seconds = time.perf_counter() - started
    rated = pl.read_parquet(work / "sample.parquet").sort("line")
    expected = [
        (row.line, str(row.rated.ex_vat), str(row.rated.inc_vat), row.rated.billed_minutes)
        for row in reference.rows
    ]
    found = list(
        zip(
            rated["line"].to_list(),
            [str(v) for v in rated["charge_ex_vat"].to_list()],
            [str(v) for v in rated["charge_inc_vat"].to_list()],
            rated["billed_minutes"].to_list(),
            strict=True,
        )
    )
    return {
        "calls": engine.read,
        "engine_seconds": round(engine_seconds, 3),
        "reference_seconds": round(reference_seconds, 3),
        "reference_cdrs_per_second": round(reference.read / reference_seconds),
        "engine_vs_reference": round(reference_seconds / engine_seconds, 1),
        "identical_to_the_penny": expected == found and engine.rejected == len(reference.rejects),
    }


def _duckdb_tables(compiled: CompiledTariff, subscribers: Subscribers) -> dict[str, pl.DataFrame]:
    """The tariff and the brand's numbers as tables for SQL (the same data the engine uses)."""
    c = compiled
    lines = subscribers.lines.values()
    return {
        "prefix_classes": pl.DataFrame(
            {"idx": range(len(c.prefix_table)), "class": c.prefix_table}
        ),
        "prefix_offsets": pl.DataFrame(
            {"digits": range(len(c.prefix_offsets)), "offset": c.prefix_offsets}
        ),
        "exact_numbers": pl.DataFrame(
            {"number": list(c.exact_numbers), "class": list(c.exact_numbers.values())},
            schema={"number": pl.String, "class": pl.Int64},
        ),
        "classes": pl.DataFrame(
            {
                "class": range(len(c.classes)),
                "free": c.free,
                "operator": c.operator,
                "setup_exempt": c.setup_exempt,
                "max_exempt": c.max_exempt,
            }
        ),
        "plans": pl.DataFrame(
            {
                "plan": range(len(c.plans)),
                "plan_key": c.plans,
                "family": c.plan_family,
                "windowed_plan": c.plan_window,
                "allowance": c.plan_allowance,
                "plan_max": c.plan_max_call,
            }
        ),
        "plan_classes": pl.DataFrame(
            {
                "plan": [p for p in range(len(c.plans)) for _ in c.classes],
                "class": [k for _ in c.plans for k in range(len(c.classes))],
                "included": [flag for row in c.plan_inclusive for flag in row],
            }
        ),
        "rates": pl.DataFrame(
            {
                "rate_row": range(len(c.rates)),
                "has_rate": c.has_rate,
                **{f"r{i}": [row[i] for row in c.rates] for i in range(len(c.bands))},
            }
        ),
        "band_tables": pl.DataFrame({"pos": range(len(c.tables)), "packed": c.tables}),
        "transitions": pl.DataFrame(
            {
                "start": c.transition_starts,
                "off": c.transition_offsets,
                "next_start": c.transition_starts.shift(-1, fill_value=2**62),
                "next_off": c.transition_offsets.shift(-1, fill_value=0),
            }
        ),
        "vat": pl.DataFrame(
            {"day": c.vat_days, "num": c.vat_numerators, "den": c.vat_denominators}
        ),
        "lines": pl.DataFrame(
            {
                "number": [x.number for x in lines],
                "line_account": [x.account for x in lines],
                "line_plan": [c.plans.index(x.plan) for x in lines],
                "line_start": [int(x.start.timestamp()) for x in lines],
                "line_end": [int(x.end.timestamp()) if x.end else 2**62 for x in lines],
            }
        ),
        "accounts": pl.DataFrame(
            {
                "account": list(subscribers.account_plans),
                "account_plan": [
                    c.plans.index(p) if p else None for p in subscribers.account_plans.values()
                ],
            },
            schema={"account": pl.String, "account_plan": pl.Int64},
        ),
    }


DUCKDB_RATING = """
CREATE TEMP TABLE parsed AS
WITH raw AS (
    SELECT row_number() OVER () + 1 AS line, *
    FROM read_csv($path, header = true, all_varchar = true, quote = '', escape = '',
                  columns = {'call_id': 'VARCHAR', 'account': 'VARCHAR', 'caller': 'VARCHAR',
                             'callee': 'VARCHAR', 'answered_at': 'VARCHAR',
                             'billsec': 'VARCHAR', 'disposition': 'VARCHAR',
                             'operator_assisted': 'VARCHAR'})
),
numbers AS (
    SELECT *,
        regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            coalesce(caller, ''), '[ ().-]', '', 'g'), '^0044', '0'), '^\\+44', '0'),
            '^\\+', '00') AS caller_x,
        regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            coalesce(callee, ''), '[ ().-]', '', 'g'), '^0044', '0'), '^\\+44', '0'),
            '^\\+', '00') AS callee_x,
        epoch(try_strptime(answered_at, '%Y-%m-%dT%H:%M:%S%z'))::BIGINT AS s
    FROM raw
)
SELECT line, call_id, coalesce(account, '') AS account,
    CASE WHEN regexp_full_match(caller_x, '[0-9]{3,20}') THEN caller_x END AS caller_n,
    CASE WHEN regexp_full_match(callee_x, '[0-9]{3,20}') THEN callee_x END AS callee_n,
    CASE WHEN regexp_full_match(answered_at, $iso) THEN s END AS s,
    CASE WHEN regexp_full_match(billsec, '[0-9]{1,9}') THEN billsec::BIGINT END AS billsec_n,
    disposition, lower(operator_assisted) AS op, call_id IS NOT NULL
        AND regexp_full_match(call_id, '[^\\x00-\\x1f\\x7f]{1,100}') AS call_id_ok
FROM numbers;

CREATE TEMP TABLE classified AS
SELECT p.*,
    coalesce(e.class, CASE WHEN o.number IS NOT NULL THEN $on_net END, pc.class) AS class,
    l.line_account, l.line_plan, l.line_start, l.line_end,
    a.account IS NOT NULL AS account_known, a.account_plan
FROM parsed p
LEFT JOIN exact_numbers e ON e.number = p.callee_n
LEFT JOIN lines o ON o.number = p.callee_n
LEFT JOIN prefix_offsets po ON po.digits = least(length(p.callee_n), $width)
LEFT JOIN prefix_classes pc ON pc.idx = po.offset + try_cast(left(p.callee_n, $width) AS BIGINT)
LEFT JOIN lines l ON l.number = p.caller_n
LEFT JOIN accounts a ON a.account = p.account;

CREATE TEMP TABLE valid AS
WITH resolved AS (
    SELECT *,
        line_account IS NOT NULL AND (account = '' OR line_account = account) AS own_line
    FROM classified
),
planned AS (
    SELECT r.*,
        CASE WHEN own_line THEN line_plan ELSE account_plan END AS plan,
        CASE WHEN own_line THEN line_account ELSE account END AS account_key
    FROM resolved r
),
checked AS (
    SELECT p.*, pl.family, pl.allowance, pl.windowed_plan, pl.plan_max,
        pl.family * $classes + p.class AS rate_row, k.free, k.operator, k.setup_exempt,
        k.max_exempt, pcl.included, disposition = 'ANSWERED' AS answered
    FROM planned p
    LEFT JOIN plans pl USING (plan)
    LEFT JOIN classes k USING (class)
    LEFT JOIN plan_classes pcl ON pcl.plan = p.plan AND pcl.class = p.class
),
passed AS (
    SELECT c.* FROM checked c LEFT JOIN rates r USING (rate_row)
    WHERE call_id_ok AND s IS NOT NULL AND s >= $first AND s < $end
      AND billsec_n IS NOT NULL
      AND disposition IN ('ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CONGESTION')
      AND op IN ('true', 'false') AND caller_n IS NOT NULL AND callee_n IS NOT NULL
      AND class IS NOT NULL
      AND NOT (account <> '' AND NOT account_known)
      AND NOT (account <> '' AND line_account IS NOT NULL AND NOT own_line)
      AND NOT (account = '' AND line_account IS NULL)
      AND NOT (own_line AND NOT (s >= line_start AND s < line_end))
      AND plan IS NOT NULL
      AND (free OR has_rate)
      AND NOT (answered AND billsec_n > $record)
      AND NOT (answered AND plan_max > 0 AND NOT max_exempt AND billsec_n > plan_max)
)
SELECT * FROM passed;

CREATE TEMP TABLE accepted AS
WITH firsts AS (SELECT min(line) AS line FROM valid GROUP BY call_id)
SELECT v.*, CASE WHEN answered THEN (billsec_n + 59) // 60 ELSE 0 END AS n,
    t.off AS off0, t.next_off AS off1, t.next_start AS change
FROM valid v
SEMI JOIN firsts f ON f.line = v.line
ASOF JOIN transitions t ON v.s >= t.start;

CREATE TEMP TABLE banded AS
SELECT *,
    ((s + off0) // 60 + 3 * 1440) % 10080 + 10080 AS w,
    least(n, (change - s + 59) // 60) AS k,
    (off1 - off0) // 60 AS delta,
    (s + off0) // 86400 AS local_day,
    strftime(make_timestamp((s + off0) * 1000000), '%Y%m')::INTEGER AS month,
    answered AND n > 0 AND NOT free AND included AND allowance >= 0 AS deferred,
    included AND windowed_plan AND NOT free AS windowed
FROM accepted;

CREATE TEMP TABLE covered AS
SELECT line, least(n, greatest(0, allowance - (
    sum(n) OVER (PARTITION BY account_key, plan, month ORDER BY s, line) - n))) AS covered
FROM banded WHERE deferred;

CREATE TEMP TABLE priced AS
WITH positions AS (
    SELECT b.*, coalesce(cv.covered, 0) AS covered_start,
        family * $span AS base_all,
        CASE WHEN windowed THEN plan * $span + $chargeable ELSE family * $span END AS base_c
    FROM banded b LEFT JOIN covered cv USING (line)
),
counted AS (
    SELECT p.*,
        a1.packed - a0.packed + CASE WHEN n > k THEN a3.packed - a2.packed ELSE 0 END AS all_packed,
        CASE WHEN free THEN 0 ELSE
            c1.packed - c0.packed + CASE WHEN n > k THEN c3.packed - c2.packed ELSE 0 END
        END AS charged_packed
    FROM positions p
    JOIN band_tables a0 ON a0.pos = base_all + w
    JOIN band_tables a1 ON a1.pos = base_all + w + least(n, k)
    JOIN band_tables a2 ON a2.pos = base_all + w + delta + k
    JOIN band_tables a3 ON a3.pos = base_all + w + delta + greatest(n, k)
    JOIN band_tables c0 ON c0.pos = base_c + w + least(covered_start, k)
    JOIN band_tables c1 ON c1.pos = base_c + w + least(n, k)
    JOIN band_tables c2 ON c2.pos = base_c + w + delta + greatest(covered_start, k)
    JOIN band_tables c3 ON c3.pos = base_c + w + delta
        + greatest(n, greatest(covered_start, k))
),
sums AS (
    SELECT c.*, r.*,
        (charged_packed % 65536) + (charged_packed // 65536 % 65536)
            + (charged_packed // 4294967296 % 65536) AS charged_total,
        (charged_packed % 65536) * r.r0 + (charged_packed // 65536 % 65536) * r.r1
            + (charged_packed // 4294967296 % 65536) * r.r2 AS minute_units
    FROM counted c JOIN rates r USING (rate_row)
),
money AS (
    SELECT *, n > 0 AND charged_total > 0 AS payable,
        op = 'true' OR operator AS op_call
    FROM sums
),
ex AS (
    SELECT m.*,
        CASE WHEN payable THEN
            ((minute_units + CASE WHEN setup_exempt THEN 0 ELSE $setup END)
             * CASE WHEN op_call THEN $multiplier ELSE 10000 END + $penny - 1) // $penny
        ELSE 0 END AS ex_pence
    FROM money m
)
SELECT e.*, (ex_pence * (v.den + v.num) + v.den - 1) // v.den AS inc_pence
FROM ex e ASOF JOIN vat v ON e.local_day >= v.day;
"""


def duckdb_rate(path: Path, lines: int, work: Path) -> dict:
    """Rate the file with DuckDB SQL: the same tariff tables, the same rules, set-based."""
    import duckdb

    compiled = compile_tariff(tariff_from_catalogue_file(CATALOGUE))
    subscribers = _subscribers(lines)
    started = time.perf_counter()
    con = duckdb.connect(str(work / "rating.duckdb"))
    con.execute(f"SET temp_directory = '{work / 'duckdb-tmp'}'")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    for name, frame in _duckdb_tables(compiled, subscribers).items():
        con.register(f"{name}_frame", frame.to_arrow())
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_frame")  # noqa: S608
    from backhaul.rating.engine import END_SECOND, FIRST_SECOND, PENNY_UNITS
    from backhaul.rating.importers import ISO_TIME

    parameters = {
        "path": str(path),
        "iso": ISO_TIME.strip("^$"),
        "on_net": compiled.on_net_code,
        "width": compiled.prefix_width,
        "classes": len(compiled.classes),
        "first": FIRST_SECOND,
        "end": END_SECOND,
        "record": compiled.tariff.max_record_minutes * 60,
        "span": compiled.table_length,
        "chargeable": compiled.chargeable_base,
        "setup": compiled.setup_units,
        "multiplier": compiled.admin_multiplier,
        "penny": PENNY_UNITS,
    }
    for statement in DUCKDB_RATING.split(";"):
        if statement.strip():
            used = {k: v for k, v in parameters.items() if f"${k}" in statement}
            con.execute(statement, used)
    rated_path = work / "duckdb.parquet"  # a path of our own, not user input
    query = "SELECT line, call_id, account_key, s, n, ex_pence, inc_pence FROM priced"
    copy = f"COPY ({query}) TO '{rated_path}' (FORMAT parquet)"
    con.execute(copy)
    read = con.execute("SELECT count(*) FROM parsed").fetchone()[0]
    rated, ex, inc = con.execute(
        "SELECT count(*), sum(ex_pence)::BIGINT, sum(inc_pence)::BIGINT FROM priced"
    ).fetchone()
    seconds = time.perf_counter() - started
    con.close()
    return {
        "seconds": round(seconds, 3),
        "memory_limit": DUCKDB_MEMORY,
        "peak_rss_mb": round(_peak_mb()),
        "cdrs_per_second": round(read / seconds),
        "read": read,
        "rated": rated,
        "total_ex_pence": ex,
        "total_inc_pence": inc,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2_000_000, help="CDRs to generate")
    parser.add_argument("--sample", type=int, default=100_000, help="reference sample size")
    parser.add_argument("--lines", type=int, default=50_000, help="numbers on the brand")
    parser.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB comparison")
    parser.add_argument("--keep", help="directory to keep the generated files in")
    parser.add_argument("--repeat", type=int, default=2, help="engine runs (the best counts)")
    args = parser.parse_args()
    tariff = tariff_from_catalogue_file(CATALOGUE)
    subscribers = _subscribers(args.lines)
    with tempfile.TemporaryDirectory(prefix="bench-rating-", dir=args.keep) as tmp:
        work = Path(tmp)
        path = work / "cdrs.csv"
        started = time.perf_counter()
        generate(path, args.size, args.lines)
        generated = time.perf_counter() - started
        # The file was just written: let the system put it on disk before rating, or that
        # writing competes with the run (a CDR file is normally written well before it is
        # rated).
        os.sync()
        report: dict = {
            "benchmark": "rating",
            "size": args.size,
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "generate_seconds": round(generated, 1),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
        }
        # The engine's compiled kernels are built once per machine and stored; each timed
        # run loads them before its clock starts (reported as kernels_load_seconds).
        compiling = time.perf_counter()
        kernels.warm(compile_tariff(tariff))
        report["kernels_ready_seconds"] = round(time.perf_counter() - compiling, 1)
        # Best of `--repeat` runs, each in a fresh process (the machine's speed varies from
        # one run to the next: every run is reported).
        runs = []
        for number in range(max(args.repeat, 1)):
            runs.append(
                _in_a_process_of_its_own(
                    engine_run, path, args.lines, work / f"rated-{number}.parquet"
                )
            )
            for stale in work.glob(f"rated-{number}.*"):
                stale.unlink()  # each run writes new files, as a first run does
        report["engine"] = min(runs, key=lambda run: run["seconds"])
        report["engine_runs"] = [
            {
                key: run[key]
                for key in ("seconds", "cpu_seconds", "kernels_load_seconds", "host_steal_percent")
            }
            for run in runs
        ]
        report["target_cdrs_per_second"] = 1_000_000
        report["reference_sample"] = sample_comparison(path, args.sample, tariff, subscribers, work)
        if not args.no_duckdb:
            report["duckdb"] = _in_a_process_of_its_own(duckdb_rate, path, args.lines, work)
            report["duckdb"]["engine_vs_duckdb"] = round(
                report["duckdb"]["seconds"] / report["engine"]["seconds"], 2
            )
            report["duckdb"]["totals_match_engine"] = (
                report["duckdb"]["total_ex_pence"] == report["engine"]["total_ex_pence"]
                and report["duckdb"]["total_inc_pence"] == report["engine"]["total_inc_pence"]
            )
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
