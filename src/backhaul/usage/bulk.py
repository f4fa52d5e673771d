"""Bulk reads and writes for metering: COPY on PostgreSQL, plain statements on SQLite.

Metering moves millions of rows; the ORM's one-object-at-a-time path is too slow for it.
These helpers read query results straight into Polars frames and write frames (or rows)
in the shape the tables already have, inside the caller's transaction, and leave every
constraint to the database. Both paths read and write the same rows.
"""

# Table and column names come from the models, quoted; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import io
import itertools
import select
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from django.db import DatabaseError, connection
from psycopg import pq

SQLITE_BATCH = 2000
#: SQLite allows a limited number of parameters per statement; lists of keys go in chunks.
SQLITE_IN_CHUNK = 900
CSV_DATETIME = "%Y-%m-%dT%H:%M:%S%.6f%:z"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def quote(name: str) -> str:
    """A table or column name, quoted for the database in use."""
    return connection.ops.quote_name(name)


_quote = quote


def _adapt(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _frame_csv(frame: pl.DataFrame) -> bytes:
    """A frame as PostgreSQL's CSV: quoted text (so '' stays an empty string) and an
    unquoted empty field for NULL."""
    text = frame.write_csv(
        include_header=False,
        quote_style="non_numeric",
        datetime_format=CSV_DATETIME,
        null_value="",
    )
    return text.encode("utf-8")


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run one statement; the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [_adapt(v) for v in params])
        return cursor.rowcount


def scalar(sql: str, params: Sequence[Any]) -> Any:
    """The first column of the first row a query returns."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [_adapt(v) for v in params])
        row = cursor.fetchone()
    return row[0] if row else None


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


def insert_frame(table: str, frame: pl.DataFrame) -> int:
    """Append a frame's rows to a table (columns named as the frame's)."""
    if frame.is_empty():
        return 0
    if not is_postgres():
        return insert_rows(table, frame.columns, frame.iter_rows())
    cols = ", ".join(_quote(c) for c in frame.columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {_quote(table)} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        copy.write(_frame_csv(frame))
    return frame.height


def _conflict_clause(
    table: str,
    *,
    key: Sequence[str],
    add: Sequence[str],
    replace: Sequence[str],
    greatest: Sequence[str],
) -> str:
    target = _quote(table)
    keys = ", ".join(_quote(k) for k in key)
    sets = [f"{_quote(c)} = {target}.{_quote(c)} + excluded.{_quote(c)}" for c in add]
    sets += [f"{_quote(c)} = excluded.{_quote(c)}" for c in replace]
    larger = "GREATEST" if is_postgres() else "MAX"
    sets += [
        f"{_quote(c)} = {larger}({target}.{_quote(c)}, excluded.{_quote(c)})" for c in greatest
    ]
    if not sets:
        return f"ON CONFLICT ({keys}) DO NOTHING"
    return f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(sets)}"


def _staging(cursor: Any, table: str, cols: str) -> str:
    staging = _quote(f"{table}_staging")
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS "
        f"SELECT {cols} FROM {_quote(table)} WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {staging}")
    return staging


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
    and keep the larger value of `greatest` columns (with none of them: keep the row)."""
    conflict = _conflict_clause(table, key=key, add=add, replace=replace, greatest=greatest)
    cols = ", ".join(_quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if is_postgres():
            staging = _staging(cursor, table, cols)
            with cursor.cursor.copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            cursor.execute(
                f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM {staging} {conflict}"
            )
            cursor.execute(f"TRUNCATE {staging}")
            return count
        marks = ", ".join("%s" for _ in columns)
        statement = f"INSERT INTO {_quote(table)} ({cols}) VALUES ({marks}) {conflict}"
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, SQLITE_BATCH)):
            cursor.executemany(statement, [[_adapt(v) for v in row] for row in batch])
            count += len(batch)
    return count


def upsert_frame(
    table: str,
    frame: pl.DataFrame,
    *,
    key: Sequence[str],
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
    greatest: Sequence[str] = (),
) -> int:
    """`upsert_rows` for a frame: on PostgreSQL one COPY into a staging table and one
    INSERT ... ON CONFLICT for the lot."""
    if frame.is_empty():
        return 0
    if not is_postgres():
        return upsert_rows(
            table,
            frame.columns,
            frame.iter_rows(),
            key=key,
            add=add,
            replace=replace,
            greatest=greatest,
        )
    conflict = _conflict_clause(table, key=key, add=add, replace=replace, greatest=greatest)
    cols = ", ".join(_quote(c) for c in frame.columns)
    with connection.cursor() as cursor:
        staging = _staging(cursor, table, cols)
        with cursor.cursor.copy(f"COPY {staging} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(_frame_csv(frame))
        cursor.execute(
            f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM {staging} {conflict}"
        )
        cursor.execute(f"TRUNCATE {staging}")
    return frame.height


def read_frame(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """A query's rows as a Polars frame. Datetime columns must be selected as epoch
    microseconds (see `epoch_us`); they come back as UTC datetimes."""
    names = list(schema)
    read_schema = {n: (pl.Int64 if _is_datetime(t) else t) for n, t in schema.items()}
    with connection.cursor() as cursor:
        if is_postgres():
            statement = cursor.cursor.mogrify(sql, params)
            data = _copy_out(cursor.cursor, f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)")
            if not data:
                frame = pl.DataFrame(schema=read_schema)
            else:
                buffer = io.BytesIO(data)
                # PostgreSQL quotes an empty string and leaves NULL as an empty field;
                # Polars reads them back the same way.
                frame = pl.read_csv(
                    buffer, has_header=False, new_columns=names, schema_overrides=read_schema
                )
        else:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            # SQLite returns a computed date (COALESCE of two, say) as ISO text.
            dates = [i for i, t in enumerate(schema.values()) if t == pl.Date]
            if dates and rows:
                rows = [
                    tuple(
                        date.fromisoformat(v) if i in dates and isinstance(v, str) else v
                        for i, v in enumerate(row)
                    )
                    for row in rows
                ]
            frame = pl.DataFrame(rows, schema=read_schema, orient="row")
    return frame.with_columns(
        pl.col(n).cast(pl.Datetime("us", "UTC")) for n, t in schema.items() if _is_datetime(t)
    )


def _copy_out(cursor: Any, statement: str) -> bytes:
    """Everything a `COPY ... TO STDOUT` sends, as one bytes object.

    The server sends one message per row; reading them straight from libpq (psycopg's
    `pgconn`) instead of through psycopg's generator costs a fraction of the Python time
    per row, which over millions of rows is seconds.
    """
    pgconn = cursor.connection.pgconn
    pgconn.send_query(statement.encode())
    # The connection does not block on sending: wait until a long statement is all out.
    while pgconn.flush():
        select.select([], [pgconn.socket], [])
    result = pgconn.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        message = result.get_error_message() if result is not None else "no result"
        while pgconn.get_result() is not None:
            pass
        raise DatabaseError(message)
    data = bytearray()
    receive = pgconn.get_copy_data
    while True:
        size, row = receive(0)
        if size < 0:
            break
        data += row
    failed = ""
    while (result := pgconn.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            failed = result.get_error_message()
    if size == -2 or failed:
        raise DatabaseError(failed or pgconn.get_error_message())
    return bytes(data)


def read_frame_where_in(
    sql: str,
    column: str,
    values: Sequence[Any],
    schema: dict[str, Any],
    *,
    params: Sequence[Any] = (),
) -> pl.DataFrame:
    """`read_frame` for the rows whose `column` (an SQL expression, quoted by the caller)
    is one of `values`; `sql` ends with a WHERE clause (or `WHERE TRUE`) that the membership
    test is added to."""
    if not values:
        return pl.DataFrame(schema=schema)
    if is_postgres():
        if all(type(v) is int for v in values):
            # One text parameter: far cheaper to send than an array of 10**5 numbers.
            listed = ",".join(map(str, values))
            return read_frame(
                f"{sql} AND {column} = ANY(string_to_array(%s, ',')::bigint[])",
                [*params, listed],
                schema,
            )
        return read_frame(f"{sql} AND {column} = ANY(%s)", [*params, list(values)], schema)
    frames = []
    for start in range(0, len(values), SQLITE_IN_CHUNK):
        chunk = list(values[start : start + SQLITE_IN_CHUNK])
        marks = ", ".join("%s" for _ in chunk)
        frames.append(read_frame(f"{sql} AND {column} IN ({marks})", [*params, *chunk], schema))
    return pl.concat(frames)


def _is_datetime(dtype: Any) -> bool:
    return isinstance(dtype, pl.Datetime) or dtype == pl.Datetime


def epoch_us(column: str) -> str:
    """SQL for a datetime column as integer microseconds since the epoch, on either database.

    On PostgreSQL `date_part('epoch', ...)` is the µs count / 10**6 as a float, within half
    a unit in the last place; scaled back, the error stays under 0.5 µs for times from 1970
    to 2106, so rounding gives the exact count. It is much cheaper over millions of rows
    than the numeric `EXTRACT(EPOCH ...)`.
    """
    quoted = _quote(column)
    if is_postgres():
        return f"round(date_part('epoch', {quoted}) * 1000000)::bigint"
    # Django keeps SQLite datetimes as text, "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
    return (
        f"(CAST(strftime('%%s', {quoted}) AS INTEGER) * 1000000"
        f" + CAST(substr({quoted} || '.000000', 21, 6) AS INTEGER))"
    )
