"""The domains' daily job: renewal reminders, the expiry stages and automatic renewals.

Names whose next action day has come are taken in batches: each batch is read and locked
with one query, its lifecycle events with another, and handled in one transaction.
Replaying a day, or a range of days, adds nothing: reminders and stages are recorded once
per name and expiry (a database constraint), notices and charges once per key, and a name
never goes back to an earlier stage.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from django.db import transaction

from backhaul.catalogue.models import Brand, PriceVersion
from backhaul.catalogue.selectors import price_in_force, rule_params
from backhaul.core.errors import NotFound
from backhaul.domains import rules
from backhaul.domains.choices import DomainStatus
from backhaul.domains.models import HELD, Domain, DomainEvent
from backhaul.domains.selectors import domain_schedule
from backhaul.domains.services import (
    auto_renew_days_of,
    domain_renew,
    price_words,
    registration_months,
)
from backhaul.notices.services import notice_send
from backhaul.scheduler.events import ClauseCache, EventBatch, rows_update
from backhaul.scheduler.registry import batched

NOTIFIED = {rules.EXPIRED, rules.REGISTRY_SUSPENDED, rules.DELETED}


class _Day:
    """What one day's run looks up once and uses for every name."""

    def __init__(self, *, on: date, now: datetime) -> None:
        self.on = on
        self.now = now
        self.clauses = ClauseCache()
        self.events = EventBatch(DomainEvent, self.clauses)
        self.schedules: dict[tuple[int, str], rules.DomainSchedule] = {}
        self.prices: dict[tuple[int, date], PriceVersion | None] = {}

    def schedule(self, domain: Domain) -> rules.DomainSchedule:
        key = (domain.account.brand_id, domain.tld)
        if key not in self.schedules:
            self.schedules[key] = domain_schedule(domain.account.brand, domain.tld)
        return self.schedules[key]

    def renewal_price(self, domain: Domain) -> PriceVersion | None:
        key = (domain.product_id, domain.expires_on)
        if key not in self.prices:
            try:
                months = registration_months(domain.product, None)
                self.prices[key] = price_in_force(domain.product, on=domain.expires_on, term=months)
            except NotFound:
                self.prices[key] = None
        return self.prices[key]


def _notice_text(
    domain: Domain, event: rules.TimelineEvent, schedule: rules.DomainSchedule, day: _Day
) -> tuple[str, str]:
    expiry = domain.expires_on
    name = domain.name
    if event.kind.startswith(rules.REMINDER_PREFIX):
        # A reminder sent late (a missed day) says how long is really left.
        days = (expiry - max(event.on, day.on)).days
        renewal = day.renewal_price(domain)
        price = f" The renewal price is {price_words(renewal)}." if renewal else ""
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


def _record(
    domain: Domain,
    event: rules.TimelineEvent,
    day: _Day,
    *,
    kind: str,
    detail: str,
    text: tuple[str, str] | None,
) -> None:
    notice = None
    if text is not None:
        notice = notice_send(
            key=f"domain:{domain.pk}:{domain.expires_on}:{event.kind}",
            kind=kind,
            account=domain.account,
            subject=text[0],
            body=text[1],
            clause_id=event.clause,
            now=day.now,
        )
    day.events.add(
        owner={"domain": domain, "cycle": domain.expires_on},
        kind=event.kind,
        on=event.on,
        now=day.now,
        clause_id=event.clause,
        detail=detail,
        notice=notice,
    )


def _domain_day(domain: Domain, recorded: set[str], day: _Day) -> list[str]:
    """One name's work for the day; adds what it records to `recorded` and returns the
    kinds of what was done."""
    schedule = day.schedule(domain)
    done: list[str] = []
    if domain.status == DomainStatus.ACTIVE:
        reminder = rules.reminder_due(domain.expires_on, day.on, schedule, sent=recorded)
        if reminder is not None:
            text = _notice_text(domain, reminder, schedule, day)
            _record(domain, reminder, day, kind="domain.reminder", detail=text[0], text=text)
            recorded.add(reminder.kind)
            done.append("reminders")
    for event in rules.stage_events_due(
        domain.expires_on, day.on, schedule, status=domain.status, recorded=recorded
    ):
        text = _notice_text(domain, event, schedule, day) if event.kind in NOTIFIED else None
        if event.status is not None:
            domain.status = event.status
            domain.status_changed_on = event.on
        detail = f"day {(event.on - domain.expires_on).days} after expiry"
        _record(domain, event, day, kind=f"domain.{event.kind}", detail=detail, text=text)
        recorded.add(event.kind)
        done.append(event.kind.replace("-", "_"))
    return done


def _recorded(domain_ids: list[int]) -> dict[tuple[int, date], set[str]]:
    """The lifecycle events already recorded for the names, by name and expiry cycle."""
    found: dict[tuple[int, date], set[str]] = defaultdict(set)
    events = DomainEvent.objects.filter(domain_id__in=domain_ids, lifecycle=True)
    for domain_id, cycle, kind in events.values_list("domain_id", "cycle", "kind"):
        found[(domain_id, cycle)].add(kind)
    return found


def domains_run_day(*, on: date, now: datetime) -> dict[str, int]:
    """The day's domain work: reminders, expiry stages and automatic renewals."""
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
    due = list(
        Domain.objects.filter(account__brand_id__in=brands, status__in=HELD, next_action_on__lte=on)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    day = _Day(on=on, now=now)
    for batch in batched(due):
        with transaction.atomic():
            domains = (
                Domain.objects.select_for_update(of=("self",))
                .select_related("account__brand", "product")
                .filter(pk__in=batch, status__in=HELD, next_action_on__lte=on)
                .order_by("pk")
            )
            recorded = _recorded(batch)
            handled: list[Domain] = []
            for domain in domains:
                params = brands[domain.account.brand_id]
                auto_renew_days = auto_renew_days_of(params) if domain.auto_renew else None
                if (
                    auto_renew_days is not None
                    and domain.status == DomainStatus.ACTIVE
                    and rules.auto_renewal_due(
                        expiry=domain.expires_on, on=on, days_before=auto_renew_days
                    )
                ):
                    # Renewing reschedules the name itself.
                    domain_renew(domain=domain, on=on, now=now, requested_by="automatic renewal")
                    counts["renewed"] += 1
                    continue
                seen = recorded[(domain.pk, domain.expires_on)]
                for kind in _domain_day(domain, seen, day):
                    counts[kind] += 1
                domain.next_action_on = rules.next_action(
                    domain.expires_on,
                    day.schedule(domain),
                    status=domain.status,
                    recorded=seen,
                    auto_renew_days=auto_renew_days,
                )
                handled.append(domain)
            day.events.write()
            rows_update(Domain, handled, ["status", "status_changed_on", "next_action_on"])
    return dict(counts)
