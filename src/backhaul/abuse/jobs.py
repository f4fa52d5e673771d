"""The abuse desk's daily work."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from backhaul.abuse.services import cases_escalate_due
from backhaul.core.calendar import LONDON
from backhaul.scheduler.registry import DailyJob


def escalate_overdue_cases(*, on: date, now: datetime) -> dict[str, int]:
    """Take the automatic ladder step (a PlugIn suspension) on cases whose time frame for
    corrective action passed unanswered by the end of `on` (London), or by `now` if that is
    earlier, so replaying a past day sees what that day saw."""
    end_of_day = datetime.combine(on + timedelta(days=1), time.min, tzinfo=LONDON)
    return cases_escalate_due(now=min(now, end_of_day))


DAILY_JOBS = [
    DailyJob(
        name="abuse-escalate",
        run=escalate_overdue_cases,
        order=60,
        description="Suspend where the time frame for corrective action passed unanswered",
    ),
]
