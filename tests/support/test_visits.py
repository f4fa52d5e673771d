"""Engineer visits through the services: booking checks, moving and cancelling an
appointment, what a cancellation costs, and the fault clock while a visit is awaited.

PlugIn: £100 + VAT per visit, free cancellation until 13:30 the day before
(broadband-terms#5). Plusnet: £95 call out then £65 an hour or part (business-phone-charges
#14), free cancellation until 48 hours before (#15(g)). London wall-clock times.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from backhaul.billing.models import PendingCharge
from backhaul.catalogue.models import RuleSection
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.money import Taxed
from backhaul.notices.models import Notice
from backhaul.support import selectors
from backhaul.support.choices import AuthorKind, CancelledBy, VisitOutcome, VisitPurpose
from backhaul.support.services import (
    ticket_reply,
    visit_book,
    visit_cancel,
    visit_complete,
    visit_reschedule,
)
from tests.support.factories import fault, london, plugin_line, plusnet_enhanced

pytestmark = pytest.mark.django_db


def _book(account, ticket, day: int, hour: int = 8, *, now=None):
    return visit_book(
        account=account,
        ticket=ticket,
        slot_start=london(2026, 11, day, hour),
        slot_end=london(2026, 11, day, hour + 5),
        purpose=VisitPurpose.REPAIR,
        now=now or london(2026, 11, 2, 10),
        booked_by="Sam",
    )


def _answered_fault(account, line):
    ticket = fault(account, line, london(2026, 11, 2, 9))
    ticket_reply(
        ticket=ticket,
        author_kind=AuthorKind.STAFF,
        author_name="Sam",
        body="Booking an engineer.",
        now=london(2026, 11, 2, 9, 30),
    )
    ticket.refresh_from_db()
    return ticket


def _support_charges(account):
    return list(
        PendingCharge.objects.filter(account=account, source="support")
        .order_by("id")
        .values_list("amount", "clause__clause_id")
    )


def test_booking_refuses_a_past_slot_and_a_closed_ticket() -> None:
    account, line = plugin_line()
    ticket = _answered_fault(account, line)
    with pytest.raises(
        InvalidInput, match=r"^slot_start: 08:00 on 02 November 2026 is in the past"
    ):
        _book(account, ticket, 2, now=london(2026, 11, 2, 10))
    with pytest.raises(InvalidInput, match=r"^slot_end: the appointment must end after it starts"):
        visit_book(
            account=account,
            ticket=ticket,
            slot_start=london(2026, 11, 10, 13),
            slot_end=london(2026, 11, 10, 8),
            purpose=VisitPurpose.REPAIR,
            now=london(2026, 11, 2, 10),
        )
    other, _ = plusnet_enhanced()
    with pytest.raises(InvalidInput, match=r"^ticket: not a ticket of this account"):
        _book(other, ticket, 10)


def test_booking_inside_the_brands_appointment_windows() -> None:
    # A brand that sets windows (here 08:00-13:00 and 13:00-18:00, Monday to Saturday)
    # refuses a slot across them; without windows any future slot is booked.
    account, line = plugin_line()
    ticket = _answered_fault(account, line)
    section = RuleSection.objects.get(brand=account.brand, key="engineer_visits")
    section.params = {
        **section.params,
        "appointment_windows": [["08:00", "13:00"], ["13:00", "18:00"]],
        "appointment_days": ["mon", "tue", "wed", "thu", "fri", "sat"],
    }
    section.save()
    with pytest.raises(
        InvalidInput, match=r"^slot_start: 11:00-16:00 on Tuesday 10 November is outside"
    ):
        _book(account, ticket, 10, hour=11)
    visit = _book(account, ticket, 10, hour=8)
    assert visit.slot_end == london(2026, 11, 10, 13)


def test_cancelling_resumes_the_clock_and_a_late_customer_cancellation_is_charged() -> None:
    account, line = plugin_line()
    ticket = _answered_fault(account, line)
    visit = _book(account, ticket, 10)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.pending_reason) == ("pending", "awaiting_appointment")
    # Mon 9 Nov 13:31, a minute after the free cancellation time: £100 + £20 VAT.
    quote = selectors.visit_cancellation_quote(visit, at=london(2026, 11, 9, 13, 31))
    assert quote.late and quote.free_until == london(2026, 11, 9, 13, 30)
    assert quote.total == Taxed(Decimal("100.00"), Decimal("20.00"), Decimal("120.00"))
    assert quote.clause == "plugin/broadband-terms#5"
    in_time = selectors.visit_cancellation_quote(visit, at=london(2026, 11, 9, 13, 30))
    assert not in_time.late and in_time.total == Taxed.zero()
    visit_cancel(visit=visit, now=london(2026, 11, 9, 13, 31), by=CancelledBy.CUSTOMER)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.pending_reason) == ("open", "")
    assert _support_charges(account) == [(Decimal("100.00"), "plugin/broadband-terms#5")]
    notice = Notice.objects.get(kind="support.visit-cancelled")
    assert "£100.00 (before any VAT)" in notice.body


def test_moving_a_visit_keeps_the_clock_paused_and_charges_a_late_customer_move() -> None:
    # Plusnet: booked for Tue 10 Nov 08:00; the customer moves it on Sun 8 Nov 09:00, less
    # than 48 hours before: the call out for the original slot is charged (15(g)).
    account, line = plusnet_enhanced()
    ticket = _answered_fault(account, line)
    visit = _book(account, ticket, 10)
    moved = visit_reschedule(
        visit=visit,
        slot_start=london(2026, 11, 12, 13),
        slot_end=london(2026, 11, 12, 18),
        now=london(2026, 11, 8, 9),
        by=CancelledBy.CUSTOMER,
        actor="Sam",
    )
    visit.refresh_from_db()
    assert (visit.state, visit.cancelled_by) == ("cancelled", "customer")
    assert moved.rescheduled_from == visit and moved.state == "booked"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.pending_reason) == ("pending", "awaiting_appointment")
    assert _support_charges(account) == [
        (Decimal("95.00"), "plusnet-business/business-phone-charges#15(g)")
    ]
    assert "This replaces the appointment on Tuesday 10 November at 08:00" in (
        Notice.objects.get(key=f"support:visit:{moved.pk}:booked").body
    )
    # Moved again by us, in time or not, costs the customer nothing.
    third = visit_reschedule(
        visit=moved,
        slot_start=london(2026, 11, 13, 8),
        slot_end=london(2026, 11, 13, 13),
        now=london(2026, 11, 12, 9),
        by=CancelledBy.PROVIDER,
    )
    assert third.rescheduled_from == moved
    assert len(_support_charges(account)) == 1
    # The whole wait, Mon 10:00 to now, is given back: 30 minutes used before the booking.
    sla = selectors.ticket_sla(ticket, at=london(2026, 11, 12, 12))
    assert sla.resolution.used == timedelta(hours=1)


def test_a_visit_cannot_be_cancelled_or_moved_once_due_nor_completed_before() -> None:
    account, line = plugin_line()
    ticket = _answered_fault(account, line)
    visit = _book(account, ticket, 10)
    with pytest.raises(InvalidInput, match=r"^outcome: the appointment is at 08:00 on 10 November"):
        visit_complete(
            visit=visit, outcome=VisitOutcome.FAULT_NOT_CONFIRMED, now=london(2026, 11, 9, 9)
        )
    with pytest.raises(TransitionNotAllowed, match="record what happened"):
        visit_cancel(visit=visit, now=london(2026, 11, 10, 8), by=CancelledBy.CUSTOMER)
    with pytest.raises(TransitionNotAllowed, match="cannot be moved"):
        visit_reschedule(
            visit=visit,
            slot_start=london(2026, 11, 12, 8),
            slot_end=london(2026, 11, 12, 13),
            now=london(2026, 11, 10, 9),
            by=CancelledBy.PROVIDER,
        )
    # Customer equipment at fault: £100 + VAT (broadband-terms#5); the clock runs again.
    visit_complete(
        visit=visit, outcome=VisitOutcome.FAULT_NOT_SERVICE, now=london(2026, 11, 10, 12)
    )
    ticket.refresh_from_db()
    assert ticket.state == "open"
    assert _support_charges(account) == [(Decimal("100.00"), "plugin/broadband-terms#5")]
    with pytest.raises(TransitionNotAllowed, match="not booked"):
        visit_cancel(visit=visit, now=london(2026, 11, 10, 13), by=CancelledBy.CUSTOMER)


def test_outcome_charges_for_the_plusnet_aborted_and_missed_visits() -> None:
    # No access (15(d)): £95 call out. Missed by Plusnet: nothing to pay.
    account, line = plusnet_enhanced()
    ticket = _answered_fault(account, line)
    first = _book(account, ticket, 4)
    visit_complete(visit=first, outcome=VisitOutcome.NO_ACCESS, now=london(2026, 11, 4, 13))
    ticket.refresh_from_db()
    assert (ticket.state, ticket.pending_reason) == ("pending", "no_access")
    second = _book(account, ticket, 6, now=london(2026, 11, 4, 14))
    ticket.refresh_from_db()
    # The new appointment ends the no-access pause (7.5(d)); its wait pauses the clock (c).
    assert (ticket.state, ticket.pending_reason) == ("pending", "awaiting_appointment")
    visit_complete(
        visit=second, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 11, 6, 13)
    )
    ticket.refresh_from_db()
    assert ticket.state == "open"
    assert _support_charges(account) == [
        (Decimal("95.00"), "plusnet-business/business-phone-charges#15(d)")
    ]
