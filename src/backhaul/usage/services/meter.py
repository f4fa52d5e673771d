"""Metering the record log: usage by account and day, session counters, IP history.

Each run reads the records logged since the last one as a Polars frame (COPY on
PostgreSQL), meters them with `metering.meter`, writes the results back in bulk, and hands
the usage to the allowance engine, once per account.
"""

# Table and column names come from the models, quoted; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime

import polars as pl

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import rule_params
from backhaul.network.services import session_addresses_record
from backhaul.usage import bulk, metering
from backhaul.usage.models import (
    AccountingRecord,
    ImportRun,
    RejectedRecord,
    SessionMeter,
    UsageDay,
)
from backhaul.usage.services.allowances import allowances_apply_usage
from backhaul.usage.services.records import cursor_lock

METER_CURSOR = "meter"
METER_COUNTS = ("metered", "duplicates", "rejected_counters", "unknown_login", "nas_events")
GIGAWORD_SQL = "4294967296"
SESSION_COLUMNS = [
    "session_key",
    "username",
    "account_id",
    "nas_ip",
    "framed_ip",
    "started_at",
    "last_at",
    "last_input",
    "last_output",
    "total_input",
    "total_output",
    "stopped_at",
]
DAY_SUMS = ["input_octets", "output_octets", "seconds", "busy_output_octets", "busy_seconds"]


def _minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def _busy_hours() -> pl.DataFrame:
    rows = []
    for brand in Brand.objects.all():
        hours = rule_params(brand, "broadband_speeds", default={}).get("busy_hours")
        if hours:
            rows.append((brand.pk, _minutes(hours["start"]), _minutes(hours["end"])))
    return pl.DataFrame(rows, schema=metering.BUSY_SCHEMA, orient="row")


def _logins_frame() -> pl.DataFrame:
    from backhaul.customers.models import Account
    from backhaul.network.models import BroadbandLogin

    logins = bulk.quote(BroadbandLogin._meta.db_table)
    accounts = bulk.quote(Account._meta.db_table)
    return bulk.read_frame(
        f"SELECT l.username, l.account_id, a.brand_id FROM {logins} l "
        f"JOIN {accounts} a ON a.id = l.account_id",
        [],
        metering.LOGIN_SCHEMA,
    )


def _records_frame(first: int, last: int) -> pl.DataFrame:
    """The records after id `first` up to `last`, narrow: counters with Gigawords combined."""
    table = bulk.quote(AccountingRecord._meta.db_table)
    sql = (
        f"SELECT id, session_key, username, status, {bulk.epoch_us('at')}, "
        f"input_octets + COALESCE(input_gigawords, 0) * {GIGAWORD_SQL}, "
        f"output_octets + COALESCE(output_gigawords, 0) * {GIGAWORD_SQL}, "
        "CASE WHEN framed_ip <> '' THEN 1 ELSE 0 END "
        f"FROM {table} WHERE id > %s AND id <= %s"
    )
    return bulk.read_frame(sql, [first, last], metering.RECORD_SCHEMA)


def _record_details(ids: list[int]) -> pl.DataFrame:
    table = bulk.quote(AccountingRecord._meta.db_table)
    return bulk.read_frame_where_in(
        f"SELECT id, username, nas_ip, framed_ip, {bulk.epoch_us('session_start')} "
        f"FROM {table} WHERE TRUE",
        bulk.quote("id"),
        ids,
        metering.DETAIL_SCHEMA,
    )


def _priors_frame(session_keys: list[str]) -> pl.DataFrame:
    table = bulk.quote(SessionMeter._meta.db_table)
    return bulk.read_frame_where_in(
        f"SELECT session_key, {bulk.epoch_us('last_at')}, last_input, last_output, "
        f"{bulk.epoch_us('started_at')}, total_input, total_output FROM {table} WHERE TRUE",
        bulk.quote("session_key"),
        session_keys,
        metering.PRIOR_SCHEMA,
    )


def _write_metered(result: metering.MeterResult, *, run: ImportRun) -> None:
    bulk.upsert_frame(
        UsageDay._meta.db_table,
        result.days.select("account_id", "day", *DAY_SUMS, "last_at"),
        key=["account_id", "day"],
        add=DAY_SUMS,
        greatest=["last_at"],
    )
    bulk.upsert_frame(
        SessionMeter._meta.db_table,
        result.sessions.select(SESSION_COLUMNS),
        key=["session_key"],
        replace=[c for c in SESSION_COLUMNS if c not in ("session_key", "started_at")],
    )
    session_addresses_record(started=result.started, stopped=result.stopped)
    if result.rejected.height:
        origins = dict(
            AccountingRecord.objects.filter(pk__in=result.rejected["id"].to_list()).values_list(
                "pk", "origin"
            )
        )
        RejectedRecord.objects.bulk_create(
            RejectedRecord(
                run=run, origin=origins.get(record_id) or f"record {record_id}", reason=reason
            )
            for record_id, reason in result.rejected.iter_rows()
        )


def records_meter(*, run: ImportRun, now: datetime) -> dict[str, int]:
    """Meter every record logged since the last run, once, and bring allowances up to date."""
    cursor = cursor_lock(METER_CURSOR)
    last = bulk.scalar(
        f"SELECT COALESCE(MAX(id), 0) FROM {bulk.quote(AccountingRecord._meta.db_table)}", []
    )
    if last <= cursor.last_id:
        return {key: 0 for key in METER_COUNTS}
    records = _records_frame(cursor.last_id, last)
    priors = _priors_frame(records["session_key"].unique().to_list())
    result = metering.meter(records, priors, _logins_frame(), _busy_hours(), _record_details)
    _write_metered(result, run=run)
    counts = dict(result.counts)
    counts.pop("read")
    usage = result.days.select(
        "account_id",
        "day",
        octets=pl.col("input_octets") + pl.col("output_octets"),
        at="last_at",
    )
    counts.update(allowances_apply_usage(usage=usage, now=now))
    cursor.last_id = last
    cursor.save(update_fields=["last_id"])
    return counts
