"""Celery entry points for the daily tick (scheduled by celery beat in production)."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from backhaul.scheduler.registry import run_day


@shared_task(name="backhaul.tick")
def tick(on: str | None = None) -> dict[str, dict[str, int]]:
    """Run the daily jobs for `on` (ISO date), or for today in Europe/London."""
    day = date.fromisoformat(on) if on else timezone.localdate()
    return run_day(on=day, now=timezone.now())
