"""Domain registrations: registering, renewing, transferring away, and each day's lifecycle.

Charges go on the customer's next bill through `billing.services.charge_add`; notices go
through `notices.services.notice_send`. Both are idempotent on their keys, and lifecycle
events are unique per name and expiry, so the daily job can be replayed for any day.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from backhaul.billing.choices import ChargeKind
from backhaul.billing.models import PendingCharge
from backhaul.billing.services import charge_add
from backhaul.catalogue.models import Brand, PriceVersion, Product
from backhaul.catalogue.selectors import charge_in_force, price_in_force
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.money import Rounding, quantize
from backhaul.customers.models import Account
from backhaul.domains import rules
from backhaul.domains.choices import DomainEventKind, DomainStatus
from backhaul.domains.models import HELD, Domain, DomainEvent
from backhaul.domains.selectors import (
    amount_owed,
    amount_words,
    domain_product_for,
    domain_rules,
    domain_schedule,
)
from backhaul.notices.services import notice_send
from backhaul.scheduler.events import event_record

SOURCE = "domains"


def registration_months(product: Product, years: int | None) -> int:
    """Months of one registration or renewal, from the product's terms (24 for .uk)."""
    terms = sorted(int(t) for t in product.terms) or [12]
    if years is None:
        return terms[0]
    if years * 12 not in terms:
        sold = " or ".join(f"{t // 12}" for t in terms)
        raise InvalidInput(
            f"years: .{product.attributes.get('tld')} names are registered for {sold} years, "
            f"not {years}"
        )
    return years * 12


def domain_event_record(domain: Domain, kind: str, **details: Any) -> DomainEvent:
    """Add to the name's history; lifecycle events are once per name, kind and expiry
    cycle (see `scheduler.events.event_record`)."""
    return event_record(
        DomainEvent,
        owner={"domain": domain, "cycle": domain.expires_on},
        kind=kind,
        once_per_day=False,
        **details,
    )


def price_words(price: PriceVersion | PendingCharge) -> str:
    return amount_words(price.amount, price.vat_treatment)


def _charge_period(
    domain: Domain,
    *,
    key: str,
    what: str,
    price: PriceVersion,
    period: tuple[date, date],
    on: date,
    now: datetime,
) -> None:
    """Charge a registration or renewal of the name in advance (plugin/domain-terms#1)."""
    charge_add(
        account=domain.account,
        key=key,
        source=SOURCE,
        description=f"{what} {domain.name}, {period[0]} to {period[1]}",
        amount=price.amount,
        vat_treatment=price.vat_treatment,
        clause_id=price.clause.clause_id,
        tax_point=on,
        now=now,
        kind=ChargeKind.ONE_OFF,
        period=period,
    )


def _charge_privacy(
    domain: Domain,
    *,
    params: dict[str, Any],
    period: tuple[date, date],
    priced_on: date,
    on: date,
    now: datetime,
) -> PendingCharge | None:
    """Charge the whois privacy option for the registration period it covers, once per
    expiry cycle, at the brand's `whois-privacy` charge per year or part of a year
    (plugin/domain-terms#4). A brand whose terms name no charge gives the option free."""
    charge_key = params.get("whois_privacy_charge")
    if not charge_key:
        return None
    charge = charge_in_force(domain.account.brand, charge_key, on=priced_on)
    if charge.products and domain.product.key not in charge.products:
        brand = domain.account.brand.key
        raise InvalidInput(f"whois privacy: {brand} has no price for .{domain.tld} names")
    years = rules.years_covered(start=period[0], expiry=period[1])
    return charge_add(
        account=domain.account,
        key=f"domain:{domain.pk}:whois-privacy:{period[1]}",
        source=SOURCE,
        description=f"{charge.name} for {domain.name}, {period[0]} to {period[1]}",
        amount=quantize(charge.amount * years, rounding=Rounding.HALF_UP),
        vat_treatment=charge.vat_treatment,
        clause_id=charge.clause.clause_id,
        tax_point=on,
        now=now,
        kind=ChargeKind.ONE_OFF,
        quantity=Decimal(years),
        unit_amount=charge.amount,
        period=period,
    )


def auto_renew_days_of(params: dict[str, Any]) -> int | None:
    """Days before expiry a brand that renews automatically does so; None if it does not."""
    return int(params.get("auto_renew_days_before", 0)) if params.get("auto_renew") else None


def _schedule_next(
    domain: Domain,
    *,
    schedule: rules.DomainSchedule | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Note the next day the daily job has something to do for the name."""
    brand = domain.account.brand
    schedule = schedule or domain_schedule(brand, domain.tld)
    params = params if params is not None else domain_rules(brand)
    recorded = set(
        DomainEvent.objects.filter(
            domain=domain, cycle=domain.expires_on, lifecycle=True
        ).values_list("kind", flat=True)
    )
    domain.next_action_on = rules.next_action(
        domain.expires_on,
        schedule,
        status=domain.status,
        recorded=recorded,
        auto_renew_days=auto_renew_days_of(params) if domain.auto_renew else None,
    )
    domain.save(update_fields=["next_action_on"])


@transaction.atomic
def domain_register(
    *,
    account: Account,
    name: str,
    on: date,
    now: datetime,
    years: int | None = None,
    whois_privacy: bool = False,
    expiry: date | None = None,
) -> Domain:
    """Register `name` in the customer's name from `on`, paid in advance.

    The registration is charged at the price in force on `on` (plugin/domain-terms#1), with
    a tax point that day. With `expiry`, an existing registration paid up to that date is
    recorded instead (moved in from elsewhere, or from another system): nothing is charged,
    and the expiry must be in the future. Bad names, TLDs the brand does not sell and names
    already held are refused and nothing is written.
    """
    brand = account.brand
    parsed = rules.parse_domain_name(name)
    params = domain_rules(brand)
    product = domain_product_for(brand, parsed.tld)
    if whois_privacy and not params.get("whois_privacy_option"):
        raise InvalidInput(f"whois privacy: {brand.key} offers no whois privacy option")
    if Domain.objects.filter(name=parsed.name, status__in=HELD).exists():
        raise InvalidInput(f"domain name: {parsed.name} is already registered with us")
    months = registration_months(product, years)
    if expiry is not None:
        rules.check_new_registration(on=on, expiry=expiry)
        anchor, held_months = expiry, 0
    else:
        anchor, held_months = on, months
    expires_on = rules.registration_expiry(anchor, held_months)
    rules.check_new_registration(on=on, expiry=expires_on)
    price = price_in_force(product, on=on, term=months)
    domain = Domain.objects.create(
        account=account,
        product=product,
        name=parsed.name,
        tld=parsed.tld,
        status=DomainStatus.ACTIVE,
        registered_on=on,
        anchor=anchor,
        months=held_months,
        expires_on=expires_on,
        registration_price=price,
        whois_privacy=whois_privacy,
        auto_renew=bool(params.get("auto_renew", False)),
        status_changed_on=on,
        created_at=now,
    )
    registrant_clause = params.get("registrant_clause") or params["clause"]
    if expiry is None:
        _charge_period(
            domain,
            key=f"domain:{domain.pk}:registration",
            what="Domain registration",
            price=price,
            period=(on, expires_on),
            on=on,
            now=now,
        )
        if whois_privacy:
            _charge_privacy(
                domain, params=params, period=(on, expires_on), priced_on=on, on=on, now=now
            )
    domain_event_record(
        domain,
        DomainEventKind.REGISTERED,
        on=on,
        now=now,
        clause_id=registrant_clause,
        detail=(
            f"registered in the name of {account.name} until {expires_on}"
            if expiry is None
            else f"existing registration recorded, paid up to {expires_on}"
        ),
    )
    _schedule_next(domain, params=params)
    return domain


@transaction.atomic
def domain_renew(
    *, domain: Domain, on: date, now: datetime, years: int | None = None, requested_by: str = ""
) -> Domain:
    """Renew a name, paid in advance at the renewal price (plugin/domain-terms#1).

    The new period runs on from the current expiry. After expiry a .uk name can still be
    renewed at the original renewal price (the price in force on the expiry date) if asked
    for before the renewal deadline (plugin/domain-terms#uk-expiry); its services resume.
    The charge's tax point is the day of the request.
    """
    domain = (
        Domain.objects.select_for_update(of=("self",))
        .select_related("account__brand", "product")
        .get(pk=domain.pk)
    )
    schedule = domain_schedule(domain.account.brand, domain.tld)
    rules.check_renewal(status=domain.status, expiry=domain.expires_on, on=on, schedule=schedule)
    months = registration_months(domain.product, years)
    price = price_in_force(domain.product, on=domain.expires_on, term=months)
    old_expiry = domain.expires_on
    new_expiry = rules.registration_expiry(domain.anchor, domain.months + months)
    _charge_period(
        domain,
        key=f"domain:{domain.pk}:renewal:{old_expiry}",
        what="Domain renewal",
        price=price,
        period=(old_expiry, new_expiry),
        on=on,
        now=now,
    )
    privacy = None
    if domain.whois_privacy:
        privacy = _charge_privacy(
            domain,
            params=domain_rules(domain.account.brand),
            period=(old_expiry, new_expiry),
            priced_on=old_expiry,
            on=on,
            now=now,
        )
    domain_event_record(
        domain,
        DomainEventKind.RENEWED,
        on=on,
        now=now,
        clause_id=price.clause.clause_id,
        detail=f"renewed to {new_expiry}"
        + (f", asked for by {requested_by}" if requested_by else ""),
        lifecycle=True,
    )
    domain.months += months
    domain.expires_on = new_expiry
    if domain.status != DomainStatus.ACTIVE:
        domain.status = DomainStatus.ACTIVE
        domain.status_changed_on = on
    domain.save(update_fields=["months", "expires_on", "status", "status_changed_on"])
    _schedule_next(domain, schedule=schedule)
    notice_send(
        key=f"domain:{domain.pk}:{old_expiry}:renewed",
        kind="domain.renewed",
        account=domain.account,
        subject=f"{domain.name} is renewed until {new_expiry}",
        body=(
            f"Your domain {domain.name} is renewed until {new_expiry} for {price_words(price)}"
            + (f", and its whois privacy for {price_words(privacy)}" if privacy else "")
            + ", which will appear on your next bill."
        ),
        clause_id=price.clause.clause_id,
        now=now,
    )
    return domain


def domain_transfer_out(*, domain: Domain, on: date, now: datetime) -> Domain:
    """Release a name to another registrar: free, but refused while the account owes money.

    plugin/domain-terms#3 and #7. A refusal is recorded on the name with its reason (and
    then raised), so staff can see why a transfer did not happen.
    """
    params = domain_rules(domain.account.brand)
    clause = params.get("transfer_out_free_unless_owing_clause") or params["clause"]
    owed = amount_owed(domain.account, on=on)
    try:
        rules.check_transfer_out(status=domain.status, owed=owed, clause=clause)
    except TransitionNotAllowed as refusal:
        with transaction.atomic():
            domain_event_record(
                domain,
                DomainEventKind.TRANSFER_REFUSED,
                on=on,
                now=now,
                clause_id=clause,
                detail=str(refusal),
            )
        raise
    with transaction.atomic():
        locked = Domain.objects.select_for_update(of=("self",)).get(pk=domain.pk)
        if locked.status not in HELD:
            raise TransitionNotAllowed(f"{locked.name} is {locked.status}")
        locked.status = DomainStatus.TRANSFERRED_OUT
        locked.status_changed_on = on
        locked.next_action_on = None
        locked.save(update_fields=["status", "status_changed_on", "next_action_on"])
        notice = notice_send(
            key=f"domain:{locked.pk}:transferred-out:{on}",
            kind="domain.transferred-out",
            account=locked.account,
            subject=f"{locked.name} is released for transfer",
            body=(
                f"Your domain {locked.name} is released to your new registrar on {on}. "
                "There is no charge for moving it away."
            ),
            clause_id=clause,
            now=now,
        )
        domain_event_record(
            locked,
            DomainEventKind.TRANSFERRED_OUT,
            on=on,
            now=now,
            clause_id=clause,
            detail="transferred away free of charge",
            notice=notice,
        )
    return locked


@transaction.atomic
def domain_privacy_set(*, domain: Domain, enabled: bool, on: date, now: datetime) -> Domain:
    """Turn the whois privacy option on or off (plugin/domain-terms#4).

    Turned on for a registered name, the option is charged for the rest of the current
    registration, per year or part of a year, unless it was already paid for this
    registration (turning it off and on again charges nothing more). It is not refunded
    when turned off. Renewals then charge it with the name.
    """
    params = domain_rules(domain.account.brand)
    if not params.get("whois_privacy_option"):
        raise TransitionNotAllowed(f"{domain.account.brand.key} offers no whois privacy option")
    domain = (
        Domain.objects.select_for_update(of=("self",))
        .select_related("account__brand", "product")
        .get(pk=domain.pk)
    )
    if domain.status not in HELD:
        raise TransitionNotAllowed(f"{domain.name} is {domain.status}")
    if domain.whois_privacy == enabled:
        return domain
    domain.whois_privacy = enabled
    domain.save(update_fields=["whois_privacy"])
    if enabled and domain.status == DomainStatus.ACTIVE and on < domain.expires_on:
        _charge_privacy(
            domain,
            params=params,
            period=(on, domain.expires_on),
            priced_on=on,
            on=on,
            now=now,
        )
    domain_event_record(
        domain,
        DomainEventKind.PRIVACY_CHANGED,
        on=on,
        now=now,
        clause_id=params.get("whois_privacy_option_clause") or params["clause"],
        detail="whois privacy on" if enabled else "whois privacy off",
    )
    return domain


def domain_timeline(*, tld: str, expiry: date, brand: Brand) -> list[dict[str, Any]]:
    """The dated events for a name under `tld` expiring on `expiry`, for the brand."""
    domain_product_for(brand, tld)
    schedule = domain_schedule(brand, tld.lower().lstrip("."))
    return [
        {"on": event.on, "kind": event.kind, "clause": event.clause}
        for event in rules.timeline(expiry, schedule)
    ]
