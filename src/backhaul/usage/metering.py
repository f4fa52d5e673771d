"""Vectorised metering of accounting records (Polars).

Turns a batch of accounting records into usage: per-update deltas of the cumulative
counters (combining Gigawords and allowing for 32-bit wraps, as `rules.counter_delta`),
summed by account and London day, and each session's last counters. The plain-Python
`rules.session_deltas` is the reference it is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from backhaul.usage.choices import StatusType
from backhaul.usage.rules import GIGAWORD

RECORD_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "session_key": pl.Utf8,
    "username": pl.Utf8,
    "nas_ip": pl.Utf8,
    "status": pl.Utf8,
    "at": pl.Datetime("us", "UTC"),
    "session_start": pl.Datetime("us", "UTC"),
    "input_octets": pl.Int64,
    "input_gigawords": pl.Int64,
    "output_octets": pl.Int64,
    "output_gigawords": pl.Int64,
    "framed_ip": pl.Utf8,
}
PRIOR_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "session_key": pl.Utf8,
    "prior_at": pl.Datetime("us", "UTC"),
    "prior_input": pl.Int64,
    "prior_output": pl.Int64,
    "prior_started": pl.Datetime("us", "UTC"),
    "prior_total_input": pl.Int64,
    "prior_total_output": pl.Int64,
}
LONDON = "Europe/London"


@dataclass
class MeterResult:
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


def meter(
    records: pl.DataFrame,
    priors: pl.DataFrame,
    logins: pl.DataFrame,
    busy: pl.DataFrame,
) -> MeterResult:
    """Meter a batch.

    `records` has RECORD_SCHEMA; `priors` the sessions' last counted counters
    (PRIOR_SCHEMA); `logins` maps `username` to `account_id` and `brand_id`; `busy` gives
    each `brand_id` its busy hours as `busy_start`/`busy_end` minutes after London midnight.
    """
    read = records.height
    nas_events = records.filter(
        pl.col("status").is_in([StatusType.ACCOUNTING_ON, StatusType.ACCOUNTING_OFF])
    )
    frame = records.filter(
        ~pl.col("status").is_in([StatusType.ACCOUNTING_ON, StatusType.ACCOUNTING_OFF])
    ).join(logins, on="username", how="left")
    unknown = frame.filter(pl.col("account_id").is_null())
    frame = frame.filter(pl.col("account_id").is_not_null()).join(
        priors, on="session_key", how="left"
    )
    frame = frame.with_columns(
        input_reported=pl.col("input_gigawords").fill_null(0) * GIGAWORD + pl.col("input_octets"),
        output_reported=pl.col("output_gigawords").fill_null(0) * GIGAWORD
        + pl.col("output_octets"),
    )
    already = pl.col("prior_at").is_not_null() & (pl.col("at") <= pl.col("prior_at"))
    counted_before = frame.filter(already).height
    frame = frame.filter(~already).sort(
        ["session_key", "at", "input_reported", "output_reported", "id"]
    )
    before_dedupe = frame.height
    frame = frame.unique(
        subset=["session_key", "at", "input_reported", "output_reported"],
        keep="first",
        maintain_order=True,
    )
    duplicates = counted_before + before_dedupe - frame.height
    frame = frame.with_columns(
        prev_input=pl.col("input_reported").shift(1).over("session_key"),
        prev_output=pl.col("output_reported").shift(1).over("session_key"),
        prev_at=pl.col("at").shift(1).over("session_key"),
        first=pl.int_range(pl.len()).over("session_key") == 0,
    ).with_columns(
        prev_input=pl.when(pl.col("first")).then(pl.col("prior_input")).otherwise("prev_input"),
        prev_output=pl.when(pl.col("first")).then(pl.col("prior_output")).otherwise("prev_output"),
        prev_at=pl.when(pl.col("first"))
        .then(pl.coalesce("prior_at", "session_start", "at"))
        .otherwise("prev_at"),
    )
    frame = frame.with_columns(
        delta_input=_delta(pl.col("input_reported"), pl.col("prev_input")),
        delta_output=_delta(pl.col("output_reported"), pl.col("prev_output")),
    ).with_columns(
        bad=pl.col("delta_input").is_null() | pl.col("delta_output").is_null(),
    )
    rejected = frame.filter(pl.col("bad")).select(
        "id", "session_key", "username", "at", "input_reported", "output_reported"
    )
    frame = frame.with_columns(
        delta_input=pl.when(pl.col("bad")).then(0).otherwise("delta_input"),
        delta_output=pl.when(pl.col("bad")).then(0).otherwise("delta_output"),
        seconds=((pl.col("at") - pl.col("prev_at")).dt.total_seconds()).clip(lower_bound=0),
        local=pl.col("at").dt.convert_time_zone(LONDON),
    ).with_columns(
        day=pl.col("local").dt.date(),
        minute=pl.col("local").dt.hour().cast(pl.Int32) * 60
        + pl.col("local").dt.minute().cast(pl.Int32),
    )
    frame = frame.join(busy, on="brand_id", how="left").with_columns(
        busy=(pl.col("minute") >= pl.col("busy_start")) & (pl.col("minute") < pl.col("busy_end"))
    )
    frame = frame.with_columns(pl.col("busy").fill_null(False))
    days = (
        frame.group_by("account_id", "day")
        .agg(
            input_octets=pl.col("delta_input").sum(),
            output_octets=pl.col("delta_output").sum(),
            seconds=pl.col("seconds").sum(),
            busy_output_octets=pl.when(pl.col("busy")).then("delta_output").otherwise(0).sum(),
            busy_seconds=pl.when(pl.col("busy")).then("seconds").otherwise(0).sum(),
            last_at=pl.col("at").max(),
        )
        .sort("account_id", "day")
    )
    sessions = (
        frame.group_by("session_key", maintain_order=True)
        .agg(
            username=pl.col("username").last(),
            account_id=pl.col("account_id").last(),
            nas_ip=pl.col("nas_ip").last(),
            framed_ip=pl.col("framed_ip").filter(pl.col("framed_ip") != "").last(),
            started_at=pl.coalesce(
                pl.col("prior_started").first(),
                pl.col("session_start").min(),
                pl.col("at").min(),
            ),
            last_at=pl.col("at").last(),
            last_input=pl.col("input_reported").last(),
            last_output=pl.col("output_reported").last(),
            total_input=pl.col("prior_total_input").first().fill_null(0)
            + pl.col("delta_input").sum(),
            total_output=pl.col("prior_total_output").first().fill_null(0)
            + pl.col("delta_output").sum(),
            stopped_at=pl.col("at").filter(pl.col("status") == StatusType.STOP).min(),
            new=pl.col("prior_at").first().is_null(),
        )
        .with_columns(pl.col("framed_ip").fill_null(""))
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
        "nas_events": nas_events.height,
    }
    rejected_all = pl.concat(
        [
            rejected.select(
                "id",
                pl.lit("counters went backwards above 2**32 with no wrap to explain it").alias(
                    "reason"
                ),
            ),
            unknown.select(
                "id",
                (pl.lit("no broadband login called ") + pl.col("username")).alias("reason"),
            ),
        ]
    )
    return MeterResult(days, sessions, started, stopped, rejected_all, counts)
