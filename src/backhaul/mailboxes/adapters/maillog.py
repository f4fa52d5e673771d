"""Reading the mail log: Postfix's record of each message, and Dovecot's logins.

Lines are syslog lines, either traditional (`Nov 21 09:30:01 mx1 postfix/qmgr[812]: ...`,
no year and in the server's local time) or with an ISO 8601 time
(`2026-11-21T09:30:01.123456+00:00 mx1 postfix/qmgr[812]: ...`, rsyslog's file format
or `journalctl -o short-iso`).

Postfix logs one message over several lines joined by its queue id:

    smtpd[..]: 4dKq2x1Y7Mz9vBw: client=host[192.0.2.7], sasl_method=PLAIN, sasl_username=a@b
    pickup[..]: 4dKq2x1Y7Mz9vBw: uid=1000 from=<a@b>
    cleanup[..]: 4dKq2x1Y7Mz9vBw: message-id=<...>
    cleanup[..]: 4dKq2x1Y7Mz9vBw: info: header Subject: ... from host[ip]; from=<> to=<>
    qmgr[..]: 4dKq2x1Y7Mz9vBw: from=<a@b>, size=2048, nrcpt=2 (queue active)
    smtp[..]: 4dKq2x1Y7Mz9vBw: to=<c@d>, relay=..., dsn=2.0.0, status=sent (250 ...)
    lmtp[..]: 4dKq2x1Y7Mz9vBw: to=<e@f>, relay=...[private/dovecot-lmtp], status=sent (...)
    qmgr[..]: 4dKq2x1Y7Mz9vBw: removed

From these the headers-only traffic log takes sender, recipients, size, Message-ID,
subject (only where `header_checks` logs it with INFO) and the delivery status. A message
submitted by a customer (SASL login or local pickup) is *out* through the mailbox that
sent it; each delivery to an address is *in* through that address's mailbox (Backhaul
keeps only the mailboxes it holds). Bodies are never in the log, and nothing here could
read one.

Dovecot's `imap-login: Login: user=<...>` and `pop3-login: Login: ...` lines are the
mailbox's accesses. Every other line of a known program is accepted and not used; a line
that is not a syslog line, or a Postfix line of a known shape with a bad field, is
rejected with its line number and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from backhaul.mailboxes.adapters.base import (
    DeliveryUpdate,
    FileSummary,
    Login,
    MailServerReport,
    TrafficRecord,
    Where,
)
from backhaul.mailboxes.rules import (
    ADDRESS_LIMIT,
    MESSAGE_ID_LIMIT,
    SUBJECT_LIMIT,
    delivery_status_merge,
    delivery_status_summary,
)

MAILLOG = "mail-log"
IN, OUT = "in", "out"
STATUSES = {"sent", "deferred", "bounced", "expired", "undeliverable", "deliverable"}
# Statuses that end a delivery; "deliverable"/"undeliverable" come only from address
# verification probes, which are not messages and are not logged.
PROBES = {"deliverable", "undeliverable"}
DELIVERY_AGENTS = {"smtp", "lmtp", "local", "virtual", "pipe", "error", "discard", "relay"}
# Agents that deliver into a mailbox on this server (smtp and relay send mail elsewhere).
MAILBOX_AGENTS = {"lmtp", "local", "virtual", "pipe"}
ACCESS_SERVICES = {"imap", "pop3"}

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        start=1,
    )
}
_TAG = r"(?P<program>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: (?P<text>.*)"
_TRADITIONAL = re.compile(
    r"^(?P<month>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<time>\d{2}:\d{2}:\d{2})"
    r"(?: (?P<host>[^\s:]+))? " + _TAG + r"$"
)
_ISO = re.compile(
    r"^(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))"
    r" (?P<host>\S+) " + _TAG + r"$"
)
_POSTFIX = re.compile(r"^postfix(?:-[\w.-]+)?/(?:[\w.-]+/)*(?P<daemon>[\w.-]+)$")
# Short queue ids are upper-case hex; long ones (enable_long_queue_ids) are base-51 with
# a "z" between the time and the inode part, and never hold a vowel.
_QUEUE_ID = re.compile(
    r"^(?P<qid>[0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]{6,}z"
    r"[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+): (?P<rest>.*)$"
)
_ANGLE = r"<(?P<{name}>[^>]*)>"
_CLIENT = re.compile(r"^client=(?P<client>[^,\s]+)(?P<extra>.*)$")
_SASL_USER = re.compile(r"sasl_username=(?P<user>[^,\s]+)")
_PICKUP = re.compile(r"^uid=\d+ from=" + _ANGLE.format(name="sender") + r"$")
_MESSAGE_ID = re.compile(r"^message-id=(?P<mid>.*)$")
_SUBJECT = re.compile(r"^info: header Subject: (?P<subject>.*) from (?P<client>[^;\s]+); from=<")
_QMGR_FROM = re.compile(r"^from=" + _ANGLE.format(name="sender") + r", (?P<rest>.*)$")
_SIZE = re.compile(r"^size=(?P<size>[^,\s]*), nrcpt=(?P<nrcpt>[^\s]*) \(queue active\)$")
_EXPIRED = re.compile(r"^status=expired, returned to sender$")
_TO = re.compile(
    r"^to=" + _ANGLE.format(name="to") + r"(?:, orig_to=" + _ANGLE.format(name="orig") + r")?"
    r", (?P<rest>.*)$"
)
_STATUS = re.compile(r"(?:^|, )status=(?P<status>[a-z]+)(?: |$)")
_LOGIN = re.compile(
    r"^(?:(?P<service>[a-z0-9]+)-login: )?(?:Info: )?Login: user=<(?P<user>[^>]*)>(?:, |$)"
)
_LOGIN_PROGRAM = re.compile(r"^(?P<service>[a-z0-9]+)-login$")


class LineError(ValueError):
    """A line that cannot be used; the message is the reason."""


@dataclass
class _Message:
    queue_id: str
    first_at: datetime
    where: Where
    sasl_user: str = ""
    picked_up_from: str = ""
    message_id: str | None = None
    subject: str = ""
    sender: str = ""
    size: int | None = None
    nrcpt: int | None = None
    statuses: dict[str, str] = field(default_factory=dict)  # recipient -> status
    envelope: dict[str, str] = field(default_factory=dict)  # recipient -> as addressed
    last_at: dict[str, datetime] = field(default_factory=dict)
    local: set[str] = field(default_factory=set)  # recipients delivered to a mailbox here
    expired: bool = False


def _address(value: str) -> str:
    return value.strip().lower()[:ADDRESS_LIMIT]


@dataclass
class Clock:
    """Turns a line's time into an aware datetime.

    Traditional syslog lines carry no year and are in the server's local time: the year
    is the one in which the month fell on or before `on` (the sync date), so a log read
    in January puts December's lines in the year before.
    """

    on: date
    zone: tzinfo

    def traditional(self, month: str, day: str, clock: str) -> datetime:
        number = _MONTHS.get(month)
        if number is None:
            raise LineError(f"unknown month {month!r}")
        year = self.on.year if number <= self.on.month else self.on.year - 1
        hour, minute, second = (int(part) for part in clock.split(":"))
        try:
            return datetime(year, number, int(day), hour, minute, second, tzinfo=self.zone)
        except ValueError as exc:
            raise LineError(f"bad date {month} {day} {clock} ({year}): {exc}") from None

    @staticmethod
    def iso(stamp: str) -> datetime:
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError as exc:
            raise LineError(f"bad time {stamp!r}: {exc}") from None
        return moment


@dataclass
class _Log:
    origin: str
    report: MailServerReport
    summary: FileSummary
    messages: dict[str, _Message] = field(default_factory=dict)

    def reject(self, number: int, raw: str, reason: str) -> None:
        self.summary.rejected += 1
        self.report.rejections.append(Where(self.origin, number, raw).reject(reason))

    def message(self, queue_id: str, at: datetime, where: Where) -> _Message:
        message = self.messages.get(queue_id)
        if message is None:
            message = self.messages[queue_id] = _Message(queue_id, at, where)
        return message


def _postfix(log: _Log, daemon: str, text: str, at: datetime, where: Where) -> None:
    """One Postfix line about a queued message; raises LineError for a bad field."""
    match = _QUEUE_ID.match(text)
    if match is None:
        return  # connect/disconnect, NOQUEUE, warnings, statistics: not a queued message
    queue_id, rest = match["qid"], match["rest"]
    if daemon == "smtpd" and (client := _CLIENT.match(rest)):
        message = log.message(queue_id, at, where)
        if sasl := _SASL_USER.search(client["extra"]):
            message.sasl_user = _address(sasl["user"])
    elif daemon == "pickup" and (pickup := _PICKUP.match(rest)):
        log.message(queue_id, at, where).picked_up_from = _address(pickup["sender"])
    elif daemon == "cleanup" and (mid := _MESSAGE_ID.match(rest)):
        value = mid["mid"].strip()
        if not value:
            raise LineError("message without a Message-ID: not logged")
        log.message(queue_id, at, where).message_id = value[:MESSAGE_ID_LIMIT]
    elif daemon == "cleanup" and (subject := _SUBJECT.match(rest)):
        text_ = " ".join(subject["subject"].split())
        log.message(queue_id, at, where).subject = text_[:SUBJECT_LIMIT]
    elif daemon == "qmgr" and (sent_from := _QMGR_FROM.match(rest)):
        message = log.message(queue_id, at, where)
        message.sender = _address(sent_from["sender"])
        if _EXPIRED.match(sent_from["rest"]):
            message.expired = True
            return
        size = _SIZE.match(sent_from["rest"])
        if size is None:
            return
        if not size["size"].isdigit():
            raise LineError(f"size: not a whole number: {size['size']!r}")
        if not size["nrcpt"].isdigit():
            raise LineError(f"nrcpt: not a whole number: {size['nrcpt']!r}")
        message.size, message.nrcpt = int(size["size"]), int(size["nrcpt"])
    elif daemon in DELIVERY_AGENTS and (to := _TO.match(rest)):
        status = _STATUS.search(to["rest"])
        if status is None:
            raise LineError("delivery line without status=")
        if status["status"] not in STATUSES:
            raise LineError(f"status: unknown delivery status {status['status']!r}")
        if status["status"] in PROBES:
            return
        recipient = _address(to["to"])
        if not recipient:
            raise LineError("delivery line with an empty to=<>")
        message = log.message(queue_id, at, where)
        message.statuses[recipient] = delivery_status_merge(
            message.statuses.get(recipient, ""), status["status"]
        )
        message.envelope.setdefault(recipient, _address(to["orig"] or to["to"]))
        message.last_at[recipient] = at
        if daemon in MAILBOX_AGENTS:
            message.local.add(recipient)


def _login(log: _Log, service: str | None, text: str, at: datetime, where: Where) -> bool:
    match = _LOGIN.match(text)
    if match is None:
        return False
    service = match["service"] or service
    if service not in ACCESS_SERVICES:
        return True  # submission or managesieve: the mailbox was not read
    user = _address(match["user"])
    if not user:
        raise LineError("login line without a user")
    log.report.login_seen(Login(address=user, at=at, where=where))
    return True


def _records(log: _Log) -> None:
    """Turn the messages gathered from the file into traffic records and later updates."""
    for message in log.messages.values():
        if message.message_id is None:
            if message.statuses:
                for recipient, status in message.statuses.items():
                    log.report.updates.append(
                        DeliveryUpdate(
                            queue_id=message.queue_id,
                            recipient=recipient,
                            at=message.last_at[recipient],
                            status=status,
                            where=message.where,
                        )
                    )
            continue
        if message.expired:
            for recipient, status in list(message.statuses.items()):
                message.statuses[recipient] = delivery_status_merge(status, "expired")
        recipients = tuple(message.statuses)
        common = {
            "at": message.first_at,
            "queue_id": message.queue_id,
            "message_id": message.message_id,
            "sender": message.sender,
            "subject": message.subject,
            "size_bytes": message.size or 0,
            "where": message.where,
        }
        submitted_by = message.sasl_user or message.picked_up_from
        if submitted_by:
            status = delivery_status_summary(message.statuses.values())
            envelope = tuple(dict.fromkeys(message.envelope[r] for r in recipients))
            log.report.traffic.append(
                TrafficRecord(
                    address=submitted_by,
                    direction=OUT,
                    recipients=envelope,
                    recipient_count=max(message.nrcpt or 0, len(envelope)),
                    status=status,
                    **common,
                )
            )
        for recipient in (r for r in recipients if r in message.local):
            log.report.traffic.append(
                TrafficRecord(
                    address=recipient,
                    direction=IN,
                    recipients=(recipient,),
                    recipient_count=1,
                    status=message.statuses[recipient],
                    **common,
                )
            )


def read_maillog(
    lines: Iterable[str], *, origin: str, report: MailServerReport, clock: Clock
) -> FileSummary:
    """Add one mail log to `report`: its traffic records, later delivery updates and
    logins; returns what was read from it (read = accepted + rejected; blank lines are
    not records)."""
    summary = FileSummary(name=origin, kind=MAILLOG)
    log = _Log(origin=origin, report=report, summary=summary)
    for number, text in enumerate(lines, start=1):
        raw = text.rstrip("\r\n")
        if not raw.strip():
            continue
        summary.read += 1
        where = Where(origin, number, raw)
        try:
            if match := _TRADITIONAL.match(raw):
                at = clock.traditional(match["month"], match["day"], match["time"])
            elif match := _ISO.match(raw):
                at = clock.iso(match["stamp"])
            else:
                raise LineError(
                    "not a syslog line: expected 'Mon DD HH:MM:SS host program[pid]: text' "
                    "or an ISO 8601 time"
                )
            program, body = match["program"], match["text"]
            if postfix := _POSTFIX.match(program):
                _postfix(log, postfix["daemon"], body, at, where)
            elif program == "dovecot" or (login := _LOGIN_PROGRAM.match(program)):
                _login(log, None if program == "dovecot" else login["service"], body, at, where)
        except LineError as exc:
            log.reject(number, raw, str(exc))
            continue
        summary.accepted += 1
    _records(log)
    report.incomplete.extend(
        q for q, m in log.messages.items() if m.message_id is None and not m.statuses
    )
    report.files.append(summary)
    return summary
