"""Daily usage work: new allowance periods, extra-usage charges, restored connections."""

from __future__ import annotations

from backhaul.scheduler.registry import DailyJob
from backhaul.usage.services import periods_roll

DAILY_JOBS = [
    DailyJob(
        name="usage-periods",
        run=periods_roll,
        order=40,
        description=(
            "start new allowance periods: charge extra usage, recommend upgrades, restore "
            "throttled and blocked connections"
        ),
    ),
]
