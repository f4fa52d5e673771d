"""Services that keep Backhaul and the mail server in step, through a mail server adapter.

`mail_server_sync` reads the server (`adapters.MailServer.collect`) and applies what it
reports: each mailbox's last login (the access the archive rule counts; an archived
mailbox accessed again is restored), its unread total (the unread rule's input), its
totals, and the headers-only traffic log with delivery statuses. A file the adapter
cannot read at all is refused before anything is written. Lines it could not use are
kept as `MailSyncReject` rows with their reasons, as are mailboxes the server reports and
Backhaul does not hold. Applying the same output twice changes nothing the second time.

`mail_server_push` sends the lifecycle's events (archived, restored, deleted, unread
removed, suspended, unsuspended) to the server as its own commands, each event once; with
`dry_run` it only lists them.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from backhaul.mailboxes import rules
from backhaul.mailboxes.adapters.base import (
    CommandOutcome,
    DeliveryUpdate,
    MailboxAction,
    MailboxState,
    MailServer,
    MailServerReport,
    Rejection,
    TrafficRecord,
)
from backhaul.mailboxes.choices import MailboxEventKind, MailboxStatus, TrafficDirection
from backhaul.mailboxes.models import Mailbox, MailboxEvent, MailSync, MailSyncReject, MailTraffic
from backhaul.mailboxes.selectors import Housekeeping, housekeeping_for
from backhaul.mailboxes.services import mail_traffic_log, mailbox_access_record
from backhaul.scheduler.events import rows_update

BATCH = 1000
# A later log line joins a message logged earlier by queue id within Postfix's longest
# default queue lifetime (5 days) and a little more.
QUEUE_WINDOW = timedelta(days=7)

PUSHED_KINDS = (
    MailboxEventKind.ARCHIVED,
    MailboxEventKind.RESTORED,
    MailboxEventKind.DELETED,
    MailboxEventKind.UNREAD_REMOVED,
    MailboxEventKind.SUSPENDED,
    MailboxEventKind.UNSUSPENDED,
)


def _chunks(items: list[Any], size: int = BATCH) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mailboxes_by_address(addresses: Iterable[str]) -> dict[str, Mailbox]:
    found: dict[str, Mailbox] = {}
    for chunk in _chunks(sorted(set(addresses))):
        for mailbox in Mailbox.objects.filter(address__in=chunk).select_related("account"):
            found[mailbox.address] = mailbox
    return found


@dataclass
class _Apply:
    report: MailServerReport
    on: date
    now: datetime
    mailboxes: dict[str, Mailbox]
    refusals: list[Rejection] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    housekeeping: dict[int, Housekeeping] = field(default_factory=dict)

    def count(self, group: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(group, Counter())[what] += n

    def rules_for(self, mailbox: Mailbox) -> Housekeeping:
        brand_id = mailbox.account.brand_id
        if brand_id not in self.housekeeping:
            self.housekeeping[brand_id] = housekeeping_for(mailbox.account.brand)
        return self.housekeeping[brand_id]

    # --- Logins ----------------------------------------------------------------------

    def logins(self) -> None:
        touched: list[Mailbox] = []
        for login in self.report.logins.values():
            self.count("logins", "reported")
            mailbox = self.mailboxes.get(login.address)
            if mailbox is None:
                self.count("logins", "unknown")
                self.refusals.append(login.where.reject(f"no mailbox {login.address} in Backhaul"))
                continue
            newer = mailbox.last_accessed_at is None or login.at > mailbox.last_accessed_at
            if not newer:
                self.count("logins", "unchanged")
            elif mailbox.status == MailboxStatus.DELETED:
                self.count("logins", "after_deletion")
                self.refusals.append(
                    login.where.reject(
                        f"{login.address} logged in at {login.at:%Y-%m-%d %H:%M} UTC, after "
                        f"its stored mail was deleted on {mailbox.deleted_on}"
                    )
                )
            elif mailbox.status == MailboxStatus.ARCHIVED:
                self.mailboxes[login.address] = mailbox_access_record(
                    mailbox=mailbox, at=login.at, now=self.now
                )
                self.count("logins", "restored")
            else:
                mailbox.last_accessed_at = login.at
                touched.append(mailbox)
                self.count("logins", "recorded")
        for chunk in _chunks(touched):
            rows_update(Mailbox, chunk, ["last_accessed_at"])

    # --- Totals and unread mail --------------------------------------------------------

    def _unread(self, mailbox: Mailbox, unread: int) -> None:
        """The unread rule's input: the total and the day it first went over the limit
        (plusnet-business/broadband-schedule#5.16), as `mailbox_unread_report` keeps it."""
        housekeeping = self.rules_for(mailbox)
        over = housekeeping.unread_limit_mb is not None and rules.unread_over_limit(
            unread_bytes=unread,
            limit_mb=housekeeping.unread_limit_mb,
            bytes_per_mb=housekeeping.bytes_per_mb,
        )
        mailbox.unread_bytes = unread
        if not over:
            mailbox.unread_over_limit_since = None
        elif mailbox.unread_over_limit_since is None:
            mailbox.unread_over_limit_since = self.on

    def states(self) -> None:
        fields = [
            "mail_count",
            "unseen_count",
            "stored_bytes",
            "server_reported_on",
            "unread_bytes",
            "unread_over_limit_since",
        ]
        changed: list[Mailbox] = []
        for state in self.report.states.values():
            self.count("mailboxes", "reported")
            mailbox = self.mailboxes.get(state.address)
            if mailbox is None:
                self.count("mailboxes", "unknown")
                self.refusals.append(state.where.reject(f"no mailbox {state.address} in Backhaul"))
                continue
            if mailbox.status == MailboxStatus.DELETED:
                self.count("mailboxes", "deleted")
                continue
            before = tuple(getattr(mailbox, name) for name in fields)
            self._totals(mailbox, state)
            if tuple(getattr(mailbox, name) for name in fields) == before:
                self.count("mailboxes", "unchanged")
            else:
                changed.append(mailbox)
                self.count("mailboxes", "updated")
        if self.report.unread_complete:
            changed += self._nothing_unread()
        for chunk in _chunks(changed):
            rows_update(Mailbox, chunk, fields)

    def _totals(self, mailbox: Mailbox, state: MailboxState) -> None:
        for name in ("mail_count", "unseen_count", "stored_bytes"):
            if getattr(state, name) is not None:
                setattr(mailbox, name, getattr(state, name))
        if mailbox.server_reported_on is None or mailbox.server_reported_on < self.on:
            mailbox.server_reported_on = self.on
        unread = state.unread_bytes
        if unread is None and (state.unseen_count == 0 or self.report.unread_complete):
            unread = 0
        if unread is not None:
            self._unread(mailbox, unread)

    def _nothing_unread(self) -> list[Mailbox]:
        """Mailboxes the all-users unread listing did not name have nothing unread."""
        reported = set(self.report.states)
        cleared = []
        candidates = (
            Mailbox.objects.exclude(status=MailboxStatus.DELETED)
            .exclude(unread_bytes=0, unread_over_limit_since__isnull=True)
            .select_related("account")
        )
        for mailbox in candidates.iterator(chunk_size=BATCH):
            if mailbox.address in reported:
                continue
            self._unread(mailbox, 0)
            cleared.append(mailbox)
            self.count("mailboxes", "nothing_unread")
        return cleared

    # --- Traffic ---------------------------------------------------------------------

    def traffic(self) -> None:
        records = self.report.traffic
        existing: dict[tuple[int, str, str], MailTraffic] = {}
        for chunk in _chunks(sorted({r.message_id for r in records})):
            for entry in MailTraffic.objects.filter(message_id__in=chunk):
                existing[(entry.mailbox_id, entry.direction, entry.message_id)] = entry
        for record in records:
            self.count("traffic", "records")
            mailbox = self.mailboxes.get(record.address)
            if mailbox is None:
                self.count("traffic", "not_ours")
                continue
            entry = existing.get((mailbox.pk, record.direction, record.message_id))
            if entry is None:
                entry = self._log(mailbox, record)
                existing[(mailbox.pk, record.direction, record.message_id)] = entry
                self.count("traffic", "logged")
                continue
            status = rules.delivery_status_merge(entry.status, record.status)
            if status == entry.status and entry.queue_id:
                self.count("traffic", "unchanged")
                continue
            entry.status, entry.queue_id = status, entry.queue_id or record.queue_id
            entry.save(update_fields=["status", "queue_id"])
            self.count("traffic", "updated")

    def _log(self, mailbox: Mailbox, record: TrafficRecord) -> MailTraffic:
        headers = rules.MessageHeaders(
            message_id=record.message_id,
            sender=record.sender,
            recipients=record.recipients,
            subject=record.subject,
            sent_at=None,
            size_bytes=record.size_bytes,
        )
        entry, _created = mail_traffic_log(
            mailbox=mailbox,
            direction=record.direction,
            headers=headers,
            at=record.at,
            now=self.now,
            status=record.status,
            queue_id=record.queue_id,
            recipient_count=record.recipient_count,
        )
        return entry

    def updates(self) -> None:
        """Later delivery lines for messages logged from an earlier file."""
        for update in self.report.updates:
            self.count("updates", "reported")
            matched = self._update(update)
            self.count("updates", matched)

    def _update(self, update: DeliveryUpdate) -> str:
        entries = MailTraffic.objects.filter(
            queue_id=update.queue_id, at__gte=update.at - QUEUE_WINDOW, at__lte=update.at
        ).select_related("mailbox")
        result = "unmatched"
        for entry in entries:
            if entry.direction == TrafficDirection.INBOUND and entry.mailbox.address != (
                update.recipient
            ):
                continue
            status = rules.delivery_status_merge(entry.status, update.status)
            if status == entry.status:
                result = "unchanged" if result == "unmatched" else result
                continue
            entry.status = status
            entry.save(update_fields=["status"])
            result = "applied"
        return result


def mail_report_apply(
    *, report: MailServerReport, server: str, on: date, now: datetime
) -> MailSync:
    """Apply a mail server report (see the module docstring); returns the sync record."""
    sync = MailSync.objects.create(server=server, on=on, started_at=now)
    addresses = {*report.states, *report.logins}
    addresses |= {record.address for record in report.traffic}
    apply = _Apply(report=report, on=on, now=now, mailboxes=_mailboxes_by_address(addresses))
    apply.logins()
    with transaction.atomic():
        apply.states()
    apply.traffic()
    apply.updates()
    rejections = [*report.rejections, *apply.refusals]
    for chunk in _chunks(rejections):
        MailSyncReject.objects.bulk_create(
            MailSyncReject(
                sync=sync,
                origin=r.origin[:300],
                line=r.line,
                reason=r.reason[:300],
                raw=r.raw,
            )
            for r in chunk
        )
    lines = {
        "read": sum(f.read for f in report.files),
        "accepted": sum(f.accepted for f in report.files),
        "rejected": sum(f.rejected for f in report.files),
    }
    sync.counts = {
        "files": [f.as_dict() for f in report.files],
        "lines": lines,
        **{group: dict(sorted(counter.items())) for group, counter in apply.counts.items()},
        "incomplete": sorted(report.incomplete),
        "rejects": [r.as_dict() for r in rejections[:50]],
    }
    sync.finished_at = now
    sync.save(update_fields=["counts", "finished_at"])
    return sync


def mail_server_sync(*, server: MailServer, on: date, now: datetime) -> MailSync:
    """Read the mail server through its adapter and apply what it reports on `on`."""
    report = server.collect(on=on, now=now)
    return mail_report_apply(report=report, server=server.name, on=on, now=now)


# --- Actions pushed to the mail server ------------------------------------------------


@dataclass
class PlannedAction:
    event: MailboxEvent
    commands: list[tuple[str, ...]]
    outcomes: list[CommandOutcome] = field(default_factory=list)
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        failed = next((o for o in self.outcomes if o.returncode != 0), None)
        return {
            "event": self.event.pk,
            "mailbox": self.event.mailbox.address,
            "kind": self.event.kind,
            "on": self.event.on,
            "commands": [shlex.join(c) for c in self.commands],
            "done": self.done,
            "error": f"exit status {failed.returncode}: {failed.output}" if failed else "",
        }


def mail_server_actions(*, server: MailServer) -> list[PlannedAction]:
    """The lifecycle events not yet carried out on the server, oldest first, each with the
    server's commands for it."""
    events = (
        MailboxEvent.objects.filter(kind__in=PUSHED_KINDS, pushed_at__isnull=True)
        .select_related("mailbox")
        .order_by("on", "id")
    )
    planned = []
    for event in events.iterator(chunk_size=BATCH):
        action = MailboxAction(
            event_id=event.pk, address=event.mailbox.address, kind=event.kind, on=event.on
        )
        planned.append(PlannedAction(event=event, commands=list(server.commands(action))))
    return planned


def mail_server_push(
    *, server: MailServer, now: datetime, dry_run: bool = False
) -> list[PlannedAction]:
    """Carry out each pending event's commands on the server, in order; an event is marked
    done only when all its commands succeeded. After a failure, that mailbox's later
    events wait for the next push. With `dry_run` nothing is run or written."""
    planned = mail_server_actions(server=server)
    if dry_run:
        return planned
    blocked: set[int] = set()
    for action in planned:
        mailbox_id = action.event.mailbox_id
        if mailbox_id in blocked:
            continue
        for command in action.commands:
            outcome = server.execute(command)
            action.outcomes.append(outcome)
            if outcome.returncode != 0:
                blocked.add(mailbox_id)
                break
        else:
            MailboxEvent.objects.filter(pk=action.event.pk).update(pushed_at=now)
            action.done = True
    return planned
