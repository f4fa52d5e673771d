"""Support services against the loaded catalogues: tickets, claims, visits, complaints,
automatic compensation and the daily jobs. Times are London wall-clock times."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from backhaul.billing.models import PendingCharge
from backhaul.contracts.services import subscription_create
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.customers.services import account_create
from backhaul.notices.models import Notice
from backhaul.scheduler.registry import run_day
from backhaul.support import selectors
from backhaul.support.choices import (
    AuthorKind,
    CancelledBy,
    ClaimKind,
    ClaimStatus,
    ComplaintOutcome,
    EventType,
    RaisedVia,
    TicketCategory,
    VisitOutcome,
    VisitPurpose,
)
from backhaul.support.http_check import CheckResult
from backhaul.support.models import Claim, Complaint, TicketEvent
from backhaul.support.services import (
    Upload,
    check_record,
    claim_decide,
    claim_make,
    claim_phone_compensation,
    complaint_escalate,
    complaint_resolve,
    complaint_respond,
    complaints_adr_due,
    hosting_uptime_monthly,
    ofcom_compensate,
    ofcom_for_provision,
    site_add,
    ticket_confirm,
    ticket_event_add,
    ticket_raise,
    ticket_reply,
    tickets_auto_close,
    visit_book,
    visit_cancel,
    visit_complete,
)
from tests.support.factories import fault, london, plugin_line, plusnet_enhanced

pytestmark = pytest.mark.django_db


def respond(ticket, at):
    return ticket_reply(
        ticket=ticket, author_kind=AuthorKind.STAFF, author_name="Sam", body="On it.", now=at
    )


def resolve(ticket, at):
    ticket.refresh_from_db()
    return ticket_event_add(ticket=ticket, type=EventType.RESOLVED, at=at, actor="Sam")


def credits_for(account):
    return list(
        PendingCharge.objects.filter(account=account, kind="credit")
        .order_by("id")
        .values_list("amount", "clause__clause_id", "vat_treatment")
    )


# Tickets -------------------------------------------------------------------------------------


def test_raising_a_fault_gives_a_reference_and_starts_the_clock() -> None:
    account, line = plusnet_enhanced()
    ticket = ticket_raise(
        account=account,
        category=TicketCategory.FAULT,
        subject="No sync light",
        body="Red light since 7am.",
        now=london(2026, 11, 2, 9),
        raised_via=RaisedVia.PORTAL,
        raised_by="Pat Calder",
        subscription=line,
        uploads=[Upload("router.jpg", "image/jpeg", b"\xff\xd8photo")],
    )
    assert ticket.reference == "PB-T000001"
    assert (ticket.care_level, ticket.state, ticket.contact.nominated) == ("enhanced", "new", True)
    assert list(ticket.events.values_list("type", flat=True)) == ["created"]
    attachment = ticket.messages.get().attachments.get()
    assert (attachment.filename, attachment.size) == ("router.jpg", 7)
    notice = Notice.objects.get(key="ticket:PB-T000001:raised")
    assert notice.recipient == account.primary_email
    assert notice.clause.clause_id == "plusnet-business/broadband-schedule#7.6"
    # The clock reads 30 working minutes at 09:30 with 30 left of the 1-hour response.
    sla = selectors.ticket_sla(ticket, at=london(2026, 11, 2, 9, 30))
    assert (sla.response.used, sla.response.remaining) == (timedelta(minutes=30),) * 2


def test_a_fault_needs_the_affected_service() -> None:
    account, _ = plusnet_enhanced()
    with pytest.raises(InvalidInput, match="service: choose the service that has the fault"):
        ticket_raise(
            account=account,
            category=TicketCategory.FAULT,
            subject="Down",
            body="Down.",
            now=london(2026, 11, 2, 9),
            raised_via=RaisedVia.PHONE,
        )


def test_staff_reply_is_the_response_and_the_log_is_validated() -> None:
    account, line = plusnet_enhanced()
    ticket = fault(account, line, london(2026, 11, 2, 9))
    respond(ticket, london(2026, 11, 2, 9, 40))
    ticket.refresh_from_db()
    assert (ticket.state, ticket.first_response_at) == ("open", london(2026, 11, 2, 9, 40))
    with pytest.raises(InvalidInput, match="reason: a pause needs one of"):
        ticket_event_add(
            ticket=ticket, type=EventType.PAUSED, at=london(2026, 11, 2, 10), actor="S"
        )
    with pytest.raises(TransitionNotAllowed, match="resumed without paused"):
        ticket_event_add(
            ticket=ticket, type=EventType.RESUMED, at=london(2026, 11, 2, 10), actor="S"
        )
    with pytest.raises(TransitionNotAllowed, match="out of order"):
        ticket_event_add(
            ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 2, 9), actor="S"
        )
    assert TicketEvent.objects.filter(ticket=ticket).count() == 2


def test_resolution_notice_states_the_claim_window_and_confirmation_closes() -> None:
    account, line = plusnet_enhanced()
    ticket = fault(account, line, london(2026, 11, 2, 9))
    respond(ticket, london(2026, 11, 2, 9, 20))
    ticket = resolve(ticket, london(2026, 11, 2, 15))
    assert (ticket.state, ticket.auto_close_at) == ("resolved", london(2026, 11, 9, 20))
    notice = Notice.objects.get(key=f"ticket:{ticket.reference}:resolved")
    # Five working days after Mon 2 Nov: Tue 3 to Mon 9 Nov (7.21).
    assert "claim by 09 November 2026" in notice.body
    assert notice.clause.clause_id == "plusnet-business/broadband-schedule#7.21"
    ticket = ticket_confirm(ticket=ticket, now=london(2026, 11, 3, 8), by="Pat")
    assert (ticket.state, ticket.close_reason) == ("closed", "confirmed")
    with pytest.raises(TransitionNotAllowed, match="closed"):
        respond(ticket, london(2026, 11, 3, 9))


def test_auto_close_job_closes_once_and_replays_change_nothing() -> None:
    account, line = plusnet_enhanced()
    ticket = fault(account, line, london(2026, 11, 2, 9))
    respond(ticket, london(2026, 11, 2, 9, 20))
    resolve(ticket, london(2026, 11, 2, 15))
    assert tickets_auto_close(on=date(2026, 11, 6), now=london(2026, 11, 6, 2)) == {"closed": 0}
    assert tickets_auto_close(on=date(2026, 11, 9), now=london(2026, 11, 10, 2)) == {"closed": 1}
    ticket.refresh_from_db()
    assert (ticket.state, ticket.closed_at, ticket.close_reason) == (
        "closed",
        london(2026, 11, 9, 20),
        "auto-close",
    )
    results = run_day(
        on=date(2026, 11, 9), now=london(2026, 11, 10, 3), only={"support.auto_close"}
    )
    assert results["support.auto_close"] == {"closed": 0}
    assert Notice.objects.filter(kind="support.ticket-closed").count() == 1


# Service credits -----------------------------------------------------------------------------


def _missed_response_fault(account, line, day: int):
    # Raised 09:00, first response 11:00: two working hours against the 1-hour response
    # (broadband-schedule#7.1); resolved 15:00.
    ticket = fault(account, line, london(2026, 11, day, 9), subject=f"Down on {day} Nov")
    respond(ticket, london(2026, 11, day, 11))
    return resolve(ticket, london(2026, 11, day, 15))


def test_service_credits_hit_the_monthly_cap() -> None:
    # Three faults registered in November 2026 on a £26.50 line, each with a missed
    # response. One month's subscription per calendar month (7.22): £20.00, then
    # £26.50 - £20.00 = £6.50, then nothing.
    account, line = plusnet_enhanced()
    decided = []
    for day, claimed in ((2, 3), (4, 5), (6, 9)):
        ticket = _missed_response_fault(account, line, day)
        claim = claim_make(ticket=ticket, now=london(2026, 11, claimed, 10), claimed_by="Pat")
        assert claim.status == ClaimStatus.PENDING
        decided.append(
            claim_decide(claim=claim, now=london(2026, 11, claimed, 12), decided_by="Lee")
        )
    assert [(c.status, c.amount) for c in decided] == [
        ("accepted", Decimal("20.00")),
        ("accepted", Decimal("6.50")),
        ("rejected", Decimal("0.00")),
    ]
    assert [r["code"] for r in decided[2].reasons] == ["missed", "monthly-cap"]
    assert credits_for(account) == [
        (Decimal("-20.00"), "plusnet-business/broadband-schedule#7.19", "exclusive"),
        (Decimal("-6.50"), "plusnet-business/broadband-schedule#7.19", "exclusive"),
    ]


def test_claim_one_working_day_late_is_rejected_at_once() -> None:
    # Resolved Mon 2 Nov: the last day to claim is Mon 9 Nov (7.21); Tue 10 Nov is late.
    account, line = plusnet_enhanced()
    in_time = _missed_response_fault(account, line, 2)
    late = _missed_response_fault(account, line, 3)
    ok = claim_make(ticket=in_time, now=london(2026, 11, 9, 19), claimed_by="Pat")
    # Resolved Tue 3 Nov: Wed 4 ... Tue 10 Nov is the last day; Wed 11 Nov is one day late.
    refused = claim_make(ticket=late, now=london(2026, 11, 11, 9), claimed_by="Pat")
    assert ok.status == ClaimStatus.PENDING
    assert refused.status == ClaimStatus.REJECTED
    assert refused.reasons[0]["code"] == "late"
    assert refused.reasons[0]["clause"] == "plusnet-business/broadband-schedule#7.21"
    assert credits_for(account) == []


def test_one_claim_per_fault_and_exclusions_are_recorded() -> None:
    account, line = plusnet_enhanced()
    ticket = _missed_response_fault(account, line, 2)
    claim = claim_make(ticket=ticket, now=london(2026, 11, 3, 10), claimed_by="Pat")
    with pytest.raises(TransitionNotAllowed, match="one claim per fault"):
        claim_make(ticket=ticket, now=london(2026, 11, 3, 11), claimed_by="Pat")
    claim = claim_decide(
        claim=claim,
        now=london(2026, 11, 4, 9),
        decided_by="Lee",
        exclusions=["scheduled-maintenance"],
    )
    assert claim.status == ClaimStatus.REJECTED
    assert claim.reasons[0]["clause"] == "plusnet-business/broadband-schedule#7.26(a)"
    assert Notice.objects.filter(kind="support.claim-rejected", account=account).count() == 1


def test_standard_care_faults_carry_no_credit() -> None:
    account = account_create(
        brand_key="plusnet-business",
        name="Upton Motors",
        email="a@upton.example.com",
        now=london(2026, 1, 5),
    )
    line = subscription_create(
        account_number=account.number,
        product_key="mps-option-2",
        term=36,
        market="3",
        start=date(2025, 1, 15),
        now=london(2026, 1, 5),
    )
    ticket = fault(account, line, london(2026, 11, 2, 9))
    assert ticket.care_level == "standard"
    resolve(ticket, london(2026, 11, 2, 15))
    with pytest.raises(InvalidInput, match="standard care carries no service credit"):
        claim_make(ticket=ticket, now=london(2026, 11, 3, 9), claimed_by="Pat")


# PlugIn: Uptime Guarantee and Ofcom automatic compensation ----------------------------------


def test_uptime_guarantee_claim_becomes_a_credit_note() -> None:
    # Reported Thu 2 Apr 2026 15:00, answered 15:30, fixed Fri 10 Apr 12:00: 189 hours,
    # far over the 24-hour Openreach fix (uptime-guarantee#terms-3). Eight 24-hour
    # periods or part at 1/30 of £24.99: 24.99 x 8 / 30 = 6.664 -> £6.66.
    account, line = plugin_line()
    ticket = fault(account, line, london(2026, 4, 2, 15))
    respond(ticket, london(2026, 4, 2, 15, 30))
    resolve(ticket, london(2026, 4, 10, 12))
    claim = claim_make(ticket=ticket, now=london(2026, 4, 13, 9), claimed_by="Jo")
    assert (claim.kind, claim.status) == (ClaimKind.UPTIME_GUARANTEE, ClaimStatus.PENDING)
    claim = claim_decide(claim=claim, now=london(2026, 4, 13, 11), decided_by="Lee")
    assert (claim.status, claim.amount) == ("accepted", Decimal("6.66"))
    assert credits_for(account) == [
        (Decimal("-6.66"), "plugin/uptime-guarantee#terms", "exclusive")
    ]


def test_ofcom_late_repair_and_missed_appointment_for_residential_customers() -> None:
    # Reported Thu 2 Apr 2026 15:00; the two full working days are Tue 7 and Wed 8 (Good
    # Friday and Easter Monday are bank holidays); fixed Fri 10 Apr: Thu 9 and Fri 10 at
    # £9.76 (the amount from April 2024, an example) = £19.52.
    account, line = plugin_line()
    ticket = fault(account, line, london(2026, 4, 2, 15))
    respond(ticket, london(2026, 4, 2, 15, 30))
    visit = visit_book(
        account=account,
        ticket=ticket,
        slot_start=london(2026, 4, 8, 8),
        slot_end=london(2026, 4, 8, 13),
        purpose=VisitPurpose.REPAIR,
        now=london(2026, 4, 2, 16),
    )
    visit_complete(visit=visit, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 4, 8, 13))
    resolve(ticket, london(2026, 4, 10, 12))
    # The repair is paid when the fault closes (a reopened fix would not be a repair).
    assert ofcom_compensate(on=date(2026, 4, 10), now=london(2026, 4, 10, 12, 30)) == {
        "late_repairs": 0,
        "missed_appointments": 1,
        "late_provisions": 0,
    }
    ticket.refresh_from_db()
    ticket_confirm(ticket=ticket, now=london(2026, 4, 10, 13), by="Jo")
    assert ofcom_compensate(on=date(2026, 4, 10), now=london(2026, 4, 11, 2)) == {
        "late_repairs": 1,
        "missed_appointments": 0,
        "late_provisions": 0,
    }
    assert ofcom_compensate(on=date(2026, 4, 10), now=london(2026, 4, 11, 3)) == {
        "late_repairs": 0,
        "missed_appointments": 0,
        "late_provisions": 0,
    }
    assert sorted(credits_for(account)) == [
        (Decimal("-30.50"), "plugin/broadband-terms#5", "outside-scope"),
        (Decimal("-19.52"), "plugin/code-of-practice#faults", "outside-scope"),
    ]


def test_ofcom_compensation_is_for_residential_customers_only() -> None:
    account, line = plugin_line(kind="business")
    ticket = fault(account, line, london(2026, 4, 2, 15))
    resolve(ticket, london(2026, 4, 10, 12))
    ticket.refresh_from_db()
    ticket_confirm(ticket=ticket, now=london(2026, 4, 10, 13), by="Jo")
    assert ofcom_compensate(on=date(2026, 4, 10), now=london(2026, 4, 11, 2)) == {
        "late_repairs": 0,
        "missed_appointments": 0,
        "late_provisions": 0,
    }


def test_ofcom_late_provision() -> None:
    # Promised Fri 27 Mar 2026, started Tue 31 Mar: 27, 28, 29, 30 Mar at £6.10 = £24.40.
    _, line = plugin_line()
    claim = ofcom_for_provision(
        line, promised=date(2026, 3, 27), provided=date(2026, 3, 31), now=london(2026, 3, 31, 12)
    )
    assert (claim.kind, claim.amount) == (ClaimKind.OFCOM_LATE_PROVISION, Decimal("24.40"))


# Engineer visits --------------------------------------------------------------------------------


def test_plugin_visit_cancelled_after_half_past_one_the_day_before_is_charged() -> None:
    account, line = plugin_line()
    early = visit_book(
        account=account,
        subscription=line,
        slot_start=london(2026, 11, 10, 8),
        slot_end=london(2026, 11, 10, 13),
        purpose=VisitPurpose.REPAIR,
        now=london(2026, 11, 5, 9),
    )
    late = visit_book(
        account=account,
        subscription=line,
        slot_start=london(2026, 11, 12, 8),
        slot_end=london(2026, 11, 12, 13),
        purpose=VisitPurpose.REPAIR,
        now=london(2026, 11, 5, 9),
    )
    visit_cancel(visit=early, now=london(2026, 11, 9, 13, 30), by=CancelledBy.CUSTOMER)
    visit_cancel(visit=late, now=london(2026, 11, 11, 13, 31), by=CancelledBy.CUSTOMER)
    charges = PendingCharge.objects.filter(account=account, source="support")
    # "£100 plus VAT per visit" (broadband-terms#5), once, for the late cancellation.
    assert list(charges.values_list("key", "amount", "vat_treatment", "clause__clause_id")) == [
        (
            f"support:visit:{late.pk}:engineer-no-fault-found",
            Decimal("100.00"),
            "exclusive",
            "plugin/broadband-terms#5",
        )
    ]


def test_plusnet_no_fault_found_visit_pauses_the_clock_and_charges_call_out_and_hours() -> None:
    account, line = plusnet_enhanced()
    ticket = fault(account, line, london(2026, 11, 2, 9))
    respond(ticket, london(2026, 11, 2, 9, 30))
    visit = visit_book(
        account=account,
        ticket=ticket,
        slot_start=london(2026, 11, 4, 8),
        slot_end=london(2026, 11, 4, 13),
        purpose=VisitPurpose.REPAIR,
        now=london(2026, 11, 2, 10),
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.pending_reason) == ("pending", "awaiting_appointment")
    # 2 h 10 min on site, no fault found (business-phone-charges#15(f)): £95 call out
    # covering the first hour, then 1 h 10 min = 2 hours or part at £65 = £130 (#14).
    visit_complete(
        visit=visit,
        outcome=VisitOutcome.FAULT_NOT_CONFIRMED,
        now=london(2026, 11, 4, 11),
        time_on_site=timedelta(hours=2, minutes=10),
    )
    ticket.refresh_from_db()
    assert ticket.state == "open"
    charges = PendingCharge.objects.filter(account=account, source="support").order_by("id")
    assert list(charges.values_list("amount", "quantity", "clause__clause_id", "kind")) == [
        (
            Decimal("95.00"),
            Decimal("1"),
            "plusnet-business/business-phone-charges#15(f)",
            "one-off",
        ),
        (Decimal("130.00"), Decimal("2"), "plusnet-business/business-phone-charges#14", "one-off"),
    ]
    # The clock: 09:00-10:00 Mon counted, paused Mon 10:00 to Wed 11:00 and given back.
    sla = selectors.ticket_sla(ticket, at=london(2026, 11, 4, 12))
    assert sla.resolution.used == timedelta(hours=2)


def test_phone_compensation_for_a_missed_appointment() -> None:
    # Line rental £13.00 (business-phone-charges); fault reported Mon 2 Nov 10:00, the
    # engineer missed Tue 3 Nov, restored Thu 5 Nov 14:00: 4 days or part at 13/30 a day
    # (November has 30 days) = 1.7333 -> £1.73 (business-phone-schedule#2.2).
    account, _ = plusnet_enhanced()
    phone = subscription_create(
        account_number=account.number,
        product_key="business-phone-line",
        start=date(2025, 1, 15),
        now=london(2026, 1, 5),
    )
    ticket = fault(account, phone, london(2026, 11, 2, 10), subject="No dial tone")
    visit = visit_book(
        account=account,
        ticket=ticket,
        slot_start=london(2026, 11, 3, 8),
        slot_end=london(2026, 11, 3, 13),
        purpose=VisitPurpose.REPAIR,
        now=london(2026, 11, 2, 11),
    )
    visit_complete(
        visit=visit, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 11, 3, 13)
    )
    resolve(ticket, london(2026, 11, 5, 14))
    claim = claim_phone_compensation(visit=visit, now=london(2026, 11, 9, 9), claimed_by="Pat")
    claim = claim_decide(claim=claim, now=london(2026, 11, 9, 12), decided_by="Lee")
    assert (claim.status, claim.amount) == ("accepted", Decimal("1.73"))
    assert credits_for(account) == [
        (Decimal("-1.73"), "plusnet-business/business-phone-schedule#2.2", "exclusive")
    ]


# Complaints ---------------------------------------------------------------------------------


def test_complaint_procedure_and_deadlock_letter() -> None:
    account, _ = plugin_line()
    ticket = ticket_raise(
        account=account,
        category=TicketCategory.COMPLAINT,
        subject="Billed twice",
        body="I was charged twice in October.",
        now=london(2026, 11, 2, 9),
        raised_via=RaisedVia.PORTAL,
    )
    complaint = Complaint.objects.get(ticket=ticket)
    complaint_respond(complaint=complaint, now=london(2026, 11, 2, 11), by="Sam", body="Looking.")
    complaint_escalate(complaint=complaint, now=london(2026, 11, 3, 9), by="Sam", manager="Ali")
    complaint.refresh_from_db()
    clocks = selectors.complaint_clocks_of(complaint, at=london(2026, 11, 6, 9))
    # First response in 2 working hours, within the 4-hour aim; the escalated answer (48
    # real hours, due Thu 5 Nov 09:00) is missed by Fri 6 Nov.
    assert [(c.name, c.state) for c in clocks.clocks] == [
        ("first response", "met"),
        ("escalated answer", "breached"),
        ("escalated resolve", "running"),
    ]
    complaint_resolve(
        complaint=complaint,
        now=london(2026, 11, 6, 10),
        by="Ali",
        outcome=ComplaintOutcome.NOT_UPHELD,
        summary="The second charge was the October top-up.",
        deadlock=True,
    )
    notice = Notice.objects.get(kind="support.complaint-adr")
    assert "a deadlock letter was sent" in notice.body
    complaint.refresh_from_db()
    assert complaint.adr_notified_at == london(2026, 11, 6, 10)


def test_adr_becomes_available_eight_weeks_after_an_unresolved_complaint() -> None:
    account, _ = plugin_line()
    ticket_raise(
        account=account,
        category=TicketCategory.COMPLAINT,
        subject="Slow",
        body="Slow.",
        now=london(2026, 9, 1, 10),
        raised_via=RaisedVia.PHONE,
    )
    # 1 Sep 10:00 + 8 weeks = 27 Oct 10:00.
    assert complaints_adr_due(on=date(2026, 10, 26), now=london(2026, 10, 27, 2)) == {
        "adr_notices": 0
    }
    assert complaints_adr_due(on=date(2026, 10, 27), now=london(2026, 10, 28, 2)) == {
        "adr_notices": 1
    }
    assert complaints_adr_due(on=date(2026, 10, 27), now=london(2026, 10, 28, 3)) == {
        "adr_notices": 0
    }
    assert len([m for m in mail.outbox if "independent" in m.subject]) == 1


# Hosting uptime ----------------------------------------------------------------------------


def test_hosting_downtime_is_refunded_on_the_first_of_the_month() -> None:
    # Down 3 Nov 10:00 to 11:30 (90 minutes, more than 1 hour): one day of £5.99 over the
    # 30 days of November = 0.1997 -> £0.20 (hosting-terms#4).
    account, hosting = plugin_line(product="hosting")
    site = site_add(
        account=account,
        url="https://juniper.example.com/",
        now=london(2026, 11, 1),
        subscription=hosting,
    )
    down = CheckResult(site.url, False, 503, "HTTP 503", 12)
    up = CheckResult(site.url, True, 200, "", 10)
    check_record(site=site, result=up, now=london(2026, 11, 3, 9, 55))
    check_record(site=site, result=down, now=london(2026, 11, 3, 10))
    check_record(site=site, result=down, now=london(2026, 11, 3, 10, 5))
    check_record(site=site, result=up, now=london(2026, 11, 3, 11, 30))
    assert site.outages.count() == 1
    assert hosting_uptime_monthly(on=date(2026, 11, 30), now=london(2026, 11, 30, 2)) == {}
    assert hosting_uptime_monthly(on=date(2026, 12, 1), now=london(2026, 12, 1, 2)) == {
        "sites": 1,
        "refunds": 1,
    }
    assert hosting_uptime_monthly(on=date(2026, 12, 1), now=london(2026, 12, 1, 3)) == {
        "sites": 1,
        "refunds": 0,
    }
    assert credits_for(account) == [(Decimal("-0.20"), "plugin/hosting-terms#4", "exclusive")]
    claim = Claim.objects.get(kind=ClaimKind.HOSTING_UPTIME)
    assert "uptime 99.791% against 99%" in claim.reasons[0]["text"]
