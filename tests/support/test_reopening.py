"""Reopening a resolved ticket through the services: who may, until when, what the clocks
and notices do, and late-repair compensation paid up to the real repair.

Plusnet Enhanced Care (broadband-schedule#7.1, 7.2, 7.5(a), 7.7); London wall-clock times.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.notices.models import Notice
from backhaul.support import selectors
from backhaul.support.choices import AuthorKind, ClaimKind, EventType
from backhaul.support.models import Claim
from backhaul.support.services import (
    ofcom_compensate,
    ticket_confirm,
    ticket_event_add,
    ticket_reopen,
    ticket_reply,
    tickets_auto_close,
)
from tests.support.factories import fault, london, plugin_line, plusnet_enhanced

pytestmark = pytest.mark.django_db


def _resolved_fault(account, line):
    ticket = fault(account, line, london(2026, 11, 2, 9))
    ticket_reply(
        ticket=ticket,
        author_kind=AuthorKind.STAFF,
        author_name="Sam",
        body="Looking now.",
        now=london(2026, 11, 2, 9, 30),
    )
    ticket.refresh_from_db()
    return ticket_event_add(
        ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 2, 15), actor="Sam"
    )


def test_customer_reopens_and_the_clock_runs_on_from_where_it_stopped() -> None:
    account, line = plusnet_enhanced()
    ticket = _resolved_fault(account, line)
    assert ticket.auto_close_at == london(2026, 11, 9, 20)
    ticket = ticket_reopen(
        ticket=ticket,
        now=london(2026, 11, 3, 10),
        by="Pat Calder",
        author_kind=AuthorKind.CUSTOMER,
        reason="The sync light is red again.",
    )
    assert (ticket.state, ticket.resolved_at, ticket.auto_close_at) == ("open", None, None)
    message = ticket.messages.order_by("-at", "-id").first()
    assert (message.author_kind, message.body) == (
        "customer",
        "Reopened: The sync light is red again.",
    )
    notice = Notice.objects.get(key=f"ticket:{ticket.reference}:reopened:1")
    assert notice.clause.clause_id == "plusnet-business/broadband-schedule#7.5(a)"
    # 6 working hours before the resolution; the 7 working hours resolved are given back.
    sla = selectors.ticket_sla(ticket, at=london(2026, 11, 3, 11))
    assert sla.resolution.used == timedelta(hours=7)
    assert sla.resolution.due == london(2026, 11, 4, 16)
    # Fixed again Wed 4 Nov 12:00: a new resolution notice and a new automatic close.
    ticket = ticket_event_add(
        ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 4, 12), actor="Sam"
    )
    assert (ticket.state, ticket.auto_close_at) == ("resolved", london(2026, 11, 11, 20))
    second = Notice.objects.get(key=f"ticket:{ticket.reference}:resolved:2")
    assert "claim by 11 November 2026" in second.body
    sla = selectors.ticket_sla(ticket, at=london(2026, 11, 4, 12))
    assert sla.resolution.used == timedelta(hours=20) and not sla.resolution.breached
    # The automatic close of the first resolution (Mon 9 Nov) no longer applies.
    assert tickets_auto_close(on=date(2026, 11, 9), now=london(2026, 11, 10, 2)) == {"closed": 0}
    assert tickets_auto_close(on=date(2026, 11, 11), now=london(2026, 11, 12, 2)) == {"closed": 1}


def test_reopen_needs_a_reason_and_a_resolved_ticket() -> None:
    account, line = plusnet_enhanced()
    ticket = fault(account, line, london(2026, 11, 2, 9))
    with pytest.raises(TransitionNotAllowed, match="only a resolved ticket"):
        ticket_reopen(
            ticket=ticket,
            now=london(2026, 11, 2, 10),
            by="Pat",
            author_kind=AuthorKind.CUSTOMER,
            reason="Still broken.",
        )
    ticket = _resolved_fault(account, line)
    with pytest.raises(InvalidInput, match="message: must not be empty"):
        ticket_reopen(
            ticket=ticket,
            now=london(2026, 11, 3, 10),
            by="Pat",
            author_kind=AuthorKind.CUSTOMER,
            reason="  ",
        )
    ticket.refresh_from_db()
    assert ticket.state == "resolved"


def test_no_reopening_after_confirmation_or_the_automatic_close() -> None:
    account, line = plusnet_enhanced()
    confirmed = _resolved_fault(account, line)
    confirmed = ticket_confirm(ticket=confirmed, now=london(2026, 11, 3, 9), by="Pat")
    with pytest.raises(TransitionNotAllowed, match="raise a new ticket"):
        ticket_reopen(
            ticket=confirmed,
            now=london(2026, 11, 3, 10),
            by="Sam",
            author_kind=AuthorKind.STAFF,
            reason="Customer called back.",
        )
    # Not yet closed by the daily job, but past its automatic close (Mon 9 Nov 20:00).
    late = _resolved_fault(account, line)
    with pytest.raises(TransitionNotAllowed, match="closed automatically at 2026-11-09T20:00"):
        ticket_reopen(
            ticket=late,
            now=london(2026, 11, 9, 20),
            by="Sam",
            author_kind=AuthorKind.STAFF,
            reason="Customer called back.",
        )
    staff = ticket_reopen(
        ticket=late,
        now=london(2026, 11, 9, 19, 59),
        by="Sam",
        author_kind=AuthorKind.STAFF,
        reason="Customer called: still no dial tone.",
    )
    assert staff.state == "open"


def test_late_repair_compensation_counts_to_the_fix_that_held() -> None:
    # PlugIn residential: reported Thu 2 Apr 2026 15:00; the two full working days are Tue
    # 7 and Wed 8 (Easter). "Fixed" Wed 8 Apr 12:00 (in time), reopened Thu 9 Apr 09:00,
    # fixed for good Fri 10 Apr 12:00 and confirmed: Thu 9 and Fri 10 at £9.76 = £19.52.
    account, line = plugin_line()
    ticket = fault(account, line, london(2026, 4, 2, 15))
    ticket = ticket_event_add(
        ticket=ticket, type=EventType.RESOLVED, at=london(2026, 4, 8, 12), actor="Sam"
    )
    assert ofcom_compensate(on=date(2026, 4, 8), now=london(2026, 4, 8, 23))["late_repairs"] == 0
    ticket = ticket_reopen(
        ticket=ticket,
        now=london(2026, 4, 9, 9),
        by="Jo",
        author_kind=AuthorKind.CUSTOMER,
        reason="Dropping every few minutes again.",
    )
    ticket = ticket_event_add(
        ticket=ticket, type=EventType.RESOLVED, at=london(2026, 4, 10, 12), actor="Sam"
    )
    ticket_confirm(ticket=ticket, now=london(2026, 4, 10, 13), by="Jo")
    assert ofcom_compensate(on=date(2026, 4, 10), now=london(2026, 4, 11, 2))["late_repairs"] == 1
    claim = Claim.objects.get(kind=ClaimKind.OFCOM_LATE_REPAIR)
    assert claim.amount == Decimal("19.52")
    assert ofcom_compensate(on=date(2026, 4, 10), now=london(2026, 4, 11, 3))["late_repairs"] == 0
