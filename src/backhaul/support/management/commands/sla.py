"""`backhaul sla evaluate FILE.json [--at DATETIME] [--json]`: read a ticket's SLA clocks."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from backhaul.cli import BackhaulCommand
from backhaul.core.errors import BackhaulError
from backhaul.support.services.sla import sla_evaluate_document


def _read_document(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


class Command(BackhaulCommand):
    help = "Evaluate a ticket's SLA clocks from its event log."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser(
            "evaluate",
            help='evaluate {"brand", "care", "product", "monthly_subscription", "events"}',
        )
        evaluate.add_argument("file", help="the event log document, JSON")
        evaluate.add_argument(
            "--at",
            help="read the clocks at this instant, ISO 8601 with offset (default: last event)",
        )
        evaluate.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        at = None
        if options["at"]:
            try:
                at = datetime.fromisoformat(options["at"])
            except ValueError:
                at = None
            if at is None or at.tzinfo is None:
                raise CommandError(
                    f"--at: not a date and time with a UTC offset: {options['at']!r}"
                )
        document = _read_document(path)
        try:
            result = sla_evaluate_document(document, at=at)
        except BackhaulError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if options["json"]:
            self.write_json(result)
            return
        self.stdout.write(
            f"{result['brand']} {result['care']} care on {result['product']}: "
            f"{result['state']} at {result['evaluated_at']}"
        )
        for clock in result["clocks"]:
            self.stdout.write(
                f"  {clock['name']}: {clock['used_minutes']} of {clock['target_minutes']} "
                f"minutes ({clock['measured_in']}), due {clock['due'] or 'while paused: none'}, "
                f"{clock['state']}  [{clock['clause']}]"
            )
        if result["auto_close_at"]:
            self.stdout.write(f"  closes automatically at {result['auto_close_at']}")
        self.stdout.write(f"  credit £{result['credit']}: {result['credit_reason']}")
