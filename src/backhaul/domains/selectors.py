"""Reading what the domain rules need: the brand's schedule, its TLDs, and what is owed."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from backhaul.billing.models import PendingCharge
from backhaul.catalogue.choices import ProductKind, VatTreatment
from backhaul.catalogue.models import Brand, Product
from backhaul.catalogue.selectors import charge_in_force, price_text, rule_params
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import Rounding, quantize
from backhaul.customers.models import Account
from backhaul.domains import rules
from backhaul.domains.models import Domain


def domain_products(brand: Brand) -> dict[str, Product]:
    """The brand's domain products by the TLD each registers (`attributes.tld`)."""
    products = Product.objects.filter(brand=brand, kind=ProductKind.DOMAIN).order_by("key")
    return {
        str(p.attributes.get("tld", "")).lower(): p for p in products if p.attributes.get("tld")
    }


def domain_product_for(brand: Brand, tld: str) -> Product:
    """The product that registers names under `tld`, or a clear error naming those sold."""
    products = domain_products(brand)
    product = products.get(tld.lower().lstrip("."))
    if product is None:
        sold = ", ".join(sorted(products)) or "none"
        raise InvalidInput(f"tld: {brand.key} does not register .{tld} names (sold: {sold})")
    return product


def brands_selling(tld: str) -> list[Brand]:
    return [b for b in Brand.objects.order_by("key") if tld.lower() in domain_products(b)]


def _expiry_rules(brand: Brand, tld: str) -> rules.ExpiryRules | None:
    params = rule_params(brand, "uk_domain_expiry", default={})
    if not params or tld not in [str(t).lower() for t in params.get("tlds", ["uk"])]:
        return None
    try:
        return rules.ExpiryRules(
            protected_days=int(params["protected_days"]),
            registry_suspension_grace_days=int(params["registry_suspension_grace_days"]),
            renewal_deadline_day=int(params["renewal_deadline_day"]),
            deleted_day=int(params["deleted_day"]),
            clause=params["clause"],
        )
    except KeyError as exc:
        raise InvalidInput(f"{brand.key}: [rules.uk_domain_expiry] needs {exc.args[0]}") from None


def domain_rules(brand: Brand) -> dict[str, Any]:
    """The brand's `[rules.domains]`; a brand that sells no domains has none."""
    try:
        return rule_params(brand, "domains")
    except NotFound:
        raise InvalidInput(
            f"{brand.key} has no [rules.domains]: it does not sell domains"
        ) from None


def domain_schedule(brand: Brand, tld: str) -> rules.DomainSchedule:
    """Reminders and expiry stages for names under `tld`, all from the brand's catalogue."""
    params = domain_rules(brand)
    reminder_clause = params.get("reminder_days_clause") or params["clause"]
    return rules.DomainSchedule(
        reminder_days=tuple(int(d) for d in params.get("reminder_days", [])),
        reminder_clause=reminder_clause,
        lapse_clause=params.get("auto_renew_clause") or reminder_clause,
        expiry=_expiry_rules(brand, tld.lower()),
    )


def domains_of(account: Account) -> list[Domain]:
    return list(
        Domain.objects.filter(account=account).select_related("product").order_by("status", "name")
    )


def domain_of(account: Account, name: str) -> Domain:
    """One of the account's names; another account's names are simply not found."""
    domain = (
        Domain.objects.filter(account=account, name=name.strip().lower())
        .order_by("-created_at", "-id")
        .first()
    )
    if domain is None:
        raise NotFound(f"no domain {name!r} on account {account.number}")
    return domain


def domain_held(name: str) -> Domain:
    """The registration of `name` currently held (not deleted or transferred away)."""
    domain = (
        Domain.objects.filter(name=name.strip().lower())
        .select_related("account__brand", "product")
        .order_by("-created_at", "-id")
        .first()
    )
    if domain is None:
        raise NotFound(f"unknown domain {name!r}")
    return domain


# --- What the account owes -------------------------------------------------------------
#
# There is no account balance service yet. Until there is, "owes money" means: charges
# already raised (tax point on or before the day) and not yet billed, net of credits, plus
# the balance of issued invoices from `backhaul.payments.selectors`, when that module is
# installed: `account_balance(account=..., on=...)` if it offers one, else the `balance` of
# `account_ledger(account, on=...)`. Swap this one function for the balance service when
# it lands.


def _payments_balance() -> Callable[[Account, date], Decimal] | None:
    try:
        module = importlib.import_module("backhaul.payments.selectors")
    except ModuleNotFoundError:
        return None
    balance = getattr(module, "account_balance", None)
    if callable(balance):
        return lambda account, on: Decimal(balance(account=account, on=on))
    ledger = getattr(module, "account_ledger", None)
    if callable(ledger):
        return lambda account, on: Decimal(ledger(account, on=on).balance)
    return None


def amount_owed(account: Account, *, on: date) -> Decimal:
    """What the account owes on `on` (unbilled charges due, plus unpaid invoices)."""
    unbilled = PendingCharge.objects.filter(
        account=account, billed_on__isnull=True, tax_point__lte=on
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    owed = Decimal(unbilled)
    balance = _payments_balance()
    if balance is not None:
        owed += balance(account, on)
    # Sums of whole pennies are exact; the database may hand back extra digits (SQLite).
    return quantize(owed, rounding=Rounding.HALF_UP)


def whois_privacy_price_text(domain: Domain, *, on: date) -> str:
    """The yearly price of the whois privacy option for the name ("£2.50 plus VAT"), or ""
    when the brand's terms give it free or name no price in force."""
    params = rule_params(domain.account.brand, "domains", default={})
    if not params.get("whois_privacy_option") or not params.get("whois_privacy_charge"):
        return ""
    try:
        charge = charge_in_force(domain.account.brand, params["whois_privacy_charge"], on=on)
    except NotFound:
        return ""
    return amount_words(charge.amount, charge.vat_treatment)


def amount_words(amount: Decimal, vat_treatment: str) -> str:
    """An amount as a customer reads it: "£9.99 plus VAT", or "£20.00" when VAT is in it."""
    text = f"£{price_text(amount)}"
    return f"{text} plus VAT" if vat_treatment == VatTreatment.EXCLUSIVE else text


EVENT_LABELS = {
    rules.EXPIRED: "Expires: our services for it are suspended",
    rules.REGISTRY_SUSPENDED: "Suspended by the registry (grace period)",
    rules.RENEWAL_DEADLINE: "Too late to ask for renewal from this day",
    rules.DELETED: "Cancelled and deleted from the register",
}


def domain_overview(domain: Domain, *, on: date) -> dict[str, Any]:
    """What the Member Centre and console show about a name on `on`: its timeline for the
    current expiry, and how (or whether) it can still be renewed."""
    schedule = domain_schedule(domain.account.brand, domain.tld)
    events = [
        {
            "on": event.on,
            "kind": event.kind,
            "clause": event.clause,
            "label": EVENT_LABELS.get(
                event.kind, f"Renewal reminder, {(domain.expires_on - event.on).days} days before"
            ),
            "past": event.on <= on,
        }
        for event in rules.timeline(domain.expires_on, schedule)
    ]
    held = domain.status in (
        rules.ACTIVE,
        rules.EXPIRED,
        rules.REGISTRY_SUSPENDED,
    )
    renew_online = held and domain.status == rules.ACTIVE and on < domain.expires_on
    renew_by_email_before = None
    if held and not renew_online and schedule.expiry is not None:
        deadline = rules.expiry_dates(domain.expires_on, schedule.expiry).renewal_deadline
        if on < deadline:
            renew_by_email_before = deadline
    return {
        "domain": domain,
        "privacy_price": whois_privacy_price_text(domain, on=on),
        "events": events,
        "held": held,
        "renew_online": renew_online,
        "renew_by_email_before": renew_by_email_before,
        "support_email": domain.account.brand.support_email,
    }
