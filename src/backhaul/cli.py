"""What every `backhaul` command shares: one-line errors, exit status 2, JSON output, dates."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from backhaul.core.errors import BackhaulError

USAGE_ERROR = 2


def parse_date(value: str, *, field: str) -> date:
    """An ISO date (YYYY-MM-DD) from the command line, or an error naming the option."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(f"{field}: not a date (use YYYY-MM-DD): {value!r}") from None


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


class BackhaulCommand(BaseCommand):
    """A management command whose user errors are one line on stderr and exit status 2.

    Argument errors, `CommandError` and any `BackhaulError` raised by a service are reported
    as `error: <message>`; no traceback is shown for them, and the transaction the service
    opened has been rolled back, so nothing is written.
    """

    def run_from_argv(self, argv: list[str]) -> None:
        # The parser is created as if called programmatically, so argument errors raise
        # CommandError (caught below) instead of printing usage and exiting by themselves.
        parser = self.create_parser(argv[0], argv[1])
        try:
            options = parser.parse_args(argv[2:])
            cmd_options = vars(options)
            args = cmd_options.pop("args", ())
            self.execute(*args, **cmd_options)
        except (CommandError, BackhaulError) as exc:
            message = str(exc)
            if message.startswith("Error: "):
                message = message[len("Error: ") :]
            sys.stderr.write(f"error: {message}\n")
            sys.exit(USAGE_ERROR)
        finally:
            connections.close_all()

    def write_json(self, payload: Any) -> None:
        self.stdout.write(json.dumps(to_jsonable(payload), indent=2, ensure_ascii=False))
