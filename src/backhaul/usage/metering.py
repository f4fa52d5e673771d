"""Vectorised metering of accounting records (Polars).

Turns a batch of accounting records into usage: per-update deltas of the cumulative
counters (Gigawords already combined; 32-bit wraps allowed for as `rules.counter_delta`),
summed by account and London day, and each session's last counters. The plain-Python
`rules.session_deltas` is the reference it is tested against.

The batch is read narrow (ids, keys, times and counters); the few columns needed once per
session (user name, NAS and framed addresses, the session start) are asked for by record
id through `details`, so millions of records never carry them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from backhaul.usage.choices import StatusType
from backhaul.usage.rules import GIGAWORD

UTC_US = pl.Datetime("us", "UTC")
RECORD_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "session_key": pl.Utf8,
    "username": pl.Utf8,
    "status": pl.Utf8,
    "at": UTC_US,
    "input_reported": pl.Int64,
    "output_reported": pl.Int64,
    "has_framed_ip": pl.Int8,
}
DETAIL_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "username": pl.Utf8,
    "nas_ip": pl.Utf8,
    "framed_ip": pl.Utf8,
    "session_start": UTC_US,
}
PRIOR_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "session_key": pl.Utf8,
    "prior_at": UTC_US,
    "prior_input": pl.Int64,
    "prior_output": pl.Int64,
    "prior_started": UTC_US,
    "prior_total_input": pl.Int64,
    "prior_total_output": pl.Int64,
}
LOGIN_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "username": pl.Utf8,
    "account_id": pl.Int64,
    "brand_id": pl.Int64,
}
BUSY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "brand_id": pl.Int64,
    "busy_start": pl.Int32,
    "busy_end": pl.Int32,
}
LONDON = "Europe/London"
MINUTE_US = 60 * 1_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
COUNTERS_UNEXPLAINED = "counters went backwards above 2**32 with no wrap to explain it"

Details = Callable[[list[int]], pl.DataFrame]


@dataclass
class MeterResult:
    """What a batch adds: usage by account and London day, each session's counters, the
    sessions that started (with an address) and stopped, and the records not counted."""

    days: pl.DataFrame
    sessions: pl.DataFrame
    started: pl.DataFrame
    stopped: pl.DataFrame
    rejected: pl.DataFrame
    counts: dict[str, int]


def _delta(reported: pl.Expr, previous: pl.Expr) -> pl.Expr:
    """`rules.counter_delta` over columns; null where the counter cannot be explained."""
    return (
        pl.when(previous.is_null())
        .then(reported)
        .when(reported >= previous)
        .then(reported - previous)
        .when(reported < GIGAWORD)
        .then(reported + GIGAWORD - previous % GIGAWORD)
        .otherwise(None)
    )


def _london_offset(hours: pl.Expr, first_hour: int, last_hour: int) -> pl.Expr:
    """London's offset from UTC (µs) for UTC hour numbers between the two given.

    The UK changes its clocks on the hour (01:00 UTC), so the offset is a step function of
    the UTC hour: worked out for each hour of the span, then applied to every row as a
    starting offset plus one step per clock change.
    """
    span = pl.DataFrame({"hour": pl.int_range(first_hour, last_hour + 1, eager=True)})
    offsets = span.with_columns(
        offset=(pl.col("hour") * HOUR_US)
        .cast(UTC_US)
        .dt.convert_time_zone(LONDON)
        .dt.replace_time_zone(None)
        .dt.epoch("us")
        - pl.col("hour") * HOUR_US
    )
    changes = offsets.filter(pl.col("offset") != pl.col("offset").shift(1))
    expr = pl.lit(offsets["offset"][0], dtype=pl.Int64)
    previous = offsets["offset"][0]
    for hour, offset in changes.iter_rows():
        expr = expr + pl.when(hours >= hour).then(offset - previous).otherwise(0)
        previous = offset
    return expr


def with_london_time(frame: pl.DataFrame, busy: pl.DataFrame) -> pl.DataFrame:
    """Add each row's London `day` and whether `at` falls in its brand's busy hours."""
    if frame.is_empty():
        return frame.with_columns(day=pl.lit(None, pl.Date), busy=pl.lit(False))
    epoch = pl.col("at").dt.epoch("us")
    low, high = frame.select(epoch.min().alias("low"), epoch.max().alias("high")).row(0)
    local = epoch + _london_offset(epoch // HOUR_US, low // HOUR_US, high // HOUR_US)
    frame = frame.with_columns(local=local).with_columns(
        day=(pl.col("local") // DAY_US).cast(pl.Int32).cast(pl.Date),
        minute=((pl.col("local") % DAY_US) // MINUTE_US).cast(pl.Int32),
    )
    in_busy = pl.lit(False)
    for brand_id, start, end in busy.iter_rows():
        in_busy = in_busy | (
            (pl.col("brand_id") == brand_id)
            & (pl.col("minute") >= start)
            & (pl.col("minute") < end)
        )
    return frame.with_columns(busy=in_busy).drop("local", "minute")


def _in_session_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows by session, time and counters (then id).

    Sorting on one integer is several times faster than on five columns, so when the
    session numbers and the batch's time span fit in 62 bits they are packed into one
    key; rows that tie on it (two updates of a session at the same instant) are then
    ordered by counters and id as well.
    """
    if frame.is_empty():
        return frame
    epoch = pl.col("at").dt.epoch("us")
    low, high, top = frame.select(
        epoch.min().alias("low"), epoch.max().alias("high"), pl.col("code").max()
    ).row(0)
    time_bits = max(int(high - low).bit_length(), 1)
    if time_bits + max(int(top).bit_length(), 1) > 62:
        return frame.sort(["code", "at", "input_reported", "output_reported", "id"])
    frame = frame.with_columns(
        order=pl.col("code").cast(pl.Int64) * (2**time_bits) + (epoch - low)
    ).sort("order")
    if frame.select((pl.col("order") == pl.col("order").shift(1)).any()).item():
        frame = frame.sort(["order", "input_reported", "output_reported", "id"])
    return frame.drop("order")


def _days(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.group_by("account_id", "day").agg(
        input_octets=pl.col("delta_input").sum(),
        output_octets=pl.col("delta_output").sum(),
        seconds=pl.col("seconds").sum(),
        busy_output_octets=pl.when(pl.col("busy")).then("delta_output").otherwise(0).sum(),
        busy_seconds=pl.when(pl.col("busy")).then("seconds").otherwise(0).sum(),
        last_at=pl.col("at").max(),
    )


def meter(
    records: pl.DataFrame,
    priors: pl.DataFrame,
    logins: pl.DataFrame,
    busy: pl.DataFrame,
    details: Details,
) -> MeterResult:
    """Meter a batch.

    `records` has RECORD_SCHEMA; `priors` the sessions' last counted counters
    (PRIOR_SCHEMA); `logins` maps `username` to `account_id` and `brand_id`; `busy` gives
    each `brand_id` its busy hours as `busy_start`/`busy_end` minutes after London midnight;
    `details(ids)` returns DETAIL_SCHEMA rows for the record ids asked for.
    """
    read = records.height
    status = pl.col("status")
    # Session keys become dictionary codes at once, so sorting and filtering millions of
    # rows moves integers only; user names are done with once each row has its account.
    frame = records.with_columns(
        pl.col("session_key").cast(pl.Categorical),
        nas_event=status.is_in([StatusType.ACCOUNTING_ON, StatusType.ACCOUNTING_OFF]),
        stop=status == StatusType.STOP,
    ).drop("status")
    nas_events = frame.select(pl.col("nas_event").sum()).item()
    frame = frame.filter(~pl.col("nas_event")).join(logins, on="username", how="left")
    unknown = frame.filter(pl.col("account_id").is_null()).select("id", "username")
    frame = frame.drop("username")
    frame = frame.filter(pl.col("account_id").is_not_null())
    if priors.is_empty():
        frame = frame.with_columns(
            pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in PRIOR_SCHEMA.items()
            if name != "session_key"
        )
    else:
        frame = frame.join(
            priors.with_columns(pl.col("session_key").cast(pl.Categorical)),
            on="session_key",
            how="left",
        )
    already = pl.col("prior_at").is_not_null() & (pl.col("at") <= pl.col("prior_at"))
    counted_before = frame.select(already.sum()).item()
    frame = _in_session_order(
        frame.filter(~already).with_columns(code=pl.col("session_key").to_physical())
    )
    # After the sort, a repeat of the same update (same session, time and counters) sits
    # right after the first one; it counts once.
    same_session = (pl.col("code") == pl.col("code").shift(1)).fill_null(False)
    repeat = (
        same_session
        & (pl.col("at") == pl.col("at").shift(1))
        & (pl.col("input_reported") == pl.col("input_reported").shift(1))
        & (pl.col("output_reported") == pl.col("output_reported").shift(1))
    )
    before = frame.height
    frame = frame.filter(~repeat.fill_null(False))
    duplicates = counted_before + before - frame.height
    first = (pl.col("code") != pl.col("code").shift(1)).fill_null(True)
    frame = frame.with_columns(first=first).with_columns(
        prev_input=pl.when("first")
        .then(pl.col("prior_input"))
        .otherwise(pl.col("input_reported").shift(1)),
        prev_output=pl.when("first")
        .then(pl.col("prior_output"))
        .otherwise(pl.col("output_reported").shift(1)),
        prev_at=pl.when("first")
        .then(pl.coalesce("prior_at", "at"))
        .otherwise(pl.col("at").shift(1)),
    )
    frame = frame.with_columns(
        delta_input=_delta(pl.col("input_reported"), pl.col("prev_input")),
        delta_output=_delta(pl.col("output_reported"), pl.col("prev_output")),
    ).with_columns(bad=pl.col("delta_input").is_null() | pl.col("delta_output").is_null())
    rejected = frame.filter(pl.col("bad")).select("id")
    frame = frame.with_columns(
        delta_input=pl.when("bad").then(0).otherwise("delta_input"),
        delta_output=pl.when("bad").then(0).otherwise("delta_output"),
        seconds=(pl.col("at") - pl.col("prev_at")).dt.total_seconds().clip(lower_bound=0),
    )
    frame = with_london_time(frame, busy)

    sessions = frame.group_by("code").agg(
        session_key=pl.col("session_key").first(),
        account_id=pl.col("account_id").last(),
        brand_id=pl.col("brand_id").last(),
        first_id=pl.col("id").first(),
        last_id=pl.col("id").last(),
        framed_id=pl.col("id").filter(pl.col("has_framed_ip") == 1).last(),
        first_at=pl.col("at").first(),
        first_day=pl.col("day").first(),
        first_busy=pl.col("busy").first(),
        last_at=pl.col("at").last(),
        last_input=pl.col("input_reported").last(),
        last_output=pl.col("output_reported").last(),
        delta_input=pl.col("delta_input").sum(),
        delta_output=pl.col("delta_output").sum(),
        stopped_at=pl.col("at").filter("stop").min(),
        prior_at=pl.col("prior_at").first(),
        prior_started=pl.col("prior_started").first(),
        prior_total_input=pl.col("prior_total_input").first(),
        prior_total_output=pl.col("prior_total_output").first(),
    )
    new = pl.col("prior_at").is_null()
    wanted = pl.concat(
        [
            sessions.filter(new)["first_id"],
            sessions["last_id"],
            sessions["framed_id"].drop_nulls(),
        ]
    ).unique()
    found = details(wanted.sort().to_list())
    sessions = (
        sessions.join(
            found.select(pl.col("id").alias("last_id"), "username", "nas_ip"),
            on="last_id",
            how="left",
        )
        .join(
            found.select(pl.col("id").alias("framed_id"), "framed_ip"), on="framed_id", how="left"
        )
        .join(
            found.select(pl.col("id").alias("first_id"), pl.col("session_start")),
            on="first_id",
            how="left",
        )
        .with_columns(session_start=pl.when(new).then("session_start"))
    )
    # A new session's first update also counts the time connected since the session began.
    since_start = (
        sessions.filter(pl.col("session_start").is_not_null())
        .select(
            "account_id",
            day="first_day",
            busy="first_busy",
            at="first_at",
            delta_input=pl.lit(0, pl.Int64),
            delta_output=pl.lit(0, pl.Int64),
            seconds=(pl.col("first_at") - pl.col("session_start"))
            .dt.total_seconds()
            .clip(lower_bound=0),
        )
        .filter(pl.col("seconds") > 0)
    )
    days = _days(frame)
    if not since_start.is_empty():
        days = (
            pl.concat([days, _days(since_start)])
            .group_by("account_id", "day")
            .agg(pl.exclude("last_at").sum(), pl.col("last_at").max())
        )
    days = days.sort("account_id", "day")
    sessions = sessions.select(
        pl.col("session_key").cast(pl.Utf8),
        "username",
        "account_id",
        pl.col("nas_ip").fill_null(""),
        pl.col("framed_ip").fill_null(""),
        started_at=pl.coalesce("prior_started", "session_start", "first_at"),
        last_at="last_at",
        last_input="last_input",
        last_output="last_output",
        total_input=pl.col("prior_total_input").fill_null(0) + pl.col("delta_input"),
        total_output=pl.col("prior_total_output").fill_null(0) + pl.col("delta_output"),
        stopped_at="stopped_at",
        new=new,
    )
    started = sessions.filter(pl.col("new") & (pl.col("framed_ip") != "")).select(
        "framed_ip", "account_id", "username", "session_key", "started_at"
    )
    stopped = sessions.filter(pl.col("stopped_at").is_not_null()).select(
        "session_key", "stopped_at"
    )
    counts = {
        "read": read,
        "metered": frame.height - rejected.height,
        "duplicates": duplicates,
        "rejected_counters": rejected.height,
        "unknown_login": unknown.height,
        "nas_events": nas_events,
    }
    rejected_all = pl.concat(
        [
            rejected.select("id", reason=pl.lit(COUNTERS_UNEXPLAINED)),
            unknown.select("id", reason=pl.lit("no broadband login called ") + pl.col("username")),
        ]
    )
    return MeterResult(days, sessions.drop("new"), started, stopped, rejected_all, counts)
