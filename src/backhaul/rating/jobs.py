"""Rating's daily job, run by `backhaul tick`."""

from __future__ import annotations

from backhaul.rating.services import numbers_lapse
from backhaul.scheduler.registry import DailyJob

DAILY_JOBS = [
    DailyJob(
        name="rating.number-lapse",
        run=numbers_lapse,
        order=60,
        description=(
            "end free Broadband Phone numbers unused for outgoing calls for more than 90 days, "
            "with a notice (broadband-phone-schedule#3.11)"
        ),
    ),
]
