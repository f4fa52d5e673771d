"""Bulk reads and writes for metering: COPY on PostgreSQL, plain statements on SQLite.

Metering moves millions of rows; the ORM's one-object-at-a-time path is too slow for it.
These helpers write rows in the shape the tables already have, inside the caller's
transaction, and leave every constraint to the database.
"""

# Table and column names come from the models, quoted; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from django.db import connection

SQLITE_BATCH = 2000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _adapt(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Append rows to a table: COPY on PostgreSQL, executemany on SQLite."""
    cols = ", ".join(_quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if is_postgres():
            raw = cursor.cursor
            with raw.copy(f"COPY {_quote(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join("%s" for _ in columns)
        statement = f"INSERT INTO {_quote(table)} ({cols}) VALUES ({marks})"
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, SQLITE_BATCH)):
            cursor.executemany(statement, [[_adapt(v) for v in row] for row in batch])
            count += len(batch)
    return count


def upsert_rows(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    key: Sequence[str],
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
    greatest: Sequence[str] = (),
) -> int:
    """Insert rows, or for an existing key add to `add` columns, overwrite `replace` columns
    and keep the larger value of `greatest` columns."""
    target = _quote(table)
    sets = [f"{_quote(c)} = {target}.{_quote(c)} + excluded.{_quote(c)}" for c in add]
    sets += [f"{_quote(c)} = excluded.{_quote(c)}" for c in replace]
    if is_postgres():
        sets += [
            f"{_quote(c)} = GREATEST({target}.{_quote(c)}, excluded.{_quote(c)})" for c in greatest
        ]
    else:
        sets += [f"{_quote(c)} = MAX({target}.{_quote(c)}, excluded.{_quote(c)})" for c in greatest]
    conflict = f"ON CONFLICT ({', '.join(_quote(k) for k in key)}) DO UPDATE SET {', '.join(sets)}"
    cols = ", ".join(_quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if is_postgres():
            staging = f"{table}_staging"
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_quote(staging)} AS "
                f"SELECT {cols} FROM {target} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {_quote(staging)}")
            with cursor.cursor.copy(f"COPY {_quote(staging)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            cursor.execute(
                f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {_quote(staging)} {conflict}"
            )
            cursor.execute(f"TRUNCATE {_quote(staging)}")
            return count
        marks = ", ".join("%s" for _ in columns)
        statement = f"INSERT INTO {target} ({cols}) VALUES ({marks}) {conflict}"
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, SQLITE_BATCH)):
            cursor.executemany(statement, [[_adapt(v) for v in row] for row in batch])
            count += len(batch)
    return count


def read_frame(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """A query's rows as a Polars frame. Datetime columns must be selected as epoch
    microseconds (see `epoch_us`); they come back as UTC datetimes."""
    names = list(schema)
    read_schema = {n: (pl.Int64 if _is_datetime(t) else t) for n, t in schema.items()}
    with connection.cursor() as cursor:
        if is_postgres():
            buffer = io.BytesIO()
            statement = cursor.cursor.mogrify(sql, params)
            with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            buffer.seek(0)
            if buffer.getbuffer().nbytes == 0:
                frame = pl.DataFrame(schema=read_schema)
            else:
                frame = pl.read_csv(
                    buffer, has_header=False, new_columns=names, schema_overrides=read_schema
                )
        else:
            cursor.execute(sql, params)
            frame = pl.DataFrame(cursor.fetchall(), schema=read_schema, orient="row")
    return frame.with_columns(
        pl.col(n).cast(pl.Datetime("us", "UTC")) for n, t in schema.items() if _is_datetime(t)
    )


def _is_datetime(dtype: Any) -> bool:
    return isinstance(dtype, pl.Datetime) or dtype == pl.Datetime


def epoch_us(column: str) -> str:
    """SQL for a datetime column as integer microseconds since the epoch, on either database."""
    quoted = _quote(column)
    if is_postgres():
        return f"(EXTRACT(EPOCH FROM {quoted}) * 1000000)::bigint"
    # Django keeps SQLite datetimes as text, "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
    return (
        f"(CAST(strftime('%%s', {quoted}) AS INTEGER) * 1000000"
        f" + CAST(substr({quoted} || '.000000', 21, 6) AS INTEGER))"
    )
