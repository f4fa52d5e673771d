"""`backhaul usage import`: records in, metered, allowances moved on, notices sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from django.db import transaction

from backhaul.core.errors import InvalidInput
from backhaul.usage.choices import RecordSource
from backhaul.usage.models import ImportRun
from backhaul.usage.services.meter import records_meter
from backhaul.usage.services.notices import usage_notices_send
from backhaul.usage.services.records import records_from_detail, records_from_radacct


def usage_import(
    *, now: datetime, since: datetime | None = None, detail_paths: Iterable[Path] = ()
) -> ImportRun:
    """Import accounting (radacct, or the detail files given) and meter it. Replaying the
    same records counts nothing twice: each session's last counted update is kept.

    Everything up to the new allowance states and RADIUS groups is one transaction; the
    notices it decided are sent after it commits.
    """
    paths = list(detail_paths)
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
    with transaction.atomic():
        run = ImportRun.objects.create(
            source=RecordSource.DETAIL if paths else RecordSource.RADACCT,
            origin=", ".join(str(p) for p in paths)[:500],
            started_at=now,
        )
        counts: dict[str, int] = defaultdict(int)
        if paths:
            for path in paths:
                for key, value in records_from_detail(run=run, path=path).items():
                    counts[key] += value
        else:
            counts.update(records_from_radacct(run=run, since=since))
        counts.update(records_meter(run=run, now=now))
        run.counts = dict(counts)
        run.finished_at = now
        run.save(update_fields=["counts", "finished_at"])
    usage_notices_send(now=now)
    return run
