"""`backhaul interest --account NUMBER --on DATE [--charge] [--json]`: late payment interest,
shown as runs of days at one principal and one rate, with the rounding named."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from django.utils import timezone

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.core.money import format_amount
from backhaul.payments.services import interest_charge, interest_summary


class Command(BackhaulCommand):
    help = "Show (and with --charge, bill) late payment interest on an account's invoices."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--account", required=True)
        parser.add_argument("--on", required=True, help="interest up to this date, YYYY-MM-DD")
        parser.add_argument(
            "--charge", action="store_true", help="put the interest not yet charged on the bill"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        on = parse_date(options["on"], field="--on")
        summary = interest_summary(account_number=options["account"], on=on)
        if options["charge"]:
            with contextlib.redirect_stdout(sys.stderr):  # console email backend output
                charges = interest_charge(
                    account_number=options["account"], on=on, now=timezone.now()
                )
            summary["charged_now"] = [
                {
                    "invoice": c.invoice.number,
                    "from": c.from_on,
                    "to": c.to_on,
                    "amount": format_amount(c.amount),
                }
                for c in charges
            ]
        if options["json"]:
            self.write_json(summary)
            return
        lines = [f"Late payment interest for {summary['account']} to {on} ({summary['clause']})"]
        for invoice in summary["invoices"]:
            lines.append(f"{invoice['invoice']}: £{invoice['interest']}")
            for p in invoice["periods"]:
                flag = " (rate not yet verified)" if p.get("rate_unverified") else ""
                lines.append(
                    f"  {p['from']} to {p['to']}: {p['days']} days on £{p['principal']} "
                    f"at {p['rate']}{flag}"
                )
        lines.append(f"Total £{summary['total']} ({summary['rounding']}; {summary['vat']})")
        self.stdout.write("\n".join(lines))
