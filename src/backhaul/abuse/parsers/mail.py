"""Reading abuse email: headers, addresses, times and the offending IP address.

Messages are parsed with the standard library's `email` package under `policy.default`
(RFC 5322 and MIME, RFC 2047 encoded words decoded). The policy here only remembers each
header value it has parsed: the parser asks for a part's Content-Type many times over. The
parser itself is the standard one, except that it matches a multipart's boundary lines by
plain string comparison instead of compiling a regular expression for every message.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors, feedparser
from email.header import decode_header, make_header
from email.message import EmailMessage, Message, _parseparam, _splitparam  # type: ignore[attr-defined]
from email.parser import HeaderParser
from email.policy import EmailPolicy
from email.utils import decode_params, getaddresses, parsedate_to_datetime
from functools import lru_cache
from types import FunctionType
from typing import Any

from backhaul.abuse.parsers.types import Limits

_CACHEABLE_HEADER = 2000
# Dates and addresses recur within a message (Date, Arrival-Date, Received; Source-IP and
# the Received trace): short ones are remembered.
_REMEMBERED_TEXT = 100


class _RememberingPolicy(EmailPolicy):
    """`email.policy.default`, remembering parsed header values."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if len(value) > _CACHEABLE_HEADER or hasattr(value, "name"):
            return super().header_fetch_parse(name, value)
        return _fetch(self, name, value)


@lru_cache(maxsize=8192)
def _fetch(policy: EmailPolicy, name: str, value: str) -> Any:
    return EmailPolicy.header_fetch_parse(policy, name, value)


# A MIME header written plainly (RFC 2045): type/subtype, then parameters with simple names
# and values that are simple tokens or quoted strings of safe characters, separated by
# optional whitespace. RFC 2231 parameters (name*), comments, escapes and encoded words
# are not plain.
_PLAIN_MIME_VALUE = re.compile(
    r"[ \t]*[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+[ \t]*"
    r"(?:;[ \t]*([A-Za-z0-9_.-]+)[ \t]*=[ \t]*"
    r'(?:[A-Za-z0-9_.+-]+|"[A-Za-z0-9 _.+,/:=?-]+")[ \t]*)*\Z'
)
_PLAIN_MIME_NAME = re.compile(r";[ \t]*([A-Za-z0-9_.-]+)[ \t]*=")
_MISSING = object()


@lru_cache(maxsize=4096)
def _plain_mime(value: str) -> str | None:
    """A MIME header's value, unfolded and trimmed, if it is written plainly; else None."""
    text = value.replace("\r", "").replace("\n", "")
    if _PLAIN_MIME_VALUE.match(text):
        names = [n.lower() for n in _PLAIN_MIME_NAME.findall(text)]
        if len(names) == len(set(names)):
            return text.strip(" \t")
    return None


def _content_type(value: Any) -> str:
    ctype = str(_splitparam(value)[0]).lower()
    return ctype if ctype.count("/") == 1 else "text/plain"


def _params(value: Any) -> list[Any]:
    params = []
    for part in _parseparam(value):
        name, equals, val = part.partition("=")
        params.append((name.strip(), val.strip()) if equals else (part.strip(), ""))
    return decode_params(params)  # type: ignore[no-any-return]


_plain_content_type = lru_cache(maxsize=4096)(_content_type)
_plain_params = lru_cache(maxsize=4096)(lambda value: tuple(_params(value)))


class _Message(EmailMessage):
    """`EmailMessage`, reading a plainly written MIME type and its parameters from the
    header text itself. The parser asks for them many times, and every message has its own
    boundary, so building the structured header each time would be most of the work; the
    result is the same (see the tests), and anything not plain takes the usual way.

    Its headers are looked up by name in an index, built when first needed and again
    whenever they have changed since."""

    def _header_cache(self) -> tuple[list[Any], dict[str, list[Any]], dict[str, Any]]:
        """(the headers as indexed, their values by lower-case name, what was read from
        the plainly written MIME headers), rebuilt whenever the headers have changed."""
        headers = self._headers  # type: ignore[attr-defined]
        cached = self.__dict__.get("_header_cache_")
        if cached is None or cached[0] != headers:
            index: dict[str, list[Any]] = {}
            for key, value in headers:
                index.setdefault(key.lower(), []).append(value)
            cached = self._header_cache_ = (list(headers), index, {})
        return cached  # type: ignore[no-any-return]

    def header_values(self, name: str) -> list[Any]:
        """The values of the fields called `name` (any case), as `raw_items` gives them."""
        return self._header_cache()[1].get(name.lower(), [])

    def _mime_header(self, name: str) -> Any:
        """The field's plain text if it is written plainly, else what `get` gives."""
        values = self.header_values(name)
        if not values:
            return _MISSING
        if type(values[0]) is str:
            plain = _plain_mime(values[0])
            if plain is not None:
                return plain
        return self.get(name, _MISSING)

    def get_content_type(self) -> str:
        read = self._header_cache()[2]
        ctype = read.get("content-type")
        if ctype is not None:
            return ctype  # type: ignore[no-any-return]
        value = self._mime_header("content-type")
        if value is _MISSING:
            return self.get_default_type()
        if type(value) is not str:
            return _content_type(value)
        ctype = read["content-type"] = _plain_content_type(value)
        return ctype

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        value = self._mime_header(header)
        if value is _MISSING:
            return failobj
        if type(value) is str:
            return list(_plain_params(value))
        return _params(value)


POLICY = _RememberingPolicy(message_factory=_Message)

HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:")
TEXT_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]?(.*)$")
QUOTE_PREFIX = re.compile(r"^(?:> ?)+")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)(?![\w:])")
BRACKETED_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
PORT_AFTER = re.compile(
    r"^(?:\]?:|\s*(?:port|source port|src port|sport|/)\s*[:=]?\s*)(\d{1,5})\b", re.I
)
PORT_FIELD = re.compile(
    r"\b(?:source[ -]?port|src[ _-]?port|sport|port)\s*[:=]\s*(\d{1,5})\b", re.I
)
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
ISO_TIMESTAMP = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?(?![\d:])",
    re.I,
)
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Addresses that cannot be the source of abuse on the Internet: unspecified, loopback,
# link-local, multicast, private (RFC 1918, RFC 4193) and reserved ranges. Documentation
# and shared (CGNAT) ranges are kept: reports name them in tests and behind CGNAT.
_UNREPORTABLE = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


class _BoundaryMatch:
    """What the parser reads of a `re.Match` for a boundary line: its groups by name."""

    __slots__ = ("_groups",)

    def __init__(self, groups: dict[str | int, str | None]) -> None:
        self._groups = groups

    def group(self, name: str | int = 0) -> str | None:
        return self._groups[name]


class _BoundaryLine:
    """A compiled `(?P<sep>SEPARATOR)(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$`,
    matched by string comparison: the separator, an optional `--`, blanks, then an optional
    line break with at most a final newline after it (where `$` matches)."""

    __slots__ = ("separator",)

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def match(self, line: str) -> _BoundaryMatch | None:
        separator = self.separator
        if not line.startswith(separator):
            return None
        rest = line[len(separator) :]
        end = None
        if rest.startswith("--"):
            end, rest = "--", rest[2:]
        tail = rest.lstrip(" \t")
        blanks = rest[: len(rest) - len(tail)]
        for linesep in ("\r\n", "\r", "\n"):
            if tail.startswith(linesep) and tail[len(linesep) :] in ("", "\n"):
                break
        else:
            if tail:
                return None
            linesep = None
        whole = line[: len(line) - len(tail) + (len(linesep) if linesep else 0)]
        return _BoundaryMatch(
            {0: whole, "sep": separator, "end": end, "ws": blanks, "linesep": linesep}
        )


class _QuickBoundaries:
    """The `re` module as the parser sees it: compiling a boundary line's pattern gives a
    `_BoundaryLine`; anything else is the real `re`."""

    _HEAD = "(?P<sep>"
    _TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    _ESCAPE = re.compile(r"\\(.)", re.S)

    def compile(self, pattern: Any, flags: int = 0) -> Any:
        if (
            flags == 0
            and isinstance(pattern, str)
            and pattern.startswith(self._HEAD)
            and pattern.endswith(self._TAIL)
        ):
            escaped = pattern[len(self._HEAD) : -len(self._TAIL)]
            separator = self._ESCAPE.sub(r"\1", escaped)
            if re.escape(separator) == escaped:
                return _BoundaryLine(separator)
        return re.compile(pattern, flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)


def _quick_feed_parser() -> type[feedparser.FeedParser]:
    """The standard parser, its code unchanged, with `_QuickBoundaries` as its `re`; the
    standard parser itself on a Python whose parser is not laid out as expected."""
    parsegen = getattr(feedparser.FeedParser, "_parsegen", None)
    if not isinstance(parsegen, FunctionType) or "re" not in parsegen.__code__.co_names:
        return feedparser.FeedParser
    quick = FunctionType(
        parsegen.__code__, {**vars(feedparser), "re": _QuickBoundaries()}, "_parsegen"
    )
    return type("_FeedParser", (feedparser.FeedParser,), {"_parsegen": quick})


_FeedParser = _quick_feed_parser()


def parse_bytes(raw: bytes) -> EmailMessage:
    """`BytesParser(policy=POLICY).parsebytes(raw)`, with `_FeedParser`."""
    parser = _FeedParser(policy=POLICY)
    parser.feed(raw.decode("ascii", "surrogateescape"))
    message = parser.close()
    assert isinstance(message, EmailMessage)
    return message


def parse_header_block(text: str) -> EmailMessage:
    message = HeaderParser(policy=POLICY).parsestr(text.strip("\r\n") + "\n\n", headersonly=True)
    assert isinstance(message, EmailMessage)
    return message


def ip_or_none(text: str | None) -> str | None:
    """A valid IP address in canonical form, or None."""
    if not text:
        return None
    candidate = text.strip().strip("[]")
    if candidate.lower().startswith("ipv6:"):
        candidate = candidate[5:]
    if len(candidate) > _REMEMBERED_TEXT:
        return _canonical_ip.__wrapped__(candidate)
    return _canonical_ip(candidate)


@lru_cache(maxsize=4096)
def _canonical_ip(candidate: str) -> str | None:
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def reportable(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return not any(address in net for net in _UNREPORTABLE if net.version == address.version)


def port_or_none(value: object) -> int | None:
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def aware(value: datetime) -> datetime:
    """A datetime in UTC; one without a zone is read as UTC (feeds and RFC 5322 `-0000`)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_time(value: object) -> datetime | None:
    """An RFC 5322 date, an ISO 8601 timestamp or a datetime, in UTC; None if neither."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return aware(value)
    text = str(value).strip()
    if len(text) > _REMEMBERED_TEXT:
        return _parse_time_text.__wrapped__(text)
    return _parse_time_text(text)


@lru_cache(maxsize=4096)
def _parse_time_text(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return aware(datetime.fromisoformat(text.replace("z", "Z")))
    except ValueError:
        pass
    try:
        return aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def header_text(message: Message, name: str) -> str:
    """A header's decoded value (RFC 2047 encoded words decoded), or "" when absent or
    unreadable. Values without encoded words need no decoding."""
    raw = raw_header(message, name)
    if "=?" not in raw:
        return " ".join(raw.split())
    try:
        value = message.get(name)
    except (errors.HeaderParseError, IndexError, ValueError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def raw_header(message: Message, name: str) -> str:
    if isinstance(message, _Message):
        values = message.header_values(name)
        return str(values[0]) if values else ""
    lowered = name.lower()
    for key, value in message.raw_items():
        if key.lower() == lowered:
            return str(value)
    return ""


def raw_headers(message: Message, name: str) -> list[str]:
    if isinstance(message, _Message):
        return [str(value) for value in message.header_values(name)]
    lowered = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == lowered]


def headers_as_text(message: Message) -> str:
    return "\n".join(f"{key}: {value}" for key, value in message.raw_items())


def addresses(message: Message, *names: str) -> list[str]:
    found: list[str] = []
    for name in names:
        for value in raw_headers(message, name):
            found.extend(a.lower() for a in ADDRESS.findall(value))
    return found


SIMPLE_MAILBOX = re.compile(
    r'^\s*(?:"?([^"<>,;]*?)"?\s*)?<([\w.+-]+@[\w.-]+)>\s*$|^\s*([\w.+-]+@[\w.-]+)\s*$'
)


def sender(message: Message) -> tuple[str, str]:
    """(email, display name) of the message's author, from Reply-To or From."""
    for name in ("Reply-To", "From"):
        value = raw_header(message, name)
        if not value:
            continue
        simple = SIMPLE_MAILBOX.match(" ".join(value.split()))
        if simple:
            display, address = (simple.group(1) or ""), simple.group(2) or simple.group(3)
        else:
            pairs = [(n, a) for n, a in getaddresses([value]) if "@" in a]
            if not pairs:
                continue
            display, address = pairs[0]
        return address.strip().lower()[:254], _decoded_words(display)[:200]
    return "", ""


def _decoded_words(text: str) -> str:
    if "=?" in text:
        with suppress(errors.HeaderParseError, UnicodeError, LookupError, ValueError):
            text = str(make_header(decode_header(text)))
    return " ".join(text.split())


def is_automated(message: Message, author: str) -> bool:
    """Machine-sent mail that must never be answered (RFC 3834 Auto-Submitted, bulk lists,
    bounces), so acknowledgements cannot loop."""
    auto = raw_header(message, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return True
    if raw_header(message, "Precedence").strip().lower() in {"bulk", "junk", "list"}:
        return True
    local = author.split("@", 1)[0]
    return not author or local in {"mailer-daemon", "postmaster", "noreply", "no-reply"}


def mime_problem(message: Message) -> str:
    """Why a message's MIME structure cannot be read, or "" when it can."""
    for part in message.walk():
        for defect in part.defects:
            if isinstance(
                defect,
                errors.StartBoundaryNotFoundDefect
                | errors.NoBoundaryInMultipartDefect
                | errors.MultipartInvariantViolationDefect,
            ):
                return f"broken MIME: {defect.__class__.__name__} in {part.get_content_type()}"
    return ""


def part_bytes(part: Message, limits: Limits, notes: list[str]) -> bytes | None:
    """A leaf part's decoded content, or None when it is larger than the limit."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return b""
    if len(payload) > limits.max_part_bytes:
        name = part.get_filename() or part.get_content_type()
        notes.append(
            f"part {name} of {len(payload)} bytes not read (limit {limits.max_part_bytes})"
        )
        return None
    return payload


def part_text(part: Message, limits: Limits, notes: list[str]) -> str | None:
    payload = part_bytes(part, limits, notes)
    if payload is None:
        return None
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def received_source(received: str) -> str | None:
    """The connecting client's address in a Received header's `from` clause."""
    head = re.split(r"\sby\s", received, maxsplit=1, flags=re.I)[0]
    for candidate in BRACKETED_IP.findall(head):
        ip = ip_or_none(candidate)
        if ip:
            return ip
    for pattern in (IPV4, IPV6):
        for candidate in pattern.findall(head):
            ip = ip_or_none(candidate)
            if ip:
                return ip
    return None


def received_time(received: str) -> datetime | None:
    if ";" not in received:
        return None
    return parse_time(" ".join(received.rsplit(";", 1)[1].split()))


@dataclass(frozen=True)
class Origin:
    """Where and when a message entered the reporter's systems, from its headers."""

    ip: str | None
    at: datetime | None
    time_source: str
    full_headers: bool


def origin_of(headers: Message) -> Origin:
    """The first Received hop from an address that can be on the Internet names the sender;
    its timestamp is when the message arrived. Full headers means the Received trace and the
    author's From with a Date or Message-ID."""
    received = raw_headers(headers, "Received")
    ip: str | None = None
    at: datetime | None = None
    for hop in received:
        source = received_source(hop)
        if source and reportable(source):
            ip, at = source, received_time(hop)
            break
    source_name = "received-header" if at else ""
    if at is None and received:
        at = received_time(received[0])
        source_name = "received-header" if at else ""
    if at is None:
        at = parse_time(raw_header(headers, "Date"))
        source_name = "original-date" if at else ""
    full = (
        bool(received)
        and bool(raw_header(headers, "From"))
        and bool(raw_header(headers, "Date") or raw_header(headers, "Message-ID"))
    )
    return Origin(ip=ip, at=at, time_source=source_name, full_headers=full)


def header_blocks(text: str) -> Iterator[tuple[int, int, str]]:
    """Runs of header lines pasted into a text (quote marks removed): (first line, last line
    + 1, the block). A run counts when it has three header fields including Received."""
    lines = text.splitlines()
    start: int | None = None
    names: list[str] = []
    block: list[str] = []
    for index, line in enumerate([*lines, ""]):
        bare = QUOTE_PREFIX.sub("", line)
        match = TEXT_HEADER_LINE.match(bare)
        if match:
            if start is None:
                start, names, block = index, [], []
            names.append(match.group(1).lower())
            block.append(bare)
            continue
        if start is not None and bare[:1] in (" ", "\t") and bare.strip():
            block.append(bare)
            continue
        if start is not None:
            if len(names) >= 3 and "received" in names:
                yield start, index, "\n".join(block)
            start = None
    return


def log_lines(lines: Iterable[str]) -> int:
    """Lines that read like log entries: a time of day and an IP address."""
    count = 0
    for line in lines:
        if TIME_OF_DAY.search(line) and (IPV4.search(line) or "::" in line):
            count += 1
    return count


def ips_with_ports(text: str) -> list[tuple[str, int | None]]:
    """IP addresses in free text, in order, each with a source port written next to it
    (`192.0.2.1:51515`, `[2001:db8::1]:443`, `192.0.2.1 port 51515`)."""
    found: list[tuple[int, str, int | None]] = []
    for pattern in (IPV4, IPV6):
        for match in pattern.finditer(text):
            ip = ip_or_none(match.group(0))
            if not ip or not reportable(ip):
                continue
            port = None
            after = PORT_AFTER.match(text[match.end() : match.end() + 24])
            if after:
                port = port_or_none(after.group(1))
            found.append((match.start(), ip, port))
    found.sort()
    return [(ip, port) for _, ip, port in found]


def timestamp_in(text: str) -> tuple[datetime | None, str]:
    """The first ISO-style timestamp in free text; one without a zone is read as UTC."""
    match = ISO_TIMESTAMP.search(text)
    if not match:
        return None, ""
    day, clock, zone = match.groups()
    value = f"{day}T{clock}"
    if zone and zone.upper() not in ("Z", "UTC", "GMT"):
        value += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None, ""
    return aware(parsed), "text" if zone else "text (no zone, read as UTC)"
