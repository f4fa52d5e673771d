"""How support clocks are shown: durations in words and clocks as bars with text.

Shared by the Member Centre and the staff console; no business rules here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from backhaul.support import rules

MEASURE_WORDS = {
    rules.CLOCK_WORKING: "working time",
    rules.CLOCK_ELAPSED: "real time",
    rules.CLOCK_CALENDAR_DAYS: "calendar time",
}
STATE_WORDS = {
    "met": "met",
    "running": "running",
    "paused": "paused",
    "breached": "missed",
}
STATE_CSS = {"met": "ok", "running": "warn", "paused": "warn", "breached": "bad"}


def duration_text(span: timedelta) -> str:
    """``2 h 05 min``, ``45 min``, ``3 days 4 h``; negative spans read as positive."""
    minutes = abs(span) // timedelta(minutes=1)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
    return f"{mins} min"


@dataclass(frozen=True)
class ClockBar:
    """A clock drawn as a bar: the share of the target used, capped at the full width."""

    key: str
    label: str
    percent: int
    state: str
    css: str
    text: str
    due_text: str
    clause: str


def clock_bar(clock: rules.ClockReading, *, key: str) -> ClockBar:
    measure = MEASURE_WORDS.get(clock.kind, "time")
    used, target = duration_text(clock.used), duration_text(clock.target)
    state = STATE_WORDS[clock.state]
    if clock.breached:
        detail = f"{duration_text(clock.used - clock.target)} over"
    elif clock.stopped_at is not None:
        detail = f"{duration_text(clock.remaining)} to spare"
    else:
        detail = f"{duration_text(clock.remaining)} left"
    aim = "target" if clock.guaranteed else "aim"
    text = f"{clock.name.capitalize()}: {used} of {target} {measure} used, {detail} ({state})."
    due_text = ""
    if clock.due is not None and clock.stopped_at is None:
        due = timezone.localtime(clock.due)
        verb = "was due" if clock.breached else "due"
        due_text = f"{verb} {due:%a %d %b %H:%M}"
    elif clock.stopped_at is None and clock.paused:
        due_text = "clock paused"
    return ClockBar(
        key=key,
        label=f"{clock.name.capitalize()} {aim}: {target}",
        percent=max(0, min(100, round(clock.fraction_used * 100))),
        state=state,
        css=STATE_CSS[clock.state],
        text=text,
        due_text=due_text,
        clause=clock.clause,
    )


def clock_bars(clocks: tuple[rules.ClockReading, ...], *, prefix: str) -> list[ClockBar]:
    return [clock_bar(c, key=f"{prefix}-{i}") for i, c in enumerate(clocks)]
