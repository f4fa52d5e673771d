"""X-ARF 0.1 and 0.2 (a YAML report part in a multipart/mixed email) and XARF v4 (JSON)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from email.message import EmailMessage, Message
from typing import Any

from backhaul.abuse.parsers.arf import message_part
from backhaul.abuse.parsers.categories import FRAUD, category_for, category_for_xarf4
from backhaul.abuse.parsers.mail import (
    headers_as_text,
    ip_or_none,
    origin_of,
    parse_bytes,
    parse_time,
    part_text,
    port_or_none,
)
from backhaul.abuse.parsers.safe_yaml import YamlRejected, load_bounded
from backhaul.abuse.parsers.types import Incident, Limits, Rejected, clip

XARF_01 = "xarf-0.1"
XARF_02 = "xarf-0.2"
XARF_4 = "xarf-4"
IP_SOURCE_TYPES = {"", "ipv4", "ipv6", "ip", "ip-address", "ipaddress"}
MESSAGE_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")


def _report_part(parts: list[Message]) -> Message | None:
    for part in parts:
        if (part.get_filename() or "").lower() == "report.txt":
            return part
    texts = [p for p in parts if p.get_content_maintype() == "text"]
    # The second MIME part carries the report; the first is for people.
    return texts[1] if len(texts) > 1 else (texts[0] if texts else None)


def xarf_incidents(
    message: EmailMessage, *, limits: Limits, notes: list[str], version_header: str
) -> tuple[str, tuple[Incident, ...]]:
    """(format, incidents) from an X-ARF report: its YAML report part (base64 or plain)
    gives Source, Port, Date and Report-Type; the part after it is the evidence."""
    parts: list[Message] = list(message.iter_parts()) if message.is_multipart() else [message]
    report = _report_part(parts)
    if report is None:
        raise Rejected("X-ARF report without a YAML report part")
    text = part_text(report, limits, notes)
    if text is None:
        raise Rejected("X-ARF report part is too large")
    try:
        data = load_bounded(
            text,
            max_bytes=limits.max_yaml_bytes,
            max_nodes=limits.max_yaml_nodes,
            max_depth=limits.max_yaml_depth,
        )
    except YamlRejected as exc:
        raise Rejected(f"X-ARF report: {exc}") from None
    if not isinstance(data, Mapping):
        raise Rejected("X-ARF report part is not a YAML mapping of fields")
    fields = {str(key).strip().lower(): value for key, value in data.items()}
    version = str(fields.get("version", "")).strip()
    if version.startswith("0.1"):
        fmt = XARF_01
    elif version.startswith("0.2") or version_header == "x-xarf":
        fmt = XARF_02
    else:
        fmt = XARF_01
    missing = [
        name
        for name, key in (("Source", "source"), ("Date", "date"), ("Report-Type", "report-type"))
        if fields.get(key) in (None, "")
    ]
    if missing:
        raise Rejected(f"X-ARF report without {', '.join(missing)}")
    at = parse_time(fields["date"])
    if at is None:
        raise Rejected(f"X-ARF Date is not a date: {str(fields['date'])[:60]!r}")
    source_type = str(fields.get("source-type", "")).strip().lower()
    source = str(fields["source"]).strip()
    ip = ip_or_none(source) if source_type in IP_SOURCE_TYPES else None
    if ip is None:
        notes.append(f"X-ARF Source is not an IP address: {source[:80]!r} ({source_type})")
    report_type = str(fields["report-type"])
    category = category_for(report_type)
    if not category and str(fields.get("category", "")).strip().lower() == "fraud":
        category = FRAUD

    evidence_parts = parts[parts.index(report) + 1 :] if report in parts else []
    evidence = [f"X-ARF report:\n{text.strip()}"]
    full_headers = False
    for part in evidence_parts:
        if part.get_content_type() in MESSAGE_TYPES:
            inner = message_part(part, limits, notes)
            if inner is not None:
                full_headers = full_headers or origin_of(inner).full_headers
                evidence.append(f"Reported message headers:\n{headers_as_text(inner)}")
        elif part.get_content_maintype() == "text":
            body = part_text(part, limits, notes)
            if body:
                evidence.append(f"Evidence:\n{body.strip()}")
    details = {
        key: " ".join(str(fields[key]).split())[:300]
        for key in (
            "report-type",
            "category",
            "reported-from",
            "service",
            "user-agent",
            "schema-url",
            "occurrences",
            "version",
            "report-id",
        )
        if fields.get(key) not in (None, "")
    }
    return fmt, (
        Incident(
            category=category,
            ip=ip,
            port=port_or_none(fields.get("port") or fields.get("source-port")),
            at=at,
            time_source="xarf-date",
            evidence=clip("\n\n".join(evidence), limits.max_evidence_chars),
            full_headers=full_headers,
            details=details,
        ),
    )


def _payload(item: Mapping[str, Any], limits: Limits) -> bytes | None:
    encoded = item.get("payload")
    if not isinstance(encoded, str) or len(encoded) > limits.max_part_bytes * 4 // 3 + 4:
        return None
    try:
        return base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        return None


def xarf4_incident(data: object, *, limits: Limits, notes: list[str]) -> tuple[Incident, str]:
    """(incident, reporter contact) from one XARF v4 report object: `source_identifier`,
    `source_port`, `timestamp`, `category` and `type`, with base64 evidence items."""
    if not isinstance(data, Mapping):
        raise Rejected("XARF v4 report is not a JSON object")
    version = str(data.get("xarf_version", ""))
    if not version.startswith("4"):
        raise Rejected(f"not an XARF v4 report (xarf_version {version or 'missing'})")
    missing = [k for k in ("timestamp", "source_identifier", "category", "type") if not data.get(k)]
    if missing:
        raise Rejected(f"XARF v4 report without {', '.join(missing)}")
    at = parse_time(data["timestamp"])
    if at is None:
        raise Rejected(f"XARF v4 timestamp is not a date: {str(data['timestamp'])[:60]!r}")
    source = str(data["source_identifier"])
    ip = ip_or_none(source)
    if ip is None:
        notes.append(f"XARF v4 source is not an IP address: {source[:80]!r}")
    full_headers = False
    evidence = [json.dumps({k: v for k, v in data.items() if k != "evidence"}, indent=1)[:8000]]
    items = data.get("evidence") or []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        payload = _payload(item, limits)
        ctype = str(item.get("content_type", "")).lower()
        if payload is None:
            notes.append(f"XARF v4 evidence {ctype or 'item'} not read")
            continue
        if ctype in MESSAGE_TYPES:
            inner = parse_bytes(payload)
            full_headers = full_headers or origin_of(inner).full_headers
            evidence.append(f"Reported message headers:\n{headers_as_text(inner)}")
        elif ctype.startswith("text/"):
            evidence.append(f"Evidence:\n{payload.decode('utf-8', 'replace').strip()}")
    reporter = data.get("reporter")
    contact = str(reporter.get("contact", "")) if isinstance(reporter, Mapping) else ""
    details = {
        key: str(data[key])[:300]
        for key in ("category", "type", "report_id", "xarf_version", "url", "smtp_from")
        if data.get(key)
    }
    incident = Incident(
        category=category_for_xarf4(str(data["category"]), str(data["type"])),
        ip=ip,
        port=port_or_none(data.get("source_port")),
        at=at,
        time_source="xarf-timestamp",
        evidence=clip("\n\n".join(evidence), limits.max_evidence_chars),
        full_headers=full_headers,
        details=details,
    )
    return incident, contact.strip().lower()


def xarf4_document(text: str, *, limits: Limits, notes: list[str]) -> list[tuple[Incident, str]]:
    """Every report in an XARF v4 JSON document (one object, or a list of them)."""
    if len(text.encode("utf-8", "replace")) > limits.max_json_bytes:
        raise Rejected(f"XARF v4 document larger than {limits.max_json_bytes} bytes")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(f"XARF v4 report is not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(data, list):
        return [xarf4_incident(data, limits=limits, notes=notes)]
    found = []
    for index, item in enumerate(data, start=1):
        try:
            found.append(xarf4_incident(item, limits=limits, notes=notes))
        except Rejected as exc:
            found.append((Incident(problem=f"report {index}: {exc}", line=index), ""))
    return found


def looks_like_xarf4(text: str) -> bool:
    head = text.lstrip()[:4096]
    return head[:1] in ("{", "[") and '"xarf_version"' in head
