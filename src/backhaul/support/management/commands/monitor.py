"""`backhaul monitor run|add|refunds`: watch hosted websites over HTTP and refund downtime.

Run `backhaul monitor run` from cron every few minutes (the catalogue's
`check_interval_minutes`), or give `--repeat N --interval SECONDS` to check N times in one
process.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import Progress

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.contracts.models import Subscription
from backhaul.customers.services import account_get
from backhaul.support import http_check
from backhaul.support.models import MonitoredSite
from backhaul.support.services import hosting_uptime_compensate, monitor_run, site_add

MAX_REPEAT = 10_000


class Command(BackhaulCommand):
    help = "Check hosted websites over HTTP, record downtime, and refund it monthly."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="check every watched site once (or --repeat times)")
        run.add_argument("--timeout", type=float, default=http_check.DEFAULT_TIMEOUT_SECONDS)
        run.add_argument("--concurrency", type=int, default=http_check.DEFAULT_CONCURRENCY)
        run.add_argument("--repeat", type=int, default=1, help="rounds of checks (default 1)")
        run.add_argument("--interval", type=float, default=300.0, help="seconds between rounds")
        run.add_argument("--json", action="store_true")
        add = sub.add_parser("add", help="watch a site for an account")
        add.add_argument("--account", required=True)
        add.add_argument("--url", required=True)
        add.add_argument("--subscription", type=int, help="the hosting subscription id")
        add.add_argument("--json", action="store_true")
        refunds = sub.add_parser("refunds", help="refund a month's downtime now")
        refunds.add_argument("--month", required=True, help="any date in the month, YYYY-MM-DD")
        refunds.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
        elif action == "refunds":
            month = parse_date(options["month"], field="--month")
            counts = hosting_uptime_compensate(month_start=month.replace(day=1), now=timezone.now())
            self._report(counts, options["json"])
        else:
            self._run(options)

    def _add(self, options: dict[str, Any]) -> None:
        account = account_get(options["account"])
        subscription = None
        if options["subscription"] is not None:
            subscription = Subscription.objects.filter(
                pk=options["subscription"], account=account
            ).first()
            if subscription is None:
                raise CommandError(
                    f"--subscription: {options['subscription']} is not a service of "
                    f"{account.number}"
                )
        site = site_add(
            account=account, url=options["url"], now=timezone.now(), subscription=subscription
        )
        payload = {"id": site.pk, "account": account.number, "url": site.url}
        if options["json"]:
            self.write_json(payload)
        else:
            self.stdout.write(f"watching {site.url} for {account.number} (site {site.pk})")

    def _run(self, options: dict[str, Any]) -> None:
        repeat = options["repeat"]
        if not 1 <= repeat <= MAX_REPEAT:
            raise CommandError(f"--repeat: between 1 and {MAX_REPEAT}")
        if options["timeout"] <= 0 or options["concurrency"] < 1 or options["interval"] < 0:
            raise CommandError("--timeout and --concurrency must be positive")
        console = Console(file=self.stderr._out)
        rounds = []
        total = MonitoredSite.objects.filter(active=True).count()
        with Progress(console=console, disable=options["json"] or not console.is_terminal) as bar:
            for number in range(repeat):
                task = bar.add_task(f"round {number + 1}", total=total)
                rounds.append(
                    monitor_run(
                        now=timezone.now(),
                        timeout=options["timeout"],
                        concurrency=options["concurrency"],
                        on_done=lambda _result, task=task: bar.advance(task),
                    )
                )
                if number + 1 < repeat:
                    time.sleep(options["interval"])
        if options["json"]:
            self.write_json(rounds[0] if repeat == 1 else {"rounds": rounds})
            return
        for counts in rounds:
            self._report(counts, False)

    def _report(self, counts: dict[str, int], as_json: bool) -> None:
        if as_json:
            self.write_json(counts)
        else:
            self.stdout.write(", ".join(f"{key} {value}" for key, value in counts.items()))
