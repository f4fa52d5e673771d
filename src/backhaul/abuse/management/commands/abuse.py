"""`backhaul abuse import PATH... | smtpd | stats`: the abuse desk from the command line."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import Progress

from backhaul.abuse.choices import Category, Channel
from backhaul.abuse.readers import count_items, read_items
from backhaul.abuse.selectors import desk_statistics
from backhaul.abuse.services import IntakeSummary, reports_ingest
from backhaul.abuse.smtp import AbuseMailHandler, abuse_smtp_controller
from backhaul.cli import BackhaulCommand, parse_date
from backhaul.core.errors import InvalidInput

DEFAULT_WORKERS = min(os.cpu_count() or 1, 4)


class Command(BackhaulCommand):
    help = "Take in abuse reports from files or an SMTP listener, and show statistics."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="take in .eml files, mbox files, Maildir folders, CSV and JSON feeds"
        )
        imp.add_argument("paths", nargs="+", metavar="PATH")
        imp.add_argument("--brand", help="brand the reports were sent to, when they do not say")
        imp.add_argument(
            "--category",
            choices=Category.values,
            help="category of feed rows that do not name one",
        )
        imp.add_argument(
            "--no-acknowledge", action="store_true", help="do not answer the reporters"
        )
        imp.add_argument(
            "--workers",
            type=int,
            default=DEFAULT_WORKERS,
            help=f"processes reading and resolving reports (default {DEFAULT_WORKERS})",
        )
        imp.add_argument("--json", action="store_true")

        smtpd = sub.add_parser("smtpd", help="listen for abuse reports by SMTP")
        smtpd.add_argument("--host", default="127.0.0.1")
        smtpd.add_argument("--port", type=int, default=2525)
        smtpd.add_argument("--brand", help="brand for mail whose recipients do not say")
        smtpd.add_argument(
            "--max-messages", type=int, help="stop after taking in this many messages"
        )
        smtpd.add_argument("--timeout", type=float, help="stop after this many seconds")
        smtpd.add_argument("--json", action="store_true")

        stats = sub.add_parser("stats", help="reports per day, time to first action, queues")
        stats.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        stats.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        stats.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _report(self, summary: IntakeSummary, options: dict[str, Any]) -> None:
        payload = summary.as_dict()
        if options["json"]:
            self.write_json(payload)
            return
        self.stdout.write(
            f"read {summary.read}: accepted {summary.accepted}, rejected {summary.rejected}, "
            f"duplicates {summary.duplicates}; cases created {summary.cases_created}, "
            f"updated {summary.cases_updated}, reopened {summary.cases_reopened}; "
            f"unresolved {summary.unresolved}, needing evidence {summary.needs_evidence}"
        )
        for rejection in summary.rejections:
            self.stdout.write(f"  rejected {rejection['source']}: {rejection['reason']}")
        if summary.rejections_not_listed:
            self.stdout.write(f"  ... and {summary.rejections_not_listed} more rejected")

    def _import(self, options: dict[str, Any]) -> None:
        paths = [Path(p) for p in options["paths"]]
        for path in paths:
            if not path.exists():
                raise CommandError(f"{path}: no such file or directory")
        if options["workers"] < 1:
            raise CommandError("--workers: at least 1")
        console = Console(file=self.stderr._out)
        show = not options["json"] and console.is_terminal
        try:
            total = sum(count_items(path) for path in paths) if show else None
        except OSError as exc:
            raise CommandError(str(exc)) from None

        def items() -> Any:
            for path in paths:
                yield from read_items(path)

        with Progress(console=console, disable=not show) as bar:
            task = bar.add_task("abuse reports", total=total)
            try:
                summary = reports_ingest(
                    items=items(),
                    channel=Channel.IMPORT,
                    now=timezone.now(),
                    brand_key=options["brand"],
                    category=options["category"] or "",
                    acknowledge=not options["no_acknowledge"],
                    workers=options["workers"],
                    progress=lambda n: bar.advance(task, n),
                )
            except OSError as exc:
                raise CommandError(str(exc)) from None
        self._report(summary, options)

    def _smtpd(self, options: dict[str, Any]) -> None:
        limit, timeout = options["max_messages"], options["timeout"]
        if limit is not None and limit < 1:
            raise CommandError("--max-messages: at least 1")
        stop = threading.Event()
        # With --max-messages, stop a moment after the client that brought the last message
        # says goodbye (QUIT), so that its goodbye is still answered.
        quit_grace = 0.2

        def received(summary: IntakeSummary, reference: str) -> None:
            if not options["json"]:
                self.stderr.write(f"taken in {reference}: read {summary.read}")

        def session_ended() -> None:
            if limit is not None and handler.received >= limit:
                threading.Timer(quit_grace, stop.set).start()

        handler = AbuseMailHandler(
            brand_key=options["brand"], on_message=received, on_quit=session_ended
        )
        controller = abuse_smtp_controller(
            handler=handler, host=options["host"], port=options["port"]
        )
        try:
            controller.start()
        except (OSError, RuntimeError) as exc:
            raise InvalidInput(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from None
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        if not options["json"]:
            self.stderr.write(f"listening for abuse reports on {options['host']}:{options['port']}")
        try:
            stop.wait(timeout)
        finally:
            controller.stop()
        self._report(handler.summary, options)

    def _stats(self, options: dict[str, Any]) -> None:
        start = parse_date(options["start"], field="--from")
        end = parse_date(options["end"], field="--to")
        if end < start:
            raise CommandError(f"--to {end} is before --from {start}")
        stats = desk_statistics(start=start, end=end, now=timezone.now())
        if options["json"]:
            self.write_json(stats)
            return
        self.stdout.write(
            f"{start} to {end}: {stats['open_cases']} open cases, "
            f"{stats['unresolved_reports']} unresolved reports"
        )
        for row in stats["reports_per_day"]:
            parts = ", ".join(f"{k} {v}" for k, v in sorted(row["categories"].items()))
            self.stdout.write(f"  {row['day']}: {row['total']} ({parts})")
        for row in stats["time_to_first_action"]:
            self.stdout.write(
                f"  {row['category']}: {row['acted']}/{row['cases']} acted on, median "
                f"{row['median_hours'] or '-'} h"
            )
