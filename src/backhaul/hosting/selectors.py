"""Reading packages, the plans a brand sells, and the package rules in its catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from backhaul.billing.models import PendingCharge
from backhaul.catalogue.choices import ProductKind
from backhaul.catalogue.models import Brand, Product
from backhaul.catalogue.selectors import price_in_force, rule_params
from backhaul.core.errors import NotFound
from backhaul.customers.models import Account
from backhaul.hosting import rules
from backhaul.hosting.choices import PackageStatus, RefundBasis
from backhaul.hosting.models import AupFlag, Package

PACKAGE_KINDS = (ProductKind.EMAIL, ProductKind.HOSTING)
# The catalogue section that says how each kind of package renews.
RENEWAL_SECTION = {ProductKind.EMAIL: "mailboxes", ProductKind.HOSTING: "hosting"}


@dataclass(frozen=True)
class RenewalRules:
    auto_renew: bool
    invoice_days_before: int
    clause: str


def renewal_rules(product: Product) -> RenewalRules:
    """How a package of this product renews (plugin/hosting-terms#6, plugin/email-terms#6).

    Without an `auto_renew` rule a package is not renewed and ends at its renewal date.
    """
    params = rule_params(product.brand, RENEWAL_SECTION.get(product.kind, "hosting"), default={})
    auto = bool(params.get("auto_renew", False))
    return RenewalRules(
        auto_renew=auto,
        invoice_days_before=int(params.get("invoice_before_renewal_days", 0)),
        clause=params.get("auto_renew_clause") or params.get("clause", ""),
    )


def refund_rules(brand: Brand, basis: str) -> dict[str, Any]:
    """The brand's `[rules.cooling_off]` or `[rules.money_back]`; empty if it has none."""
    return rule_params(brand, basis.replace("-", "_"), default={})


def hosting_rules(brand: Brand) -> dict[str, Any]:
    return rule_params(brand, "hosting", default={})


def plans_of(brand: Brand, *, on: date) -> list[dict[str, Any]]:
    """The email and hosting plans the brand sells, with the price in force on `on`."""
    plans = []
    for product in Product.objects.filter(brand=brand, kind__in=PACKAGE_KINDS).order_by(
        "kind", "key"
    ):
        try:
            price = price_in_force(product, on=on, term=1)
        except NotFound:
            continue
        plans.append({"product": product, "price": price})
    return plans


def packages_of(account: Account) -> list[Package]:
    return list(
        Package.objects.filter(account=account)
        .select_related("product")
        .order_by("status", "-started_on", "-id")
    )


def package_of(account: Account, package_id: int) -> Package:
    """One of the account's packages; another account's are simply not found."""
    package = (
        Package.objects.select_related("product", "account__brand")
        .filter(account=account, pk=package_id)
        .first()
    )
    if package is None:
        raise NotFound(f"no package {package_id} on account {account.number}")
    return package


def package_get(package_id: int) -> Package:
    package = (
        Package.objects.select_related("product", "account__brand").filter(pk=package_id).first()
    )
    if package is None:
        raise NotFound(f"unknown package {package_id}")
    return package


def period_charge_key(package: Package, start: date) -> str:
    return f"package:{package.pk}:period:{start}"


def package_charges(package: Package) -> list[PendingCharge]:
    """The charges raised for the package's own periods (never domains or other services)."""
    return list(
        PendingCharge.objects.filter(
            account=package.account, key__startswith=f"package:{package.pk}:period:"
        ).order_by("tax_point", "id")
    )


def package_paid(package: Package) -> list[Decimal]:
    return [charge.amount for charge in package_charges(package)]


def open_flags(package: Package) -> list[AupFlag]:
    return list(package.aup_flags.filter(resolved_on__isnull=True).order_by("noted_on"))


def refund_options(package: Package, *, on: date) -> list[dict[str, Any]]:
    """The refunds the package can still be cancelled for on `on`, with their last day."""
    options: list[dict[str, Any]] = []
    if package.status != PackageStatus.ACTIVE:
        return options
    product = package.product
    for basis in RefundBasis:
        params = refund_rules(package.account.brand, basis.value)
        if not params or not rules.applies_to(
            params.get("products", []), product_key=product.key, product_kind=product.kind
        ):
            continue
        days = int(params["days"])
        if rules.within_first_days(started_on=package.started_on, on=on, days=days):
            options.append(
                {
                    "basis": basis.value,
                    "label": basis.label,
                    "last_day": package.started_on + timedelta(days=days - 1),
                    "clause": params["clause"],
                }
            )
    return options


def package_overview(package: Package, *, on: date) -> dict[str, Any]:
    renewal = renewal_rules(package.product)
    renews = package.ends_on is None or package.renews_on < package.ends_on
    return {
        "package": package,
        "auto_renew": renewal.auto_renew,
        "next_invoice_on": rules.invoice_date(package.renews_on, renewal.invoice_days_before)
        if renewal.auto_renew and renews
        else None,
        "refunds": refund_options(package, on=on),
        "flags": open_flags(package),
    }
