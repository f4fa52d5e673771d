"""The daily jobs of every area, found in each app's `jobs.py` as `DAILY_JOBS`.

A job is a function `run(*, on: date, now: datetime) -> dict[str, int]` that does one
day's work for date `on` and returns counts of what it did. Jobs must be idempotent:
running a day twice, or a range of days twice, sends nothing twice and leaves the same
state. Each area keeps its jobs in its own app, so nothing outside it needs changing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps

JobFunction = Callable[..., dict[str, int]]

# Objects a job handles in one transaction: one query reads and locks them all, and a
# commit per batch rather than per object keeps a long replay quick.
BATCH_SIZE = 200


@dataclass(frozen=True)
class DailyJob:
    name: str
    run: JobFunction
    order: int = 100
    description: str = ""


def daily_jobs() -> list[DailyJob]:
    """All registered daily jobs, in their run order (then by name)."""
    jobs: list[DailyJob] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("backhaul."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.jobs")
        except ModuleNotFoundError as exc:
            if exc.name == f"{config.name}.jobs":
                continue
            raise
        jobs.extend(getattr(module, "DAILY_JOBS", []))
    return sorted(jobs, key=lambda job: (job.order, job.name))


def run_day(*, on: date, now: datetime, only: set[str] | None = None) -> dict[str, dict[str, int]]:
    """Run every daily job for one date; returns each job's counts."""
    results = {}
    for job in daily_jobs():
        if only and job.name not in only:
            continue
        results[job.name] = job.run(on=on, now=now)
    return results


def batched(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """The ids in batches of `size`, in order."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])
