"""`backhaul demo [--customers N] [--seed S] [--on DATE]`: deterministic demo data."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.demo.services import demo_load


class Command(BackhaulCommand):
    help = "Create staff logins and deterministic demo customers across both brands."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--customers", type=int, default=200, help="accounts to create")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument("--on", help="the demo's today, YYYY-MM-DD (default: today)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        on = parse_date(options["on"], field="--on") if options["on"] else timezone.localdate()
        count = max(0, options["customers"])
        console = Console(file=self.stderr._out)
        with Progress(
            TextColumn("demo accounts"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=options["json"] or not console.is_terminal,
        ) as progress:
            task = progress.add_task("accounts", total=count)
            result = demo_load(
                customers=count,
                seed=options["seed"],
                on=on,
                progress=lambda n: progress.advance(task, n),
            )
        if options["json"]:
            self.write_json(
                {
                    "accounts_created": result.accounts_created,
                    "accounts_existing": result.accounts_existing,
                    "invoices": result.invoices,
                    "subscriptions": dict(result.subscriptions),
                    "staff": [
                        {"username": u, "password": p, "role": r} for u, p, r in result.staff
                    ],
                    "customers": [
                        {"username": u, "password": p, "account": a} for u, p, a in result.customers
                    ],
                }
            )
            return
        out = Console(file=self.stdout._out)
        if result.accounts_existing:
            out.print(
                f"Demo accounts already present ({result.accounts_existing}); kept as they are."
            )
        else:
            out.print(
                f"Created {result.accounts_created} demo accounts and issued {result.invoices} "
                "bills; subscriptions by status: "
                + ", ".join(f"{k} {v}" for k, v in sorted(result.subscriptions.items()))
            )
        table = Table("login", "password", "role", title="Staff console logins (/console/)")
        for username, password, role in result.staff:
            table.add_row(username, password, role)
        out.print(table)
        customers = Table("login", "password", "account", title="Member Centre logins")
        for username, password, account in result.customers:
            customers.add_row(username, password, account)
        out.print(customers)
