"""Mailboxes: creating them, recording access and traffic, suspending, and daily housekeeping.

Every number comes from the brand's `[rules.mailboxes]`; a brand whose terms have no
archive, unread or sending limit simply has that rule skipped. Notices go through
`notices.services.notice_send` (idempotent on their key) and housekeeping events are
unique per mailbox, kind and day, so the daily job can be replayed for any day.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import clause_get
from backhaul.core.calendar import LONDON
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.customers.models import Account
from backhaul.mailboxes import rules
from backhaul.mailboxes.choices import MailboxEventKind, MailboxStatus, TrafficDirection
from backhaul.mailboxes.models import Mailbox, MailboxEvent, MailTraffic
from backhaul.mailboxes.selectors import Housekeeping, housekeeping_for, sending_limits_for
from backhaul.notices.services import notice_send
from backhaul.scheduler.events import EventBatch, event_record
from backhaul.scheduler.registry import batched


def _london_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise InvalidInput(f"time must be timezone-aware: {moment!r}")
    return moment.astimezone(LONDON).date()


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def _event(mailbox: Mailbox, kind: str, **details: Any) -> MailboxEvent:
    """Add to the mailbox's history (see `scheduler.events.event_record`)."""
    return event_record(MailboxEvent, owner={"mailbox": mailbox}, kind=kind, **details)


def _checked_address(address: str) -> str:
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(f"address: not an email address: {address!r}") from None
    return address


def _create(
    account: Account, address: str, *, on: date, now: datetime, postmaster: bool
) -> Mailbox:
    if Mailbox.objects.filter(address=address).exists():
        raise InvalidInput(f"address: {address} already exists")
    mailbox = Mailbox.objects.create(
        account=account,
        address=address,
        is_postmaster=postmaster,
        created_on=on,
        created_at=now,
    )
    _event(
        mailbox, MailboxEventKind.CREATED, on=on, now=now, detail="postmaster" if postmaster else ""
    )
    return mailbox


@transaction.atomic
def postmaster_ensure(
    *, account: Account, username: str, on: date, now: datetime
) -> Mailbox | None:
    """The account's postmaster mailbox, created from the brand's pattern if it has none
    (plusnet-business/broadband-schedule#5.14). Brands without a pattern have none."""
    existing = Mailbox.objects.filter(account=account, is_postmaster=True).first()
    if existing is not None:
        return existing
    rules_ = housekeeping_for(account.brand)
    if not rules_.postmaster_pattern:
        return None
    address = _checked_address(rules.postmaster_address(rules_.postmaster_pattern, username))
    return _create(account, address, on=on, now=now, postmaster=True)


@transaction.atomic
def mailbox_create(
    *, account: Account, address: str, on: date, now: datetime, username: str | None = None
) -> Mailbox:
    """Open a mailbox for the account; the account's postmaster mailbox comes with the first.

    `username` names the postmaster address where the brand's terms give a pattern
    (`postmaster@<username>.plus.com`); it defaults to the account number.
    """
    mailbox = _create(account, _checked_address(address), on=on, now=now, postmaster=False)
    postmaster_ensure(account=account, username=username or account.number.lower(), on=on, now=now)
    return mailbox


@transaction.atomic
def mailbox_access_record(*, mailbox: Mailbox, at: datetime, now: datetime) -> Mailbox:
    """The customer viewed or accessed the mailbox at `at`.

    Access to an archived mailbox brings its mail back and stops its deletion
    (plusnet-business/broadband-schedule#5.6). A deleted mailbox cannot be accessed.
    """
    mailbox = (
        Mailbox.objects.select_for_update(of=("self",))
        .select_related("account__brand")
        .get(pk=mailbox.pk)
    )
    if mailbox.status == MailboxStatus.DELETED:
        raise TransitionNotAllowed(f"{mailbox.address} was deleted on {mailbox.deleted_on}")
    _london_date(at)
    if mailbox.last_accessed_at is None or at > mailbox.last_accessed_at:
        mailbox.last_accessed_at = at
    fields = ["last_accessed_at"]
    if mailbox.status == MailboxStatus.ARCHIVED:
        housekeeping = housekeeping_for(mailbox.account.brand)
        mailbox.status = MailboxStatus.ACTIVE
        mailbox.archived_on = None
        fields += ["status", "archived_on"]
        _event(
            mailbox,
            MailboxEventKind.RESTORED,
            on=_london_date(at),
            now=now,
            clause_id=housekeeping.archive_clause or None,
            detail="accessed after archiving: the archived mail is kept",
        )
    mailbox.save(update_fields=fields)
    return mailbox


@transaction.atomic
def mailbox_unread_report(*, mailbox: Mailbox, unread_bytes: int, on: date) -> Mailbox:
    """The mail server's count of unread mail in the mailbox on `on`.

    Marks the day unread mail first went over the brand's limit, and clears it when it
    falls back under (plusnet-business/broadband-schedule#5.16).
    """
    if unread_bytes < 0:
        raise InvalidInput(f"unread bytes: must not be negative: {unread_bytes}")
    mailbox = (
        Mailbox.objects.select_for_update(of=("self",))
        .select_related("account__brand")
        .get(pk=mailbox.pk)
    )
    housekeeping = housekeeping_for(mailbox.account.brand)
    mailbox.unread_bytes = unread_bytes
    over = housekeeping.unread_limit_mb is not None and rules.unread_over_limit(
        unread_bytes=unread_bytes,
        limit_mb=housekeeping.unread_limit_mb,
        bytes_per_mb=housekeeping.bytes_per_mb,
    )
    if not over:
        mailbox.unread_over_limit_since = None
    elif mailbox.unread_over_limit_since is None:
        mailbox.unread_over_limit_since = on
    mailbox.save(update_fields=["unread_bytes", "unread_over_limit_since"])
    return mailbox


@transaction.atomic
def mailbox_suspend(
    *, mailbox: Mailbox, reason: str, clause_id: str, on: date, now: datetime, notify: bool = True
) -> Mailbox:
    """Suspend a mailbox, recording why and the clause that allows it.

    Used for spam-like activity (plugin/email-terms#5) and by the abuse desk. Suspending a
    suspended mailbox changes nothing.
    """
    clause = clause_get(clause_id)
    mailbox = (
        Mailbox.objects.select_for_update(of=("self",)).select_related("account").get(pk=mailbox.pk)
    )
    if mailbox.status == MailboxStatus.DELETED:
        raise TransitionNotAllowed(f"{mailbox.address} was deleted on {mailbox.deleted_on}")
    if mailbox.status == MailboxStatus.SUSPENDED:
        return mailbox
    suspensions = mailbox.events.filter(kind=MailboxEventKind.SUSPENDED).count()
    mailbox.status = MailboxStatus.SUSPENDED
    mailbox.suspended_on = on
    mailbox.suspension_reason = reason[:300]
    mailbox.suspension_clause = clause
    mailbox.save(update_fields=["status", "suspended_on", "suspension_reason", "suspension_clause"])
    notice = None
    if notify:
        notice = notice_send(
            key=f"mailbox:{mailbox.pk}:suspended:{on}:{suspensions + 1}",
            kind="mailbox.suspended",
            account=mailbox.account,
            subject=f"Your mailbox {mailbox.address} is suspended",
            body=f"We have suspended your mailbox {mailbox.address} on {on}: {reason}.",
            clause_id=clause.clause_id,
            now=now,
        )
    _event(
        mailbox,
        MailboxEventKind.SUSPENDED,
        on=on,
        now=now,
        clause_id=clause.clause_id,
        detail=reason,
        notice=notice,
    )
    return mailbox


@transaction.atomic
def mailbox_unsuspend(*, mailbox: Mailbox, on: date, now: datetime, reason: str = "") -> Mailbox:
    """Lift a suspension (staff, once the matter is resolved)."""
    mailbox = Mailbox.objects.select_for_update(of=("self",)).get(pk=mailbox.pk)
    if mailbox.status != MailboxStatus.SUSPENDED:
        raise TransitionNotAllowed(f"{mailbox.address} is not suspended")
    clause_id = mailbox.suspension_clause.clause_id if mailbox.suspension_clause else None
    mailbox.status = MailboxStatus.ACTIVE
    mailbox.suspended_on = None
    mailbox.suspension_reason = ""
    mailbox.suspension_clause = None
    mailbox.save(update_fields=["status", "suspended_on", "suspension_reason", "suspension_clause"])
    _event(
        mailbox, MailboxEventKind.UNSUSPENDED, on=on, now=now, clause_id=clause_id, detail=reason
    )
    return mailbox


def mail_traffic_log(
    *,
    mailbox: Mailbox,
    direction: str,
    headers: rules.MessageHeaders,
    at: datetime,
    now: datetime,
    status: str = "",
    queue_id: str = "",
    recipient_count: int | None = None,
) -> tuple[MailTraffic, bool]:
    """Log one message by its headers; returns (entry, created).

    `status` and `queue_id` come from the mail log (the delivery status reported, and the
    queue id that joins later lines about the same message); `recipient_count` is the
    envelope's count where it is known to be more than the recipients listed.

    A message logged before (same mailbox, direction and Message-ID) is not logged again.
    A sent message that takes the mailbox over the brand's daily send limit or recipient
    cap is spam-like activity: the mailbox is suspended with the clause (plugin/email-terms#4
    and #5).
    """
    if direction not in TrafficDirection.values:
        raise InvalidInput(f"direction: must be in or out, not {direction!r}")
    day = _london_date(at)
    recipients = max(recipient_count or 0, len(headers.recipients))
    with transaction.atomic():
        existing = (
            MailTraffic.objects.filter(
                mailbox=mailbox, direction=direction, message_id=headers.message_id
            ).first()
            if headers.message_id
            else None
        )
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                entry = MailTraffic.objects.create(
                    mailbox=mailbox,
                    direction=direction,
                    at=at,
                    message_id=headers.message_id,
                    sender=headers.sender,
                    recipients=rules.recipients_text(headers.recipients),
                    recipient_count=recipients,
                    subject=headers.subject,
                    dated=headers.sent_at,
                    size_bytes=headers.size_bytes,
                    status=status,
                    queue_id=queue_id,
                )
        except IntegrityError:
            return MailTraffic.objects.get(
                mailbox=mailbox, direction=direction, message_id=headers.message_id
            ), False
        if direction != TrafficDirection.OUTBOUND:
            return entry, True
        limits = sending_limits_for(mailbox.account.brand)
        if limits is None:
            return entry, True
        sent_today = MailTraffic.objects.filter(
            mailbox=mailbox,
            direction=TrafficDirection.OUTBOUND,
            at__gte=_london_midnight(day),
            at__lt=_london_midnight(day + timedelta(days=1)),
        ).count()
        reason = rules.spam_like_activity(
            sent_today=sent_today, recipients=recipients, limits=limits
        )
        mailbox.refresh_from_db(fields=["status"])
        if reason is not None and mailbox.status != MailboxStatus.DELETED:
            mailbox_suspend(
                mailbox=mailbox,
                reason=f"spam-like activity: {reason}",
                clause_id=limits.suspend_clause,
                on=day,
                now=now,
            )
            mailbox.refresh_from_db()
        return entry, True


def mail_message_log(
    *,
    mailbox: Mailbox,
    direction: str,
    raw: bytes,
    at: datetime,
    now: datetime,
    envelope_recipients: tuple[str, ...] = (),
) -> tuple[MailTraffic, bool]:
    """Log a raw message by its headers alone; the body is never read or stored."""
    headers = rules.headers_of(raw, envelope_recipients=envelope_recipients)
    return mail_traffic_log(mailbox=mailbox, direction=direction, headers=headers, at=at, now=now)


# --- Daily housekeeping ----------------------------------------------------------------


def _last_activity(mailbox: Mailbox) -> date:
    if mailbox.last_accessed_at is not None:
        return _london_date(mailbox.last_accessed_at)
    return mailbox.created_on


def _archive(
    mailbox: Mailbox,
    rules_: Housekeeping,
    *,
    on: date,
    now: datetime,
    events: EventBatch,
) -> bool:
    months = rules_.archive_after_months
    last = _last_activity(mailbox)
    if months is None or not rules.archive_due(last_activity=last, on=on, months=months):
        return False
    deletion = (
        rules.deletion_date(on, rules_.delete_after_notice_months)
        if rules_.delete_after_notice_months is not None
        else None
    )
    mailbox.status = MailboxStatus.ARCHIVED
    mailbox.archived_on = on
    mailbox.save(update_fields=["status", "archived_on"])
    notice = notice_send(
        key=f"mailbox:{mailbox.pk}:archived:{on}",
        kind="mailbox.archived",
        account=mailbox.account,
        subject=f"We have archived the email in {mailbox.address}",
        body=(
            f"Your mailbox {mailbox.address} has not been accessed since {last}, so"
            f" we have archived its email today, {on}."
            + (
                f" If you do not view or access it by {deletion}, we may delete all stored email."
                if deletion
                else ""
            )
        ),
        clause_id=rules_.archive_clause,
        now=now,
    )
    events.add(
        owner={"mailbox": mailbox},
        kind=MailboxEventKind.ARCHIVED,
        on=on,
        now=now,
        clause_id=rules_.archive_clause,
        detail=f"not accessed since {last}",
        notice=notice,
    )
    return True


def _delete(
    mailbox: Mailbox,
    rules_: Housekeeping,
    *,
    on: date,
    now: datetime,
    events: EventBatch,
) -> bool:
    months = rules_.delete_after_notice_months
    if months is None or mailbox.archived_on is None:
        return False
    if not rules.deletion_due(notified_on=mailbox.archived_on, on=on, months=months):
        return False
    mailbox.status = MailboxStatus.DELETED
    mailbox.deleted_on = on
    mailbox.unread_bytes = 0
    mailbox.unread_over_limit_since = None
    mailbox.save(update_fields=["status", "deleted_on", "unread_bytes", "unread_over_limit_since"])
    notice = notice_send(
        key=f"mailbox:{mailbox.pk}:deleted:{on}",
        kind="mailbox.deleted",
        account=mailbox.account,
        subject=f"The stored email in {mailbox.address} has been deleted",
        body=(
            f"We archived the email in {mailbox.address} on {mailbox.archived_on} and told you "
            f"so. As it has not been viewed or accessed since, all stored email has been deleted."
        ),
        clause_id=rules_.archive_clause,
        now=now,
    )
    events.add(
        owner={"mailbox": mailbox},
        kind=MailboxEventKind.DELETED,
        on=on,
        now=now,
        clause_id=rules_.archive_clause,
        detail=f"not accessed within {months} month(s) of the notice of {mailbox.archived_on}",
        notice=notice,
    )
    return True


def _remove_unread(
    mailbox: Mailbox,
    rules_: Housekeeping,
    *,
    on: date,
    now: datetime,
    events: EventBatch,
) -> bool:
    days = rules_.unread_days
    since = mailbox.unread_over_limit_since
    if rules_.unread_limit_mb is None or days is None or since is None:
        return False
    if not rules.unread_removal_due(over_since=since, on=on, days=days):
        return False
    removed = mailbox.unread_bytes
    mailbox.unread_bytes = 0
    mailbox.unread_over_limit_since = None
    mailbox.save(update_fields=["unread_bytes", "unread_over_limit_since"])
    # "it will be removed without notice to you": recorded, not notified.
    events.add(
        owner={"mailbox": mailbox},
        kind=MailboxEventKind.UNREAD_REMOVED,
        on=on,
        now=now,
        clause_id=rules_.unread_clause,
        detail=(
            f"{removed} bytes unread, over {rules_.unread_limit_mb}MB since {since} "
            f"(more than {days} days)"
        ),
    )
    return True


def mailboxes_run_day(*, on: date, now: datetime) -> dict[str, int]:
    """The day's mailbox housekeeping, for the brands whose terms have it.

    Archive mailboxes not accessed for the brand's months (and tell the customer), delete
    the mail of archived mailboxes not accessed within the months after that notice, and
    remove unread mail that has been over the limit for more than the brand's days. The
    query picks exactly the mailboxes due; they are locked and handled in batches, one
    transaction each. Replaying a day finds nothing left to do.
    """
    counts: Counter[str] = Counter({"archived": 0, "deleted": 0, "unread_removed": 0})
    events = EventBatch(MailboxEvent)
    for brand in Brand.objects.order_by("key"):
        rules_ = housekeeping_for(brand)
        if not rules_.anything:
            continue
        conditions = Q(pk__in=[])
        if rules_.archive_after_months is not None:
            last = rules.latest_due(on, rules_.archive_after_months)
            conditions |= Q(status=MailboxStatus.ACTIVE) & (
                Q(last_accessed_at__lt=_london_midnight(last + timedelta(days=1)))
                | Q(last_accessed_at__isnull=True, created_on__lte=last)
            )
            if rules_.delete_after_notice_months is not None:
                notified_by = rules.latest_due(on, rules_.delete_after_notice_months)
                conditions |= Q(status=MailboxStatus.ARCHIVED, archived_on__lte=notified_by)
        if rules_.unread_limit_mb is not None and rules_.unread_days is not None:
            over_since = on - timedelta(days=rules_.unread_days + 1)
            conditions |= Q(unread_over_limit_since__lte=over_since) & ~Q(
                status=MailboxStatus.DELETED
            )
        due = list(
            Mailbox.objects.filter(conditions, account__brand=brand)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for batch in batched(due):
            with transaction.atomic():
                for mailbox in (
                    Mailbox.objects.select_for_update(of=("self",))
                    .select_related("account")
                    .filter(pk__in=batch)
                    .order_by("pk")
                ):
                    for kind in _housekeeping(mailbox, rules_, on=on, now=now, events=events):
                        counts[kind] += 1
                events.write()
    return dict(counts)


def _housekeeping(
    mailbox: Mailbox, rules_: Housekeeping, *, on: date, now: datetime, events: EventBatch
) -> list[str]:
    """One mailbox's housekeeping for the day; returns what was done."""
    if mailbox.status == MailboxStatus.ACTIVE and _archive(
        mailbox, rules_, on=on, now=now, events=events
    ):
        done = ["archived"]
    elif mailbox.status == MailboxStatus.ARCHIVED and _delete(
        mailbox, rules_, on=on, now=now, events=events
    ):
        return ["deleted"]
    else:
        done = []
    if mailbox.status != MailboxStatus.DELETED and _remove_unread(
        mailbox, rules_, on=on, now=now, events=events
    ):
        done.append("unread_removed")
    return done
