"""Reading FreeRADIUS `detail` files: one accounting packet per record.

A record is a header line (the time it was written, e.g. `Fri Nov 20 10:00:00 2026`)
followed by tab-indented `Attribute = value` lines and a blank line. Each record is
checked on its own; a malformed one is rejected with its line number and the reason, and
the rest of the file is still read.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from backhaul.usage.choices import StatusType

COUNTER_LIMIT = 2**32
_HEADER = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$")
_PAIR = re.compile(r"^\s+([A-Za-z0-9][A-Za-z0-9_.:-]*)\s*(?:=|:=|\+=)\s*(.*?)\s*$")
STATUS = {
    "Start": StatusType.START,
    "Interim-Update": StatusType.INTERIM,
    "Alive": StatusType.INTERIM,
    "Stop": StatusType.STOP,
    "Accounting-On": StatusType.ACCOUNTING_ON,
    "Accounting-Off": StatusType.ACCOUNTING_OFF,
    "1": StatusType.START,
    "2": StatusType.STOP,
    "3": StatusType.INTERIM,
    "7": StatusType.ACCOUNTING_ON,
    "8": StatusType.ACCOUNTING_OFF,
}
EVENT_FORMATS = ("%b %d %Y %H:%M:%S %Z", "%b %d %Y %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DetailRecord:
    line: int
    session_key: str
    username: str
    nas_ip: str
    status: str
    at: datetime
    session_start: datetime | None
    input_octets: int
    input_gigawords: int | None
    output_octets: int
    output_gigawords: int | None
    framed_ip: str


@dataclass
class DetailRejection:
    line: int
    reason: str
    raw: str


@dataclass
class DetailFile:
    path: Path
    sha256: str
    records: list[DetailRecord] = field(default_factory=list)
    rejected: list[DetailRejection] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.records) + len(self.rejected)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    block: list[tuple[int, str]] = []
    start = 0
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            if block:
                yield start, block
                block = []
            continue
        if not block:
            start = number
        block.append((number, text))
    if block:
        yield start, block


def _counter(attrs: dict[str, tuple[int, str]], name: str, *, required: bool) -> int | None:
    if name not in attrs:
        if required:
            raise ValueError(f"no {name}")
        return None
    line, text = attrs[name]
    if not text.isdigit():
        raise ValueError(f"line {line}: {name} is not a whole number: {text!r}")
    value = int(text)
    if value >= COUNTER_LIMIT:
        raise ValueError(f"line {line}: {name} {value} does not fit in 32 bits")
    return value


def _address(attrs: dict[str, tuple[int, str]], *names: str) -> str:
    """An address attribute (the first of `names` present), checked: it goes into the IP
    history, where only real addresses belong."""
    for name in names:
        if name in attrs:
            line, text = attrs[name]
            try:
                return str(ipaddress.ip_address(text))
            except ValueError:
                raise ValueError(f"line {line}: {name} is not an IP address: {text!r}") from None
    return ""


def _event_time(attrs: dict[str, tuple[int, str]]) -> datetime:
    if "Event-Timestamp" in attrs:
        line, text = attrs["Event-Timestamp"]
        if text.isdigit():
            return datetime.fromtimestamp(int(text), tz=UTC)
        for fmt in EVENT_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        raise ValueError(f"line {line}: Event-Timestamp is not a time: {text!r}")
    if "Timestamp" in attrs:
        line, text = attrs["Timestamp"]
        if not text.isdigit():
            raise ValueError(f"line {line}: Timestamp is not a Unix time: {text!r}")
        return datetime.fromtimestamp(int(text), tz=UTC)
    raise ValueError("no Event-Timestamp or Timestamp")


def _record(start: int, block: list[tuple[int, str]]) -> DetailRecord:
    header_line, header = block[0]
    if not _HEADER.match(header.strip()) or header[0].isspace():
        raise ValueError(f"line {header_line}: expected a record header (a date), got {header!r}")
    attrs: dict[str, tuple[int, str]] = {}
    for number, text in block[1:]:
        match = _PAIR.match(text)
        if match is None:
            raise ValueError(f"line {number}: not an 'Attribute = value' line: {text.strip()!r}")
        attrs[match.group(1)] = (number, _unquote(match.group(2)))
    if "Acct-Status-Type" not in attrs:
        raise ValueError("no Acct-Status-Type")
    status_line, status_text = attrs["Acct-Status-Type"]
    if status_text not in STATUS:
        raise ValueError(f"line {status_line}: unknown Acct-Status-Type {status_text!r}")
    status = STATUS[status_text]
    username = attrs.get("User-Name", (0, ""))[1]
    session_id = attrs.get("Acct-Session-Id", (0, ""))[1]
    nas_ip = _address(attrs, "NAS-IP-Address", "NAS-IPv6-Address")
    at = _event_time(attrs)
    is_session = status not in (StatusType.ACCOUNTING_ON, StatusType.ACCOUNTING_OFF)
    if is_session and not username:
        raise ValueError("no User-Name")
    if is_session and not session_id:
        raise ValueError("no Acct-Session-Id")
    unique = attrs.get("Acct-Unique-Session-Id", (0, ""))[1]
    session_key = unique or f"{nas_ip}/{session_id}/{username}"
    session_start = None
    if "Acct-Session-Time" in attrs:
        seconds = _counter(attrs, "Acct-Session-Time", required=False) or 0
        session_start = datetime.fromtimestamp(at.timestamp() - seconds, tz=UTC)
    needs_counters = status in (StatusType.INTERIM, StatusType.STOP)
    return DetailRecord(
        line=start,
        session_key=session_key,
        username=username,
        nas_ip=nas_ip,
        status=status,
        at=at,
        session_start=session_start,
        input_octets=_counter(attrs, "Acct-Input-Octets", required=needs_counters) or 0,
        input_gigawords=_counter(attrs, "Acct-Input-Gigawords", required=False),
        output_octets=_counter(attrs, "Acct-Output-Octets", required=needs_counters) or 0,
        output_gigawords=_counter(attrs, "Acct-Output-Gigawords", required=False),
        framed_ip=_address(attrs, "Framed-IP-Address"),
    )


def detail_read(path: Path) -> DetailFile:
    """Every record of a detail file, or its rejection with line number and reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        from backhaul.core.errors import InvalidInput

        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    parsed = DetailFile(path=path, sha256=hashlib.sha256(data).hexdigest())
    lines = data.decode("utf-8", errors="replace").splitlines()
    for start, block in _blocks(lines):
        raw = "\n".join(text for _, text in block)
        try:
            parsed.records.append(_record(start, block))
        except ValueError as exc:
            message = str(exc)
            if not message.startswith("line "):
                message = f"line {start}: {message}"
            parsed.rejected.append(DetailRejection(start, message, raw[:2000]))
    return parsed
