"""Ofcom automatic compensation for residential customers, a brand option.

Paid without a claim: per calendar day of late repair once a loss of service is not fixed
after two full working days, per day of late provision, and per missed engineer
appointment. Amounts are effective-dated in the brand's ``[rules.ofcom_auto_compensation]``.

The daily job pays each once: a late repair when the fault closes (so a fault reopened
after a failed fix is paid up to its real repair), a missed appointment once its slot
has passed, and late provision once the service has started after the promised date.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from backhaul.catalogue.models import Brand
from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput
from backhaul.support import rules, selectors
from backhaul.support.choices import (
    CancelledBy,
    ClaimKind,
    TicketCategory,
    TicketState,
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
    """Compensate a closed fault on a residential line if its repair was late.

    The repair is the fault's last resolution (or, without one, its close): a fix the
    customer reopened was no repair.
    """
    brand = ticket.account.brand
    terms = selectors.ofcom_terms(brand)
    repaired_at = ticket.resolved_at or ticket.closed_at
    if (
        terms is None
        or not terms.applies_to(ticket.account.kind)
        or ticket.state != TicketState.CLOSED
        or repaired_at is None
    ):
        return None
    result = rules.ofcom_late_repair(
        terms,
        reported_at=ticket.created_at,
        repaired_at=repaired_at,
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
    """Compensate a residential service started after the date promised to the customer,
    once per service: "per day of late provision" from the missed start date up to the day
    before the service started, each day at the amount in force on that day."""
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
    """The daily job: compensate late repairs, missed appointments and late provision up to
    ``on`` for the account kinds of each brand that has the scheme switched on.

    Each is paid once whatever day the job runs or reruns: the claims it records are
    unique per fault, per appointment and per service, and a day the job did not run is
    caught up for ``CATCH_UP_DAYS``.
    """
    end = _end_of(on)
    since = end - timedelta(days=CATCH_UP_DAYS + 1)
    paid_repairs = paid_visits = paid_provisions = 0
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
                state=TicketState.CLOSED,
                closed_at__gte=since,
                closed_at__lt=end,
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
        late_starts = (
            Subscription.objects.filter(
                account__brand=brand,
                account__kind__in=kinds,
                promised_start_date__isnull=False,
                service_start_date__gt=F("promised_start_date"),
                service_start_date__gte=since.date(),
                service_start_date__lte=on,
            )
            .exclude(pk__in=_late_provision_paid())
            .select_related("account__brand")
            .order_by("pk")
        )
        for subscription in late_starts:
            assert subscription.promised_start_date is not None
            assert subscription.service_start_date is not None
            claim = ofcom_for_provision(
                subscription,
                promised=subscription.promised_start_date,
                provided=subscription.service_start_date,
                now=now,
            )
            if claim is not None:
                paid_provisions += 1
    return {
        "late_repairs": paid_repairs,
        "missed_appointments": paid_visits,
        "late_provisions": paid_provisions,
    }


def _late_provision_paid() -> QuerySet[Claim, int | None]:
    return Claim.objects.filter(
        kind=ClaimKind.OFCOM_LATE_PROVISION, subscription__isnull=False
    ).values_list("subscription_id", flat=True)
