"""`backhaul subscriptions create --account N --product KEY [--term N] [--market M] --start D
[--promised D]`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backhaul.catalogue.selectors import price_text
from backhaul.cli import BackhaulCommand, parse_date
from backhaul.contracts.services import subscription_create


class Command(BackhaulCommand):
    help = "Create subscriptions from scripts and imports."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="subscribe an account to a product")
        create.add_argument("--account", required=True, help="account number")
        create.add_argument("--product", required=True, help="product key from the catalogue")
        create.add_argument("--term", type=int, help="minimum period in months")
        create.add_argument("--market", help="OFCOM market (1-2 or 3) where prices depend on it")
        create.add_argument("--start", required=True, help="Service Start Date, YYYY-MM-DD")
        create.add_argument(
            "--promised",
            help="date promised to the customer for the service, YYYY-MM-DD "
            "(default: the requested start)",
        )
        create.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        subscription = subscription_create(
            account_number=options["account"],
            product_key=options["product"],
            term=options["term"],
            market=options["market"],
            start=parse_date(options["start"], field="--start"),
            promised=(
                parse_date(options["promised"], field="--promised") if options["promised"] else None
            ),
            now=timezone.now(),
        )
        payload = {
            "id": subscription.pk,
            "account": subscription.account.number,
            "product": subscription.product.key,
            "term": subscription.term_months,
            "market": subscription.market,
            "status": subscription.status,
            "service_start_date": subscription.service_start_date,
            "promised_start_date": subscription.promised_start_date,
            "minimum_period_end": subscription.minimum_period_end,
            "price": price_text(subscription.price_version.amount),
        }
        if options["json"]:
            self.write_json(payload)
        else:
            self.stdout.write(
                f"created subscription {subscription.pk}: {subscription.product.key} for "
                f"{subscription.account.number} ({subscription.status})"
            )
