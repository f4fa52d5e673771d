"""Top Ups: bought from the Member Centre, the console or the command line."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from backhaul.billing.choices import ChargeKind
from backhaul.billing.services import charge_add
from backhaul.catalogue.models import Product
from backhaul.catalogue.selectors import price_in_force, product_get, rule_params
from backhaul.core.errors import InvalidInput
from backhaul.core.money import PENNY, Rounding, quantize
from backhaul.customers.models import Account
from backhaul.usage import rules
from backhaul.usage.choices import TopUpChannel
from backhaul.usage.models import TopUp
from backhaul.usage.services.allowances import allowances_advance
from backhaul.usage.services.policies import metered_services

#: The most Top Ups one order may buy (a guard against a mistyped number, not a term).
TOPUPS_PER_ORDER = 10


def topup_offer(account: Account, *, on: date) -> tuple[Product, Any, rules.FairUsePolicy] | None:
    """The Top Up this account can buy, its price in force, and its plan's policy."""
    service = metered_services([account.pk], on=on).get(account.pk)
    if service is None or service.policy.topup_block_bytes is None:
        return None
    key = rule_params(service.brand, "fair_use").get("topup_product")
    if not key:
        return None
    product = product_get(service.brand, key)
    return product, price_in_force(product, on=on), service.policy


@transaction.atomic
def topup_buy(
    *, account: Account, now: datetime, channel: str, request_key: str, actor: str = ""
) -> TopUp:
    """Buy a Top Up: billed as a one-off charge on the next bill; its volume is used after
    the allowance and never expires, and a throttled or blocked connection is restored at
    once (plugin/broadband-terms#8). The same `request_key` buys nothing twice."""
    existing = TopUp.objects.filter(request_key=request_key).first()
    if existing is not None:
        return existing
    if channel not in TopUpChannel.values:
        raise InvalidInput(f"channel: one of {', '.join(TopUpChannel.values)}, not {channel!r}")
    today = rules.london_date(now)
    offer = topup_offer(account, on=today)
    if offer is None:
        raise InvalidInput(f"{account.number} has no broadband plan that takes Top Ups")
    product, price, policy = offer
    octets = policy.topup_block_bytes or 0
    topup = TopUp.objects.create(
        account=account,
        product_key=product.key,
        octets=octets,
        bought_at=now,
        channel=channel,
        actor=actor[:150],
        request_key=request_key[:100],
    )
    topup.charge = charge_add(
        account=account,
        key=f"usage:topup:{topup.pk}",
        source="usage",
        description=f"{product.name} bought {now.astimezone(rules.LONDON):%d %b %Y %H:%M}",
        amount=quantize(price.amount, PENNY, Rounding.HALF_UP),
        vat_treatment=price.vat_treatment,
        clause_id=price.clause.clause_id,
        tax_point=today,
        now=now,
        kind=ChargeKind.ONE_OFF,
    )
    topup.save(update_fields=["charge"])
    allowances_advance(events={account.pk: [rules.TopUp(now, octets)]}, now=now)
    return topup


@transaction.atomic
def topups_buy(
    *,
    account: Account,
    quantity: int,
    now: datetime,
    channel: str,
    request_key: str,
    actor: str = "",
) -> list[TopUp]:
    """Buy `quantity` Top Ups in one go (all or none), each billed as its own one-off
    charge. The same `request_key` buys nothing twice."""
    if not 1 <= quantity <= TOPUPS_PER_ORDER:
        raise InvalidInput(f"quantity: between 1 and {TOPUPS_PER_ORDER}, not {quantity}")
    return [
        topup_buy(
            account=account,
            now=now,
            channel=channel,
            request_key=f"{request_key}:{number}" if number else request_key,
            actor=actor,
        )
        for number in range(quantity)
    ]
