"""Support's daily work for ``backhaul tick``: each job is safe to replay for any day."""

from __future__ import annotations

from backhaul.scheduler.registry import DailyJob
from backhaul.support.services import (
    complaints_adr_due,
    hosting_uptime_monthly,
    ofcom_compensate,
    tickets_auto_close,
)

DAILY_JOBS = [
    DailyJob(
        name="support.auto_close",
        run=tickets_auto_close,
        order=60,
        description="close resolved tickets 5 working days after the fix (broadband-schedule#7.7)",
    ),
    DailyJob(
        name="support.ofcom_compensation",
        run=ofcom_compensate,
        order=61,
        description="Ofcom automatic compensation: late repairs and missed appointments",
    ),
    DailyJob(
        name="support.complaint_adr",
        run=complaints_adr_due,
        order=62,
        description="tell customers when an unresolved complaint may go to ADR",
    ),
    DailyJob(
        name="support.hosting_uptime",
        run=hosting_uptime_monthly,
        order=63,
        description="on the 1st, refund last month's website downtime (hosting-terms#4)",
    ),
]
