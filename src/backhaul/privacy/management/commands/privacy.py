"""`backhaul privacy export --account NUMBER --out FILE.zip`, `purposes`, `retention`,
`two-factor-reset --user NAME`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from backhaul.catalogue.models import Brand
from backhaul.cli import BackhaulCommand, parse_date
from backhaul.customers.services import account_get
from backhaul.privacy.services import purposes_sync, subject_access_export


class Command(BackhaulCommand):
    help = "Subject access exports, the purpose register and retention."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="everything held about one account, as a ZIP")
        export.add_argument("--account", required=True, help="account number")
        export.add_argument("--out", required=True, help="the ZIP file to write")
        export.add_argument("--json", action="store_true")
        purposes = sub.add_parser("purposes", help="load the brands' purpose registers")
        purposes.add_argument("--json", action="store_true")
        retention = sub.add_parser("retention", help="apply retention schedules for a day")
        retention.add_argument("--on", required=True, help="the day, YYYY-MM-DD")
        retention.add_argument("--json", action="store_true")
        reset = sub.add_parser(
            "two-factor-reset",
            help="remove a staff member's authenticator (lost phone); they enrol again",
        )
        reset.add_argument("--user", required=True, help="the staff member's username")
        reset.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _export(self, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        if out.suffix.lower() != ".zip":
            raise CommandError(f"--out: the file must end in .zip: {out}")
        if not out.parent.is_dir():
            raise CommandError(f"--out: no such directory: {out.parent}")
        account = account_get(options["account"])
        archive = subject_access_export(
            account=account, requested_by="backhaul privacy export", now=timezone.now()
        )
        handle, temporary = tempfile.mkstemp(dir=out.parent, suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(archive)
        os.replace(temporary, out)
        payload = {"account": account.number, "out": str(out), "bytes": len(archive)}
        if options["json"]:
            self.write_json(payload)
        else:
            self.stdout.write(f"wrote {out} ({len(archive)} bytes) for {account.number}")

    def _purposes(self, options: dict[str, Any]) -> None:
        payload = {b.key: purposes_sync(brand=b) for b in Brand.objects.order_by("key")}
        if options["json"]:
            self.write_json(payload)
        else:
            for key, counts in payload.items():
                self.stdout.write(f"{key}: {counts}")

    def _retention(self, options: dict[str, Any]) -> None:
        from backhaul.privacy.retention import retention_apply

        on = parse_date(options["on"], field="--on")
        counts = retention_apply(on=on, now=timezone.now())
        if options["json"]:
            self.write_json(counts)
        else:
            for key, value in sorted(counts.items()):
                self.stdout.write(f"{key}: {value}")

    def _two_factor_reset(self, options: dict[str, Any]) -> None:
        from backhaul.privacy.two_factor import staff_two_factor_reset

        removed = staff_two_factor_reset(username=options["user"])
        if options["json"]:
            self.write_json({"user": options["user"], "removed": removed})
        else:
            self.stdout.write(
                f"removed {removed} authenticator(s) of {options['user']}; "
                "they set up a new one at their next console sign-in"
            )
