"""Recording what happened to an object, with the clause it rests on, once where it must be.

Domains, mailboxes and packages each keep a history table of the same shape (`kind`, `on`,
`lifecycle`, `clause`, `detail`, `notice`, `at`, plus the object they belong to). Events
the daily jobs record are *lifecycle* events: a database constraint makes them unique per
object and kind (and per day or per cycle), and they are written with get-or-create, so a
replayed day finds them recorded and adds nothing. Other events (a refusal, a change the
customer asked for) are simply added.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import connection, models

from backhaul.catalogue.models import Clause
from backhaul.catalogue.selectors import clause_get
from backhaul.notices.models import Notice

DETAIL_LIMIT = 300

Event = TypeVar("Event", bound=models.Model)


class ClauseCache(dict[str, Clause]):
    """Clauses by id, looked up once for a whole daily run (a run records thousands of
    events citing the same handful of clauses)."""

    def get_clause(self, clause_id: str) -> Clause:
        clause = self.get(clause_id)
        if clause is None:
            clause = self[clause_id] = clause_get(clause_id)
        return clause


def event_record(
    model: type[Event],
    *,
    owner: Mapping[str, Any],
    kind: str,
    on: date,
    now: datetime,
    clause_id: str | None = None,
    detail: str = "",
    lifecycle: bool = False,
    notice: Notice | None = None,
    once_per_day: bool = True,
    clauses: ClauseCache | None = None,
) -> Event:
    """Add an event to `model`'s history for the object named by `owner`.

    `owner` holds the fields that name the object (`{"mailbox": mailbox}`, or for domains
    `{"domain": domain, "cycle": expiry}`). A lifecycle event is recorded once per owner
    and kind, and also per day unless `once_per_day` is false (a domain's stages are once
    per expiry cycle, whatever day they were recorded on); recording it again returns the
    first record unchanged. `clauses` shares clause look-ups across a run.
    """
    lookup = clauses.get_clause if clauses is not None else clause_get
    values: dict[str, Any] = {
        "on": on,
        "clause": lookup(clause_id) if clause_id else None,
        "detail": detail[:DETAIL_LIMIT],
        "notice": notice,
        "at": now,
    }
    manager = model._default_manager
    if not lifecycle:
        return manager.create(**owner, kind=kind, lifecycle=False, **values)
    identity = {**owner, "kind": kind, "lifecycle": True}
    if once_per_day:
        identity["on"] = values.pop("on")
    event, _created = manager.get_or_create(**identity, defaults=values)
    return event


class EventBatch:
    """Lifecycle events a daily job records for a batch of objects, written in one insert.

    The job has read (under lock) what each object already has recorded, so these are new;
    should one not be (a replay racing another run), the unique constraint keeps the first
    and the insert skips it, exactly as `event_record` would.
    """

    def __init__(self, model: type[models.Model], clauses: ClauseCache | None = None) -> None:
        self.model = model
        self.clauses = clauses if clauses is not None else ClauseCache()
        self.rows: list[models.Model] = []

    def add(
        self,
        *,
        owner: Mapping[str, Any],
        kind: str,
        on: date,
        now: datetime,
        clause_id: str | None = None,
        detail: str = "",
        notice: Notice | None = None,
    ) -> None:
        self.rows.append(
            self.model(
                **owner,
                kind=kind,
                on=on,
                lifecycle=True,
                clause=self.clauses.get_clause(clause_id) if clause_id else None,
                detail=detail[:DETAIL_LIMIT],
                notice=notice,
                at=now,
            )
        )

    def write(self) -> None:
        manager = self.model._default_manager
        manager.bulk_create(self.rows, batch_size=500, ignore_conflicts=True)
        self.rows = []


def rows_update(model: type[models.Model], objects: list[Any], fields: list[str]) -> None:
    """Write `fields` of each object back to its row: one statement run for all of them.

    Django's `bulk_update` builds a CASE expression per field over the whole batch, which
    costs more than the rows it saves; a prepared UPDATE executed for each row does not.
    """
    if not objects:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    statement = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 (names from the model)
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)
