"""ARF feedback reports (RFC 5965): multipart/report; report-type=feedback-report."""

from __future__ import annotations

import base64
import binascii
import quopri
from datetime import datetime
from email.message import EmailMessage, Message

from backhaul.abuse.parsers.categories import SPAM, category_for
from backhaul.abuse.parsers.mail import (
    headers_as_text,
    ip_or_none,
    origin_of,
    parse_header_block,
    parse_time,
    part_text,
    port_or_none,
    raw_header,
    raw_headers,
)
from backhaul.abuse.parsers.types import Incident, Limits, Rejected, clip

ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
DETAIL_FIELDS = (
    "Feedback-Type",
    "User-Agent",
    "Version",
    "Reported-Domain",
    "Reported-URI",
    "Original-Mail-From",
    "Reporting-MTA",
    "Incidents",
    "Source-IP",
)


def _decoded(text: str, encoding: str) -> str:
    """Undo a transfer encoding put on a message/* part (RFC 2046 forbids it; it happens)."""
    try:
        if encoding == "base64":
            return base64.b64decode("".join(text.split()), validate=False).decode(
                "utf-8", "replace"
            )
        if encoding == "quoted-printable":
            return quopri.decodestring(text.encode("ascii", "replace")).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        raise Rejected(f"ARF feedback report part is not valid {encoding}") from None
    return text


def message_part(part: Message, limits: Limits, notes: list[str]) -> Message | None:
    """The message inside a message/* part, undoing a transfer encoding if one was used."""
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if part.is_multipart():
        inner = part.get_payload(0)
        if not isinstance(inner, Message):
            return None
        if encoding in ("base64", "quoted-printable"):
            body = inner.get_payload()
            encoded = body if isinstance(body, str) else str(inner.as_string())
            return parse_header_block(_decoded(encoded, encoding))
        return inner
    text = part_text(part, limits, notes)
    return parse_header_block(text) if text else None


def arf_incidents(
    message: EmailMessage, *, limits: Limits, notes: list[str], sent_at: datetime | None
) -> tuple[Incident, ...]:
    """One incident from a feedback report.

    The source is the report's Source-IP, or the first Internet hop of the original
    message's Received trace; the time its Arrival-Date, or the historic Received-Date, or
    the original's Received trace, or the report's own Date. A spam report has the full
    headers when the original message (or its headers) is included.
    """
    parts = list(message.iter_parts())
    feedback_part = next(
        (p for p in parts if p.get_content_type() == "message/feedback-report"), None
    )
    if feedback_part is None:
        raise Rejected("ARF report without a message/feedback-report part")
    fields = message_part(feedback_part, limits, notes)
    if fields is None:
        raise Rejected("ARF feedback report part is empty")
    feedback_type = raw_header(fields, "Feedback-Type").strip().lower()
    if not feedback_type:
        raise Rejected("ARF feedback report without Feedback-Type")
    if feedback_type == "not-spam":
        raise Rejected("not a complaint (Feedback-Type: not-spam)")
    for required in ("User-Agent", "Version"):
        if not raw_header(fields, required):
            notes.append(f"ARF field {required} missing")

    original: Message | None = None
    for part in parts:
        if part is not feedback_part and part.get_content_type() in ORIGINAL_TYPES:
            original = message_part(part, limits, notes)
            break
    if original is None:
        notes.append("original message not included")
    origin = origin_of(original) if original is not None else None

    declared = raw_header(fields, "Source-IP")
    ip = ip_or_none(declared)
    if declared and ip is None:
        notes.append(f"Source-IP is not an IP address: {declared.strip()[:60]!r}")
    if ip is None and origin is not None:
        ip = origin.ip

    at, time_source = None, ""
    for name, source in (("Arrival-Date", "arrival-date"), ("Received-Date", "received-date")):
        at = parse_time(raw_header(fields, name))
        if at is not None:
            time_source = source
            break
    if at is None and origin is not None and origin.at is not None:
        at, time_source = origin.at, origin.time_source
    if at is None and sent_at is not None:
        at, time_source = sent_at, "report-date"

    details = {}
    for name in DETAIL_FIELDS:
        values = raw_headers(fields, name)
        if values:
            details[name.lower()] = " ".join(", ".join(values).split())[:300]
    evidence = f"Feedback report:\n{headers_as_text(fields)}\n\nOriginal message headers:\n"
    evidence += headers_as_text(original) if original is not None else "(not included)"
    return (
        Incident(
            category=category_for(feedback_type) or SPAM,
            ip=ip,
            port=port_or_none(raw_header(fields, "Source-Port")),
            at=at,
            time_source=time_source,
            evidence=clip(evidence, limits.max_evidence_chars),
            full_headers=bool(origin and origin.full_headers),
            details=details,
        ),
    )
