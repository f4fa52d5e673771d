"""What Backhaul and a mail server tell each other, whatever the mail server is.

A mail server adapter *reads* the server's own outputs (for Dovecot: `doveadm` tab output
and the mail log) into a `MailServerReport`: each mailbox's last login and unread total,
and the headers-only traffic log, with every line it could not use kept as a `Rejection`
naming its file, line and reason. It *writes* nothing to Backhaul itself: the services in
`backhaul.mailboxes.sync` apply a report. The other way, it turns the lifecycle's events
(archived, deleted, unread removed, suspended...) into the commands the server needs,
which it can list (a dry run) or run.

The parsers are pure (text in, values out); only `collect` and `execute` touch files and
processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

# How much of a rejected line is kept with its reason.
RAW_LIMIT = 500


@dataclass(frozen=True)
class Rejection:
    """A line that was not used, where it was and why."""

    origin: str
    line: int
    reason: str
    raw: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"file": self.origin, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class Where:
    """The first line that named something, so a later refusal can point at it."""

    origin: str
    line: int
    raw: str = ""

    def reject(self, reason: str) -> Rejection:
        return Rejection(self.origin, self.line, reason, self.raw[:RAW_LIMIT])


@dataclass
class MailboxState:
    """What the server says about one mailbox (by address); None where it said nothing."""

    address: str
    where: Where
    mail_count: int | None = None
    unseen_count: int | None = None
    stored_bytes: int | None = None
    unread_bytes: int | None = None


@dataclass(frozen=True)
class Login:
    """The latest login (IMAP or POP3) the server recorded for a mailbox."""

    address: str
    at: datetime
    where: Where


@dataclass(frozen=True)
class TrafficRecord:
    """One message through one mailbox, by its headers: never a body.

    `address` is the mailbox it passed through (the sender's for `out`, a recipient's for
    `in`); `status` is the delivery status the log reported last (sent, deferred,
    bounced, expired), a failure being kept once seen.
    """

    address: str
    direction: str
    at: datetime
    queue_id: str
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    recipient_count: int
    subject: str
    size_bytes: int
    status: str
    where: Where


@dataclass(frozen=True)
class DeliveryUpdate:
    """A later delivery status for a message whose start was in an earlier log file."""

    queue_id: str
    recipient: str
    at: datetime
    status: str
    where: Where


@dataclass
class FileSummary:
    """One file (or command output) read: read = accepted + rejected."""

    name: str
    kind: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
        }


@dataclass
class MailServerReport:
    """Everything read from the mail server in one sync."""

    files: list[FileSummary] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    states: dict[str, MailboxState] = field(default_factory=dict)
    logins: dict[str, Login] = field(default_factory=dict)
    traffic: list[TrafficRecord] = field(default_factory=list)
    updates: list[DeliveryUpdate] = field(default_factory=list)
    # Messages seen in a log without a start (no Message-ID line), by queue id.
    incomplete: list[str] = field(default_factory=list)
    # True when an all-users unread listing was read: a mailbox missing from it has no
    # unread mail.
    unread_complete: bool = False

    def login_seen(self, login: Login) -> None:
        known = self.logins.get(login.address)
        if known is None or login.at > known.at:
            self.logins[login.address] = login


@dataclass(frozen=True)
class MailboxAction:
    """One lifecycle event the mail server has to act on."""

    event_id: int
    address: str
    kind: str
    on: date


@dataclass(frozen=True)
class CommandOutcome:
    command: tuple[str, ...]
    returncode: int
    output: str = ""


class MailServer(Protocol):
    """A mail server Backhaul learns mailbox state and traffic from, and sends actions to."""

    name: str

    def collect(self, *, on: date, now: datetime) -> MailServerReport:
        """Read the server's outputs (files, or its own commands) into a report."""
        ...

    def commands(self, action: MailboxAction) -> Sequence[tuple[str, ...]]:
        """The commands that carry out `action` on the server, in order (none if nothing
        is needed)."""
        ...

    def execute(self, command: tuple[str, ...]) -> CommandOutcome:
        """Run one command on the server."""
        ...
