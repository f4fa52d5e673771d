"""The mailboxes' daily job, run by `backhaul tick`."""

from __future__ import annotations

from backhaul.mailboxes.services import mailboxes_run_day
from backhaul.scheduler.registry import DailyJob

DAILY_JOBS = [
    DailyJob(
        name="mailboxes.housekeeping",
        run=mailboxes_run_day,
        order=45,
        description="archive mailboxes not accessed, delete archived mail, remove unread mail",
    ),
]
