"""Engineer visits: booking, cancellation, outcome, and the charges the customer pays."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backhaul.billing.choices import ChargeKind
from backhaul.billing.services import charge_add
from backhaul.catalogue.selectors import charge_in_force
from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.money import format_amount, quantize
from backhaul.customers.models import Account
from backhaul.notices.services import notice_send
from backhaul.support import rules, selectors
from backhaul.support.choices import (
    LATE_CANCELLATION,
    CancelledBy,
    EventType,
    PauseReason,
    TicketState,
    VisitOutcome,
    VisitPurpose,
    VisitState,
)
from backhaul.support.models import EngineerVisit, Ticket
from backhaul.support.services.tickets import ticket_event_add


def _pause_reasons(ticket: Ticket) -> set[str]:
    policy = selectors.ticket_policy(ticket)
    return set(policy.pause_reasons) if policy is not None else set()


@transaction.atomic
def visit_book(
    *,
    account: Account,
    slot_start: datetime,
    slot_end: datetime,
    purpose: str,
    now: datetime,
    booked_by: str = "",
    ticket: Ticket | None = None,
    subscription: Subscription | None = None,
    rescheduled_from: EngineerVisit | None = None,
) -> EngineerVisit:
    """Book an engineer appointment; a fault's clock is suspended while it is awaited.

    The slot must be in the future and, where the brand sets appointment windows, inside
    one of them. "The Fault clock will be suspended whilst the appointment is arranged
    between the customer and BT and until the completion of the engineer visit"
    (plusnet-business/broadband-schedule#7.5(c)).
    """
    if purpose not in VisitPurpose.values:
        raise InvalidInput(f"purpose: must be one of {', '.join(VisitPurpose.values)}")
    rules.check_appointment_slot(
        selectors.visit_terms(account.brand), slot_start=slot_start, slot_end=slot_end, now=now
    )
    if ticket is not None and ticket.account_id != account.pk:
        raise InvalidInput("ticket: not a ticket of this account")
    if ticket is not None and ticket.state == TicketState.CLOSED:
        raise InvalidInput(f"ticket: {ticket.reference} is closed; raise a new ticket")
    if subscription is None and ticket is not None:
        subscription = ticket.subscription
    if subscription is not None and subscription.account_id != account.pk:
        raise InvalidInput("subscription: not a service of this account")
    visit = EngineerVisit.objects.create(
        account=account,
        ticket=ticket,
        subscription=subscription,
        purpose=purpose,
        slot_start=slot_start,
        slot_end=slot_end,
        booked_at=now,
        booked_by=booked_by[:150],
        rescheduled_from=rescheduled_from,
    )
    if (
        ticket is not None
        and ticket.pending_reason == PauseReason.NO_ACCESS
        and PauseReason.AWAITING_APPOINTMENT in _pause_reasons(ticket)
    ):
        # "suspended until a new appointment is made" (7.5(d)): it is made now, and the
        # wait for it (7.5(c)) takes over.
        ticket = ticket_event_add(
            ticket=ticket,
            type=EventType.RESUMED,
            at=now,
            actor=booked_by,
            note=f"new appointment made: engineer visit {visit.pk}",
        )
    if (
        ticket is not None
        and ticket.state in (TicketState.NEW, TicketState.OPEN)
        and PauseReason.AWAITING_APPOINTMENT in _pause_reasons(ticket)
    ):
        ticket_event_add(
            ticket=ticket,
            type=EventType.PAUSED,
            reason=PauseReason.AWAITING_APPOINTMENT,
            at=now,
            actor=booked_by,
            note=f"engineer visit {visit.pk} booked",
        )
    _booking_notice(visit, now=now)
    return visit


def _booking_notice(visit: EngineerVisit, *, now: datetime) -> None:
    terms = selectors.visit_terms(visit.account.brand)
    start = timezone.localtime(visit.slot_start)
    end = timezone.localtime(visit.slot_end)
    cancel = ""
    clause = ""
    free_until = (
        rules.free_cancellation_until(terms, slot_start=visit.slot_start) if terms else None
    )
    if terms is not None and free_until is not None:
        last = timezone.localtime(free_until)
        cancel = f"To cancel or move it without charge, tell us by {last:%H:%M on %A %d %B}."
        clause = terms.late_cancellation_clause
    moved = ""
    if visit.rescheduled_from is not None:
        before = timezone.localtime(visit.rescheduled_from.slot_start)
        moved = f"This replaces the appointment on {before:%A %d %B at %H:%M}. "
    notice_send(
        key=f"support:visit:{visit.pk}:booked",
        kind="support.visit-booked",
        subject=f"Engineer appointment on {start:%A %d %B}",
        body=(
            f"{moved}An engineer will visit between {start:%H:%M} and {end:%H:%M} on "
            f"{start:%A %d %B %Y}. Please make sure someone can let them in. {cancel}\n"
        ),
        now=now,
        account=visit.account,
        clause_id=clause or None,
    )


def _charge(visit: EngineerVisit, *, outcome: str, now: datetime) -> list[dict[str, str]]:
    """Put the visit charges for this outcome on the next bill, each once."""
    brand = visit.account.brand
    terms = selectors.visit_terms(brand)
    if terms is None:
        return []
    time_on_site = visit.time_on_site or timedelta(0)
    lines = rules.visit_charges(terms, outcome=outcome, time_on_site=time_on_site)
    day = timezone.localdate(visit.slot_start)
    added = []
    for line in lines:
        charge = charge_in_force(brand, line.charge, on=day)
        amount = quantize(charge.amount * line.quantity)
        key = f"support:visit:{visit.pk}:{line.charge}"
        charge_add(
            account=visit.account,
            key=key,
            source="support",
            description=f"{charge.name}: {line.reason} ({day:%d %b %Y})",
            amount=amount,
            vat_treatment=charge.vat_treatment,
            clause_id=line.clause,
            tax_point=timezone.localdate(now),
            now=now,
            kind=ChargeKind.ONE_OFF,
            quantity=Decimal(line.quantity),
            unit_amount=charge.amount,
        )
        added.append(
            {
                "key": key,
                "charge": line.charge,
                "quantity": str(line.quantity),
                "amount": format_amount(amount),
                "vat": charge.vat_treatment,
                "clause": line.clause,
            }
        )
    return added


def _cancel_locked(
    visit: EngineerVisit, *, now: datetime, by: str, what: str = "cancelled"
) -> EngineerVisit:
    """Cancel a locked, booked visit, charging a customer who cancels too late."""
    if visit.state != VisitState.BOOKED:
        raise TransitionNotAllowed(f"visit {visit.pk} is {visit.state}, not booked")
    if by not in CancelledBy.values:
        raise InvalidInput(f"by: must be one of {', '.join(CancelledBy.values)}")
    if now >= visit.slot_start:
        start = timezone.localtime(visit.slot_start)
        raise TransitionNotAllowed(
            f"visit {visit.pk} was due at {start:%H:%M on %d %B %Y}; it cannot be {what} "
            "now: record what happened (missed, aborted, no access) instead"
        )
    visit.state = VisitState.CANCELLED
    visit.cancelled_at = now
    visit.cancelled_by = by
    terms = selectors.visit_terms(visit.account.brand)
    if (
        by == CancelledBy.CUSTOMER
        and terms is not None
        and rules.late_cancellation(terms, slot_start=visit.slot_start, cancelled_at=now)
    ):
        visit.charges = _charge(visit, outcome=LATE_CANCELLATION, now=now)
    visit.save()
    return visit


@transaction.atomic
def visit_cancel(*, visit: EngineerVisit, now: datetime, by: str, actor: str = "") -> EngineerVisit:
    """Cancel a booked visit before its slot. A customer who cancels too late pays for the
    visit (plugin/broadband-terms#5: after 1.30pm the day before; Plusnet: within 48 hours,
    plusnet-business/business-phone-charges#15(g)).

    With no other appointment booked on the ticket, the fault clock paused for it runs
    again: the wait for an appointment (7.5(c)) is over.
    """
    visit = EngineerVisit.objects.select_for_update().get(pk=visit.pk)
    visit = _cancel_locked(visit, now=now, by=by)
    ticket = visit.ticket
    if (
        ticket is not None
        and ticket.pending_reason == PauseReason.AWAITING_APPOINTMENT
        and not ticket.visits.filter(state=VisitState.BOOKED).exists()
    ):
        ticket_event_add(
            ticket=ticket,
            type=EventType.RESUMED,
            at=now,
            actor=actor,
            note=f"engineer visit {visit.pk} cancelled by the {by}",
        )
    _cancel_notice(visit, now=now)
    return visit


def _cancel_notice(visit: EngineerVisit, *, now: datetime) -> None:
    start = timezone.localtime(visit.slot_start)
    charged = ""
    if visit.charges:
        total = sum((Decimal(c["amount"]) for c in visit.charges), Decimal(0))
        charged = (
            f" As it was cancelled after the free cancellation time, the visit charge of "
            f"£{format_amount(total)} (before any VAT) will be on your next bill."
        )
    notice_send(
        key=f"support:visit:{visit.pk}:cancelled",
        kind="support.visit-cancelled",
        subject=f"Engineer appointment on {start:%A %d %B} cancelled",
        body=(
            f"The engineer appointment on {start:%A %d %B %Y} at {start:%H:%M} is cancelled."
            f"{charged}\n"
        ),
        now=now,
        account=visit.account,
        clause_id=(visit.charges[0]["clause"] if visit.charges else None),
    )


@transaction.atomic
def visit_reschedule(
    *,
    visit: EngineerVisit,
    slot_start: datetime,
    slot_end: datetime,
    now: datetime,
    by: str,
    actor: str = "",
) -> EngineerVisit:
    """Move a booked visit to a new slot: the old appointment is cancelled and a new one
    booked in its place, and the fault clock stays paused for it (7.5(c)).

    Moving an appointment cancels it, so a customer who moves it after the free
    cancellation time pays the late cancellation charge for the original slot
    (plugin/broadband-terms#5, plusnet-business/business-phone-charges#15(g)). Returns
    the new visit.
    """
    visit = (
        EngineerVisit.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .get(pk=visit.pk)
    )
    if visit.state != VisitState.BOOKED:
        raise TransitionNotAllowed(f"visit {visit.pk} is {visit.state}, not booked")
    rules.check_appointment_slot(
        selectors.visit_terms(visit.account.brand),
        slot_start=slot_start,
        slot_end=slot_end,
        now=now,
    )
    old = _cancel_locked(visit, now=now, by=by, what="moved")
    return visit_book(
        account=old.account,
        slot_start=slot_start,
        slot_end=slot_end,
        purpose=old.purpose,
        now=now,
        booked_by=actor,
        ticket=old.ticket,
        subscription=old.subscription,
        rescheduled_from=old,
    )


@transaction.atomic
def visit_complete(
    *,
    visit: EngineerVisit,
    outcome: str,
    now: datetime,
    actor: str = "",
    time_on_site: timedelta | None = None,
) -> EngineerVisit:
    """Record what happened at the visit, charge what the customer pays for, and restart
    the fault clock: a completed visit ends the wait (7.5(c)); no access at the slot keeps
    it suspended until a new appointment is made (7.5(d))."""
    visit = EngineerVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.state != VisitState.BOOKED:
        raise TransitionNotAllowed(f"visit {visit.pk} is {visit.state}, not booked")
    if outcome not in VisitOutcome.values:
        raise InvalidInput(f"outcome: must be one of {', '.join(VisitOutcome.values)}")
    if time_on_site is not None and time_on_site < timedelta(0):
        raise InvalidInput("time_on_site: must not be negative")
    if now < visit.slot_start:
        start = timezone.localtime(visit.slot_start)
        raise InvalidInput(
            f"outcome: the appointment is at {start:%H:%M on %d %B %Y}; record what happened "
            "once it is due, or cancel or move it"
        )
    visit.state = VisitState.COMPLETED
    visit.outcome = outcome
    visit.time_on_site = time_on_site
    visit.completed_at = now
    visit.charges = _charge(visit, outcome=outcome, now=now)
    visit.save()
    ticket = visit.ticket
    if ticket is not None and ticket.pending_reason == PauseReason.AWAITING_APPOINTMENT:
        ticket_event_add(ticket=ticket, type=EventType.RESUMED, at=now, actor=actor)
        if outcome == VisitOutcome.NO_ACCESS and PauseReason.NO_ACCESS in _pause_reasons(ticket):
            ticket.refresh_from_db()
            ticket_event_add(
                ticket=ticket,
                type=EventType.PAUSED,
                reason=PauseReason.NO_ACCESS,
                at=now,
                actor=actor,
                note=f"no access at engineer visit {visit.pk}",
            )
    return visit
