"""`backhaul domains timeline|register|renew|transfer-out|privacy|list`: domain registrations.

`backhaul domains timeline --tld uk --expiry 2027-03-31 --json` prints the dated events of
one expiry: `{"events": [{"on", "kind", "clause"}]}`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import brand_get
from backhaul.cli import BackhaulCommand, parse_date
from backhaul.core.errors import InvalidInput
from backhaul.customers.services import account_get
from backhaul.domains import rules
from backhaul.domains.models import Domain
from backhaul.domains.selectors import brands_selling, domain_held, domain_products, domains_of
from backhaul.domains.services import (
    domain_privacy_set,
    domain_register,
    domain_renew,
    domain_timeline,
    domain_transfer_out,
)


def _brand_for_tld(tld: str, brand_key: str | None) -> Brand:
    if brand_key:
        return brand_get(brand_key)
    brands = brands_selling(tld)
    if len(brands) == 1:
        return brands[0]
    sold = sorted({t for b in Brand.objects.all() for t in domain_products(b)})
    if not brands:
        raise InvalidInput(
            f"--tld: no brand registers .{tld} names (sold: {', '.join(sold) or 'none'})"
        )
    raise InvalidInput(f"--tld: .{tld} is sold by {', '.join(b.key for b in brands)}; give --brand")


def _as_dict(domain: Domain) -> dict[str, Any]:
    return {
        "name": domain.name,
        "account": domain.account.number,
        "tld": domain.tld,
        "status": domain.status,
        "registered_on": domain.registered_on,
        "expires_on": domain.expires_on,
        "whois_privacy": domain.whois_privacy,
        "auto_renew": domain.auto_renew,
    }


class Command(BackhaulCommand):
    help = "Domain registrations: expiry timelines, registering, renewing and transfers away."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        timeline = sub.add_parser("timeline", help="the reminders and expiry stages of a name")
        timeline.add_argument("--tld", required=True, help="top-level domain, e.g. uk or com")
        timeline.add_argument("--expiry", required=True, help="expiry date, YYYY-MM-DD")
        timeline.add_argument("--brand", help="brand whose terms apply (if several sell the TLD)")
        timeline.add_argument("--json", action="store_true")

        register = sub.add_parser("register", help="register a name for an account")
        register.add_argument("--account", required=True)
        register.add_argument("--name", required=True, help="the domain name, e.g. example.co.uk")
        register.add_argument("--on", required=True, help="registration date, YYYY-MM-DD")
        register.add_argument("--years", type=int, help="registration period in years")
        register.add_argument("--privacy", action="store_true", help="whois privacy option")
        register.add_argument(
            "--expiry",
            help="record an existing registration paid up to this date (nothing is charged)",
        )
        register.add_argument("--json", action="store_true")

        renew = sub.add_parser("renew", help="renew a name (paid in advance)")
        renew.add_argument("--name", required=True)
        renew.add_argument("--on", required=True, help="day the renewal was asked for")
        renew.add_argument("--years", type=int)
        renew.add_argument("--by", default="", help="how it was asked for, e.g. email")
        renew.add_argument("--json", action="store_true")

        transfer = sub.add_parser("transfer-out", help="release a name to another registrar")
        transfer.add_argument("--name", required=True)
        transfer.add_argument("--on", required=True)
        transfer.add_argument("--json", action="store_true")

        privacy = sub.add_parser("privacy", help="turn whois privacy on or off")
        privacy.add_argument("--name", required=True)
        privacy.add_argument("--on", required=True)
        privacy.add_argument("--off", action="store_true", help="turn it off (default: on)")
        privacy.add_argument("--json", action="store_true")

        listing = sub.add_parser("list", help="an account's names")
        listing.add_argument("--account", required=True)
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        now = timezone.now()
        if action == "timeline":
            tld = options["tld"].strip().lower().lstrip(".")
            if not tld:
                raise CommandError("--tld: must not be empty")
            expiry = parse_date(options["expiry"], field="--expiry")
            brand = _brand_for_tld(tld, options["brand"])
            events = domain_timeline(tld=tld, expiry=expiry, brand=brand)
            if options["json"]:
                self.write_json({"events": events})
            else:
                for event in events:
                    self.stdout.write(f"{event['on']}  {event['kind']:<20} {event['clause']}")
            return
        if action == "list":
            domains = domains_of(account_get(options["account"]))
            if options["json"]:
                self.write_json({"domains": [_as_dict(d) for d in domains]})
            else:
                for d in domains:
                    self.stdout.write(f"{d.name}  {d.status}  expires {d.expires_on}")
            return
        if action == "register":
            domain = domain_register(
                account=account_get(options["account"]),
                name=options["name"],
                on=parse_date(options["on"], field="--on"),
                years=options["years"],
                whois_privacy=options["privacy"],
                expiry=parse_date(options["expiry"], field="--expiry")
                if options["expiry"]
                else None,
                now=now,
            )
            message = f"registered {domain.name} until {domain.expires_on}"
        else:
            name = rules.parse_domain_name(options["name"]).name
            on = parse_date(options["on"], field="--on")
            held = domain_held(name)
            if action == "renew":
                domain = domain_renew(
                    domain=held, on=on, now=now, years=options["years"], requested_by=options["by"]
                )
                message = f"renewed {domain.name} until {domain.expires_on}"
            elif action == "transfer-out":
                domain = domain_transfer_out(domain=held, on=on, now=now)
                message = f"released {domain.name} for transfer"
            else:
                domain = domain_privacy_set(domain=held, enabled=not options["off"], on=on, now=now)
                message = (
                    f"whois privacy {'on' if domain.whois_privacy else 'off'} for {domain.name}"
                )
        if options["json"]:
            self.write_json(_as_dict(domain))
        else:
            self.stdout.write(message)
