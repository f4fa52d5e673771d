"""Help Assistant tickets: raising them, the conversation, and the SLA event log."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput, NotFound, TransitionNotAllowed
from backhaul.customers.models import Account, Contact
from backhaul.notices.services import notice_send
from backhaul.support import rules, selectors
from backhaul.support.choices import (
    AuthorKind,
    EventType,
    PauseReason,
    RaisedVia,
    TicketCategory,
    TicketState,
)
from backhaul.support.models import (
    Complaint,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    TicketSequence,
)

SUBJECT_LIMIT = 200
BODY_LIMIT = 20_000
# Operational limits on uploads, not terms: large files belong in a support call.
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_MESSAGE = 5


@dataclass(frozen=True)
class Upload:
    """A file a customer or staff member attaches to a message."""

    filename: str
    content_type: str
    content: bytes


def _checked_uploads(uploads: Sequence[Upload]) -> list[Upload]:
    if len(uploads) > ATTACHMENTS_PER_MESSAGE:
        raise InvalidInput(f"attachments: at most {ATTACHMENTS_PER_MESSAGE} files per message")
    for upload in uploads:
        name = upload.filename.strip()
        if not name:
            raise InvalidInput("attachments: a file has no name")
        if len(upload.content) > ATTACHMENT_MAX_BYTES:
            raise InvalidInput(
                f"attachments: {name} is {len(upload.content)} bytes; "
                f"the limit is {ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB"
            )
    return list(uploads)


def _checked_text(value: str, *, field: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"{field}: must not be empty")
    if len(text) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters")
    return text


def ticket_reference_next(*, account: Account) -> str:
    """Take the brand's next ticket reference under a row lock (inside a transaction)."""
    sequence, _ = TicketSequence.objects.select_for_update().get_or_create(brand=account.brand)
    reference = f"{account.brand.account_prefix}-T{sequence.next_value:06d}"
    sequence.next_value += 1
    sequence.save(update_fields=["next_value"])
    return reference


def _nominated_contact(account: Account, contact: Contact | None) -> Contact | None:
    if contact is not None:
        if contact.account_id != account.pk:
            raise InvalidInput("contact: not a contact of this account")
        if not contact.nominated:
            raise InvalidInput(f"contact: {contact.name} is not a nominated contact")
        return contact
    return account.contacts.filter(nominated=True).order_by("id").first()


def _recipient(ticket: Ticket) -> str:
    if ticket.contact is not None and ticket.contact.email:
        return ticket.contact.email
    return ticket.account.primary_email


def _message_add(
    *,
    ticket: Ticket,
    at: datetime,
    author_kind: str,
    author_name: str,
    body: str,
    uploads: Sequence[Upload] = (),
    internal: bool = False,
) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket,
        at=at,
        author_kind=author_kind,
        author_name=author_name[:200],
        body=body,
        internal=internal,
    )
    for upload in uploads:
        TicketAttachment.objects.create(
            message=message,
            filename=upload.filename.strip()[:200],
            content_type=(upload.content_type or "application/octet-stream")[:100],
            size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(),
            content=upload.content,
        )
    return message


@transaction.atomic
def ticket_raise(
    *,
    account: Account,
    category: str,
    subject: str,
    body: str,
    now: datetime,
    raised_via: str,
    raised_by: str = "",
    subscription: Subscription | None = None,
    contact: Contact | None = None,
    uploads: Sequence[Upload] = (),
) -> Ticket:
    """Raise a ticket; its reference exists at once and its SLA clock starts now.

    "The response and resolution time is measured from the moment a Help Assistant ticket
    reference is created, either by the Customer via the portal or by an analyst over the
    telephone" (plusnet-business/broadband-schedule#7.6). Updates go to the nominated
    contact (7.14). A complaint opens the complaints procedure as well.
    """
    if category not in TicketCategory.values:
        raise InvalidInput(
            f"category: must be one of {', '.join(TicketCategory.values)}, not {category!r}"
        )
    if raised_via not in RaisedVia.values:
        raise InvalidInput(f"raised_via: must be one of {', '.join(RaisedVia.values)}")
    subject = _checked_text(subject, field="subject", limit=SUBJECT_LIMIT)
    body = _checked_text(body, field="description", limit=BODY_LIMIT)
    uploads = _checked_uploads(uploads)
    if subscription is not None and subscription.account_id != account.pk:
        raise InvalidInput("service: not a service of this account")
    if category == TicketCategory.FAULT and subscription is None:
        raise InvalidInput("service: choose the service that has the fault")
    nominated = _nominated_contact(account, contact)
    ticket = Ticket.objects.create(
        reference=ticket_reference_next(account=account),
        account=account,
        subscription=subscription,
        contact=nominated,
        category=category,
        subject=subject,
        care_level=selectors.care_level_of(account, on=timezone.localdate(now)),
        raised_via=raised_via,
        raised_by=raised_by[:150],
        state=TicketState.NEW,
        created_at=now,
    )
    TicketEvent.objects.create(ticket=ticket, at=now, type=EventType.CREATED, actor=raised_by)
    author_kind = AuthorKind.CUSTOMER if raised_via == RaisedVia.PORTAL else AuthorKind.STAFF
    author = raised_by or (nominated.name if nominated else account.name)
    _message_add(
        ticket=ticket,
        at=now,
        author_kind=author_kind,
        author_name=author,
        body=body,
        uploads=uploads,
    )
    if category == TicketCategory.COMPLAINT:
        # The complaints procedure runs from the moment the complaint is made.
        Complaint.objects.create(ticket=ticket, account=account, received_at=now)
    policy = selectors.ticket_policy(ticket)
    clause = ""
    if category == TicketCategory.FAULT and policy is not None and policy.clauses:
        clause = policy.clauses[-1]
    notice_send(
        key=f"ticket:{ticket.reference}:raised",
        kind="support.ticket-raised",
        subject=f"Ticket {ticket.reference}: {subject}",
        body=(
            f"Your ticket {ticket.reference} was raised on "
            f"{timezone.localtime(now):%d %B %Y at %H:%M}. Quote this reference whenever "
            "you contact us about it.\n"
        ),
        now=now,
        account=account,
        recipient=_recipient(ticket),
        clause_id=clause or None,
    )
    return ticket


def ticket_sync(ticket: Ticket, *, at: datetime) -> rules.SlaResult:
    """Bring the ticket's listed state and milestones into line with its event log."""
    policy = selectors.ticket_policy(ticket) or selectors.general_policy_for(ticket.account.brand)
    events = selectors.ticket_events(ticket)
    result = rules.sla_evaluate(
        events,
        policy=policy,
        calendar=selectors.working_time_for(ticket.account.brand),
        monthly_subscription=selectors.monthly_subscription_of(
            ticket.subscription, on=timezone.localdate(ticket.created_at)
        ),
        at=max(at, events[-1].at),
    )
    log = rules.event_log(events, pause_reasons=list(policy.pause_reasons))
    ticket.state = result.state
    ticket.pending_reason = result.pending_reason
    ticket.first_response_at = log.first_response_at
    ticket.resolved_at = log.resolved_at
    ticket.auto_close_at = result.auto_close_at
    ticket.closed_at = result.closed_at
    ticket.close_reason = result.close_reason
    ticket.save(
        update_fields=[
            "state",
            "pending_reason",
            "first_response_at",
            "resolved_at",
            "auto_close_at",
            "closed_at",
            "close_reason",
        ]
    )
    return result


def _locked(ticket: Ticket) -> Ticket:
    return selectors.tickets_with_events().select_for_update(of=("self",)).get(pk=ticket.pk)


@transaction.atomic
def ticket_event_add(
    *,
    ticket: Ticket,
    type: str,
    at: datetime,
    actor: str,
    reason: str = "",
    note: str = "",
) -> Ticket:
    """Record an SLA event (responded, paused with a reason, resumed, resolved, confirmed).

    The whole log is validated by the SLA rules before anything is written, so a pause
    without a reason, a resume of a running clock or an event after the ticket closed is
    refused with the rule it breaks. A resolution notifies the nominated contact, which
    starts the claim window (plusnet-business/broadband-schedule#7.21).
    """
    ticket = _locked(ticket)
    if type not in EventType.values or type == EventType.CREATED:
        raise InvalidInput(f"type: {type!r} cannot be recorded on an existing ticket")
    if type == EventType.PAUSED and reason not in PauseReason.values:
        raise InvalidInput(
            f"reason: a pause needs one of {', '.join(PauseReason.values)}, not {reason!r}"
        )
    if ticket.state == TicketState.CLOSED:
        raise TransitionNotAllowed(f"ticket {ticket.reference} is closed")
    policy = selectors.ticket_policy(ticket) or selectors.general_policy_for(ticket.account.brand)
    events = selectors.ticket_events(ticket)
    candidate = rules.TicketEvent(at=at, type=type, reason=reason, index=len(events))
    try:
        # The whole evaluation, so a reopening after the automatic close is refused too.
        rules.sla_evaluate(
            [*events, candidate],
            policy=policy,
            calendar=selectors.working_time_for(ticket.account.brand),
            monthly_subscription=Decimal("0.00"),
        )
    except rules.EventLogError as exc:
        raise TransitionNotAllowed(f"ticket {ticket.reference}: {exc}") from None
    TicketEvent.objects.create(
        ticket=ticket, at=at, type=type, reason=reason, actor=actor[:150], note=note[:300]
    )
    ticket = _locked(ticket)
    result = ticket_sync(ticket, at=at)
    if type == EventType.RESOLVED:
        _resolution_notice(ticket, result=result, at=at)
    elif type == EventType.REOPENED:
        _reopen_notice(ticket, result=result, at=at, actor=actor)
    return ticket


def _reopen_notice(ticket: Ticket, *, result: rules.SlaResult, at: datetime, actor: str) -> None:
    notice_send(
        key=f"ticket:{ticket.reference}:reopened:{result.reopened}",
        kind="support.ticket-reopened",
        subject=f"Ticket {ticket.reference} reopened",
        body=(
            f"Ticket {ticket.reference} ({ticket.subject}) was reopened on "
            f"{timezone.localtime(at):%d %B %Y at %H:%M}"
            + (f" by {actor}" if actor else "")
            + ". We are working on it again; the time it spent resolved does not count "
            "against the service level.\n"
        ),
        now=at,
        account=ticket.account,
        recipient=_recipient(ticket),
        clause_id=selectors.reopen_clause(ticket) or None,
    )


@transaction.atomic
def ticket_reopen(
    *, ticket: Ticket, now: datetime, by: str, author_kind: str, reason: str
) -> Ticket:
    """Reopen a resolved ticket: the fault is still there.

    The customer (or staff for them) may reopen while the ticket awaits confirmation, that
    is before the customer confirms and before it closes automatically (7.7); a closed
    ticket stays closed and a new one is raised. The reason goes into the conversation.
    The time the ticket spent resolved is given back and the clocks run on from now (see
    :func:`backhaul.support.event_rules.event_log`).
    """
    ticket = _locked(ticket)
    if ticket.state != TicketState.RESOLVED:
        raise TransitionNotAllowed(
            f"ticket {ticket.reference} is {ticket.get_state_display().lower()}; only a "
            "resolved ticket awaiting confirmation can be reopened"
            + ("; raise a new ticket" if ticket.state == TicketState.CLOSED else "")
        )
    if author_kind not in (AuthorKind.CUSTOMER, AuthorKind.STAFF):
        raise InvalidInput(f"author_kind: unknown {author_kind!r}")
    text = _checked_text(reason, field="message", limit=BODY_LIMIT)
    ticket = ticket_event_add(ticket=ticket, type=EventType.REOPENED, at=now, actor=by)
    _message_add(
        ticket=ticket, at=now, author_kind=author_kind, author_name=by, body=f"Reopened: {text}"
    )
    return ticket


def _claim_window_text(ticket: Ticket, at: datetime) -> tuple[str, str]:
    """The claim window the resolution notice opens, if this fault carries a credit."""
    policy = selectors.ticket_policy(ticket)
    if ticket.category != TicketCategory.FAULT or policy is None:
        return "", ""
    terms = policy.service_credit or policy.uptime_guarantee
    if terms is None:
        return "", ""
    calendar = selectors.working_time_for(ticket.account.brand)
    last = rules.claim_deadline(at, terms.claim_working_days, calendar)
    return (
        f"If a service level was missed you may claim by {last:%d %B %Y} "
        f"({terms.claim_working_days} working days) from the ticket in the Member Centre.\n",
        terms.claim_clause,
    )


def _resolution_notice(ticket: Ticket, *, result: rules.SlaResult, at: datetime) -> None:
    claim_text, clause = _claim_window_text(ticket, at)
    closes = ""
    if result.auto_close_at is not None:
        when = timezone.localtime(result.auto_close_at)
        closes = (
            f" It will close automatically at {when:%H:%M} on {when:%d %B %Y} unless you "
            "tell us the problem is still there."
        )
    # A fault resolved again after a reopening gets a notice (and claim window) of its own.
    again = f":{result.reopened + 1}" if result.reopened else ""
    notice_send(
        key=f"ticket:{ticket.reference}:resolved{again}",
        kind="support.ticket-resolved",
        subject=f"Ticket {ticket.reference} resolved",
        body=(
            f"We believe the problem in ticket {ticket.reference} ({ticket.subject}) is "
            f"resolved. Please confirm in the Member Centre.{closes}\n\n{claim_text}"
        ),
        now=at,
        account=ticket.account,
        recipient=_recipient(ticket),
        clause_id=clause or None,
    )


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author_kind: str,
    author_name: str,
    body: str,
    now: datetime,
    uploads: Sequence[Upload] = (),
    internal: bool = False,
) -> TicketMessage:
    """Add a message to the conversation. Staff's first reply is the ticket's response."""
    ticket = _locked(ticket)
    if ticket.state == TicketState.CLOSED:
        raise TransitionNotAllowed(f"ticket {ticket.reference} is closed; raise a new ticket")
    if author_kind not in AuthorKind.values:
        raise InvalidInput(f"author_kind: unknown {author_kind!r}")
    body = _checked_text(body, field="message", limit=BODY_LIMIT)
    uploads = _checked_uploads(uploads)
    message = _message_add(
        ticket=ticket,
        at=now,
        author_kind=author_kind,
        author_name=author_name,
        body=body,
        uploads=uploads,
        internal=internal,
    )
    if author_kind == AuthorKind.STAFF and not internal and ticket.first_response_at is None:
        ticket_event_add(ticket=ticket, type=EventType.RESPONDED, at=now, actor=author_name)
    elif not internal and author_kind == AuthorKind.STAFF:
        notice_send(
            key=f"ticket:{ticket.reference}:message:{message.pk}",
            kind="support.ticket-message",
            subject=f"Ticket {ticket.reference}: a new message",
            body=f"{author_name} wrote on ticket {ticket.reference}:\n\n{body}\n",
            now=now,
            account=ticket.account,
            recipient=_recipient(ticket),
        )
    return message


def ticket_confirm(*, ticket: Ticket, now: datetime, by: str) -> Ticket:
    """The customer confirms the fault is cleared: the ticket closes and its clock stops
    (plusnet-business/broadband-schedule#7.7)."""
    if ticket.state != TicketState.RESOLVED:
        raise TransitionNotAllowed(
            f"ticket {ticket.reference} is {ticket.get_state_display().lower()}; "
            "only a resolved ticket can be confirmed"
        )
    return ticket_event_add(ticket=ticket, type=EventType.CONFIRMED, at=now, actor=by)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))


def tickets_auto_close(*, on: date, now: datetime) -> dict[str, int]:
    """Close resolved tickets whose automatic close falls on or before ``on``.

    "after 5 working days" (plusnet-business/broadband-schedule#7.7): the ticket closes at
    its auto-close instant, which is recorded as the closing time whenever the job runs, so
    replaying a day changes nothing.
    """
    due = Ticket.objects.filter(
        state=TicketState.RESOLVED, auto_close_at__isnull=False, auto_close_at__lt=_end_of(on)
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            ticket = _locked(Ticket(pk=pk))
            if ticket.state != TicketState.RESOLVED or ticket.auto_close_at is None:
                continue
            result = ticket_sync(ticket, at=ticket.auto_close_at)
            if result.state != TicketState.CLOSED:
                continue
            _message_add(
                ticket=ticket,
                at=ticket.auto_close_at,
                author_kind=AuthorKind.SYSTEM,
                author_name="Backhaul",
                body="Closed automatically: no reply within the closing period after the fix.",
            )
            notice_send(
                key=f"ticket:{ticket.reference}:auto-closed",
                kind="support.ticket-closed",
                subject=f"Ticket {ticket.reference} closed",
                body=(
                    f"Ticket {ticket.reference} ({ticket.subject}) was closed automatically "
                    f"at {timezone.localtime(ticket.auto_close_at):%H:%M on %d %B %Y}. "
                    "If the problem comes back, raise a new ticket.\n"
                ),
                now=now,
                account=ticket.account,
                recipient=_recipient(ticket),
                clause_id=_auto_close_clause(ticket) or None,
            )
            closed += 1
    return {"closed": closed}


def _auto_close_clause(ticket: Ticket) -> str:
    policy = selectors.ticket_policy(ticket) or selectors.general_policy_for(ticket.account.brand)
    return policy.auto_close_clause


def ticket_get(reference: str) -> Ticket:
    try:
        return selectors.tickets_with_events().get(reference=reference.strip().upper())
    except Ticket.DoesNotExist:
        raise NotFound(f"unknown ticket {reference!r}") from None
