"""Plain email complaints: forwarded spam with its headers, firewall logs, free text."""

from __future__ import annotations

import html
import re
from datetime import datetime
from email.message import EmailMessage, Message

from backhaul.abuse.parsers.categories import SPAM, classify_text
from backhaul.abuse.parsers.mail import (
    PORT_FIELD,
    Origin,
    header_blocks,
    headers_as_text,
    ips_with_ports,
    log_lines,
    origin_of,
    parse_header_block,
    part_text,
    port_or_none,
    timestamp_in,
)
from backhaul.abuse.parsers.types import Incident, Limits, clip

TAG = re.compile(r"<[^>]{0,2000}>")
CLASSIFY_CHARS = 8000


def _collect(
    part: Message,
    *,
    limits: Limits,
    notes: list[str],
    texts: list[str],
    attached: list[Message],
) -> None:
    """Gather the readable text of a message, keeping attached messages (and header-only
    parts) apart: their content is the reported message, not the complaint."""
    ctype = part.get_content_type()
    if part.get_content_maintype() == "message" and part.is_multipart():
        inner = part.get_payload(0)
        if isinstance(inner, Message):
            attached.append(inner)
        return
    if part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _collect(sub, limits=limits, notes=notes, texts=texts, attached=attached)
        return
    if ctype in ("text/rfc822-headers", "message/rfc822-headers"):
        text = part_text(part, limits, notes)
        if text:
            attached.append(parse_header_block(text))
        return
    if ctype == "text/plain":
        text = part_text(part, limits, notes)
        if text is not None:
            texts.append(text)
        return
    if ctype == "text/html":
        text = part_text(part, limits, notes)
        if text is not None and not texts:
            texts.append(html.unescape(TAG.sub(" ", text)))
        return
    notes.append(f"attachment {part.get_filename() or ctype} not read as text")


def plain_incidents(
    message: EmailMessage,
    *,
    limits: Limits,
    notes: list[str],
    subject: str,
    sent_at: datetime | None,
    default_category: str = "",
) -> tuple[Incident, ...]:
    """One incident from a complaint written by a person.

    The offending address comes from the reported message's headers when they are included
    (pasted into the body as the FAQ asks, or attached), otherwise from the first address in
    the text; the time from the headers' Received trace, a timestamp in the text, or failing
    both the complaint's own Date.
    """
    texts: list[str] = []
    attached: list[Message] = []
    _collect(message, limits=limits, notes=notes, texts=texts, attached=attached)
    body = "\n".join(texts)
    lines = body.splitlines()
    in_block = [False] * len(lines)
    pasted: list[Message] = []
    for start, end, block in header_blocks(body):
        pasted.append(parse_header_block(block))
        for index in range(start, min(end, len(lines))):
            in_block[index] = True
    free_lines = [line for line, inside in zip(lines, in_block, strict=True) if not inside]
    free_text = "\n".join(free_lines)

    origin: Origin | None = None
    reported: Message | None = None
    for candidate in [*pasted, *attached]:
        found = origin_of(candidate)
        if origin is None or (found.full_headers and not origin.full_headers):
            origin, reported = found, candidate
        if found.full_headers:
            break

    category = classify_text(f"{subject}\n{free_text[:CLASSIFY_CHARS]}")
    if not category and origin is not None and origin.full_headers:
        category = SPAM
    category = category or default_category

    ip: str | None = origin.ip if origin else None
    port: int | None = None
    if ip is None:
        pairs = ips_with_ports(free_text)
        if pairs:
            ip, port = pairs[0]
    if ip is not None and port is None:
        field = PORT_FIELD.search(free_text)
        port = port_or_none(field.group(1)) if field else None

    at: datetime | None = origin.at if origin else None
    time_source = origin.time_source if origin and origin.at else ""
    if at is None:
        at, time_source = timestamp_in(free_text)
    if at is None and sent_at is not None:
        at, time_source = sent_at, "report-date"

    evidence = free_text.strip()
    if reported is not None:
        evidence = f"{evidence}\n\nHeaders of the reported message:\n{headers_as_text(reported)}"
    return (
        Incident(
            category=category,
            ip=ip,
            port=port,
            at=at,
            time_source=time_source,
            evidence=clip(evidence.strip(), limits.max_evidence_chars),
            full_headers=bool(origin and origin.full_headers),
            log_lines=log_lines(free_lines),
            details={"subject": subject[:300]} if subject else {},
        ),
    )
