"""The domains' daily job, run by `backhaul tick`."""

from __future__ import annotations

from backhaul.domains.lifecycle import domains_run_day
from backhaul.scheduler.registry import DailyJob

DAILY_JOBS = [
    DailyJob(
        name="domains.lifecycle",
        run=domains_run_day,
        order=40,
        description="renewal reminders, .uk expiry stages and automatic renewals of domains",
    ),
]
