"""Ofcom automatic compensation for residential customers, a brand option.

Paid without a claim: per calendar day of late repair once a loss of service is not fixed
after two full working days, per day of late provision, and per missed engineer
appointment. Amounts are effective-dated in the brand's ``[rules.ofcom_auto_compensation]``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from backhaul.catalogue.models import Brand
from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput
from backhaul.support import rules, selectors
from backhaul.support.choices import (
    CancelledBy,
    ClaimKind,
    TicketCategory,
    VisitOutcome,
    VisitState,
)
from backhaul.support.models import Claim, EngineerVisit, Ticket
from backhaul.support.services.claims import claim_automatic

#: How far back the daily job looks for repairs and appointments it has not compensated
#: yet, so a day the job did not run is caught up the next day.
CATCH_UP_DAYS = 30


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))


def _reason(result: rules.OfcomCompensation) -> rules.DecisionReason:
    return rules.DecisionReason(result.kind, result.text, result.clause)


def ofcom_for_repair(ticket: Ticket, *, now: datetime) -> Claim | None:
    """Compensate a resolved fault on a residential line if its repair was late."""
    brand = ticket.account.brand
    terms = selectors.ofcom_terms(brand)
    if terms is None or not terms.applies_to(ticket.account.kind) or ticket.resolved_at is None:
        return None
    result = rules.ofcom_late_repair(
        terms,
        reported_at=ticket.created_at,
        repaired_at=ticket.resolved_at,
        calendar=selectors.working_time_for(brand),
    )
    if result.amount <= 0:
        return None
    return claim_automatic(
        account=ticket.account,
        kind=ClaimKind.OFCOM_LATE_REPAIR,
        amount=result.amount,
        reasons=[_reason(result)],
        clause_id=result.clause,
        now=now,
        ticket=ticket,
        subscription=ticket.subscription,
    )


def ofcom_for_visit(visit: EngineerVisit, *, now: datetime) -> Claim | None:
    """Compensate a missed appointment, or one the provider cancelled at short notice."""
    terms = selectors.ofcom_terms(visit.account.brand)
    if terms is None or not terms.applies_to(visit.account.kind):
        return None
    missed = (
        visit.state == VisitState.COMPLETED and visit.outcome == VisitOutcome.MISSED_BY_PROVIDER
    )
    provider_cancel = (
        visit.cancelled_at
        if visit.state == VisitState.CANCELLED and visit.cancelled_by == CancelledBy.PROVIDER
        else None
    )
    result = rules.ofcom_missed_appointment(
        terms, slot_start=visit.slot_start, missed=missed, cancelled_by_provider_at=provider_cancel
    )
    if result.amount <= 0:
        return None
    return claim_automatic(
        account=visit.account,
        kind=ClaimKind.OFCOM_MISSED_APPOINTMENT,
        amount=result.amount,
        reasons=[_reason(result)],
        clause_id=result.clause,
        now=now,
        visit=visit,
        subscription=visit.subscription,
    )


def ofcom_for_provision(
    subscription: Subscription, *, promised: date, provided: date, now: datetime
) -> Claim | None:
    """Compensate a residential service started after the date promised to the customer."""
    if provided < promised:
        raise InvalidInput("provided: before the promised date; nothing is late")
    account = subscription.account
    terms = selectors.ofcom_terms(account.brand)
    if terms is None or not terms.applies_to(account.kind):
        return None
    result = rules.ofcom_late_provision(terms, promised=promised, provided=provided)
    if result.amount <= 0:
        return None
    existing = Claim.objects.filter(
        kind=ClaimKind.OFCOM_LATE_PROVISION, subscription=subscription
    ).first()
    if existing is not None:
        return existing
    return claim_automatic(
        account=account,
        kind=ClaimKind.OFCOM_LATE_PROVISION,
        amount=result.amount,
        reasons=[_reason(result)],
        clause_id=result.clause,
        now=now,
        subscription=subscription,
    )


def ofcom_compensate(*, on: date, now: datetime) -> dict[str, int]:
    """The daily job: compensate late repairs and missed appointments up to ``on`` for the
    account kinds of each brand that has the scheme switched on."""
    end = _end_of(on)
    since = end - timedelta(days=CATCH_UP_DAYS + 1)
    paid_repairs = paid_visits = 0
    for brand in Brand.objects.order_by("key"):
        terms = selectors.ofcom_terms(brand)
        if terms is None or not terms.enabled:
            continue
        kinds = list(terms.account_kinds)
        repairs = (
            Ticket.objects.filter(
                account__brand=brand,
                account__kind__in=kinds,
                category=TicketCategory.FAULT,
                resolved_at__gte=since,
                resolved_at__lt=end,
            )
            .exclude(claims__kind=ClaimKind.OFCOM_LATE_REPAIR)
            .select_related("account__brand", "subscription")
        )
        paid_repairs += sum(1 for ticket in repairs if ofcom_for_repair(ticket, now=now))
        visits = (
            EngineerVisit.objects.filter(
                account__brand=brand,
                account__kind__in=kinds,
                slot_start__gte=since,
                slot_start__lt=end,
            )
            .exclude(claims__kind=ClaimKind.OFCOM_MISSED_APPOINTMENT)
            .select_related("account__brand", "subscription")
        )
        paid_visits += sum(1 for visit in visits if ofcom_for_visit(visit, now=now))
    return {"late_repairs": paid_repairs, "missed_appointments": paid_visits}
