"""`backhaul billrun --on DATE [--brand B] [--dry-run] [--json]`: issue the month's invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backhaul.billing.models import Invoice
from backhaul.billing.selectors import accounts_due, draft_as_dict, invoice_as_dict
from backhaul.billing.services import billrun_dry_run, billrun_run
from backhaul.cli import BackhaulCommand, parse_date


class Command(BackhaulCommand):
    help = "Bill every account whose bill date is DATE: one invoice each, safe to run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--on", required=True, help="the bill date, YYYY-MM-DD")
        parser.add_argument("--brand", help="only this brand's accounts")
        parser.add_argument("--dry-run", action="store_true", help="show what would be billed")
        parser.add_argument("--chunk-size", type=int, default=2000)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        on = parse_date(options["on"], field="--on")
        brand = options["brand"]
        if options["dry_run"]:
            drafts = billrun_dry_run(on=on, brand_key=brand, chunk_size=options["chunk_size"])
            invoices = [draft_as_dict(account, draft) for account, draft in drafts]
            self._report(invoices, dry_run=True, as_json=options["json"])
            return
        console = Console(file=self.stderr._out)
        due = len(accounts_due(on=on, brand_key=brand))
        with Progress(
            TextColumn("bill run"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["json"] or not console.is_terminal,
        ) as progress:
            task = progress.add_task("accounts", total=due)
            bill_run, result = billrun_run(
                on=on,
                brand_key=brand,
                now=timezone.now(),
                chunk_size=max(1, options["chunk_size"]),
                progress=lambda n: progress.advance(task, n),
            )
        issued = Invoice.objects.filter(number__in=result.issued).prefetch_related("lines")
        invoices = [invoice_as_dict(invoice) for invoice in issued.order_by("number")]
        self._report(
            invoices,
            dry_run=False,
            as_json=options["json"],
            extra={"bill_run": bill_run.pk, "already_issued": result.skipped_existing},
        )

    def _report(
        self,
        invoices: list[dict[str, Any]],
        *,
        dry_run: bool,
        as_json: bool,
        extra: dict[str, Any] | None = None,
    ) -> None:
        net = sum((Decimal(i["net"]) for i in invoices), Decimal("0.00"))
        vat = sum((Decimal(i["vat"]) for i in invoices), Decimal("0.00"))
        total = sum((Decimal(i["total"]) for i in invoices), Decimal("0.00"))
        payload = {
            "dry_run": dry_run,
            **(extra or {}),
            "invoices": invoices,
            "count": len(invoices),
            "net": str(net),
            "vat": str(vat),
            "total": str(total),
        }
        if as_json:
            self.write_json(payload)
            return
        console = Console(file=self.stdout._out, width=120)
        table = Table(
            "account",
            "invoice",
            "lines",
            "net",
            "VAT",
            "total",
            title="Would bill" if dry_run else "Invoices issued",
        )
        for invoice in invoices[:50]:
            table.add_row(
                invoice["account"],
                invoice["number"] or "(draft)",
                str(len(invoice["lines"])),
                f"£{invoice['net']}",
                f"£{invoice['vat']}",
                f"£{invoice['total']}",
            )
        console.print(table)
        if len(invoices) > 50:
            console.print(f"... and {len(invoices) - 50} more")
        console.print(f"{len(invoices)} invoices: net £{net}, VAT £{vat}, total £{total}")
        if extra and extra.get("already_issued"):
            console.print(f"{extra['already_issued']} accounts already had their invoice")
