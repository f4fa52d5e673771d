"""Mailbox rules: archiving unread and unvisited mail, sending limits, and the traffic log.

Pure functions over plain values; every number comes from the brand's `[rules.mailboxes]`
and a brand without a number simply does not run that rule (PlugIn's terms have no
archive or delete rules; Plusnet Business's have no sending limits):

- plusnet-business/broadband-schedule#5.6: a mailbox not accessed for 3 months is archived
  and the customer told; not accessed within 1 month of that notice, its mail may be
  deleted.
- plusnet-business/broadband-schedule#5.16: more than 25MB of unread mail for more than 30
  days is removed without notice.
- plusnet-business/broadband-schedule#5.14: the postmaster address.
- plugin/email-terms#4 and #5: a daily send limit and a recipient cap; spam-like activity
  suspends the account.
- plugin/email-terms#reliability: traffic is logged by headers; bodies are never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime

from backhaul.core.errors import InvalidInput
from backhaul.core.periods import add_months

# Column sizes of the traffic log (the headers staff may see: to, from, subject, date, size).
ADDRESS_LIMIT = 300
RECIPIENTS_LIMIT = 1000
SUBJECT_LIMIT = 300
MESSAGE_ID_LIMIT = 300

_USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


# --- Archive, delete, unread -----------------------------------------------------------


def archive_date(last_activity: date, months: int) -> date:
    """The day a mailbox last accessed on `last_activity` has gone `months` without access
    and is archived (plusnet-business/broadband-schedule#5.6)."""
    return add_months(last_activity, months)


def archive_due(*, last_activity: date, on: date, months: int) -> bool:
    return archive_date(last_activity, months) <= on


def latest_due(on: date, months: int) -> date:
    """The latest day `d` for which `months` calendar months after `d` has come by `on`:
    mailboxes last accessed on or before it are due for archiving (and archive notices
    given on or before it, for deletion). Month ends make it more than one day: on 30
    June, 3 months after each of 29, 30 and 31 March has come (all fall on 30 June), so it
    is 31 March."""
    day = add_months(on, -months)
    while add_months(day + timedelta(days=1), months) <= on:
        day += timedelta(days=1)
    return day


def deletion_date(notified_on: date, months: int) -> date:
    """The day stored mail may be deleted: `months` after the archive notice, if the
    customer has not accessed the mailbox since (plusnet-business/broadband-schedule#5.6)."""
    return add_months(notified_on, months)


def deletion_due(*, notified_on: date, on: date, months: int) -> bool:
    return deletion_date(notified_on, months) <= on


def unread_over_limit(*, unread_bytes: int, limit_mb: int, bytes_per_mb: int) -> bool:
    """True when unread mail is over the limit: "exceed a total of 25MB of unread email"
    (plusnet-business/broadband-schedule#5.16)."""
    return unread_bytes > limit_mb * bytes_per_mb


def unread_removal_date(over_since: date, days: int) -> date:
    """The first day unread mail over the limit since `over_since` has been over it "for
    more than a 30 day period" and is removed (plusnet-business/broadband-schedule#5.16)."""
    return over_since + timedelta(days=days + 1)


def unread_removal_due(*, over_since: date, on: date, days: int) -> bool:
    return unread_removal_date(over_since, days) <= on


# --- Sending limits --------------------------------------------------------------------


@dataclass(frozen=True)
class SendingLimits:
    """A brand's sending limits (plugin/email-terms#4); None where the brand sets none."""

    daily_send_limit: int | None
    recipient_cap: int | None
    limit_clause: str
    suspend_clause: str


def spam_like_activity(*, sent_today: int, recipients: int, limits: SendingLimits) -> str | None:
    """Why a message makes the mailbox's sending spam-like, or None if it does not.

    `sent_today` counts the messages sent on the London day including this one;
    `recipients` is this message's recipient count (To, Cc and Bcc). Going over either
    limit is the spam-like activity that may suspend the account (plugin/email-terms#5).
    """
    if limits.daily_send_limit is not None and sent_today > limits.daily_send_limit:
        return (
            f"{sent_today} messages sent in a day, over the daily send limit of "
            f"{limits.daily_send_limit} ({limits.limit_clause})"
        )
    if limits.recipient_cap is not None and recipients > limits.recipient_cap:
        return (
            f"a message to {recipients} recipients, over the recipient cap of "
            f"{limits.recipient_cap} ({limits.limit_clause})"
        )
    return None


# --- Postmaster ------------------------------------------------------------------------


def postmaster_address(pattern: str, username: str) -> str:
    """The account's postmaster address from the brand's pattern
    (`postmaster@<username>.plus.com`, plusnet-business/broadband-schedule#5.14)."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InvalidInput(
            f"username: {username!r} may hold only letters, digits and hyphens, "
            "and may not start or end with a hyphen"
        )
    if "<username>" not in pattern:
        raise InvalidInput(f"postmaster pattern {pattern!r} has no <username>")
    return pattern.replace("<username>", name)


# --- The traffic log: headers only ------------------------------------------------------


@dataclass(frozen=True)
class MessageHeaders:
    """What the traffic log keeps of a message: its headers, never its body.

    plugin/email-terms#reliability: "we do not store the body of emails, log it's
    contents"; staff "can see the headers (to, from, subject, dates and size information)"
    (plugin/email-terms#email-privacy-headers).
    """

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    sent_at: datetime | None
    size_bytes: int


def _one_line(text: str, limit: int) -> str:
    return " ".join(str(text).split())[:limit]


def headers_of(raw: bytes, *, envelope_recipients: tuple[str, ...] = ()) -> MessageHeaders:
    """The headers of a raw RFC 5322 message; the parser stops at the blank line, so the
    body is never read. `envelope_recipients` (SMTP RCPT TO) adds Bcc recipients."""
    if not isinstance(raw, bytes | bytearray):
        raise InvalidInput("message: must be the raw bytes of an email")
    message = BytesHeaderParser(policy=policy.default).parsebytes(bytes(raw))
    recipients: list[str] = []
    for field in ("to", "cc", "bcc"):
        values = [str(v) for v in message.get_all(field, [])]
        recipients += [address for _name, address in getaddresses(values) if address]
    recipients += [r for r in envelope_recipients if r]
    unique = tuple(dict.fromkeys(r.strip().lower() for r in recipients))
    sent_at: datetime | None
    try:
        sent_at = parsedate_to_datetime(str(message["date"])) if message["date"] else None
    except (TypeError, ValueError, IndexError):
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = None
    senders = getaddresses([str(message["from"])]) if message["from"] else []
    return MessageHeaders(
        message_id=_one_line(message["message-id"] or "", MESSAGE_ID_LIMIT),
        sender=_one_line(senders[0][1] if senders else "", ADDRESS_LIMIT),
        recipients=unique,
        subject=_one_line(message["subject"] or "", SUBJECT_LIMIT),
        sent_at=sent_at,
        size_bytes=len(raw),
    )


def recipients_text(recipients: tuple[str, ...]) -> str:
    """The recipients as stored: comma-separated, cut at the column size with a count."""
    text = ", ".join(recipients)
    if len(text) <= RECIPIENTS_LIMIT:
        return text
    suffix = f" (+{len(recipients)} in all)"
    return text[: RECIPIENTS_LIMIT - len(suffix)] + suffix


# --- Delivery status in the traffic log -----------------------------------------------

SENT, DEFERRED, BOUNCED, EXPIRED = "sent", "deferred", "bounced", "expired"
FAILED = frozenset({BOUNCED, EXPIRED})
# How bad a status is for a message to several recipients (worst first wins).
_SEVERITY = {"": 0, SENT: 1, DEFERRED: 2, EXPIRED: 3, BOUNCED: 4}


def delivery_status_merge(earlier: str, later: str) -> str:
    """A recipient's status after a later log line: the later one, except that a failure
    (bounced, or expired and returned to the sender) is final once logged."""
    if earlier in FAILED or not later:
        return earlier
    return later


def delivery_status_summary(statuses: Iterable[str]) -> str:
    """One status for a message to several recipients: the worst of theirs, so a message
    that bounced for one recipient shows as bounced, and one still queued for any as
    deferred."""
    return max(statuses, key=lambda status: _SEVERITY.get(status, 0), default="")
