"""Engineer visits, reopening and phone compensation through the pages: the staff console
forms (errors next to the field they name) and the Member Centre ticket page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.billing.models import PendingCharge
from backhaul.catalogue.models import RuleSection
from backhaul.contracts.services import subscription_create
from backhaul.support.choices import AuthorKind, ClaimStatus, EventType, VisitOutcome
from backhaul.support.models import Claim, EngineerVisit, Ticket
from backhaul.support.services import (
    ticket_event_add,
    ticket_reply,
    visit_book,
    visit_complete,
)
from tests.support.factories import fault, london, plugin_line, plusnet_enhanced
from tests.support.test_views import YES, sign_in

pytestmark = pytest.mark.django_db


def field_error(html: str, field: str) -> str | None:
    """The error shown inside the field's own block, just after its label."""
    found = re.search(
        rf'<label for="id_{field}"[^>]*>.*?<ul class="errorlist" role="alert"[^>]*>'
        rf"<li>(.*?)</li>",
        html,
        re.S,
    )
    return found.group(1) if found else None


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser(username="boss", password="x"))
    return client


def _answered(account, line, at):
    ticket = fault(account, line, at)
    ticket_reply(
        ticket=ticket, author_kind=AuthorKind.STAFF, author_name="Sam", body="On it.", now=at
    )
    ticket.refresh_from_db()
    return ticket


def _booked(account, line):
    """A fault reported on 2 Nov 09:00, answered, and a repair visit booked at 10:00 for the
    morning of 10 Nov (08:00-13:00)."""
    ticket = _answered(account, line, london(2026, 11, 2, 9))
    visit = visit_book(
        account=account,
        ticket=ticket,
        slot_start=london(2026, 11, 10, 8),
        slot_end=london(2026, 11, 10, 13),
        purpose="repair",
        now=london(2026, 11, 2, 10),
    )
    return ticket, visit


# Staff console -------------------------------------------------------------------------------


def test_console_booking_shows_each_error_next_to_its_field(staff) -> None:
    account, line = plugin_line()
    ticket = _answered(account, line, london(2026, 11, 2, 9))
    url = reverse("admin:support_engineervisit_book")
    with time_machine.travel(london(2026, 11, 5, 9), tick=False):
        page = staff.get(f"{url}?ticket={ticket.reference}").content.decode()
        assert f'value="{ticket.reference}"' in page
        unknown = staff.post(
            url,
            {"ticket": "PI-T999999", "purpose": "repair", "slot_start": "2026-11-10T08:00",
             "slot_end": "2026-11-10T13:00", **YES},
        ).content.decode()  # fmt: skip
        past = staff.post(
            url,
            {"ticket": ticket.reference, "purpose": "repair", "slot_start": "2026-11-04T08:00",
             "slot_end": "2026-11-04T13:00", **YES},
        ).content.decode()  # fmt: skip
        section = RuleSection.objects.get(brand=account.brand, key="engineer_visits")
        section.params = {**section.params, "appointment_windows": [["08:00", "13:00"]]}
        section.save()
        outside = staff.post(
            url,
            {"ticket": ticket.reference, "purpose": "repair", "slot_start": "2026-11-10T12:00",
             "slot_end": "2026-11-10T15:00", **YES},
        ).content.decode()  # fmt: skip
        booked = staff.post(
            url,
            {"ticket": ticket.reference.lower(), "purpose": "repair",
             "slot_start": "2026-11-10T08:00", "slot_end": "2026-11-10T13:00", **YES},
        )  # fmt: skip
    assert field_error(unknown, "ticket") == "Unknown ticket &#x27;PI-T999999&#x27;."
    assert field_error(past, "slot_start") == (
        "08:00 on 04 November 2026 is in the past; book a later appointment"
    )
    assert field_error(outside, "slot_start").startswith(
        "12:00-15:00 on Tuesday 10 November is outside the appointment windows (08:00-13:00"
    )
    visit = EngineerVisit.objects.get()
    assert booked["Location"] == reverse("admin:support_ticket_act", args=[ticket.pk])
    assert (visit.ticket, visit.slot_start, visit.booked_by) == (
        ticket,
        london(2026, 11, 10, 8),
        "boss",
    )
    ticket.refresh_from_db()
    assert ticket.pending_reason == "awaiting_appointment"


def test_console_records_outcomes_and_late_cancellations(staff) -> None:
    account, line = plugin_line()
    ticket, visit = _booked(account, line)
    url = reverse("admin:support_engineervisit_update", args=[visit.pk])
    with time_machine.travel(london(2026, 11, 9, 14), tick=False):
        page = staff.get(url).content.decode()
        no_outcome = staff.post(url, {"action": "complete", **YES}).content.decode()
        no_slot = staff.post(url, {"action": "reschedule-customer", **YES}).content.decode()
        cancelled = staff.post(url, {"action": "cancel-customer", **YES})
    assert "a customer cancellation now costs £100.00 + £20.00 VAT = £120.00" in page
    assert field_error(no_outcome, "outcome") == "Choose what happened at the visit."
    assert field_error(no_slot, "slot_start") == "Give the new appointment time."
    assert cancelled.status_code == 302
    charge = PendingCharge.objects.get(account=account, source="support")
    assert (charge.amount, charge.clause.clause_id) == (
        Decimal("100.00"),
        "plugin/broadband-terms#5",
    )
    # The ticket page lists the visit and links to booking another.
    act = staff.get(reverse("admin:support_ticket_act", args=[ticket.pk])).content.decode()
    assert "Cancelled" in act and "Book an engineer visit" in act


def test_console_outcome_before_the_slot_is_refused_at_the_outcome_field(staff) -> None:
    account, line = plusnet_enhanced()
    _ticket, visit = _booked(account, line)
    url = reverse("admin:support_engineervisit_update", args=[visit.pk])
    with time_machine.travel(london(2026, 11, 9, 14), tick=False):
        early = staff.post(
            url, {"action": "complete", "outcome": "fault-not-confirmed", **YES}
        ).content.decode()
    assert field_error(early, "outcome").startswith("The appointment is at 08:00 on 10 November")
    with time_machine.travel(london(2026, 11, 10, 12), tick=False):
        staff.post(
            url,
            {"action": "complete", "outcome": "fault-not-confirmed", "minutes_on_site": "130",
             **YES},
        )  # fmt: skip
    # 2 h 10 min, no fault found: £95 call out and 2 hours or part at £65 (#14, #15(f)).
    assert list(
        PendingCharge.objects.filter(account=account, source="support")
        .order_by("id")
        .values_list("amount", flat=True)
    ) == [Decimal("95.00"), Decimal("130.00")]


def test_staff_reopen_a_resolved_ticket_from_its_page(staff) -> None:
    account, line = plusnet_enhanced()
    ticket = _answered(account, line, london(2026, 11, 2, 9))
    ticket_event_add(ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 2, 15), actor="S")
    url = reverse("admin:support_ticket_act", args=[ticket.pk])
    with time_machine.travel(london(2026, 11, 3, 10), tick=False):
        empty = staff.post(url, {"action": "reopen", "reason": "", "body": "", **YES})
        staff.post(url, {"action": "reopen", "reason": "", "body": "Still no sync.", **YES})
    assert field_error(empty.content.decode(), "body") == "Must not be empty"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.resolved_at) == ("open", None)
    assert ticket.events.filter(type=EventType.REOPENED, actor="boss").exists()


# Member Centre -------------------------------------------------------------------------------


def test_customer_sees_the_visit_and_cancels_after_seeing_the_charge(client) -> None:
    account, line = plugin_line()
    sign_in(client, account)
    ticket, visit = _booked(account, line)
    page_url = reverse("support:ticket", args=[ticket.reference])
    cancel_url = reverse("support:visit-cancel", args=[ticket.reference, visit.pk])
    with time_machine.travel(london(2026, 11, 5, 9), tick=False):
        page = client.get(page_url).content.decode()
    assert "Tuesday 10 November 2026, 08:00 to 13:00" in page
    assert "You can cancel free of charge until 13:30 on Monday 9 November" in page
    assert cancel_url in page
    with time_machine.travel(london(2026, 11, 9, 14), tick=False):
        page = client.get(page_url).content.decode()
        confirm = client.get(cancel_url).content.decode()
        stale = client.post(cancel_url, {"quoted": "0.00"})
    assert "cancelling now costs £120.00 including VAT" in page
    assert "The time to cancel free of charge has passed" in confirm
    assert "<strong>£120.00</strong>" in confirm and "Cancel and pay £120.00" in confirm
    # A page shown before the cut-off (free) is not taken as agreement to pay.
    assert stale.status_code == 409
    visit.refresh_from_db()
    assert visit.state == "booked"
    with time_machine.travel(london(2026, 11, 9, 14, 5), tick=False):
        done = client.post(cancel_url, {"quoted": "120.00"})
    assert done["Location"] == page_url
    visit.refresh_from_db()
    assert (visit.state, visit.cancelled_by) == ("cancelled", "customer")
    assert PendingCharge.objects.get(account=account, source="support").amount == Decimal("100.00")


def test_customers_cannot_reach_another_accounts_visit(client) -> None:
    account, line = plugin_line()
    ticket, visit = _booked(account, line)
    other, _ = plusnet_enhanced()
    sign_in(client, other)
    url = reverse("support:visit-cancel", args=[ticket.reference, visit.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"quoted": "0.00"}).status_code == 404
    visit.refresh_from_db()
    assert visit.state == "booked"


def test_customer_reopens_a_resolved_ticket(client) -> None:
    account, line = plusnet_enhanced()
    sign_in(client, account)
    ticket = _answered(account, line, london(2026, 11, 2, 9))
    ticket_event_add(ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 2, 15), actor="S")
    page_url = reverse("support:ticket", args=[ticket.reference])
    reopen_url = reverse("support:ticket-reopen", args=[ticket.reference])
    with time_machine.travel(london(2026, 11, 3, 10), tick=False):
        page = client.get(page_url).content.decode()
        empty = client.post(reopen_url, {"reason": ""})
        done = client.post(reopen_url, {"reason": "The light is red again."})
        after = client.get(page_url).content.decode()
    assert reopen_url in page and "Not fixed? Reopen the ticket" in page
    assert empty.status_code == 400
    assert field_error(empty.content.decode(), "reason") == "This field is required."
    assert done["Location"] == page_url
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.state == "open"
    assert "Reopened: The light is red again." in after and reopen_url not in after


def test_customer_claims_phone_compensation_on_the_fault(client) -> None:
    account, _ = plusnet_enhanced()
    sign_in(client, account)
    phone = subscription_create(
        account_number=account.number,
        product_key="business-phone-line",
        start=date(2025, 1, 15),
        now=london(2026, 1, 5),
    )
    ticket = _answered(account, phone, london(2026, 11, 2, 10))
    visit = visit_book(
        account=account,
        ticket=ticket,
        slot_start=london(2026, 11, 3, 8),
        slot_end=london(2026, 11, 3, 13),
        purpose="repair",
        now=london(2026, 11, 2, 11),
    )
    visit_complete(
        visit=visit, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 11, 3, 13)
    )
    page_url = reverse("support:ticket", args=[ticket.reference])
    claim_url = reverse("support:ticket-phone-claim", args=[ticket.reference])
    with time_machine.travel(london(2026, 11, 4, 9), tick=False):
        page = client.get(page_url).content.decode()
        missing = client.post(claim_url, {})
        done = client.post(claim_url, {"visit": visit.pk})
        after = client.get(page_url).content.decode()
    assert "Compensation for a missed engineer appointment" in page
    assert "up to £180.00 a year" in page and "Claim by 2 December 2026" in page
    assert "Tuesday 03 November 2026, 08:00-13:00 (engineer did not attend)" in page
    assert missing.status_code == 400
    assert field_error(missing.content.decode(), "visit") == "This field is required."
    assert done["Location"] == page_url
    claim = Claim.objects.get()
    assert (claim.kind, claim.status, claim.ticket) == (
        "phone-compensation",
        ClaimStatus.PENDING,
        ticket,
    )
    # The decision and its reasons are on the ticket page; the form is gone.
    assert "Phone compensation: <span" in after and "Awaiting a decision" in after
    assert "plusnet-business/business-phone-schedule#2.2" in after
    assert claim_url not in after
