"""`backhaul quote exit ...`: what leaving would cost, line by line with clauses."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.contracts.services import exit_quote_for_product, exit_quote_for_subscription


class Command(BackhaulCommand):
    help = "Quote what ending a contract would cost."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        exit_ = sub.add_parser(
            "exit",
            help="quote leaving: for a real --subscription, or for --brand/--product/--start",
        )
        exit_.add_argument("--subscription", type=int, help="a subscription id")
        exit_.add_argument("--brand")
        exit_.add_argument("--product")
        exit_.add_argument("--term", type=int)
        exit_.add_argument("--market")
        exit_.add_argument("--start", help="Service Start Date, YYYY-MM-DD")
        exit_.add_argument("--notice", required=True, help="date notice is given, YYYY-MM-DD")
        exit_.add_argument("--mac", action="store_true", help="leaving with a migration code")
        exit_.add_argument(
            "--detrimental-change-notified",
            metavar="DATE",
            help="date the customer was told of a change to their significant detriment",
        )
        exit_.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        notice = parse_date(options["notice"], field="--notice")
        detrimental = (
            parse_date(
                options["detrimental_change_notified"], field="--detrimental-change-notified"
            )
            if options["detrimental_change_notified"]
            else None
        )
        if options["subscription"] is not None:
            quote = exit_quote_for_subscription(
                subscription_id=options["subscription"],
                notice=notice,
                mac=options["mac"],
                detrimental_change_notified=detrimental,
            )
        else:
            missing = [f"--{name}" for name in ("brand", "product", "start") if not options[name]]
            if missing:
                raise CommandError(f"give --subscription, or {', '.join(missing)}")
            quote = exit_quote_for_product(
                brand_key=options["brand"],
                product_key=options["product"],
                term=options["term"],
                market=options["market"],
                start=parse_date(options["start"], field="--start"),
                notice=notice,
                mac=options["mac"],
                detrimental_change_notified=detrimental,
            )
        if options["json"]:
            self.write_json(quote)
            return
        self.stdout.write(
            f"Notice given {quote['notice_given']}: the contract ends {quote['termination_date']} "
            f"({quote['notice_days']} days' notice, {quote['notice_clause']}); "
            f"minimum period ends {quote['minimum_period_end']}."
        )
        for line in quote["lines"]:
            self.stdout.write(
                f"  {line['description']}: £{line['net']} + VAT £{line['vat']} = £{line['gross']}"
                f"  [{line['clause']}]"
            )
        for waiver in quote["waived"]:
            self.stdout.write(
                f"  waived {waiver['kind']}: {waiver['reason']}  [{waiver['clause']}]"
            )
        self.stdout.write(f"Total £{quote['net']} + VAT £{quote['vat']} = £{quote['total']}")
