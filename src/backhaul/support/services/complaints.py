"""Complaints: first response, escalation to management, outcome, and the right to ADR.

A complaint is a ticket of category ``complaint`` (raised with ``ticket_raise``) with a
:class:`~backhaul.support.models.Complaint` that carries the procedure's milestones.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.notices.services import notice_send
from backhaul.support import selectors
from backhaul.support.choices import AuthorKind, ComplaintOutcome, ComplaintStage, EventType
from backhaul.support.models import Complaint
from backhaul.support.services.tickets import ticket_event_add, ticket_reply


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("ticket", "account__brand")
        .get(pk=complaint.pk)
    )


@transaction.atomic
def complaint_respond(*, complaint: Complaint, now: datetime, by: str, body: str) -> Complaint:
    """The handler's first response (plugin/complaints#procedure: "We aim to respond to
    all emails with 4 hours")."""
    complaint = _locked(complaint)
    if complaint.resolved_at is not None:
        raise TransitionNotAllowed("the complaint is resolved")
    ticket_reply(
        ticket=complaint.ticket, author_kind=AuthorKind.STAFF, author_name=by, body=body, now=now
    )
    if complaint.first_response_at is None:
        complaint.first_response_at = now
        complaint.handler = complaint.handler or by[:150]
        complaint.stage = ComplaintStage.RESPONDED
        complaint.save(update_fields=["first_response_at", "handler", "stage"])
    return complaint


@transaction.atomic
def complaint_escalate(
    *, complaint: Complaint, now: datetime, by: str, manager: str, history: str = ""
) -> Complaint:
    """Escalate to the customer services team, where "a member of management will collect
    all the relevant details and investigate" (plugin/complaints#escalation)."""
    complaint = _locked(complaint)
    if complaint.resolved_at is not None:
        raise TransitionNotAllowed("the complaint is resolved")
    if complaint.escalated_at is not None:
        raise TransitionNotAllowed(f"already escalated to {complaint.escalated_to}")
    manager = manager.strip()
    if not manager:
        raise InvalidInput("manager: name the member of management who investigates")
    complaint.escalated_at = now
    complaint.escalated_to = manager[:150]
    complaint.stage = ComplaintStage.ESCALATED
    complaint.save(update_fields=["escalated_at", "escalated_to", "stage"])
    ticket_reply(
        ticket=complaint.ticket,
        author_kind=AuthorKind.STAFF,
        author_name=by,
        body=history or f"Escalated to {manager} for investigation.",
        now=now,
        internal=not history,
    )
    return complaint


@transaction.atomic
def complaint_answer_escalation(
    *, complaint: Complaint, now: datetime, by: str, body: str
) -> Complaint:
    """Management's answer to an escalated complaint ("respond within 48hours")."""
    complaint = _locked(complaint)
    if complaint.escalated_at is None:
        raise TransitionNotAllowed("the complaint has not been escalated")
    ticket_reply(
        ticket=complaint.ticket, author_kind=AuthorKind.STAFF, author_name=by, body=body, now=now
    )
    if complaint.escalated_answered_at is None:
        complaint.escalated_answered_at = now
        complaint.save(update_fields=["escalated_answered_at"])
    return complaint


@transaction.atomic
def complaint_resolve(
    *,
    complaint: Complaint,
    now: datetime,
    by: str,
    outcome: str,
    summary: str,
    deadlock: bool = False,
) -> Complaint:
    """Record the outcome and tell the customer; a deadlock letter opens ADR at once."""
    complaint = _locked(complaint)
    if complaint.resolved_at is not None:
        raise TransitionNotAllowed("the complaint is already resolved")
    if outcome not in ComplaintOutcome.values:
        raise InvalidInput(f"outcome: must be one of {', '.join(ComplaintOutcome.values)}")
    summary = summary.strip()
    if not summary:
        raise InvalidInput("summary: say what was decided and why")
    ticket_reply(
        ticket=complaint.ticket,
        author_kind=AuthorKind.STAFF,
        author_name=by,
        body=summary,
        now=now,
    )
    complaint.resolved_at = now
    complaint.outcome = outcome
    complaint.outcome_summary = summary
    complaint.stage = ComplaintStage.RESOLVED
    if deadlock:
        complaint.deadlock_at = now
    complaint.save()
    ticket = complaint.ticket
    ticket.refresh_from_db()
    ticket_event_add(ticket=ticket, type=EventType.RESOLVED, at=now, actor=by)
    if deadlock:
        _adr_notice(complaint, now=now)
    return complaint


def _adr_notice(complaint: Complaint, *, now: datetime) -> None:
    terms = selectors.complaint_terms(complaint.account.brand)
    clocks = selectors.complaint_clocks_of(complaint, at=now)
    notice_send(
        key=f"support:complaint:{complaint.pk}:adr",
        kind="support.complaint-adr",
        subject=f"Your complaint {complaint.ticket.reference}: independent review",
        body=(
            f"You may now ask an independent alternative dispute resolution (ADR) scheme to "
            f"review your complaint {complaint.ticket.reference}, because "
            f"{clocks.adr_reason}. The service is free to you.\n"
        ),
        now=now,
        account=complaint.account,
        clause_id=terms.adr_clause or terms.clause or None,
    )
    complaint.adr_notified_at = now
    complaint.save(update_fields=["adr_notified_at"])


def complaints_adr_due(*, on: date, now: datetime) -> dict[str, int]:
    """Tell customers whose complaint has become eligible for ADR by the end of ``on``:
    eight weeks after it was made while still unresolved (the daily job)."""
    end = timezone.make_aware(datetime.combine(on + timedelta(days=1), time(0)))
    told = 0
    candidates = Complaint.objects.filter(
        adr_notified_at__isnull=True, resolved_at__isnull=True
    ).select_related("ticket", "account__brand")
    for complaint in candidates:
        clocks = selectors.complaint_clocks_of(complaint, at=end)
        if clocks.adr_available_from is None or clocks.adr_available_from >= end:
            continue
        with transaction.atomic():
            _adr_notice(_locked(complaint), now=now)
        told += 1
    return {"adr_notices": told}
