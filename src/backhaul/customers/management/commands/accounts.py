"""`backhaul accounts create --brand B --name NAME --email EMAIL [--residential] --json`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backhaul.cli import BackhaulCommand
from backhaul.customers.choices import AccountKind
from backhaul.customers.services import account_create


class Command(BackhaulCommand):
    help = "Create customer accounts from scripts and imports."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="open an account")
        create.add_argument("--brand", required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--email", required=True, help="primary email for notices and bills")
        create.add_argument("--phone", default="")
        create.add_argument("--residential", action="store_true", help="a residential customer")
        create.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        account = account_create(
            brand_key=options["brand"],
            name=options["name"],
            email=options["email"],
            phone=options["phone"],
            kind=AccountKind.RESIDENTIAL if options["residential"] else AccountKind.BUSINESS,
            now=timezone.now(),
        )
        payload = {
            "id": account.pk,
            "number": account.number,
            "brand": account.brand.key,
            "name": account.name,
            "kind": account.kind,
            "email": account.primary_email,
        }
        if options["json"]:
            self.write_json(payload)
        else:
            self.stdout.write(f"created account {account.number} ({account.name})")
