"""`backhaul rate FILE --brand B [--format F] [--plan PRODUCT] [--out FILE] [--json]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from backhaul.cli import BackhaulCommand
from backhaul.rating.choices import CdrFormat
from backhaul.rating.services import cdr_import, cdr_rate_what_if


class Command(BackhaulCommand):
    help = (
        "Rate a file of call detail records. Without --plan the calls are matched to the "
        "brand's numbers and accounts, stored for itemised bills and charged; with --plan "
        "every call is rated as if on that plan and nothing is stored (a tariff what-if)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", metavar="FILE", help="the CDR file")
        parser.add_argument("--brand", required=True, help="brand key, e.g. plusnet-business")
        parser.add_argument(
            "--format",
            choices=CdrFormat.values,
            default=CdrFormat.CANONICAL,
            help="canonical CSV (default) or Asterisk Master.csv",
        )
        parser.add_argument("--plan", help="rate every call on this call plan; store nothing")
        parser.add_argument("--out", help="write the rated calls to this .csv or .parquet file")
        parser.add_argument("--rejects", help="write the rejected lines to this CSV file")
        parser.add_argument(
            "--asterisk-utc",
            action="store_true",
            help="Asterisk times are UTC (usegmtime=yes), not the brand's local time",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stderr._out)
        common = {
            "path": Path(options["file"]),
            "brand_key": options["brand"],
            "fmt": options["format"],
            "out": Path(options["out"]) if options["out"] else None,
            "rejects": Path(options["rejects"]) if options["rejects"] else None,
            "asterisk_utc": options["asterisk_utc"],
        }
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["json"] or not console.is_terminal,
            transient=True,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            if options["plan"]:
                summary = cdr_rate_what_if(plan=options["plan"], progress=progress, **common)
            else:
                summary = cdr_import(now=timezone.now(), progress=progress, **common)
        if options["json"]:
            self.write_json(summary)
            return
        self._print(summary)

    def _print(self, summary: dict[str, Any]) -> None:
        console = Console(file=self.stdout._out, width=110)
        if summary.get("already_imported"):
            console.print(
                f"{summary['file']} was imported before (import {summary['import']}): "
                "nothing rated or charged again."
            )
        head = f"import {summary['import']}" if "import" in summary else f"plan {summary['plan']}"
        console.print(
            f"[bold]{summary['file']}[/] ({head}): read {summary['read']}, rated "
            f"{summary['rated']} ({summary['unanswered']} unanswered), rejected "
            f"{summary['rejected']}; £{summary['total_ex_vat']} + VAT = "
            f"£{summary['total_inc_vat']}"
        )
        table = Table("destination", "calls", "minutes", "ex VAT", "inc VAT")
        for name, row in summary["by_destination"].items():
            table.add_row(
                name, str(row["calls"]), str(row["minutes"]), row["ex_vat"], row["inc_vat"]
            )
        console.print(table)
        bands = Table("band", "minutes", "charged minutes")
        for name, row in summary["by_band"].items():
            bands.add_row(name, str(row["minutes"]), str(row["charged_minutes"]))
        console.print(bands)
        if summary["by_reason"]:
            reasons = Table("rejected for", "lines")
            for reason, count in summary["by_reason"].items():
                reasons.add_row(reason, str(count))
            console.print(reasons)
