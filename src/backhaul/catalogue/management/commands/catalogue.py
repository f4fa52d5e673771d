"""`backhaul catalogue load FILE...` and `backhaul catalogue show BRAND`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone
from rich.console import Console
from rich.table import Table

from backhaul.catalogue.selectors import brand_get, catalogue_summary
from backhaul.catalogue.services import catalogue_load
from backhaul.cli import BackhaulCommand, parse_date


class Command(BackhaulCommand):
    help = "Load a brand's catalogue of terms, prices and rules, or show what is loaded."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="validate and load catalogue TOML files")
        load.add_argument("files", nargs="+", metavar="FILE")
        load.add_argument("--json", action="store_true", help="print the result as JSON")
        show = sub.add_parser("show", help="show a brand's catalogue")
        show.add_argument("brand", metavar="BRAND")
        show.add_argument("--on", help="prices in force on this date (default: today)")
        show.add_argument("--json", action="store_true", help="print the catalogue as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            self.load(options["files"], as_json=options["json"])
        else:
            self.show(options["brand"], on=options["on"], as_json=options["json"])

    def load(self, files: list[str], *, as_json: bool) -> None:
        now = timezone.now()
        results = [catalogue_load(path=Path(name), now=now).as_dict() for name in files]
        if as_json:
            self.write_json(results if len(results) > 1 else results[0])
            return
        for result in results:
            counts = ", ".join(
                f"{kind} {sum(c.values())}" + (f" ({c['created']} new)" if c.get("created") else "")
                for kind, c in result["counts"].items()
            )
            state = "loaded" if result["changed"] else "already up to date"
            self.stdout.write(f"{result['file']}: {result['brand']} {state}: {counts}")

    def show(self, brand_key: str, *, on: str | None, as_json: bool) -> None:
        day = parse_date(on, field="--on") if on else timezone.localdate()
        summary = catalogue_summary(brand_get(brand_key), on=day)
        if as_json:
            self.write_json(summary)
            return
        console = Console(file=self.stdout._out, width=120)
        console.print(f"[bold]{summary['name']}[/] ({summary['legal_name']}), on {day}")
        console.print(f"VAT {summary['vat_rate']}, {summary['clauses']} clauses")
        table = Table("product", "term", "market", "price", "VAT", "clause", title="Prices")
        for product in summary["products"]:
            for price in product["prices"]:
                table.add_row(
                    product["key"],
                    str(price["term"] or ""),
                    price["market"],
                    f"£{price['amount']}" + (" (example)" if price["example"] else ""),
                    price["vat"],
                    price["clause"],
                )
        console.print(table)
        charges = Table("charge", "amount", "unit", "VAT", "clause", title="Charges")
        for charge in summary["charges"]:
            charges.add_row(
                charge["key"],
                f"£{charge['amount']}",
                charge["unit"],
                charge["vat"],
                charge["clause"],
            )
        console.print(charges)
        console.print("Rules: " + ", ".join(summary["rules"]))
