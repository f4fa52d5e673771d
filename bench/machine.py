"""What the machine was doing while a benchmark ran: processor time taken back by the host.

On a virtual machine the host may run other guests on the same processors; the time it
takes back is the `steal` column of /proc/stat (and of `vmstat`). A benchmark that ran
while much time was stolen is slower than the code is: the figure says how much.
"""

from __future__ import annotations

from pathlib import Path

_STAT = Path("/proc/stat")
_STEAL = 7  # user nice system idle iowait irq softirq steal ...


def cpu_times() -> tuple[int, int] | None:
    """(stolen, total) processor time so far, in clock ticks; None where not known."""
    try:
        first = _STAT.read_text().splitlines()[0].split()
    except OSError:
        return None
    if first[0] != "cpu" or len(first) <= _STEAL + 1:
        return None
    ticks = [int(value) for value in first[1:]]
    return ticks[_STEAL], sum(ticks[: _STEAL + 1])


def steal_percent(before: tuple[int, int] | None) -> float | None:
    """The share of processor time the host took back since `before` (from `cpu_times`)."""
    after = cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 1)
