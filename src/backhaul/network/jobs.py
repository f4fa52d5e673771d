"""Daily network work: static addresses for new services back from ended ones; RADIUS
groups in step with suspensions and reactivations."""

from __future__ import annotations

from backhaul.network.services import radius_reconcile, static_ips_reconcile
from backhaul.scheduler.registry import DailyJob

DAILY_JOBS = [
    DailyJob(
        name="network-static-ips",
        run=static_ips_reconcile,
        order=30,
        description="allocate static addresses to active services, take back ended ones",
    ),
    DailyJob(
        name="network-radius",
        run=radius_reconcile,
        order=45,
        description="refuse logins of suspended or ended services, restore reactivated ones",
    ),
]
