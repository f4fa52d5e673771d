"""Subscriptions: creating them, moving them through their lifecycle, and quoting exits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from backhaul.catalogue.choices import BillingPeriod
from backhaul.catalogue.models import Brand, Product, VatRate
from backhaul.catalogue.selectors import (
    brand_get,
    charge_in_force,
    price_in_force,
    product_get,
    rule_params,
)
from backhaul.contracts import rules
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription, SubscriptionEvent
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import Rounding, format_amount, quantize
from backhaul.customers.services import account_get


def _resolve_term(product: Product, term: int | None) -> int:
    terms = [int(t) for t in product.terms] or [1]
    if term is None:
        if len(terms) == 1:
            return terms[0]
        raise InvalidInput(
            f"term: {product.key} has a choice of minimum periods; give one of "
            f"{', '.join(map(str, terms))} months"
        )
    if term not in terms:
        raise InvalidInput(
            f"term: {product.key} is sold for {', '.join(map(str, terms))} months, not {term}"
        )
    return term


def _resolve_market(product: Product, market: str | None) -> str:
    markets = list(product.markets)
    if not markets:
        if market:
            raise InvalidInput(f"market: {product.key} is not priced by OFCOM market")
        return ""
    if not market:
        raise InvalidInput(
            f"market: {product.key} is priced by OFCOM market; give one of {', '.join(markets)}"
        )
    if market not in markets:
        raise InvalidInput(
            f"market: {product.key} has markets {', '.join(markets)}, not {market!r}"
        )
    return market


@transaction.atomic
def subscription_create(
    *,
    account_number: str,
    product_key: str,
    start: date,
    now: datetime,
    term: int | None = None,
    market: str | None = None,
    actor: str = "",
    billed_until: date | None = None,
    migrated_in: bool = False,
    promised: date | None = None,
) -> Subscription:
    """Subscribe an account to a product from a Service Start Date.

    A start on or before today makes an active subscription; a later start makes an order
    that is activated on that date. An existing service brought over from another system
    gives `billed_until`, the date its recurring charges were billed up to there; it raises
    no activation charges. Otherwise activation raises the catalogue's activation charges
    (or, for a service migrated in with a MAC, its migration charges).

    An order records the date promised to the customer ("Plusnet will provide the Service
    by the date agreed with the Customer", plusnet-business/business-phone-schedule#1.3):
    `promised`, or else the requested start. A service that starts after it was provided
    late (Ofcom automatic compensation, where the brand pays it).
    """
    if billed_until is not None and billed_until < start:
        raise InvalidInput(f"billed_until: {billed_until} is before the start date {start}")
    account = account_get(account_number)
    product = product_get(account.brand, product_key)
    term = _resolve_term(product, term)
    market = _resolve_market(product, market)
    price = price_in_force(product, on=start, term=term, market=market)
    today = timezone.localdate(now)
    active = start <= today
    if promised is not None and not active and promised < today:
        raise InvalidInput(f"promised: {promised} is before the order date {today}")
    if promised is None and not active:
        promised = start
    subscription = Subscription.objects.create(
        account=account,
        product=product,
        price_version=price,
        term_months=term,
        market=market,
        status=SubscriptionStatus.ACTIVE if active else SubscriptionStatus.ORDERED,
        ordered_on=min(start, today),
        service_start_date=start if active else None,
        promised_start_date=promised,
        minimum_period_end=rules.minimum_period_end(start, term) if active else None,
        notice_days=product.notice_days,
        notice_clause=product.notice_clause,
        billed_until=billed_until,
        created_at=now,
    )
    if active and billed_until is None:
        _activation_charges(subscription, on=start, now=now, migrated_in=migrated_in)
    if active:
        _network_follow(subscription, now=now)
    SubscriptionEvent.objects.create(
        subscription=subscription,
        at=now,
        from_status="",
        to_status=subscription.status,
        reason=f"service started {start}" if active else f"ordered for {start}",
        actor=actor,
    )
    return subscription


def subscription_get(subscription_id: int) -> Subscription:
    try:
        return Subscription.objects.select_related(
            "account__brand", "product", "price_version"
        ).get(pk=subscription_id)
    except Subscription.DoesNotExist:
        raise NotFound(f"unknown subscription {subscription_id}") from None


@transaction.atomic
def subscription_transition(
    *,
    subscription_id: int,
    to: str,
    at: datetime,
    reason: str = "",
    actor: str = "",
    service_start: date | None = None,
) -> Subscription:
    """Move a subscription along its lifecycle, recording the change; refuse what the
    lifecycle does not allow. Activation sets the Service Start Date and Minimum Period."""
    subscription = Subscription.objects.select_for_update().get(
        pk=subscription_get(subscription_id).pk
    )
    rules.check_transition(subscription.status, to)
    fields = ["status"]
    if to == SubscriptionStatus.ACTIVE and subscription.service_start_date is None:
        start = service_start or timezone.localdate(at)
        subscription.service_start_date = start
        subscription.minimum_period_end = rules.minimum_period_end(start, subscription.term_months)
        fields += ["service_start_date", "minimum_period_end"]
        _activation_charges(subscription, on=start, now=at)
    if to in (SubscriptionStatus.CEASED, SubscriptionStatus.CANCELLED):
        subscription.ends_on = timezone.localdate(at)
        fields.append("ends_on")
    SubscriptionEvent.objects.create(
        subscription=subscription,
        at=at,
        from_status=subscription.status,
        to_status=to,
        reason=reason,
        actor=actor,
    )
    subscription.status = to
    subscription.save(update_fields=fields)
    _network_follow(subscription, now=at)
    return subscription


def _network_follow(subscription: Subscription, *, now: datetime) -> None:
    """Tell the network area about a lifecycle change (static addresses follow it)."""
    from backhaul.network.services import static_ip_follow_lifecycle

    static_ip_follow_lifecycle(subscription_id=subscription.pk, status=subscription.status, now=now)


def _activation_charges(
    subscription: Subscription, *, on: date, now: datetime, migrated_in: bool = False
) -> None:
    """Raise the one-off charges the catalogue attaches to activating this product
    (plusnet-business/broadband-charges#4: new activation and P&P; migration is free)."""
    from backhaul.billing.services import charge_add

    brand = subscription.account.brand
    rule = rule_params(brand, "activation", default={})
    keys = rule.get("migration_charges" if migrated_in else "charges", [])
    for key in keys:
        try:
            charge = charge_in_force(brand, key, on=on)
        except NotFound:
            continue
        if charge.products and subscription.product.key not in charge.products:
            continue
        charge_add(
            account=subscription.account,
            key=f"activation:{subscription.pk}:{key}",
            source="contracts",
            description=f"{charge.name}: {subscription.product.name}",
            amount=quantize(charge.amount, rounding=Rounding.HALF_UP),
            vat_treatment=charge.vat_treatment,
            clause_id=charge.clause.clause_id,
            tax_point=on,
            now=now,
        )


def _vat_table(brand: Brand) -> tuple[tuple[date, Any], ...]:
    return tuple(VatRate.objects.filter(brand=brand).values_list("start", "rate"))


def exit_terms(
    *, product: Product, term: int, market: str, service_start: date, notice_given: date
) -> rules.ExitTerms:
    """Gather from the catalogue what leaving this product costs."""
    brand = product.brand
    end = rules.termination_date(
        notice_given=notice_given,
        notice_days=product.notice_days,
        service_start=service_start,
        notice_before_renewal=product.notice_before_renewal,
    )
    # The remaining recurring charges are those the customer pays now, on the notice date.
    price = price_in_force(product, on=notice_given, term=term, market=market)
    early = rule_params(brand, "early_termination", default={})
    cease_rule = rule_params(brand, "cease", default={})
    cease = None
    if cease_rule.get("charge"):
        try:
            cease = charge_in_force(brand, cease_rule["charge"], on=end)
        except NotFound:
            cease = None
        if cease is not None and cease.products and product.key not in cease.products:
            cease = None
    # An early termination charge applies to monthly recurring products, and only to the
    # products the brand's rule names where it names some (PlugIn: Unlimited only).
    applies_to = early.get("products")
    recurring_monthly = product.billing_period == BillingPeriod.MONTHLY and (
        not applies_to or product.key in applies_to
    )
    return rules.ExitTerms(
        product=product.key,
        product_name=product.name,
        term_months=term,
        monthly_price=price.amount,
        price_vat=price.vat_treatment,
        price_clause=price.clause.clause_id,
        notice_days=product.notice_days,
        notice_clause=product.notice_clause.clause_id if product.notice_clause else "",
        notice_before_renewal=product.notice_before_renewal,
        minimum_period_clause=(
            product.minimum_period_clause.clause_id if product.minimum_period_clause else ""
        ),
        # The line cites the clause that says what the charge is, where the terms split the
        # obligation (general terms) from its amount (the service schedule).
        early_termination_clause=(
            (early.get("basis_clause") or early.get("clause")) if recurring_monthly else None
        ),
        detrimental_window_days=early.get("waived_within_days_of_detrimental_change"),
        detrimental_clause=early.get("detrimental_change_clause"),
        cease_amount=cease.amount if cease else None,
        cease_vat=cease.vat_treatment if cease else "exclusive",
        cease_clause=cease.clause.clause_id if cease else None,
        cease_waived_with_mac=bool(cease_rule.get("waived_with_mac", True)),
        vat_rates=_vat_table(brand),
    )


def exit_quote_for_product(
    *,
    brand_key: str,
    product_key: str,
    start: date,
    notice: date,
    term: int | None = None,
    market: str | None = None,
    mac: bool = False,
    detrimental_change_notified: date | None = None,
) -> dict[str, Any]:
    """Quote leaving a product bought on `start` when notice is given on `notice`."""
    product = product_get(brand_get(brand_key), product_key)
    term = _resolve_term(product, term)
    market = _resolve_market(product, market)
    terms = exit_terms(
        product=product, term=term, market=market, service_start=start, notice_given=notice
    )
    quote = rules.exit_quote(
        terms,
        service_start=start,
        notice_given=notice,
        mac=mac,
        detrimental_change_notified=detrimental_change_notified,
    )
    return exit_quote_as_dict(
        quote,
        context={
            "brand": brand_key,
            "product": product.key,
            "term": term,
            "market": market,
            "service_start": start,
            "notice_given": notice,
            "mac": mac,
        },
    )


def exit_quote_for_subscription(
    *,
    subscription_id: int,
    notice: date,
    mac: bool = False,
    detrimental_change_notified: date | None = None,
) -> dict[str, Any]:
    """Quote leaving a real subscription: its own start, term, market and notice period."""
    subscription = subscription_get(subscription_id)
    if subscription.service_start_date is None:
        raise InvalidInput(
            f"subscription {subscription_id} has not started; cancelling an order is not an exit"
        )
    if subscription.status in (SubscriptionStatus.CEASED, SubscriptionStatus.CANCELLED):
        raise InvalidInput(
            f"subscription {subscription_id} has already ended ({subscription.status})"
        )
    terms = exit_terms(
        product=subscription.product,
        term=subscription.term_months,
        market=subscription.market,
        service_start=subscription.service_start_date,
        notice_given=notice,
    )
    # The subscription keeps the notice period it was sold with.
    terms = rules.ExitTerms(**{**terms.__dict__, "notice_days": subscription.notice_days})
    quote = rules.exit_quote(
        terms,
        service_start=subscription.service_start_date,
        notice_given=notice,
        mac=mac,
        detrimental_change_notified=detrimental_change_notified,
    )
    return exit_quote_as_dict(
        quote,
        context={
            "subscription": subscription.pk,
            "account": subscription.account.number,
            "brand": subscription.account.brand.key,
            "product": subscription.product.key,
            "term": subscription.term_months,
            "market": subscription.market,
            "service_start": subscription.service_start_date,
            "notice_given": notice,
            "mac": mac,
        },
    )


def exit_quote_as_dict(quote: rules.ExitQuote, *, context: dict[str, Any]) -> dict[str, Any]:
    total = quote.total
    return {
        **context,
        "termination_date": quote.termination_date.isoformat(),
        "minimum_period_end": quote.minimum_period_end.isoformat(),
        "notice_days": quote.notice_days,
        "notice_clause": quote.notice_clause,
        "vat_rate": str(quote.vat_rate.normalize()),
        "lines": [
            {
                "kind": line.kind,
                "description": line.description,
                "net": format_amount(line.amount.net),
                "vat": format_amount(line.amount.vat),
                "gross": format_amount(line.amount.gross),
                "clause": line.clause,
            }
            for line in quote.lines
        ],
        "waived": [{"kind": w.kind, "reason": w.reason, "clause": w.clause} for w in quote.waived],
        "net": format_amount(total.net),
        "vat": format_amount(total.vat),
        "total": format_amount(total.gross),
    }
