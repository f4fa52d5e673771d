"""The privacy area's daily work: keep the purpose register current, apply retention."""

from __future__ import annotations

from datetime import date, datetime

from backhaul.catalogue.models import Brand
from backhaul.privacy.retention import retention_apply
from backhaul.privacy.services import purposes_sync
from backhaul.scheduler.registry import DailyJob


def purposes(*, on: date, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for brand in Brand.objects.order_by("key"):
        for key, value in purposes_sync(brand=brand).items():
            counts[key] = counts.get(key, 0) + value
    return counts


def retention(*, on: date, now: datetime) -> dict[str, int]:
    return retention_apply(on=on, now=now)


DAILY_JOBS = [
    DailyJob("privacy-purposes", purposes, 10, "load the brands' purpose registers"),
    DailyJob("privacy-retention", retention, 900, "delete or anonymise data past retention"),
]
