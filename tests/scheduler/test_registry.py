"""The daily tick runs each area's jobs for a given date, from the CLI or Celery."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from backhaul import celery_app
from backhaul.scheduler import registry, tasks
from backhaul.scheduler.registry import DailyJob

pytestmark = pytest.mark.django_db


def test_jobs_run_for_each_day_of_a_range(monkeypatch, capsys) -> None:
    seen: list[date] = []

    def remember(*, on, now):
        seen.append(on)
        return {"days": 1}

    monkeypatch.setattr(registry, "daily_jobs", lambda: [DailyJob("remember", remember)])
    call_command("tick", "--on", "2026-12-30", "--to", "2027-01-02", "--json")
    assert seen == [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    assert '"2027-01-02": {' in capsys.readouterr().out


def test_celery_runs_the_tick_in_process_without_a_broker(monkeypatch) -> None:
    monkeypatch.setattr(
        registry, "daily_jobs", lambda: [DailyJob("count", lambda *, on, now: {"on": on.day})]
    )
    assert celery_app.conf.task_always_eager is True
    result = tasks.tick.delay("2026-11-21")
    assert result.get() == {"count": {"on": 21}}
