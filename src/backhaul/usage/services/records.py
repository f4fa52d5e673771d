"""Getting accounting records in: FreeRADIUS's radacct table and its detail files.

Records land in an append-only log (`AccountingRecord`) as received; metering reads the
log once, in id order. Records that cannot be used are kept with the reason.
"""

# Table and column names come from the models, quoted; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from backhaul.network.models import RadAcct
from backhaul.usage import bulk
from backhaul.usage.choices import RecordSource, StatusType
from backhaul.usage.detail import detail_read
from backhaul.usage.models import AccountingRecord, ImportCursor, ImportRun, RejectedRecord

RADACCT_CURSOR = "radacct"
RECORD_COLUMNS = [
    "source",
    "session_key",
    "username",
    "nas_ip",
    "status",
    "at",
    "session_start",
    "input_octets",
    "input_gigawords",
    "output_octets",
    "output_gigawords",
    "framed_ip",
    "origin",
]


def cursor_lock(name: str) -> ImportCursor:
    """An importer's cursor, locked for this transaction: imports of one kind queue."""
    cursor, _ = ImportCursor.objects.get_or_create(name=name)
    return ImportCursor.objects.select_for_update().get(pk=cursor.pk)


def _address(column: str) -> str:
    """An inet column as plain text (PostgreSQL keeps addresses as inet, SQLite as text)."""
    return f"host({column})" if bulk.is_postgres() else column


def records_from_radacct(*, run: ImportRun, since: datetime | None) -> dict[str, int]:
    """Copy radacct rows changed since the last poll (or `since`) into the record log.

    radacct keeps one row per session, updated in place, so each poll sees the latest
    counters of every session that moved; metering takes the delta from the last poll.
    The copy runs inside the database (INSERT ... SELECT): rows never pass through Python.
    """
    cursor = cursor_lock(RADACCT_CURSOR)
    start = since or cursor.last_at
    radacct = bulk.quote(RadAcct._meta.db_table)
    records = bulk.quote(AccountingRecord._meta.db_table)
    rejected = bulk.quote(RejectedRecord._meta.db_table)
    at = "COALESCE(acctstoptime, acctupdatetime, acctstarttime)"
    changed, params = "TRUE", []
    if start is not None:
        changed = "(acctupdatetime >= %s OR acctstoptime >= %s OR acctstarttime >= %s)"
        params = [start, start, start]
    usable = f"{at} IS NOT NULL AND COALESCE(username, '') <> ''"
    status = (
        f"CASE WHEN acctstoptime IS NOT NULL THEN '{StatusType.STOP}' "
        "WHEN acctupdatetime IS NOT NULL "
        "AND (acctstarttime IS NULL OR acctupdatetime <> acctstarttime) "
        f"THEN '{StatusType.INTERIM}' ELSE '{StatusType.START}' END"
    )
    last_id = bulk.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {records}", [])
    columns = ", ".join(bulk.quote(c) for c in RECORD_COLUMNS)
    accepted = bulk.execute(
        f"INSERT INTO {records} ({columns}) "
        f"SELECT '{RecordSource.RADACCT}', acctuniqueid, username, "
        f"{_address('nasipaddress')}, {status}, {at}, acctstarttime, "
        "COALESCE(acctinputoctets, 0), NULL, COALESCE(acctoutputoctets, 0), NULL, "
        f"COALESCE({_address('framedipaddress')}, ''), 'radacct ' || radacctid "
        f"FROM {radacct} WHERE {changed} AND {usable} ORDER BY radacctid",
        params,
    )
    refused = bulk.execute(
        f"INSERT INTO {rejected} (run_id, origin, reason, raw) "
        f"SELECT %s, 'radacct ' || radacctid, CASE WHEN {at} IS NULL "
        "THEN 'no start, update or stop time' ELSE 'no UserName' END, '' "
        f"FROM {radacct} WHERE {changed} AND NOT ({usable})",
        [run.pk, *params],
    )
    latest = (
        AccountingRecord.objects.filter(id__gt=last_id, source=RecordSource.RADACCT)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if latest is not None and (cursor.last_at is None or latest > cursor.last_at):
        cursor.last_at = latest
        cursor.save(update_fields=["last_at"])
    return {
        "records_read": accepted + refused,
        "records_accepted": accepted,
        "records_rejected": refused,
    }


def records_from_detail(*, run: ImportRun, path: Path) -> dict[str, int]:
    """Copy a detail file's records into the record log; malformed ones are kept as
    rejected with their line number and reason."""
    parsed = detail_read(path)
    rows = (
        (
            RecordSource.DETAIL,
            r.session_key,
            r.username,
            r.nas_ip,
            r.status,
            r.at,
            r.session_start,
            r.input_octets,
            r.input_gigawords,
            r.output_octets,
            r.output_gigawords,
            r.framed_ip,
            f"{path.name}:{r.line}",
        )
        for r in parsed.records
    )
    bulk.insert_rows(AccountingRecord._meta.db_table, RECORD_COLUMNS, rows)
    RejectedRecord.objects.bulk_create(
        RejectedRecord(
            run=run, origin=f"{path}:{r.line}", line=r.line, reason=r.reason[:300], raw=r.raw
        )
        for r in parsed.rejected
    )
    return {
        "records_read": parsed.read,
        "records_accepted": len(parsed.records),
        "records_rejected": len(parsed.rejected),
    }
