"""Fair-use policies from the catalogue, and which accounts have a metered service."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import polars as pl

from backhaul.catalogue.choices import ProductKind
from backhaul.catalogue.models import Brand, Product
from backhaul.catalogue.selectors import charge_in_force, rule_params
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.core.periods import Period
from backhaul.usage import bulk, rules

DEFAULT_BYTES_PER_GB = 10**9
METERED_SUBSCRIPTION_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


@dataclass(frozen=True)
class MeteredService:
    account_id: int
    brand: Brand
    product: Product
    policy: rules.FairUsePolicy


def _gb(value: Any, bytes_per_gb: int) -> int:
    return int(Decimal(str(value)) * bytes_per_gb)


def fair_use_policy(
    *,
    brand: Brand,
    product: Product,
    anchor: date,
    on: date,
    allowance_gb: Decimal | int | None = None,
    params: dict[str, Any] | None = None,
) -> rules.FairUsePolicy | None:
    """A plan's fair-use policy from `[rules.fair_use]`, its `allowance_gb` and the brand's
    `extra-usage` charge in force on `on`; None for a plan the section does not cover."""
    params = params if params is not None else rule_params(brand, "fair_use", default={})
    if product.key not in params.get("products", []):
        return None
    attributes = product.attributes or {}
    if allowance_gb is None:
        allowance_gb = attributes.get("allowance_gb")
    if allowance_gb is None:
        return None
    per_gb = int(params.get("bytes_per_gb", DEFAULT_BYTES_PER_GB))
    throttled = "throttle_rate_kbps" in params
    extra_per_gb: Decimal | None = None
    extra_clause = ""
    if params.get("extra_usage_charge"):
        charge = charge_in_force(brand, params["extra_usage_charge"], on=on)
        extra_per_gb, extra_clause = charge.amount, charge.clause.clause_id
    return rules.FairUsePolicy(
        clause=params["clause"],
        allowance_bytes=_gb(allowance_gb, per_gb),
        bytes_per_gb=per_gb,
        expires=params.get("allowance_expires", rules.CALENDAR_MONTH),
        anchor=anchor,
        notify_percent=tuple(int(p) for p in params.get("notify_percent", [])),
        notify_state_changes=bool(params.get("notify_state_changes", False)),
        throttle_bytes=_gb(params.get("throttle_allowance_gb", 0), per_gb) if throttled else None,
        throttle_rate_kbps=int(params["throttle_rate_kbps"]) if throttled else None,
        block_after_throttle=params.get("after_throttle") == "block",
        topup_block_bytes=(
            _gb(params["topup_block_gb"], per_gb) if "topup_block_gb" in params else None
        ),
        extra_usage_per_gb=extra_per_gb,
        extra_usage_clause=extra_clause,
        overuse_months=(
            int(params["consecutive_overuse_months"])
            if "consecutive_overuse_months" in params
            else None
        ),
        overuse_clause=params.get("consistent_overuse_clause", ""),
    )


def metered_services(account_ids: Iterable[int], *, on: date) -> dict[int, MeteredService]:
    """Each account's broadband service with an allowance, and its policy (an account with
    more than one takes its latest).

    A usage import asks this for every account that used the network, so the
    subscriptions are read as plain values; brands, products and policies are shared.
    """
    # Table names come from the models; values go as parameters.
    subscriptions = bulk.quote(Subscription._meta.db_table)
    products = bulk.quote(Product._meta.db_table)
    rows = bulk.read_frame_where_in(
        f"SELECT s.id, s.account_id, s.product_id, "  # noqa: S608
        f"COALESCE(s.service_start_date, s.ordered_on) FROM {subscriptions} s "
        f"JOIN {products} p ON p.id = s.product_id "
        "WHERE p.kind = %s AND s.status IN (%s, %s)",
        "s.account_id",
        list(account_ids),
        {"id": pl.Int64, "account_id": pl.Int64, "product_id": pl.Int64, "anchor": pl.Date},
        params=[ProductKind.BROADBAND, *METERED_SUBSCRIPTION_STATUSES],
    )
    rows = rows.sort("account_id", "id").unique("account_id", keep="last", maintain_order=True)
    by_product = {
        product.pk: product
        for product in Product.objects.filter(
            pk__in=rows["product_id"].unique().to_list()
        ).select_related("brand")
    }
    params_by_brand: dict[int, dict[str, Any]] = {}
    policies: dict[tuple[int, date], rules.FairUsePolicy | None] = {}
    for product_id, anchor in rows.select("product_id", "anchor").unique().iter_rows():
        product = by_product[product_id]
        brand = product.brand
        if brand.pk not in params_by_brand:
            params_by_brand[brand.pk] = rule_params(brand, "fair_use", default={})
        policies[(product_id, anchor)] = fair_use_policy(
            brand=brand, product=product, anchor=anchor, on=on, params=params_by_brand[brand.pk]
        )
    found: dict[int, MeteredService] = {}
    for account_id, product_id, anchor in rows.select(
        "account_id", "product_id", "anchor"
    ).iter_rows():
        policy = policies[(product_id, anchor)]
        if policy is not None:
            product = by_product[product_id]
            found[account_id] = MeteredService(account_id, product.brand, product, policy)
    return found


@lru_cache(maxsize=65_536)
def allowance_period(day: date, expires: str, anchor: date) -> Period:
    """`rules.allowance_period`, remembered: many accounts share a start date and a day."""
    return rules.allowance_period(day, expires=expires, anchor=anchor)
