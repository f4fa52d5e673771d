"""Domain registrations: registering, renewing, transferring away, and each day's lifecycle.

Charges go on the customer's next bill through `billing.services.charge_add`; notices go
through `notices.services.notice_send`. Both are idempotent on their keys, and lifecycle
events are unique per name and expiry, so the daily job can be replayed for any day.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from django.db import transaction

from backhaul.billing.choices import ChargeKind
from backhaul.billing.services import charge_add
from backhaul.catalogue.choices import VatTreatment
from backhaul.catalogue.models import Brand, PriceVersion, Product
from backhaul.catalogue.selectors import clause_get, price_in_force, price_text, rule_params
from backhaul.core.errors import InvalidInput, NotFound, TransitionNotAllowed
from backhaul.customers.models import Account
from backhaul.domains import rules
from backhaul.domains.choices import DomainEventKind, DomainStatus
from backhaul.domains.models import HELD, Domain, DomainEvent
from backhaul.domains.selectors import (
    amount_owed,
    domain_product_for,
    domain_rules,
    domain_schedule,
)
from backhaul.notices.models import Notice
from backhaul.notices.services import notice_send

SOURCE = "domains"


def _registration_months(product: Product, years: int | None) -> int:
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


def _event(
    domain: Domain,
    kind: str,
    *,
    on: date,
    now: datetime,
    clause_id: str | None = None,
    detail: str = "",
    lifecycle: bool = False,
    notice: Notice | None = None,
) -> DomainEvent:
    values = {
        "on": on,
        "clause": clause_get(clause_id) if clause_id else None,
        "detail": detail[:300],
        "notice": notice,
        "at": now,
    }
    if lifecycle:
        event, _ = DomainEvent.objects.get_or_create(
            domain=domain, kind=kind, cycle=domain.expires_on, lifecycle=True, defaults=values
        )
        return event
    return DomainEvent.objects.create(
        domain=domain, kind=kind, cycle=domain.expires_on, lifecycle=False, **values
    )


def _price_text(price: PriceVersion) -> str:
    amount = f"£{price_text(price.amount)}"
    return f"{amount} plus VAT" if price.vat_treatment == VatTreatment.EXCLUSIVE else amount


def _auto_renew_days(params: dict[str, Any]) -> int | None:
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
        auto_renew_days=_auto_renew_days(params) if domain.auto_renew else None,
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
    months = _registration_months(product, years)
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
        charge_add(
            account=account,
            key=f"domain:{domain.pk}:registration",
            source=SOURCE,
            description=f"Domain registration {domain.name}, {on} to {expires_on}",
            amount=price.amount,
            vat_treatment=price.vat_treatment,
            clause_id=price.clause.clause_id,
            tax_point=on,
            now=now,
            kind=ChargeKind.ONE_OFF,
            period=(on, expires_on),
        )
    _event(
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
    months = _registration_months(domain.product, years)
    price = price_in_force(domain.product, on=domain.expires_on, term=months)
    old_expiry = domain.expires_on
    new_expiry = rules.registration_expiry(domain.anchor, domain.months + months)
    charge_add(
        account=domain.account,
        key=f"domain:{domain.pk}:renewal:{old_expiry}",
        source=SOURCE,
        description=f"Domain renewal {domain.name}, {old_expiry} to {new_expiry}",
        amount=price.amount,
        vat_treatment=price.vat_treatment,
        clause_id=price.clause.clause_id,
        tax_point=on,
        now=now,
        kind=ChargeKind.ONE_OFF,
        period=(old_expiry, new_expiry),
    )
    _event(
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
            f"Your domain {domain.name} is renewed until {new_expiry} for {_price_text(price)}, "
            "which will appear on your next bill."
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
            _event(
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
        _event(
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
    """Turn the whois privacy option on or off (plugin/domain-terms#4)."""
    params = domain_rules(domain.account.brand)
    if not params.get("whois_privacy_option"):
        raise TransitionNotAllowed(f"{domain.account.brand.key} offers no whois privacy option")
    domain = Domain.objects.select_for_update(of=("self",)).get(pk=domain.pk)
    if domain.status not in HELD:
        raise TransitionNotAllowed(f"{domain.name} is {domain.status}")
    if domain.whois_privacy == enabled:
        return domain
    domain.whois_privacy = enabled
    domain.save(update_fields=["whois_privacy"])
    _event(
        domain,
        DomainEventKind.PRIVACY_CHANGED,
        on=on,
        now=now,
        clause_id=params.get("whois_privacy_option_clause") or params["clause"],
        detail="whois privacy on" if enabled else "whois privacy off",
    )
    return domain


# --- The daily lifecycle ---------------------------------------------------------------


def _notice_text(
    domain: Domain, event: rules.TimelineEvent, schedule: rules.DomainSchedule, *, on: date
) -> tuple[str, str]:
    expiry = domain.expires_on
    name = domain.name
    if event.kind.startswith(rules.REMINDER_PREFIX):
        # A reminder sent late (a missed day) says how long is really left.
        days = (expiry - max(event.on, on)).days
        try:
            months = _registration_months(domain.product, None)
            renewal = price_in_force(domain.product, on=expiry, term=months)
            price = f" The renewal price is {_price_text(renewal)}."
        except NotFound:
            price = ""
        action = (
            "It will be renewed automatically."
            if domain.auto_renew
            else f"We do not renew names automatically: to keep it, renew it before {expiry}."
        )
        return (
            f"{name} expires in {days} days, on {expiry}",
            f"Your domain {name} expires on {expiry}. {action}{price}",
        )
    rules_ = schedule.expiry
    if event.kind == rules.EXPIRED:
        if rules_ is None:
            return (
                f"{name} has expired",
                f"Your domain {name} expired on {expiry} and was not renewed.",
            )
        dates = rules.expiry_dates(expiry, rules_)
        return (
            f"{name} has expired and its services are suspended",
            f"Your domain {name} expired on {expiry} and our services for it are suspended. "
            f"It is now in a {rules_.protected_days}-day protected period; on "
            f"{dates.registry_suspended} the registry suspends it for a "
            f"{rules_.registry_suspension_grace_days}-day grace period. You can still keep it at "
            f"the original renewal price: email us before {dates.renewal_deadline}. About "
            f"{dates.deleted} it will be cancelled and deleted from the register.",
        )
    if event.kind == rules.REGISTRY_SUSPENDED and rules_ is not None:
        dates = rules.expiry_dates(expiry, rules_)
        return (
            f"{name} is suspended by the registry",
            f"Your domain {name}, which expired on {expiry}, is now suspended by the registry "
            f"and in its grace period until {dates.grace_ends}. To keep it at the original "
            f"renewal price, email us before {dates.renewal_deadline}.",
        )
    return (
        f"{name} has been cancelled and deleted",
        f"Your domain {name}, which expired on {expiry}, has been cancelled and deleted from "
        "the register and may be registered by anyone.",
    )


NOTIFIED = {rules.EXPIRED, rules.REGISTRY_SUSPENDED, rules.DELETED}


def _domain_day(
    domain: Domain,
    *,
    on: date,
    now: datetime,
    schedule: rules.DomainSchedule,
    auto_renew_days: int | None,
) -> list[str]:
    """One name's work for the day; returns the kinds of what was done."""
    done: list[str] = []
    if (
        auto_renew_days is not None
        and domain.auto_renew
        and domain.status == DomainStatus.ACTIVE
        and rules.auto_renewal_due(expiry=domain.expires_on, on=on, days_before=auto_renew_days)
    ):
        domain_renew(domain=domain, on=on, now=now, requested_by="automatic renewal")
        return ["renewed"]
    recorded = set(
        DomainEvent.objects.filter(
            domain=domain, cycle=domain.expires_on, lifecycle=True
        ).values_list("kind", flat=True)
    )
    if domain.status == DomainStatus.ACTIVE:
        reminder = rules.reminder_due(domain.expires_on, on, schedule, sent=recorded)
        if reminder is not None:
            subject, body = _notice_text(domain, reminder, schedule, on=on)
            notice = notice_send(
                key=f"domain:{domain.pk}:{domain.expires_on}:{reminder.kind}",
                kind="domain.reminder",
                account=domain.account,
                subject=subject,
                body=body,
                clause_id=reminder.clause,
                now=now,
            )
            _event(
                domain,
                reminder.kind,
                on=reminder.on,
                now=now,
                clause_id=reminder.clause,
                detail=subject,
                lifecycle=True,
                notice=notice,
            )
            done.append("reminders")
    for event in rules.stage_events_due(
        domain.expires_on, on, schedule, status=domain.status, recorded=recorded
    ):
        notice = None
        if event.kind in NOTIFIED:
            subject, body = _notice_text(domain, event, schedule, on=on)
            notice = notice_send(
                key=f"domain:{domain.pk}:{domain.expires_on}:{event.kind}",
                kind=f"domain.{event.kind}",
                account=domain.account,
                subject=subject,
                body=body,
                clause_id=event.clause,
                now=now,
            )
        if event.status is not None:
            domain.status = event.status
            domain.status_changed_on = event.on
            domain.save(update_fields=["status", "status_changed_on"])
        _event(
            domain,
            event.kind,
            on=event.on,
            now=now,
            clause_id=event.clause,
            detail=f"day {(event.on - domain.expires_on).days} after expiry",
            lifecycle=True,
            notice=notice,
        )
        done.append(event.kind.replace("-", "_"))
    return done


def domains_run_day(*, on: date, now: datetime) -> dict[str, int]:
    """The day's domain work: reminders, expiry stages and automatic renewals.

    Each name is handled in its own transaction. Replaying a day, or a range of days, adds
    nothing: reminders and stages are recorded once per name and expiry, notices and
    charges once per key, and a name never goes back to an earlier stage.
    """
    counts: Counter[str] = Counter(
        {
            "reminders": 0,
            "expired": 0,
            "registry_suspended": 0,
            "renewal_deadline": 0,
            "deleted": 0,
            "renewed": 0,
        }
    )
    brands: dict[int, dict[str, Any]] = {}
    for brand in Brand.objects.all():
        params = rule_params(brand, "domains", default={})
        if params:
            brands[brand.pk] = params
    due = (
        Domain.objects.filter(account__brand_id__in=brands, status__in=HELD, next_action_on__lte=on)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    schedules: dict[tuple[int, str], rules.DomainSchedule] = {}
    for domain_id in due.iterator(chunk_size=500):
        with transaction.atomic():
            domain = (
                Domain.objects.select_for_update(of=("self",))
                .select_related("account__brand", "product")
                .get(pk=domain_id)
            )
            brand = domain.account.brand
            key = (brand.pk, domain.tld)
            if key not in schedules:
                schedules[key] = domain_schedule(brand, domain.tld)
            params = brands[brand.pk]
            for kind in _domain_day(
                domain,
                on=on,
                now=now,
                schedule=schedules[key],
                auto_renew_days=_auto_renew_days(params),
            ):
                counts[kind] += 1
            domain.refresh_from_db()
            _schedule_next(domain, schedule=schedules[key], params=params)
    return dict(counts)


def domain_timeline(*, tld: str, expiry: date, brand: Brand) -> list[dict[str, Any]]:
    """The dated events for a name under `tld` expiring on `expiry`, for the brand."""
    domain_product_for(brand, tld)
    schedule = domain_schedule(brand, tld.lower().lstrip("."))
    return [
        {"on": event.on, "kind": event.kind, "clause": event.clause}
        for event in rules.timeline(expiry, schedule)
    ]
