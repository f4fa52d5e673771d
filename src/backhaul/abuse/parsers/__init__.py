"""Reading abuse reports in every format the desk accepts, without touching the database.

`parse_message` reads one email (RFC 5322): an ARF feedback report (RFC 5965), an X-ARF
0.1/0.2 report, an XARF v4 JSON report or a CSV feed attached to it, or a plain complaint.
`parse_feed` reads a CSV or XARF v4 JSON file. Neither raises for bad input: whatever
cannot be used comes back as `ParsedMessage.rejected` (or an incident's `problem`) with the
reason, so one bad report never stops intake.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from email.message import EmailMessage

from backhaul.abuse.parsers.arf import arf_incidents
from backhaul.abuse.parsers.feeds import csv_incidents
from backhaul.abuse.parsers.mail import (
    HEADER_LINE,
    addresses,
    header_text,
    is_automated,
    mime_problem,
    parse_bytes,
    parse_time,
    part_text,
    raw_header,
    sender,
)
from backhaul.abuse.parsers.plain import plain_incidents
from backhaul.abuse.parsers.types import Incident, Limits, ParsedMessage, Rejected
from backhaul.abuse.parsers.xarf import (
    XARF_4,
    looks_like_xarf4,
    xarf4_document,
    xarf_incidents,
)

__all__ = ["Incident", "Limits", "ParsedMessage", "parse_feed", "parse_message"]

log = logging.getLogger(__name__)

ARF = "arf"
CSV = "csv"
EMAIL = "email"
UNKNOWN = "unknown"
ESSENTIAL_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "Received")
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


def not_an_email(raw: bytes) -> str:
    """Why these bytes cannot be an email, or "" when they may be one."""
    if not raw.strip():
        return "not an email: empty"
    if b"\x00" in raw[:65536]:
        return "not an email: binary data"
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")
    if first.startswith(b"From ") or HEADER_LINE.match(first):
        return ""
    shown = first[:60].decode("utf-8", "replace")
    return f"not an email: the first line is not a header field ({shown!r})"


def _csv_part(message: EmailMessage) -> EmailMessage | None:
    for part in message.walk():
        name = (part.get_filename() or "").lower()
        if part.get_content_type() in ("text/csv", "application/csv") or name.endswith(".csv"):
            return part
    return None


def _xarf4_text(message: EmailMessage, limits: Limits, notes: list[str]) -> str | None:
    """The XARF v4 JSON document in a message: a JSON attachment, or a plain text body that
    is one (looked at before decoding, so ordinary text parts are decoded only once)."""
    for part in message.walk():
        if part.is_multipart():
            continue
        name = (part.get_filename() or "").lower()
        ctype = part.get_content_type()
        if ctype == "application/json" or name.endswith(".json"):
            text = part_text(part, limits, notes)
        elif ctype == "text/plain":
            encoded = part.get_payload()
            if not isinstance(encoded, str) or not looks_like_xarf4(encoded):
                continue
            text = part_text(part, limits, notes)
        else:
            continue
        if text and looks_like_xarf4(text):
            return text
    return None


def parse_message(raw: bytes, *, limits: Limits, default_category: str = "") -> ParsedMessage:
    """Read one email into its incidents; never raises for bad input."""
    try:
        return _parse_message(raw, limits=limits, default_category=default_category)
    except Exception as exc:
        # A report the parsers cannot read is kept with the reason, and intake goes on.
        log.exception("abuse report could not be read")
        return ParsedMessage(
            format=UNKNOWN, rejected=f"could not be read: {type(exc).__name__}: {exc}"[:500]
        )


def _parse_message(raw: bytes, *, limits: Limits, default_category: str) -> ParsedMessage:
    problem = not_an_email(raw)
    if problem:
        return ParsedMessage(format=UNKNOWN, rejected=problem)
    message = parse_bytes(raw)
    if not any(raw_header(message, name) for name in ESSENTIAL_HEADERS):
        return ParsedMessage(
            format=UNKNOWN,
            rejected="not an email: no From, To, Subject, Date, Message-ID or Received header",
        )
    reporter_email, reporter_name = sender(message)
    subject = header_text(message, "Subject")[:300]
    sent_at = parse_time(raw_header(message, "Date"))
    base = ParsedMessage(
        format=EMAIL,
        reporter_email=reporter_email,
        reporter_name=reporter_name,
        subject=subject,
        message_id=raw_header(message, "Message-ID").strip()[:300],
        sent_at=sent_at,
        recipients=tuple(addresses(message, *RECIPIENT_HEADERS)),
        automated=is_automated(message, reporter_email),
    )
    notes: list[str] = []
    fmt, machine = EMAIL, base.automated
    try:
        problem = mime_problem(message)
        if problem:
            raise Rejected(problem)
        ctype = message.get_content_type()
        report_type = str(message.get_param("report-type", "") or "").lower()
        xarf_header = "x-xarf" if raw_header(message, "X-XARF") else ""
        if not xarf_header and raw_header(message, "X-ARF").strip().lower() == "yes":
            xarf_header = "x-arf"
        if ctype == "multipart/report" and report_type == "feedback-report":
            fmt, machine = ARF, True
            incidents = arf_incidents(message, limits=limits, notes=notes, sent_at=sent_at)
        elif xarf_header:
            fmt, machine = ("xarf-0.2" if xarf_header == "x-xarf" else "xarf-0.1"), True
            fmt, incidents = xarf_incidents(
                message, limits=limits, notes=notes, version_header=xarf_header
            )
        elif (text := _xarf4_text(message, limits, notes)) is not None:
            fmt, machine = XARF_4, True
            found = xarf4_document(text, limits=limits, notes=notes)
            incidents = tuple(incident for incident, _ in found)
        elif (feed := _csv_part(message)) is not None:
            fmt, machine = CSV, True
            text = part_text(feed, limits, notes)
            if text is None:
                raise Rejected("CSV attachment is too large")
            incidents = csv_incidents(text, limits=limits, default_category=default_category)
        else:
            incidents = plain_incidents(
                message,
                limits=limits,
                notes=notes,
                subject=subject,
                sent_at=sent_at,
                default_category=default_category,
            )
    except Rejected as exc:
        return replace(
            base, format=fmt, rejected=str(exc)[:500], notes=tuple(notes), automated=machine
        )
    return replace(base, format=fmt, incidents=incidents, notes=tuple(notes), automated=machine)


def parse_feed(
    raw: bytes, *, kind: str, limits: Limits, default_category: str = ""
) -> ParsedMessage:
    """Read a feed file: `kind` is "csv" or "json" (XARF v4); never raises for bad input."""
    notes: list[str] = []
    fmt = CSV if kind == "csv" else XARF_4
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedMessage(format=fmt, rejected=f"not UTF-8 text (byte {exc.start})")
    try:
        if kind == "csv":
            incidents = csv_incidents(text, limits=limits, default_category=default_category)
            return ParsedMessage(format=fmt, incidents=incidents, automated=True)
        found = xarf4_document(text, limits=limits, notes=notes)
    except Rejected as exc:
        return ParsedMessage(format=fmt, rejected=str(exc)[:500], notes=tuple(notes))
    except Exception as exc:
        log.exception("abuse feed could not be read")
        return ParsedMessage(format=fmt, rejected=f"could not be read: {type(exc).__name__}")
    contacts = [contact for _, contact in found if contact]
    return ParsedMessage(
        format=fmt,
        incidents=tuple(incident for incident, _ in found),
        reporter_email=contacts[0] if contacts else "",
        automated=True,
        notes=tuple(notes),
    )
