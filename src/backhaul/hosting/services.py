"""Email and hosting packages: ordering, renewal invoiced ahead, notice, refunds, AUP flags.

Charges and credits go on the customer's next bill through `billing.services.charge_add`
(the bill run issues the invoices); notices through `notices.services.notice_send`. Both
are idempotent on their keys and daily events are unique per package, kind and day, so
the daily job can be replayed for any day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from backhaul.billing.choices import ChargeKind
from backhaul.billing.models import PendingCharge
from backhaul.billing.services import charge_add
from backhaul.catalogue.models import Brand, PriceVersion, Product
from backhaul.catalogue.selectors import clause_get, price_in_force, product_get
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.money import parse_rate
from backhaul.customers.models import Account
from backhaul.hosting import rules
from backhaul.hosting.choices import PackageEventKind, PackageStatus, RefundBasis
from backhaul.hosting.models import AupFlag, Package, PackageEvent
from backhaul.hosting.selectors import (
    PACKAGE_KINDS,
    RenewalRules,
    hosting_rules,
    package_charges,
    period_charge_key,
    refund_rules,
    renewal_rules,
)
from backhaul.notices.services import notice_send
from backhaul.scheduler.events import ClauseCache, EventBatch, event_record
from backhaul.scheduler.registry import batched

SOURCE = "hosting"


def _event(package: Package, kind: str, **details: Any) -> PackageEvent:
    """Add to the package's history (see `scheduler.events.event_record`)."""
    return event_record(PackageEvent, owner={"package": package}, kind=kind, **details)


@dataclass
class _DayCache:
    """Clauses and prices looked up once for a whole daily run."""

    clauses: ClauseCache = field(default_factory=ClauseCache)
    prices: dict[tuple[int, date], PriceVersion] = field(default_factory=dict)
    events: EventBatch = field(init=False)

    def __post_init__(self) -> None:
        self.events = EventBatch(PackageEvent, self.clauses)

    def price(self, product: Product, on: date) -> PriceVersion:
        key = (product.pk, on)
        if key not in self.prices:
            self.prices[key] = price_in_force(product, on=on, term=1)
        return self.prices[key]


def _charge_period(
    package: Package,
    *,
    start: date,
    tax_point: date,
    clause_id: str,
    now: datetime,
    cache: _DayCache | None = None,
) -> bool:
    """Charge one monthly period in advance, once; returns True if it was new."""
    key = period_charge_key(package, start)
    period = rules.next_period(started_on=package.started_on, renewal=start)
    if package.charged_to < period.end:
        package.charged_to = period.end
        package.save(update_fields=["charged_to"])
    if PendingCharge.objects.filter(key=key).exists():
        return False
    price = (cache or _DayCache()).price(package.product, start)
    charge_add(
        account=package.account,
        key=key,
        source=SOURCE,
        description=f"{package.product.name}, {period.start} to {period.end}",
        amount=price.amount,
        vat_treatment=price.vat_treatment,
        clause_id=clause_id,
        tax_point=tax_point,
        now=now,
        kind=ChargeKind.RECURRING,
        period=(period.start, period.end),
    )
    return True


@transaction.atomic
def package_order(*, account: Account, product_key: str, on: date, now: datetime) -> Package:
    """Start an email or hosting package on `on`, its first month charged in advance
    (plugin/hosting-terms#1, plugin/email-terms#1)."""
    product = product_get(account.brand, product_key)
    if product.kind not in PACKAGE_KINDS:
        raise InvalidInput(
            f"product: {product.key} is a {product.kind} product, not an email or hosting package"
        )
    price = price_in_force(product, on=on, term=1)
    period = rules.current_period(started_on=on, on=on)
    package = Package.objects.create(
        account=account,
        product=product,
        price_version=price,
        status=PackageStatus.ACTIVE,
        started_on=on,
        renews_on=period.end,
        charged_to=period.end,
        created_at=now,
    )
    _charge_period(package, start=on, tax_point=on, clause_id=price.clause.clause_id, now=now)
    _event(
        package,
        PackageEventKind.ORDERED,
        on=on,
        now=now,
        clause_id=product.minimum_period_clause.clause_id
        if product.minimum_period_clause
        else price.clause.clause_id,
        detail=f"monthly rolling from {on}; renews on {period.end}",
    )
    return package


def _credit_periods_from(package: Package, ends_on: date, *, on: date, now: datetime) -> None:
    """Credit any period already charged that starts on or after the end date."""
    for charge in package_charges(package):
        if charge.period_start is not None and charge.period_start >= ends_on:
            charge_add(
                account=package.account,
                key=f"{charge.key}:credit",
                source=SOURCE,
                description=f"Credit: {charge.description} (the package ends on {ends_on})",
                amount=-charge.amount,
                vat_treatment=charge.vat_treatment,
                clause_id=charge.clause.clause_id,
                tax_point=on,
                now=now,
                kind=ChargeKind.CREDIT,
                period=(charge.period_start, charge.period_end) if charge.period_end else None,
            )


@transaction.atomic
def package_notice_give(*, package: Package, on: date, now: datetime) -> Package:
    """The customer gives notice: the package ends on the first renewal date at least the
    notice period after it (plugin/hosting-terms#2, plugin/email-terms#2), and the notice
    is acknowledged in writing, as the terms tell customers to expect."""
    package = (
        Package.objects.select_for_update(of=("self",))
        .select_related("product", "account")
        .get(pk=package.pk)
    )
    if package.status != PackageStatus.ACTIVE:
        raise TransitionNotAllowed(f"package {package.pk} has already {package.status}")
    if package.notice_given_on is not None:
        raise TransitionNotAllowed(
            f"notice was given on {package.notice_given_on}; package {package.pk} ends on "
            f"{package.ends_on}"
        )
    product = package.product
    ends_on = rules.end_after_notice(
        notice_given=on,
        notice_days=product.notice_days,
        started_on=package.started_on,
        before_renewal=product.notice_before_renewal,
    )
    package.notice_given_on = on
    package.ends_on = ends_on
    package.save(update_fields=["notice_given_on", "ends_on"])
    _credit_periods_from(package, ends_on, on=on, now=now)
    clause_id = product.notice_clause.clause_id if product.notice_clause else None
    notice = notice_send(
        key=f"package:{package.pk}:notice-given",
        kind="package.notice-acknowledged",
        account=package.account,
        subject=f"We have received your notice: {product.name} ends on {ends_on}",
        body=(
            f"Thank you: we received your notice on {on} to end your {product.name}. "
            f"With {product.notice_days} days' notice before the renewal date, it ends on "
            f"{ends_on} and you will not be charged for any period after that."
        ),
        clause_id=clause_id,
        now=now,
    )
    _event(
        package,
        PackageEventKind.NOTICE_GIVEN,
        on=on,
        now=now,
        clause_id=clause_id,
        detail=f"ends on {ends_on}",
        notice=notice,
    )
    return package


@transaction.atomic
def package_cancel_with_refund(
    *, package: Package, basis: str, on: date, now: datetime, reason: str = ""
) -> Package:
    """End a package in its first days with a full refund of what it cost.

    `cooling-off`: "within those first 30 days for a full refund" (plugin/email-terms#2,
    plugin/hosting-terms#2); `money-back`: "not entirely satisfied with your hosting during
    your first 30 days ... we will refund you 100% (excluding domain registration and other
    services)" (plugin/hosting-terms#money-back). Only the package's own charges are
    refunded, as a credit on the next bill; domain registrations never are
    (plugin/domain-terms#6).
    """
    if basis not in RefundBasis.values:
        raise InvalidInput(f"basis: must be one of {', '.join(RefundBasis.values)}, not {basis!r}")
    package = (
        Package.objects.select_for_update(of=("self",))
        .select_related("product", "account__brand")
        .get(pk=package.pk)
    )
    brand = package.account.brand
    params = refund_rules(brand, basis)
    label = RefundBasis(basis).label
    if not params:
        raise TransitionNotAllowed(f"{brand.key}'s terms offer no {basis} refund")
    product = package.product
    if not rules.applies_to(
        params.get("products", []), product_key=product.key, product_kind=product.kind
    ):
        raise TransitionNotAllowed(f"{label} does not cover {product.name} ({params['clause']})")
    if rules.applies_to(
        params.get("excludes", []), product_key=product.key, product_kind=product.kind
    ):
        raise TransitionNotAllowed(f"{label} excludes {product.name} ({params['clause']})")
    if package.status != PackageStatus.ACTIVE:
        raise TransitionNotAllowed(f"package {package.pk} has already {package.status}")
    days = int(params["days"])
    if not rules.within_first_days(started_on=package.started_on, on=on, days=days):
        last = package.started_on + timedelta(days=days - 1)
        raise TransitionNotAllowed(
            f"the first {days} days of package {package.pk} ended on {last} ({params['clause']})"
        )
    clause_id = (
        params.get(f"{product.kind}_clause") if basis == RefundBasis.COOLING_OFF else None
    ) or params["clause"]
    percent = parse_rate(str(params.get("refund_percent", "100")))
    charges = package_charges(package)
    credit = rules.refund_credit([c.amount for c in charges], percent)
    if credit:
        charge_add(
            account=package.account,
            key=f"package:{package.pk}:refund",
            source=SOURCE,
            description=f"Refund: {product.name} cancelled on {on} ({label.lower()})",
            amount=credit,
            vat_treatment=charges[0].vat_treatment,
            clause_id=clause_id,
            tax_point=on,
            now=now,
            kind=ChargeKind.CREDIT,
        )
    package.status = PackageStatus.CANCELLED
    package.ended_on = on
    package.end_reason = (reason or f"cancelled in the first {days} days for a full refund")[:300]
    package.save(update_fields=["status", "ended_on", "end_reason"])
    notice = notice_send(
        key=f"package:{package.pk}:refunded",
        kind="package.refunded",
        account=package.account,
        subject=f"{product.name} cancelled with a full refund",
        body=(
            f"Your {product.name} is cancelled on {on}. £{-credit} will be credited on your "
            "next bill. Domain registrations are not refunded."
        ),
        clause_id=clause_id,
        now=now,
    )
    _event(
        package,
        PackageEventKind.REFUNDED,
        on=on,
        now=now,
        clause_id=clause_id,
        detail=f"credit £{-credit}",
        notice=notice,
    )
    return package


@transaction.atomic
def package_aup_flag(
    *, package: Package, kind: str, on: date, now: datetime, detail: str = ""
) -> AupFlag:
    """Record a forbidden use of a hosting package and tell the customer
    (plugin/hosting-terms#5). One open flag per package and kind."""
    package = Package.objects.select_related("product", "account__brand").get(pk=package.pk)
    params = hosting_rules(package.account.brand)
    forbidden = params.get("forbidden", [])
    if package.product.kind != "hosting" or not forbidden:
        raise InvalidInput(f"package {package.pk} is not a hosting package with forbidden uses")
    kind = rules.check_aup_kind(kind, forbidden)
    existing = AupFlag.objects.filter(package=package, kind=kind, resolved_on__isnull=True).first()
    if existing is not None:
        return existing
    clause_id = params.get("forbidden_clause") or params["clause"]
    words = kind.replace("-", " ")
    notice = notice_send(
        key=f"package:{package.pk}:aup:{kind}:{on}",
        kind="package.aup-flag",
        account=package.account,
        subject=f"Your hosting is being used for {words}",
        body=(
            f"We found your hosting package {package.product.name} being used for {words}"
            + (f" ({detail})" if detail else "")
            + ". This is not permitted: please stop it and let us know when you have."
        ),
        clause_id=clause_id,
        now=now,
    )
    flag = AupFlag.objects.create(
        package=package,
        kind=kind,
        noted_on=on,
        detail=detail[:300],
        clause=clause_get(clause_id),
        notice=notice,
        created_at=now,
    )
    _event(package, PackageEventKind.AUP_FLAGGED, on=on, now=now, clause_id=clause_id, detail=kind)
    return flag


@transaction.atomic
def package_aup_resolve(*, flag: AupFlag, on: date, now: datetime) -> AupFlag:
    flag = AupFlag.objects.select_for_update(of=("self",)).get(pk=flag.pk)
    if flag.resolved_on is not None:
        raise TransitionNotAllowed(f"the flag was resolved on {flag.resolved_on}")
    flag.resolved_on = on
    flag.save(update_fields=["resolved_on"])
    _event(
        flag.package,
        PackageEventKind.AUP_RESOLVED,
        on=on,
        now=now,
        clause_id=flag.clause.clause_id,
        detail=flag.kind,
    )
    return flag


# --- The daily renewals ----------------------------------------------------------------


def _end(
    package: Package,
    *,
    on: date,
    reason: str,
    clause_id: str | None,
    now: datetime,
    cache: _DayCache,
) -> None:
    package.status = PackageStatus.ENDED
    package.ended_on = on
    package.end_reason = reason[:300]
    package.save(update_fields=["status", "ended_on", "end_reason"])
    notice = notice_send(
        key=f"package:{package.pk}:ended",
        kind="package.ended",
        account=package.account,
        subject=f"Your {package.product.name} has ended",
        body=f"Your {package.product.name} ended on {on}: {reason}.",
        clause_id=clause_id,
        now=now,
    )
    cache.events.add(
        owner={"package": package},
        kind=PackageEventKind.ENDED,
        on=on,
        now=now,
        clause_id=clause_id,
        detail=reason,
        notice=notice,
    )


def _package_day(
    package: Package, *, on: date, now: datetime, renewal: RenewalRules, cache: _DayCache
) -> list[str]:
    done: list[str] = []
    product = package.product
    notice_clause = product.notice_clause.clause_id if product.notice_clause else None
    if package.ends_on is not None and package.ends_on <= on:
        _end(
            package,
            on=package.ends_on,
            reason=f"notice given on {package.notice_given_on}",
            clause_id=notice_clause,
            now=now,
            cache=cache,
        )
        return ["ended"]
    while package.renews_on <= on:
        if not renewal.auto_renew:
            _end(
                package,
                on=package.renews_on,
                reason="not renewed",
                clause_id=renewal.clause or None,
                now=now,
                cache=cache,
            )
            return [*done, "ended"]
        start = package.renews_on
        if _charge_period(
            package,
            start=start,
            tax_point=rules.invoice_date(start, renewal.invoice_days_before),
            clause_id=renewal.clause,
            now=now,
            cache=cache,
        ):
            done.append("invoiced")
        package.renews_on = rules.next_period(started_on=package.started_on, renewal=start).end
        package.save(update_fields=["renews_on"])
        cache.events.add(
            owner={"package": package},
            kind=PackageEventKind.RENEWED,
            on=start,
            now=now,
            clause_id=renewal.clause,
            detail=f"renewed to {package.renews_on}",
        )
        done.append("renewed")
    if (
        renewal.auto_renew
        and (package.ends_on is None or package.renews_on < package.ends_on)
        and rules.renewal_invoice_due(
            renewal=package.renews_on, on=on, days_before=renewal.invoice_days_before
        )
    ):
        invoiced_on = rules.invoice_date(package.renews_on, renewal.invoice_days_before)
        if _charge_period(
            package,
            start=package.renews_on,
            tax_point=invoiced_on,
            clause_id=renewal.clause,
            now=now,
            cache=cache,
        ):
            done.append("invoiced")
        cache.events.add(
            owner={"package": package},
            kind=PackageEventKind.RENEWAL_INVOICED,
            on=invoiced_on,
            now=now,
            clause_id=renewal.clause,
            detail=f"renewal on {package.renews_on} charged ahead",
        )
    return done


def packages_run_day(*, on: date, now: datetime) -> dict[str, int]:
    """The day's package work: renewals charged before the renewal date, periods rolled on,
    and packages ended at the end of their notice. Replaying a day adds nothing."""
    counts: Counter[str] = Counter({"invoiced": 0, "renewed": 0, "ended": 0})
    lead = 0
    for brand in Brand.objects.all():
        for kind in PACKAGE_KINDS:
            product = Product.objects.filter(brand=brand, kind=kind).first()
            if product is not None:
                lead = max(lead, renewal_rules(product).invoice_days_before)
    due = (
        Package.objects.filter(status=PackageStatus.ACTIVE)
        .filter(
            Q(renews_on__lte=on)
            | Q(ends_on__lte=on)
            | (
                Q(renews_on__lte=on + timedelta(days=lead), charged_to__lte=F("renews_on"))
                & (Q(ends_on__isnull=True) | Q(ends_on__gt=F("renews_on")))
            )
        )
        .order_by("pk")
    )
    renewals: dict[int, RenewalRules] = {}
    cache = _DayCache()
    for batch in batched(list(due.values_list("pk", flat=True))):
        with transaction.atomic():
            for package in (
                Package.objects.select_for_update(of=("self",))
                .select_related("product__notice_clause", "product__brand", "account")
                .filter(pk__in=batch, status=PackageStatus.ACTIVE)
                .order_by("pk")
            ):
                if package.product_id not in renewals:
                    renewals[package.product_id] = renewal_rules(package.product)
                renewal = renewals[package.product_id]
                for kind in _package_day(package, on=on, now=now, renewal=renewal, cache=cache):
                    counts[kind] += 1
            cache.events.write()
    return dict(counts)
