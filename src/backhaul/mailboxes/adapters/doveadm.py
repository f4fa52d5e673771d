"""Reading Dovecot's `doveadm -f tab` output: mailbox totals, unread sizes, last logins.

The tab formatter prints a header line of field titles, then one tab-separated line per
record; run for all users (`-A`) each line also names its user (the `username` column).
Three outputs are understood, told apart by their header:

- `doveadm -f tab mailbox status -A 'messages unseen vsize' '*'`: one line per folder
  (`username mailbox messages unseen vsize`), or per user with `-t` (no `mailbox` column).
  Folders are added up per user.
- `doveadm -f tab fetch -A 'mailbox size.virtual' unseen`: one line per unread message;
  their sizes add up to the mailbox's unread total. Every user is listed, so a mailbox
  with no line has no unread mail.
- `doveadm -f tab dict iter -R <last_login_dict> shared/last-login/`: the `last_login`
  plugin's dictionary (`key value`): keys `shared/last-login/<user>` (or
  `shared/last-login/<local>/<domain>` with an SQL map), values the login time in Unix
  seconds, or milliseconds, micro- or nanoseconds with `last_login_precision`.

Dovecot knows mailboxes by user name; Backhaul by address. User names must be the
mailbox addresses (the usual virtual-user set-up). Pure functions: text in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backhaul.core.errors import InvalidInput
from backhaul.mailboxes.adapters.base import (
    FileSummary,
    Login,
    MailboxState,
    MailServerReport,
    Where,
)

STATUS = "mailbox-status"
UNSEEN = "unseen-sizes"
LAST_LOGIN = "last-login"

STATUS_FIELDS = {"messages": "mail_count", "unseen": "unseen_count", "vsize": "stored_bytes"}
SIZE_FIELDS = ("size.virtual", "size.physical")
LAST_LOGIN_PREFIX = "shared/last-login/"

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Digits of a login time by the plugin's precision: seconds, ms, us, ns.
_PRECISION = ((11, 1), (14, 1_000), (17, 1_000_000), (20, 1_000_000_000))
# A login stamped further ahead than this is refused (clocks drift a little).
FUTURE_SLACK = timedelta(days=1)


def _kind(header: list[str]) -> str | None:
    names = set(header)
    if {"key", "value"} <= names:
        return LAST_LOGIN
    if names & set(SIZE_FIELDS):
        return UNSEEN
    if names & set(STATUS_FIELDS):
        return STATUS
    return None


@dataclass
class _Reader:
    origin: str
    summary: FileSummary
    report: MailServerReport

    def reject(self, number: int, raw: str, reason: str) -> None:
        self.summary.rejected += 1
        self.report.rejections.append(Where(self.origin, number, raw).reject(reason))

    def accept(self) -> None:
        self.summary.accepted += 1


def _address(value: str) -> str | None:
    address = value.strip().lower()
    return address if _ADDRESS.match(address) else None


def _count(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _user(reader: _Reader, user: str, number: int, raw: str) -> str | None:
    """The line's user as a mailbox address, or None (and the line rejected)."""
    address = _address(user)
    if address is None:
        reader.reject(number, raw, f"user {user!r} is not a mailbox address")
    return address


def _state(report: MailServerReport, address: str, where: Where) -> MailboxState:
    state = report.states.get(address)
    if state is None:
        state = report.states[address] = MailboxState(address=address, where=where)
    return state


def _status_line(
    reader: _Reader, columns: dict[str, int], values: list[str], number: int, raw: str
) -> None:
    address = _user(reader, values[columns["username"]], number, raw)
    if address is None:
        return
    counts: dict[str, int] = {}
    for title, attribute in STATUS_FIELDS.items():
        if title not in columns:
            continue
        count = _count(values[columns[title]])
        if count is None:
            value = values[columns[title]]
            reader.reject(number, raw, f"{title}: not a whole number: {value!r}")
            return
        counts[attribute] = count
    state = _state(reader.report, address, Where(reader.origin, number, raw))
    for attribute, count in counts.items():
        setattr(state, attribute, (getattr(state, attribute) or 0) + count)
    reader.accept()


def _unseen_line(
    reader: _Reader, columns: dict[str, int], values: list[str], number: int, raw: str
) -> None:
    address = _user(reader, values[columns["username"]], number, raw)
    if address is None:
        return
    title = next(t for t in SIZE_FIELDS if t in columns)
    size = _count(values[columns[title]])
    if size is None:
        reader.reject(number, raw, f"{title}: not a whole number: {values[columns[title]]!r}")
        return
    state = _state(reader.report, address, Where(reader.origin, number, raw))
    state.unread_bytes = (state.unread_bytes or 0) + size
    reader.accept()


def login_time(value: str) -> datetime | None:
    """A `last_login` value as an aware UTC time: Unix seconds, or ms / us / ns (the
    plugin's `last_login_precision`), told apart by their number of digits."""
    if not value.isdigit() or int(value) == 0:
        return None
    for digits, per_second in _PRECISION:
        if len(value) <= digits:
            seconds, fraction = divmod(int(value), per_second)
            micro = fraction * 1_000_000 // per_second
            return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micro)
    return None


def _login_user(key: str) -> str | None:
    if not key.startswith(LAST_LOGIN_PREFIX):
        return None
    rest = key[len(LAST_LOGIN_PREFIX) :]
    parts = rest.split("/")
    if len(parts) == 2 and "@" not in rest:  # an SQL map of $user/$domain
        rest = f"{parts[0]}@{parts[1]}"
    return _address(rest)


def _login_line(
    reader: _Reader,
    columns: dict[str, int],
    values: list[str],
    number: int,
    raw: str,
    now: datetime,
) -> None:
    key, value = values[columns["key"]], values[columns["value"]]
    address = _login_user(key)
    if address is None:
        reader.reject(
            number, raw, f"key {key!r} is not {LAST_LOGIN_PREFIX}<user> with a mailbox address"
        )
        return
    at = login_time(value.strip())
    if at is None:
        reader.reject(number, raw, f"value: not a Unix time: {value!r}")
        return
    if at > now + FUTURE_SLACK:
        reader.reject(number, raw, f"value: {at:%Y-%m-%d %H:%M:%S} UTC is in the future")
        return
    reader.report.login_seen(Login(address=address, at=at, where=Where(reader.origin, number, raw)))
    reader.accept()


def read_doveadm(
    lines: Iterable[str], *, origin: str, report: MailServerReport, now: datetime
) -> FileSummary:
    """Add one `doveadm -f tab` output to `report`; returns what was read from it.

    A file that is not one of the outputs above is refused whole (`InvalidInput` naming
    the file and its header) and adds nothing. Within a file, a line that cannot be used
    is rejected with its line number and reason, and the rest are used:
    read = accepted + rejected (the header line and blank lines are not records).
    """
    iterator = iter(enumerate(lines, start=1))
    header: list[str] | None = None
    for _number, text in iterator:
        if text.strip():
            header = [h.strip().lower() for h in text.rstrip("\r\n").split("\t")]
            break
    if header is None:
        raise InvalidInput(f"{origin}: empty: expected doveadm -f tab output")
    kind = _kind(header)
    if kind is None:
        raise InvalidInput(
            f"{origin}: line 1: not doveadm tab output Backhaul reads (header {header!r}); "
            "expected mailbox status, fetch of size.virtual, or dict iter of last logins"
        )
    columns = {title: index for index, title in enumerate(header)}
    if kind != LAST_LOGIN and "username" not in columns:
        raise InvalidInput(
            f"{origin}: line 1: no username column: run doveadm with -A so each line names its user"
        )
    summary = FileSummary(name=origin, kind=kind)
    reader = _Reader(origin=origin, summary=summary, report=report)
    for number, text in iterator:
        raw = text.rstrip("\r\n")
        if not raw.strip():
            continue
        summary.read += 1
        values = raw.split("\t")
        if len(values) != len(header):
            reader.reject(
                number,
                raw,
                f"expected {len(header)} tab-separated fields ({', '.join(header)}), "
                f"found {len(values)}",
            )
            continue
        if kind == STATUS:
            _status_line(reader, columns, values, number, raw)
        elif kind == UNSEEN:
            _unseen_line(reader, columns, values, number, raw)
        else:
            _login_line(reader, columns, values, number, raw, now)
    if kind == UNSEEN:
        report.unread_complete = True
    report.files.append(summary)
    return summary
