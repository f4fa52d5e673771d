"""What the parsers produce: plain values, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    """Bounds on what intake reads, so no single report can exhaust the listener.

    Settings may override any of them with `ABUSE_LIMITS = {"max_message_bytes": ...}`.
    """

    max_message_bytes: int = 10 * MIB
    max_feed_bytes: int = 200 * MIB
    max_part_bytes: int = 2 * MIB
    max_raw_bytes: int = 1 * MIB
    max_evidence_chars: int = 64 * KIB
    max_yaml_bytes: int = 64 * KIB
    max_yaml_nodes: int = 5000
    max_yaml_depth: int = 40
    max_json_bytes: int = 1 * MIB
    max_feed_rows: int = 1_000_000

    @classmethod
    def from_settings(cls, overrides: dict[str, Any] | None) -> Limits:
        if not overrides:
            return cls()
        unknown = sorted(set(overrides) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"ABUSE_LIMITS: unknown keys {', '.join(unknown)}")
        return cls(**{key: int(value) for key, value in overrides.items()})


@dataclass(frozen=True)
class Incident:
    """One incident a report describes, or one record rejected with its reason (`problem`)."""

    category: str = ""
    ip: str | None = None
    port: int | None = None
    at: datetime | None = None
    time_source: str = ""
    evidence: str = ""
    full_headers: bool = False
    log_lines: int = 0
    details: dict[str, str] = field(default_factory=dict)
    problem: str = ""
    line: int | None = None


@dataclass(frozen=True)
class ParsedMessage:
    """A message (or feed file) as read: who sent it, its format, and its incidents.

    `rejected` is set when nothing in it can be used; the raw input is still kept.
    """

    format: str
    incidents: tuple[Incident, ...] = ()
    rejected: str = ""
    reporter_email: str = ""
    reporter_name: str = ""
    subject: str = ""
    message_id: str = ""
    sent_at: datetime | None = None
    recipients: tuple[str, ...] = ()
    automated: bool = False
    notes: tuple[str, ...] = ()


def clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters, saying so when cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters not kept]"


class Rejected(Exception):
    """Nothing in the input can be used; the message says why."""
