"""Writing many rows at once: COPY on PostgreSQL, bulk_create on other databases.

A bill run writes hundreds of thousands of invoice lines. PostgreSQL's COPY takes them as
one stream, without building model instances or SQL text per row; the ORM's bulk_create
does the same job (more slowly) on SQLite, so both paths write the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Lookup
from django.db.models.lookups import In


def copy_supported() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys from the table's identity sequence (PostgreSQL only).

    Taking the ids first lets lines name their invoice before either is written, so both
    go in by COPY. A rolled-back transaction only leaves a gap in ids, never in numbers.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """COPY rows (values in the order of `fields`, attribute names) into the model's table.

    JSON fields take Python values and are encoded here; everything else (text, numbers,
    Decimal, dates, aware datetimes, None) goes in as psycopg writes it.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    json_at = [
        i for i, name in enumerate(fields) if isinstance(meta.get_field(name), models.JSONField)
    ]
    statement = (
        f"COPY {connection.ops.quote_name(meta.db_table)} "
        f"({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        if json_at:
            for row in rows:
                values = list(row)
                for i in json_at:
                    values[i] = json.dumps(values[i])
                copy.write_row(values)
        else:
            for row in rows:
                copy.write_row(row)


def create_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """The portable path: bulk_create the rows and return their new primary keys."""
    objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    model._default_manager.bulk_create(objects, batch_size=2000)
    return [obj.pk for obj in objects]


class AnyOf(Lookup):
    """`field IN (ids)` for thousands of ids: on PostgreSQL `= ANY(%s)` with the list as one
    array parameter, which costs a fraction of binding each id on its own; elsewhere the
    ORM's own IN. Use it in a filter: `filter(AnyOf(F("account_id"), ids))`.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not self.rhs:
            raise EmptyResultSet
        if connection.vendor != "postgresql":
            return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} = ANY(%s)", [*lhs_params, list(self.rhs)]
