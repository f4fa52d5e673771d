"""Reading the catalogue: the brand, product, price, charge, VAT rate or rule in force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q

from backhaul.catalogue.models import (
    Brand,
    Charge,
    Clause,
    PriceVersion,
    Product,
    RuleSection,
    VatRate,
)
from backhaul.core.errors import NotFound


def _known(values: list[str]) -> str:
    return ", ".join(values) if values else "none loaded: run backhaul catalogue load FILE"


def price_text(amount: Decimal) -> str:
    """An amount as the terms print it: at least two decimals, more only where needed."""
    penny = amount.quantize(Decimal("0.01"))
    return str(penny) if penny == amount else format(amount.normalize(), "f")


def brand_get(key: str) -> Brand:
    try:
        return Brand.objects.get(key=key)
    except Brand.DoesNotExist:
        known = list(Brand.objects.values_list("key", flat=True))
        raise NotFound(f"unknown brand {key!r} (known: {_known(known)})") from None


def product_get(brand: Brand, key: str) -> Product:
    try:
        return Product.objects.get(brand=brand, key=key)
    except Product.DoesNotExist:
        known = list(Product.objects.filter(brand=brand).values_list("key", flat=True))
        raise NotFound(
            f"unknown product {key!r} for {brand.key} (known: {_known(known)})"
        ) from None


def price_in_force(product: Product, *, on: date, term: int = 0, market: str = "") -> PriceVersion:
    """The price version for this term and market with the latest start on or before `on`.

    A version for any term (0) or any market ("") applies where no specific one exists.
    """
    candidates = (
        PriceVersion.objects.filter(product=product, start__lte=on)
        .filter(Q(term=term) | Q(term=0))
        .filter(Q(market=market) | Q(market=""))
        .select_related("clause")
    )
    best = None
    for version in candidates:
        rank = (version.term == term, version.market == market, version.start)
        if best is None or rank > best[0]:
            best = (rank, version)
    if best is None:
        scope = " ".join(
            s
            for s in (f"{term}-month term" if term else "", f"market {market}" if market else "")
            if s
        )
        raise NotFound(f"no price for {product.key} {scope} in force on {on}".replace("  ", " "))
    return best[1]


def charge_in_force(brand: Brand, key: str, *, on: date) -> Charge:
    charge = (
        Charge.objects.filter(brand=brand, key=key, start__lte=on)
        .select_related("clause")
        .order_by("-start")
        .first()
    )
    if charge is None:
        raise NotFound(f"no {key!r} charge for {brand.key} in force on {on}")
    return charge


def vat_rate_on(brand: Brand, on: date) -> VatRate:
    rate = VatRate.objects.filter(brand=brand, start__lte=on).order_by("-start").first()
    if rate is None:
        raise NotFound(f"no VAT rate for {brand.key} in force on {on}")
    return rate


def vat_rate_value(brand: Brand, on: date) -> Decimal:
    return vat_rate_on(brand, on).rate


def rule_section(brand: Brand, key: str) -> RuleSection:
    try:
        return RuleSection.objects.select_related("clause").get(brand=brand, key=key)
    except RuleSection.DoesNotExist:
        raise NotFound(f"{brand.key} has no [rules.{key}] in its catalogue") from None


def rule_params(brand: Brand, key: str, default: dict[str, Any] | None = None) -> dict[str, Any]:
    """A rule section's parameters with its clause id under "clause"; `default` if absent."""
    try:
        section = rule_section(brand, key)
    except NotFound:
        if default is None:
            raise
        return default
    return {**section.params, "clause": section.clause.clause_id}


def clause_get(clause_id: str) -> Clause:
    try:
        return Clause.objects.get(clause_id=clause_id)
    except Clause.DoesNotExist:
        raise NotFound(f"unknown clause {clause_id!r}") from None


def catalogue_summary(brand: Brand, *, on: date) -> dict[str, Any]:
    """Everything a brand's catalogue holds, with the prices and charges in force on `on`."""
    products = []
    for product in brand.products.order_by("key"):
        prices = []
        for version in product.prices.filter(start__lte=on).order_by("term", "market", "-start"):
            if any(p["term"] == version.term and p["market"] == version.market for p in prices):
                continue
            prices.append(
                {
                    "term": version.term,
                    "market": version.market,
                    "amount": price_text(version.amount),
                    "vat": version.vat_treatment,
                    "start": version.start,
                    "clause": version.clause.clause_id,
                    "example": version.example,
                }
            )
        products.append(
            {
                "key": product.key,
                "name": product.name,
                "kind": product.kind,
                "billing_period": product.billing_period,
                "terms": product.terms,
                "markets": product.markets,
                "notice_days": product.notice_days,
                "notice_clause": product.notice_clause.clause_id if product.notice_clause else None,
                "example": product.example,
                "prices": prices,
            }
        )
    charges = []
    for charge in brand.charges.filter(start__lte=on).order_by("key", "-start"):
        if charges and charges[-1]["key"] == charge.key:
            continue
        charges.append(
            {
                "key": charge.key,
                "name": charge.name,
                "amount": price_text(charge.amount),
                "vat": charge.vat_treatment,
                "unit": charge.unit,
                "start": charge.start,
                "clause": charge.clause.clause_id,
                "example": charge.example,
            }
        )
    vat = VatRate.objects.filter(brand=brand, start__lte=on).order_by("-start").first()
    return {
        "brand": brand.key,
        "name": brand.name,
        "legal_name": brand.legal_name,
        "on": on,
        "vat_rate": price_text(vat.rate) if vat else None,
        "documents": [
            {"key": d.key, "title": d.title, "clauses": d.clauses.count()}
            for d in brand.documents.order_by("key")
        ],
        "clauses": brand.clauses.count(),
        "products": products,
        "charges": charges,
        "rules": {
            section.key: {**section.params, "clause": section.clause.clause_id}
            for section in brand.rules.select_related("clause").order_by("key")
        },
    }
