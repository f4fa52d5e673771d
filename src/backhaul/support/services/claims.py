"""Claims for credits and compensation: made, decided with reasons, and credited to the bill.

Customer claims (Enhanced Care service credits, the PlugIn Uptime Guarantee, Business
Phone compensation) are checked against the terms at once: a claim the terms rule out
(late, a second claim for the fault, no missed service level) is rejected there and then
with its reasons; any other waits for staff, who record exclusions or circumstances and
decide. Automatic compensation (Ofcom, hosting uptime) is decided by the daily jobs.
Accepted claims become credits on the next bill through ``billing.services.charge_add``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from backhaul.billing.choices import ChargeKind
from backhaul.billing.services import charge_add
from backhaul.catalogue.selectors import rule_params
from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.money import format_amount
from backhaul.notices.services import notice_send
from backhaul.support import rules, selectors
from backhaul.support.choices import (
    ClaimKind,
    ClaimStatus,
    TicketCategory,
    VisitOutcome,
    VisitState,
)
from backhaul.support.models import Claim, EngineerVisit, Ticket

SECTION_OF_KIND = {
    ClaimKind.SERVICE_CREDIT: "service_credit",
    ClaimKind.UPTIME_GUARANTEE: "uptime_guarantee",
    ClaimKind.PHONE_COMPENSATION: "phone_compensation",
    ClaimKind.HOSTING_UPTIME: "hosting_uptime",
    ClaimKind.OFCOM_LATE_REPAIR: "ofcom_auto_compensation",
    ClaimKind.OFCOM_LATE_PROVISION: "ofcom_auto_compensation",
    ClaimKind.OFCOM_MISSED_APPOINTMENT: "ofcom_auto_compensation",
}


def _reasons(decision_reasons: Sequence[rules.DecisionReason]) -> list[dict[str, str]]:
    return [{"code": r.code, "text": r.text, "clause": r.clause} for r in decision_reasons]


def _credit(claim: Claim, *, description: str, now: datetime) -> None:
    """Put an accepted claim on the next bill as a credit, once (keyed by the claim)."""
    key = f"support:claim:{claim.pk}"
    charge_add(
        account=claim.account,
        key=key,
        source="support",
        description=description,
        amount=-claim.amount,
        vat_treatment=claim.vat_treatment,
        clause_id=claim.clause_id,
        tax_point=timezone.localdate(now),
        now=now,
        kind=ChargeKind.CREDIT,
    )
    claim.charge_key = key
    claim.save(update_fields=["charge_key"])


def _decision_notice(claim: Claim, *, now: datetime) -> None:
    lines = "\n".join(f"- {r['text']} ({r['clause']})" for r in claim.reasons)
    if claim.status == ClaimStatus.ACCEPTED:
        head = (
            f"Your {claim.get_kind_display().lower()} claim is accepted: "
            f"£{format_amount(claim.amount)} will be credited on your next bill."
        )
    elif claim.status == ClaimStatus.REJECTED:
        head = f"Your {claim.get_kind_display().lower()} claim is not accepted."
    else:
        head = f"We have your {claim.get_kind_display().lower()} claim and will decide it."
    notice_send(
        key=f"support:claim:{claim.pk}:{claim.status}",
        kind=f"support.claim-{claim.status}",
        subject=f"{claim.get_kind_display()} claim"
        + (f" for ticket {claim.ticket.reference}" if claim.ticket else ""),
        body=f"{head}\n\n{lines}\n",
        now=now,
        account=claim.account,
        clause_id=claim.clause_id or None,
    )


def _ticket_policy(ticket: Ticket) -> rules.SlaPolicy:
    policy = selectors.ticket_policy(ticket)
    if ticket.category != TicketCategory.FAULT or policy is None:
        raise InvalidInput(f"ticket {ticket.reference}: claims are made against faults")
    return policy


def _month_of(ticket: Ticket) -> date:
    return timezone.localdate(ticket.created_at).replace(day=1)


def _service_credit_decision(
    claim: Claim, *, exclusions: Sequence[str], locked: bool
) -> rules.ClaimDecision:
    ticket = claim.ticket
    assert ticket is not None
    brand = ticket.account.brand
    terms = selectors.service_credit_terms(brand)
    assert terms is not None
    sla = selectors.ticket_sla(ticket, at=claim.claimed_at)
    assert sla is not None
    subscription = ticket.subscription
    assert subscription is not None
    if locked:
        Subscription.objects.select_for_update().get(pk=subscription.pk)
    monthly = selectors.monthly_subscription_of(
        subscription, on=timezone.localdate(ticket.created_at)
    )
    return rules.service_credit_decision(
        terms=terms,
        sla=sla,
        claimed_at=claim.claimed_at,
        calendar=selectors.working_time_for(brand),
        monthly_subscription=monthly,
        credited_in_month=selectors.credited_in_month(
            subscription, month=_month_of(ticket), exclude=claim
        ),
        earlier_claims=0,
        exclusions=exclusions,
    )


def _uptime_decision(
    claim: Claim, *, exclusions: Sequence[str], circumstances: Sequence[str]
) -> rules.ClaimDecision:
    ticket = claim.ticket
    assert ticket is not None
    brand = ticket.account.brand
    terms = selectors.uptime_guarantee_terms(brand)
    assert terms is not None
    sla = selectors.ticket_sla(ticket, at=claim.claimed_at)
    assert sla is not None
    log = rules.event_log(
        selectors.ticket_events(ticket), pause_reasons=list(_ticket_policy(ticket).pause_reasons)
    )
    end = log.resolved_at or log.confirmed_at or claim.claimed_at
    outage = rules.elapsed_less_pauses(log.created_at, end, log.pause_spans(end))
    return rules.uptime_guarantee_decision(
        terms=terms,
        sla=sla,
        outage=outage,
        claimed_at=claim.claimed_at,
        calendar=selectors.working_time_for(brand),
        monthly_subscription=selectors.monthly_subscription_of(
            ticket.subscription, on=timezone.localdate(ticket.created_at)
        ),
        earlier_claims=0,
        circumstances=circumstances,
        exclusions=exclusions,
    )


def _phone_decision(
    claim: Claim, *, exclusions: Sequence[str], assume_missed: bool = False
) -> rules.ClaimDecision:
    visit = claim.visit
    assert visit is not None and visit.ticket is not None
    ticket = visit.ticket
    brand = claim.account.brand
    terms = selectors.phone_compensation_terms(brand)
    assert terms is not None
    subscription = ticket.subscription
    year_before = ticket.created_at - timedelta(days=365)
    paid = Claim.objects.filter(
        kind=ClaimKind.PHONE_COMPENSATION,
        status=ClaimStatus.ACCEPTED,
        subscription=subscription,
        visit__ticket__created_at__gte=year_before,
        visit__ticket__created_at__lte=ticket.created_at,
    ).exclude(pk=claim.pk)
    paid_total = paid.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    restored = ticket.resolved_at or ticket.closed_at or claim.claimed_at
    return rules.phone_compensation_decision(
        terms=terms,
        appointment_missed_by_provider=(
            assume_missed or visit.outcome == VisitOutcome.MISSED_BY_PROVIDER
        ),
        reported_at=ticket.created_at,
        restored_at=restored,
        claimed_at=claim.claimed_at,
        monthly_subscription=selectors.monthly_subscription_of(
            subscription, on=timezone.localdate(ticket.created_at)
        ),
        paid_in_year=paid_total,
        exclusions=exclusions,
    )


def _decide(
    claim: Claim,
    *,
    exclusions: Sequence[str] = (),
    circumstances: Sequence[str] = (),
    locked: bool = False,
) -> rules.ClaimDecision:
    if claim.kind == ClaimKind.SERVICE_CREDIT:
        return _service_credit_decision(claim, exclusions=exclusions, locked=locked)
    if claim.kind == ClaimKind.UPTIME_GUARANTEE:
        return _uptime_decision(claim, exclusions=exclusions, circumstances=circumstances)
    if claim.kind == ClaimKind.PHONE_COMPENSATION:
        visit = claim.visit
        if locked and visit is not None and visit.state == VisitState.BOOKED:
            raise TransitionNotAllowed(
                f"visit {visit.pk}: record what happened at the appointment before deciding"
            )
        return _phone_decision(claim, exclusions=exclusions)
    raise InvalidInput(f"{claim.get_kind_display()} claims are decided automatically")


#: Reasons the terms rule a claim out whatever staff find: it is rejected when made. The
#: monthly cap is not among them: it is counted when the claim is decided.
RULED_OUT = frozenset(
    {"late", "duplicate", "not-resolved", "no-breach", "no-ground", "no-missed-appointment"}
)


def _ruled_out(decision: rules.ClaimDecision) -> bool:
    return not decision.accepted and any(r.code in RULED_OUT for r in decision.reasons)


def _create(claim: Claim) -> Claim:
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        raise TransitionNotAllowed(_duplicate_message(claim)) from None
    return claim


def _duplicate_message(claim: Claim) -> str:
    if claim.kind == ClaimKind.SERVICE_CREDIT:
        terms = selectors.service_credit_terms(claim.account.brand)
        clause = terms.one_claim_clause if terms else ""
        return f"a claim was already made for this fault: one claim per fault ({clause})"
    if claim.kind == ClaimKind.PHONE_COMPENSATION:
        return "visit: a compensation claim was already made for this fault"
    return "a claim was already made for this"


@transaction.atomic
def claim_make(
    *,
    ticket: Ticket,
    now: datetime,
    claimed_by: str,
    circumstances: Sequence[str] = (),
) -> Claim:
    """A customer's claim against a fault ticket: a service credit or the Uptime Guarantee.

    Checked against the terms at once with no exclusions assumed: a claim they rule out is
    rejected with its reasons, any other waits for a decision (each claim is "assessed on a
    case by case basis", plusnet-business/broadband-schedule#7.24).
    """
    ticket = selectors.tickets_with_events().get(pk=ticket.pk)
    policy = _ticket_policy(ticket)
    if policy.service_credit is not None:
        kind, section = ClaimKind.SERVICE_CREDIT, "service_credit"
    elif policy.uptime_guarantee is not None:
        kind, section = ClaimKind.UPTIME_GUARANTEE, "uptime_guarantee"
    else:
        raise InvalidInput(
            f"ticket {ticket.reference}: {policy.care or 'this'} care carries no service credit"
        )
    if Claim.objects.filter(ticket=ticket, kind=kind).exists():
        raise TransitionNotAllowed(_duplicate_message(Claim(account=ticket.account, kind=kind)))
    claim = Claim(
        account=ticket.account,
        kind=kind,
        ticket=ticket,
        subscription=ticket.subscription,
        claimed_at=now,
        status=ClaimStatus.PENDING,
        amount=Decimal("0.00"),
        vat_treatment=selectors.credit_vat(ticket.account.brand, section),
        clause_id=str(rule_params(ticket.account.brand, section)["clause"]),
        circumstances=list(circumstances),
    )
    decision = _decide(claim, circumstances=circumstances)
    if _ruled_out(decision):
        claim.status = ClaimStatus.REJECTED
        claim.decided_at = now
        claim.decided_by = "Backhaul"
    claim.reasons = _reasons(decision.reasons)
    _create(claim)
    _decision_notice(claim, now=now)
    return claim


@transaction.atomic
def claim_phone_compensation(*, visit: EngineerVisit, now: datetime, claimed_by: str) -> Claim:
    """A Business Phone claim after Plusnet missed a pre-confirmed engineer appointment
    (plusnet-business/business-phone-schedule#2.2), made by the customer in the Member
    Centre or by staff for them; one claim per fault.

    The terms decide at once what they rule out: no appointment missed by Plusnet, more
    than 30 days after the report (2.4(a)). Any other claim waits for staff, who record
    the exclusions of 2.4(b) to (e) and decide (2.3(b)); the amount is the pro-rata
    subscription for the days without service, at most £180 per line a year (2.3(a)).
    While the appointment's outcome is not yet recorded the claim is checked as if it was
    missed and waits for staff.
    """
    visit = EngineerVisit.objects.select_related("account__brand", "ticket__subscription").get(
        pk=visit.pk
    )
    terms = selectors.phone_compensation_terms(visit.account.brand)
    if terms is None:
        raise InvalidInput(f"{visit.account.brand.name} has no phone compensation scheme")
    ticket = visit.ticket
    if ticket is None or ticket.category != TicketCategory.FAULT:
        raise InvalidInput("visit: the appointment is not linked to a fault ticket")
    if terms.products and (
        ticket.subscription is None or ticket.subscription.product.key not in terms.products
    ):
        raise InvalidInput(
            f"visit: compensation for missed appointments covers faults on "
            f"{', '.join(terms.products)} only ({terms.clause})"
        )
    outcome_known = visit.state != VisitState.BOOKED
    if not outcome_known and now < visit.slot_start:
        start = timezone.localtime(visit.slot_start)
        raise InvalidInput(
            f"visit: the appointment at {start:%H:%M on %d %B %Y} has not happened yet"
        )
    if Claim.objects.filter(ticket=ticket, kind=ClaimKind.PHONE_COMPENSATION).exists():
        raise TransitionNotAllowed(
            _duplicate_message(Claim(account=visit.account, kind=ClaimKind.PHONE_COMPENSATION))
        )
    claim = Claim(
        account=visit.account,
        kind=ClaimKind.PHONE_COMPENSATION,
        ticket=ticket,
        visit=visit,
        subscription=ticket.subscription,
        claimed_at=now,
        status=ClaimStatus.PENDING,
        amount=Decimal("0.00"),
        vat_treatment=selectors.credit_vat(visit.account.brand, "phone_compensation"),
        clause_id=str(rule_params(visit.account.brand, "phone_compensation")["clause"]),
    )
    decision = _phone_decision(claim, exclusions=(), assume_missed=not outcome_known)
    if _ruled_out(decision):
        claim.status = ClaimStatus.REJECTED
        claim.decided_at = now
        claim.decided_by = "Backhaul"
    claim.reasons = _reasons(decision.reasons)
    if not outcome_known and claim.status == ClaimStatus.PENDING:
        claim.reasons.append(
            {
                "code": "outcome-pending",
                "text": "we are checking what happened at the appointment",
                "clause": terms.clause,
            }
        )
    _create(claim)
    _decision_notice(claim, now=now)
    return claim


@transaction.atomic
def claim_decide(
    *,
    claim: Claim,
    now: datetime,
    decided_by: str,
    accept: bool = True,
    exclusions: Sequence[str] = (),
    circumstances: Sequence[str] = (),
    note: str = "",
) -> Claim:
    """Staff decide a pending claim, recording exclusions, circumstances and reasons.

    The amount comes from the rules (the monthly cap counted under a lock on the line, so
    two decisions at once cannot both use the same month's room); declining a claim the
    rules would pay is the provider's discretion and is recorded as such.
    """
    claim = Claim.objects.select_for_update().select_related("account__brand").get(pk=claim.pk)
    if claim.status != ClaimStatus.PENDING:
        raise TransitionNotAllowed(f"claim {claim.pk} is already {claim.status}")
    decision = _decide(claim, exclusions=exclusions, circumstances=circumstances, locked=True)
    reasons = _reasons(decision.reasons)
    accepted = decision.accepted and accept
    if decision.accepted and not accept:
        terms = selectors.service_credit_terms(claim.account.brand)
        clause = terms.discretionary_clause if terms else claim.clause_id
        reasons.append(
            {"code": "discretion", "text": note or "declined on review", "clause": clause}
        )
    elif note:
        reasons.append({"code": "note", "text": note, "clause": claim.clause_id})
    claim.status = ClaimStatus.ACCEPTED if accepted else ClaimStatus.REJECTED
    claim.amount = decision.amount if accepted else Decimal("0.00")
    claim.reasons = reasons
    claim.exclusions = list(exclusions)
    claim.circumstances = list(circumstances) or claim.circumstances
    claim.decided_at = now
    claim.decided_by = decided_by[:150]
    claim.save()
    if accepted:
        _credit(claim, description=_describe(claim), now=now)
    _decision_notice(claim, now=now)
    return claim


def _describe(claim: Claim) -> str:
    about = ""
    if claim.ticket is not None:
        about = f" for ticket {claim.ticket.reference}"
    elif claim.visit is not None:
        about = f" for the engineer appointment of {timezone.localdate(claim.visit.slot_start)}"
    elif claim.site is not None and claim.period_start is not None:
        about = f" for {claim.site.url} in {claim.period_start:%B %Y}"
    return f"{claim.get_kind_display()}{about}"


def claim_automatic(
    *,
    account: Any,
    kind: str,
    amount: Decimal,
    reasons: Sequence[rules.DecisionReason],
    clause_id: str,
    now: datetime,
    ticket: Ticket | None = None,
    visit: EngineerVisit | None = None,
    site: Any = None,
    period_start: date | None = None,
    subscription: Subscription | None = None,
) -> Claim | None:
    """Record and credit compensation that is paid without a claim; once per event.

    Returns None when it was already recorded (the daily jobs call this on every replay).
    """
    lookup: dict[str, Any] = {"kind": kind}
    if ticket is not None:
        lookup["ticket"] = ticket
    if visit is not None:
        lookup["visit"] = visit
    if site is not None:
        lookup.update(site=site, period_start=period_start)
    if kind == ClaimKind.OFCOM_LATE_PROVISION:
        lookup["subscription"] = subscription
    if Claim.objects.filter(**lookup).exists():
        return None
    section = SECTION_OF_KIND[ClaimKind(kind)]
    claim = Claim(
        account=account,
        kind=kind,
        ticket=ticket,
        visit=visit,
        site=site,
        period_start=period_start,
        subscription=subscription,
        claimed_at=now,
        status=ClaimStatus.ACCEPTED,
        amount=amount,
        vat_treatment=selectors.credit_vat(account.brand, section),
        clause_id=clause_id,
        reasons=_reasons(reasons),
        decided_at=now,
        decided_by="Backhaul",
    )
    try:
        with transaction.atomic():
            claim.save()
            _credit(claim, description=_describe(claim), now=now)
    except IntegrityError:
        return None
    _decision_notice(claim, now=now)
    return claim
