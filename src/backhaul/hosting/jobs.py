"""The email and hosting packages' daily job, run by `backhaul tick`."""

from __future__ import annotations

from backhaul.hosting.services import packages_run_day
from backhaul.scheduler.registry import DailyJob

DAILY_JOBS = [
    DailyJob(
        name="hosting.renewals",
        run=packages_run_day,
        order=45,
        description="charge email and hosting renewals before the renewal date, end on notice",
    ),
]
