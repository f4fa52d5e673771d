"""Daily usage work: new allowance periods, extra-usage charges, restored connections,
and any fair-use notice not sent yet."""

from __future__ import annotations

from backhaul.scheduler.registry import DailyJob
from backhaul.usage.services import periods_roll, usage_notices_send

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
    DailyJob(
        name="usage-notices",
        run=usage_notices_send,
        order=41,
        description="send fair-use notices queued by usage imports and not sent yet",
    ),
]
