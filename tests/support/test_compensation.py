"""Compensation customers claim or get without asking: Business Phone compensation for a
missed engineer appointment (business-phone-schedule#2.2-2.4) and Ofcom automatic
compensation for late provision (a brand option, residential customers). London times.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.services import subscription_create, subscription_transition
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.customers.services import account_create
from backhaul.scheduler.registry import run_day
from backhaul.support.choices import ClaimKind, ClaimStatus, EventType, VisitOutcome
from backhaul.support.models import Claim
from backhaul.support.services import (
    claim_decide,
    claim_phone_compensation,
    ofcom_compensate,
    ticket_event_add,
    visit_book,
    visit_complete,
)
from tests.support.factories import fault, london, plusnet_enhanced

pytestmark = pytest.mark.django_db


def _phone_fault(day: int = 2):
    """Plusnet Business Phone line (£13.00 a month); no dial tone reported 10:00, an
    engineer booked for the next morning."""
    account, _ = plusnet_enhanced()
    phone = subscription_create(
        account_number=account.number,
        product_key="business-phone-line",
        start=date(2025, 1, 15),
        now=london(2026, 1, 5),
    )
    ticket = fault(account, phone, london(2026, 11, day, 10), subject="No dial tone")
    visit = visit_book(
        account=account,
        ticket=ticket,
        slot_start=london(2026, 11, day + 1, 8),
        slot_end=london(2026, 11, day + 1, 13),
        purpose="repair",
        now=london(2026, 11, day, 11),
    )
    return account, phone, ticket, visit


def _reasons(claim: Claim) -> list[tuple[str, str]]:
    return [(r["code"], r["clause"]) for r in claim.reasons]


def test_customer_claims_for_an_appointment_whose_outcome_is_not_recorded_yet() -> None:
    # Fault Mon 2 Nov 10:00; the engineer was due Tue 3 Nov 08:00-13:00 and never came;
    # service back Thu 5 Nov 14:00: 4 days or part at 13/30 a day = £1.73 (2.2).
    _, _, ticket, visit = _phone_fault()
    with pytest.raises(InvalidInput, match=r"^visit: the appointment at 08:00 on 03 November"):
        claim_phone_compensation(visit=visit, now=london(2026, 11, 2, 12), claimed_by="Pat")
    claim = claim_phone_compensation(visit=visit, now=london(2026, 11, 3, 14), claimed_by="Pat")
    assert (claim.status, claim.ticket) == (ClaimStatus.PENDING, ticket)
    assert ("outcome-pending", "plusnet-business/business-phone-schedule#2.2") in _reasons(claim)
    with pytest.raises(TransitionNotAllowed, match="record what happened at the appointment"):
        claim_decide(claim=claim, now=london(2026, 11, 3, 15), decided_by="Lee")
    with pytest.raises(TransitionNotAllowed, match="already made for this fault"):
        claim_phone_compensation(visit=visit, now=london(2026, 11, 3, 15), claimed_by="Pat")
    visit_complete(
        visit=visit, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 11, 3, 16)
    )
    ticket.refresh_from_db()
    ticket_event_add(ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 5, 14), actor="S")
    claim = claim_decide(claim=claim, now=london(2026, 11, 6, 9), decided_by="Lee")
    assert (claim.status, claim.amount) == (ClaimStatus.ACCEPTED, Decimal("1.73"))
    assert _reasons(claim) == [("pro-rata", "plusnet-business/business-phone-schedule#2.2")]


def test_claims_the_terms_rule_out_are_rejected_at_once_with_reasons() -> None:
    # A visit the customer's side aborted is no missed appointment (2.2); a claim more than
    # 30 days after the report is late (2.4(a)): rejected as soon as they are made.
    _, _, _, visit = _phone_fault()
    visit_complete(visit=visit, outcome=VisitOutcome.NO_ACCESS, now=london(2026, 11, 3, 13))
    claim = claim_phone_compensation(visit=visit, now=london(2026, 11, 4, 9), claimed_by="Pat")
    assert claim.status == ClaimStatus.REJECTED and claim.decided_by == "Backhaul"
    assert _reasons(claim) == [
        ("no-missed-appointment", "plusnet-business/business-phone-schedule#2.2")
    ]
    _, _, _, other = _phone_fault(day=9)
    visit_complete(
        visit=other, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 11, 10, 13)
    )
    # Reported Mon 9 Nov: 30 days later is Wed 9 Dec; Thu 10 Dec is a day late.
    in_time = claim_phone_compensation(visit=other, now=london(2026, 12, 9, 23), claimed_by="P")
    assert in_time.status == ClaimStatus.PENDING
    in_time.delete()
    late = claim_phone_compensation(visit=other, now=london(2026, 12, 10, 9), claimed_by="Pat")
    assert late.status == ClaimStatus.REJECTED
    assert _reasons(late) == [("late", "plusnet-business/business-phone-schedule#2.4(a)")]


def test_staff_record_an_exclusion_and_the_yearly_cap_applies() -> None:
    account, phone, ticket, visit = _phone_fault()
    visit_complete(
        visit=visit, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 11, 3, 13)
    )
    ticket.refresh_from_db()
    ticket_event_add(ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 5, 14), actor="S")
    excluded = claim_phone_compensation(visit=visit, now=london(2026, 11, 6, 9), claimed_by="P")
    excluded = claim_decide(
        claim=excluded,
        now=london(2026, 11, 6, 10),
        decided_by="Lee",
        exclusions=["network-wide-outage"],
    )
    assert excluded.status == ClaimStatus.REJECTED
    assert _reasons(excluded) == [("excluded", "plusnet-business/business-phone-schedule#2.4(b)")]
    # £179.00 already paid on this line in the year before a later fault: at most £1.00
    # more (£180 per line per year, 2.3(a)) of the £1.73 the days are worth.
    Claim.objects.filter(pk=excluded.pk).update(
        status=ClaimStatus.ACCEPTED, amount=Decimal("179.00")
    )
    ticket2 = fault(account, phone, london(2026, 11, 16, 10), subject="No dial tone again")
    visit2 = visit_book(
        account=account,
        ticket=ticket2,
        slot_start=london(2026, 11, 17, 8),
        slot_end=london(2026, 11, 17, 13),
        purpose="repair",
        now=london(2026, 11, 16, 11),
    )
    visit_complete(
        visit=visit2, outcome=VisitOutcome.MISSED_BY_PROVIDER, now=london(2026, 11, 17, 13)
    )
    ticket2.refresh_from_db()
    ticket_event_add(
        ticket=ticket2, type=EventType.RESOLVED, at=london(2026, 11, 19, 14), actor="S"
    )
    capped = claim_phone_compensation(visit=visit2, now=london(2026, 11, 20, 9), claimed_by="P")
    capped = claim_decide(claim=capped, now=london(2026, 11, 20, 10), decided_by="Lee")
    assert (capped.status, capped.amount) == (ClaimStatus.ACCEPTED, Decimal("1.00"))
    assert ("yearly-cap", "plusnet-business/business-phone-schedule#2.3(a)") in _reasons(capped)


# Ofcom automatic compensation: late provision -------------------------------------------------


def _plugin_order(*, now: datetime, start: date, kind: str = "residential"):
    account = account_create(
        brand_key="plugin", name="Juniper Cottage", email="jc@example.com", kind=kind, now=now
    )
    order = subscription_create(
        account_number=account.number, product_key="broadband", start=start, now=now
    )
    assert (order.status, order.promised_start_date) == (SubscriptionStatus.ORDERED, start)
    return account, order


def _start(order, day: date) -> None:
    subscription_transition(
        subscription_id=order.pk,
        to=SubscriptionStatus.ACTIVE,
        at=datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo("Europe/London")).replace(
            hour=10
        ),
        service_start=day,
    )


def test_late_provision_is_paid_per_calendar_day_once() -> None:
    # Ordered Mon 2 Mar 2026 for Fri 27 Mar; the line came on Tue 31 Mar: 27, 28, 29 and
    # 30 March are late, at £6.10 a day (the amount from 1 April 2024) = £24.40.
    account, order = _plugin_order(now=london(2026, 3, 2, 9), start=date(2026, 3, 27))
    assert ofcom_compensate(on=date(2026, 3, 30), now=london(2026, 3, 31, 2)) == {
        "late_repairs": 0,
        "missed_appointments": 0,
        "late_provisions": 0,
    }
    _start(order, date(2026, 3, 31))
    assert ofcom_compensate(on=date(2026, 3, 31), now=london(2026, 4, 1, 2))["late_provisions"] == 1
    claim = Claim.objects.get(kind=ClaimKind.OFCOM_LATE_PROVISION)
    assert (claim.account, claim.subscription, claim.amount) == (account, order, Decimal("24.40"))
    assert claim.clause_id == "plugin/uptime-guarantee#terms"
    assert (
        claim.reasons[0]["text"]
        == "service started 2026-03-31, 4 day(s) after the promised 2026-03-27"
    )
    # Replaying the day, or any later day, pays nothing more.
    assert ofcom_compensate(on=date(2026, 3, 31), now=london(2026, 4, 1, 3))["late_provisions"] == 0
    results = run_day(
        on=date(2026, 4, 2), now=london(2026, 4, 3, 2), only={"support.ofcom_compensation"}
    )
    assert results["support.ofcom_compensation"]["late_provisions"] == 0
    assert Claim.objects.filter(kind=ClaimKind.OFCOM_LATE_PROVISION).count() == 1


def test_late_provision_amounts_are_effective_dated() -> None:
    # Promised Fri 29 Mar 2024, started Tue 2 Apr 2024: 29, 30 and 31 March at £5.00 and
    # 1 April at £6.10 (the amounts change on 1 April 2024) = £21.10.
    _, order = _plugin_order(now=london(2024, 3, 1, 9), start=date(2024, 3, 29))
    _start(order, date(2024, 4, 2))
    assert ofcom_compensate(on=date(2024, 4, 2), now=london(2024, 4, 3, 2))["late_provisions"] == 1
    claim = Claim.objects.get(kind=ClaimKind.OFCOM_LATE_PROVISION)
    assert claim.amount == Decimal("21.10")


def test_no_late_provision_for_business_customers_on_time_starts_or_plusnet() -> None:
    _, business = _plugin_order(now=london(2026, 3, 2, 9), start=date(2026, 3, 27), kind="business")
    _start(business, date(2026, 3, 31))
    _, on_time = _plugin_order(now=london(2026, 3, 2, 9), start=date(2026, 3, 27))
    _start(on_time, date(2026, 3, 27))
    account = account_create(
        brand_key="plusnet-business",
        name="Harbour Cafe",
        email="hc@example.com",
        kind="residential",
        now=london(2026, 3, 2, 9),
    )
    plusnet = subscription_create(
        account_number=account.number,
        product_key="business-phone-line",
        start=date(2026, 3, 27),
        now=london(2026, 3, 2, 9),
    )
    _start(plusnet, date(2026, 3, 31))
    assert ofcom_compensate(on=date(2026, 3, 31), now=london(2026, 4, 1, 2))["late_provisions"] == 0
    assert not Claim.objects.filter(kind=ClaimKind.OFCOM_LATE_PROVISION).exists()
