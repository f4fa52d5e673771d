"""The payments area's daily jobs, run by `backhaul tick`; each is safe to replay."""

from __future__ import annotations

from backhaul.payments.services.dunning import dunning_run_day
from backhaul.payments.services.leaving import departures_run_day, equipment_overdue_run
from backhaul.scheduler.registry import DailyJob

DAILY_JOBS = [
    DailyJob(
        name="payments.departures",
        run=departures_run_day,
        order=55,
        description="end the services whose termination date has come",
    ),
    DailyJob(
        name="payments.equipment",
        run=equipment_overdue_run,
        order=56,
        description="charge for equipment not returned within the return days",
    ),
    DailyJob(
        name="payments.dunning",
        run=dunning_run_day,
        order=60,
        description="advance the dunning ladder of accounts in arrears; restore service on payment",
    ),
]
