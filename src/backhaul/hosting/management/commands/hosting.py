"""`backhaul hosting order|notice|refund|flag|list`: email and hosting packages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from backhaul.cli import BackhaulCommand, parse_date
from backhaul.customers.services import account_get
from backhaul.hosting.choices import RefundBasis
from backhaul.hosting.models import Package
from backhaul.hosting.selectors import package_get, packages_of
from backhaul.hosting.services import (
    package_aup_flag,
    package_cancel_with_refund,
    package_notice_give,
    package_order,
)


def _as_dict(package: Package) -> dict[str, Any]:
    return {
        "id": package.pk,
        "account": package.account.number,
        "product": package.product.key,
        "status": package.status,
        "started_on": package.started_on,
        "renews_on": package.renews_on,
        "notice_given_on": package.notice_given_on,
        "ends_on": package.ends_on,
        "ended_on": package.ended_on,
    }


class Command(BackhaulCommand):
    help = "Email and hosting packages: order, give notice, cancel with refund, AUP flags."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        order = sub.add_parser("order", help="start an email or hosting package")
        order.add_argument("--account", required=True)
        order.add_argument("--product", required=True, help="product key, e.g. hosting")
        order.add_argument("--on", required=True)
        order.add_argument("--json", action="store_true")

        notice = sub.add_parser("notice", help="record the customer's notice")
        notice.add_argument("--package", type=int, required=True)
        notice.add_argument("--on", required=True)
        notice.add_argument("--json", action="store_true")

        refund = sub.add_parser("refund", help="cancel in the first days with a full refund")
        refund.add_argument("--package", type=int, required=True)
        refund.add_argument("--basis", required=True, choices=RefundBasis.values)
        refund.add_argument("--on", required=True)
        refund.add_argument("--json", action="store_true")

        flag = sub.add_parser("flag", help="record a forbidden use of a hosting package")
        flag.add_argument("--package", type=int, required=True)
        flag.add_argument("--kind", required=True, help="e.g. public-ftp, peer-to-peer")
        flag.add_argument("--detail", default="")
        flag.add_argument("--on", required=True)
        flag.add_argument("--json", action="store_true")

        listing = sub.add_parser("list", help="an account's packages")
        listing.add_argument("--account", required=True)
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        now = timezone.now()
        if action == "list":
            packages = packages_of(account_get(options["account"]))
            if options["json"]:
                self.write_json({"packages": [_as_dict(p) for p in packages]})
            else:
                for p in packages:
                    self.stdout.write(f"P{p.pk} {p.product.key} {p.status} renews {p.renews_on}")
            return
        on = parse_date(options["on"], field="--on")
        if action == "order":
            package = package_order(
                account=account_get(options["account"]),
                product_key=options["product"],
                on=on,
                now=now,
            )
        elif action == "notice":
            package = package_notice_give(package=package_get(options["package"]), on=on, now=now)
        elif action == "refund":
            package = package_cancel_with_refund(
                package=package_get(options["package"]), basis=options["basis"], on=on, now=now
            )
        else:
            flag = package_aup_flag(
                package=package_get(options["package"]),
                kind=options["kind"],
                detail=options["detail"],
                on=on,
                now=now,
            )
            payload = {
                "package": flag.package_id,
                "kind": flag.kind,
                "noted_on": flag.noted_on,
                "clause": flag.clause.clause_id,
            }
            if options["json"]:
                self.write_json(payload)
            else:
                self.stdout.write(f"flagged {flag.kind} on P{flag.package_id}")
            return
        if options["json"]:
            self.write_json(_as_dict(package))
        else:
            self.stdout.write(f"P{package.pk} {package.product.key}: {package.status}")
