"""CSV feeds (Shadowserver style): one incident per row, with `ip` and `timestamp` columns."""

from __future__ import annotations

import csv
import io

from backhaul.abuse.parsers.categories import category_for
from backhaul.abuse.parsers.mail import ip_or_none, parse_time, port_or_none
from backhaul.abuse.parsers.types import Incident, Limits, Rejected, clip

IP_COLUMNS = ("ip", "src_ip", "source_ip", "source")
TIME_COLUMNS = ("timestamp", "time", "date", "first_seen")
PORT_COLUMNS = ("port", "src_port", "source_port")
CATEGORY_COLUMNS = ("category", "report_type", "type", "infection", "tag")
EVIDENCE_ROW_CHARS = 4000


def _first(row: dict[str, str], columns: tuple[str, ...]) -> str:
    for column in columns:
        value = (row.get(column) or "").strip()
        if value:
            return value
    return ""


def csv_incidents(text: str, *, limits: Limits, default_category: str = "") -> tuple[Incident, ...]:
    """One incident per data row. A row without a usable IP address, timestamp or category
    is kept as rejected with its line number and the reason; a file without `ip` and
    `timestamp` columns is rejected whole."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not columns:
        raise Rejected("CSV feed is empty")
    missing = [
        name
        for name, choices in (("ip", IP_COLUMNS), ("timestamp", TIME_COLUMNS))
        if not set(choices) & set(columns)
    ]
    if missing:
        raise Rejected(
            f"CSV feed without {' or '.join(missing)} column (columns: {', '.join(columns)[:200]})"
        )
    reader.fieldnames = columns
    incidents: list[Incident] = []
    try:
        for row in reader:
            line = reader.line_num
            if len(incidents) >= limits.max_feed_rows:
                raise Rejected(f"CSV feed has more than {limits.max_feed_rows} rows")
            cells = {k: (v or "") for k, v in row.items() if isinstance(k, str)}
            problem = ""
            raw_ip = _first(cells, IP_COLUMNS)
            ip = ip_or_none(raw_ip)
            at = parse_time(_first(cells, TIME_COLUMNS))
            names = [cells.get(c, "") for c in CATEGORY_COLUMNS]
            category = category_for(*names) or default_category
            if ip is None:
                problem = f"line {line}: ip: not an IP address: {raw_ip[:60]!r}"
            elif at is None:
                problem = (
                    f"line {line}: timestamp: not a date: {_first(cells, TIME_COLUMNS)[:60]!r}"
                )
            elif not category:
                problem = f"line {line}: no category (add a category column or give one)"
            evidence = "\n".join(f"{k}: {v}" for k, v in cells.items() if v)
            incidents.append(
                Incident(
                    category=category,
                    ip=ip,
                    port=port_or_none(_first(cells, PORT_COLUMNS)),
                    at=at,
                    time_source="feed-timestamp",
                    evidence=clip(evidence, EVIDENCE_ROW_CHARS),
                    details={k: cells[k][:300] for k in CATEGORY_COLUMNS if cells.get(k)},
                    problem=problem,
                    line=line,
                )
            )
    except csv.Error as exc:
        raise Rejected(f"CSV feed line {reader.line_num}: {exc}") from None
    if not incidents:
        raise Rejected("CSV feed has a header row but no data rows")
    return tuple(incidents)
