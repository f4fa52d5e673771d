"""Storing intake's rows in bulk: one statement per batch (COPY on PostgreSQL, executemany
on SQLite) without the ORM's per-object and per-value work, inside the caller's
transaction. Constraints apply as for any insert; violations raise IntegrityError."""

# Table and column names come from the model, quoted; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models

_Convert = Callable[[Any], Any] | None


def _converter(field: models.Field[Any, Any]) -> _Convert:
    """How a field's Python value is written: JSON as its text; datetimes as SQLite keeps
    them (PostgreSQL takes them as they are); anything else unchanged."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: json.dumps(value, cls=encoder)
    if isinstance(field, models.DateTimeField) and connection.vendor != "postgresql":
        adapt: Callable[[Any], Any] = connection.ops.adapt_datetimefield_value
        # Most rows of a batch share their times (when it was received): adapt each once.
        adapted: dict[Any, Any] = {}

        def remembered(value: Any) -> Any:
            if value not in adapted:
                adapted[value] = adapt(value)
            return adapted[value]

        return remembered
    return None


def rows_insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows of `model`, each a mapping of field attnames to values (a field left out
    takes its default); primary keys are left to the database, and the caller reads them
    back by a unique key if it needs them."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plan = [(f.attname, f.get_default(), _converter(f)) for f in fields]
    values = [
        [
            value if convert is None or value is None else convert(value)
            for name, default, convert in plan
            for value in (row.get(name, default),)
        ]
        for row in rows
    ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.wrap_database_errors, connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
