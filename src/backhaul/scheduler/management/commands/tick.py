"""`backhaul tick --on DATE [--to DATE] [--job NAME] [--json]`: run the daily jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import Progress

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.scheduler.registry import daily_jobs, run_day

MAX_DAYS = 3660


class Command(BackhaulCommand):
    help = "Run every daily job for a date, or each date of a range; safe to replay."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--on", help="the day to run, YYYY-MM-DD (default: today)")
        parser.add_argument("--to", help="run each day from --on to this date inclusive")
        parser.add_argument("--job", action="append", help="run only this job (repeatable)")
        parser.add_argument("--list", action="store_true", help="list the daily jobs and stop")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = daily_jobs()
        if options["list"]:
            payload = [
                {"name": j.name, "order": j.order, "description": j.description} for j in jobs
            ]
            if options["json"]:
                self.write_json(payload)
            else:
                for job in payload:
                    self.stdout.write(f"{job['name']}: {job['description']}")
            return
        first = parse_date(options["on"], field="--on") if options["on"] else timezone.localdate()
        last = parse_date(options["to"], field="--to") if options["to"] else first
        if last < first:
            raise CommandError(f"--to {last} is before --on {first}")
        if (last - first).days >= MAX_DAYS:
            raise CommandError(f"a range of at most {MAX_DAYS} days, please")
        known = {j.name for j in jobs}
        only = set(options["job"] or [])
        if only - known:
            raise CommandError(
                f"unknown job {', '.join(sorted(only - known))} (known: {', '.join(sorted(known))})"
            )
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        results = {}
        console = Console(file=self.stderr._out)
        with Progress(console=console, disable=options["json"] or not console.is_terminal) as bar:
            task = bar.add_task("daily jobs", total=len(days))
            for day in days:
                results[day.isoformat()] = run_day(on=day, now=timezone.now(), only=only or None)
                bar.advance(task)
        if options["json"]:
            self.write_json({"days": results})
            return
        for day, jobs_done in results.items():
            done = ", ".join(
                f"{name}: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do")
                for name, counts in jobs_done.items()
            )
            self.stdout.write(f"{day}: {done or 'no daily jobs registered'}")
