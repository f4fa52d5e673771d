"""Taking reports in: keep each item raw, read it, resolve each incident to the account that
held the address at the time, check the evidence, and attach it to that account's case.

Intake never stops for a bad item: whatever cannot be used is stored raw with its reason
and counted, so `read = accepted + rejected + duplicates` for every run.

Reading and resolving (the `_Planner`) only reads the database, so large imports run it in
worker processes while this process writes. Both go by batches: a batch is resolved with one
look-up in the IP history and written in one transaction, and a batch that collides with
concurrent intake is stored again item by item.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import chain, islice
from typing import Any

from django.db import IntegrityError, connection, connections, transaction

from backhaul.abuse import rules
from backhaul.abuse.choices import (
    Channel,
    Evidence,
    Format,
    MessageStatus,
    ReportStatus,
    Resolution,
)
from backhaul.abuse.models import IntakeMessage, Report
from backhaul.abuse.parsers import parse_feed, parse_message
from backhaul.abuse.parsers.mail import log_lines, origin_of, parse_header_block
from backhaul.abuse.parsers.types import Incident, ParsedMessage
from backhaul.abuse.selectors import abuse_terms_for, intake_limits
from backhaul.abuse.services import texts
from backhaul.abuse.services.bulk import rows_insert
from backhaul.abuse.services.cases import open_cases_for
from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import brand_get
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.services import account_get
from backhaul.network.selectors import IpLookup, ip_holders_at_many
from backhaul.notices.services import NoticeDraft, notices_send_many

log = logging.getLogger(__name__)

REJECTIONS_LISTED = 200
SANE_ADDRESS = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
FEED_KINDS = ("csv", "json")
HOLDERS_REMEMBERED = 10000


@dataclass(frozen=True)
class RawItem:
    """Bytes as received, with where they came from; `kind` is email, csv, json or form."""

    raw: bytes
    source: str
    kind: str = "email"
    recipients: tuple[str, ...] = ()


@dataclass
class IntakeSummary:
    """What an intake run did. Records are incidents (a feed row, an email's report); a
    message that yields none counts as one rejected record."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    messages: int = 0
    cases_created: int = 0
    cases_updated: int = 0
    cases_reopened: int = 0
    unresolved: int = 0
    needs_evidence: int = 0
    not_about_a_customer: int = 0
    acknowledged: int = 0
    headers_requested: int = 0
    rejections: list[dict[str, str]] = field(default_factory=list)
    rejections_not_listed: int = 0

    COUNTS = (
        "read",
        "accepted",
        "rejected",
        "duplicates",
        "messages",
        "cases_created",
        "cases_updated",
        "cases_reopened",
        "unresolved",
        "needs_evidence",
        "not_about_a_customer",
        "acknowledged",
        "headers_requested",
    )

    def note_rejection(self, source: str, reason: str) -> None:
        if len(self.rejections) < REJECTIONS_LISTED:
            self.rejections.append({"source": source, "reason": reason})
        else:
            self.rejections_not_listed += 1

    def add(self, other: IntakeSummary) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rejection in other.rejections:
            self.note_rejection(rejection["source"], rejection["reason"])
        self.rejections_not_listed += other.rejections_not_listed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _PlannedReport:
    position: int
    incident: Incident
    status: str
    reason: str = ""
    evidence_status: str = Evidence.UNCHECKED
    evidence_reason: str = ""
    resolution: str = ""
    account_id: int | None = None
    brand_id: int | None = None
    lookup: IpLookup | None = None
    judge: bool = False

    @property
    def case_key(self) -> tuple[int, str] | None:
        if (
            self.status == ReportStatus.ACCEPTED
            and self.account_id is not None
            and self.evidence_status == Evidence.SUFFICIENT
            and self.resolution in (Resolution.RESOLVED, Resolution.ASSIGNED)
        ):
            return (self.account_id, self.incident.category)
        return None


@dataclass
class _Planned:
    item: RawItem
    digest: str
    parsed: ParsedMessage
    channel: str
    brand_id: int | None
    reports: list[_PlannedReport]
    message_id: int | None = None
    message_status: str = ""
    duplicate: bool = False

    @property
    def reference(self) -> str:
        return f"AR-{self.digest[:12].upper()}"


@dataclass(frozen=True)
class _PlanSettings:
    channel: str
    now: datetime
    brand_key: str | None
    category: str


class _Planner:
    """Reads and resolves intake items; touches the database only to read."""

    def __init__(self, settings: _PlanSettings) -> None:
        if settings.channel not in Channel.values:
            raise InvalidInput(f"channel: must be one of {', '.join(Channel.values)}")
        self.settings = settings
        self.limits = intake_limits()
        self.default_brand = brand_get(settings.brand_key) if settings.brand_key else None
        self.brands = {brand.pk: brand for brand in Brand.objects.all()}
        self.by_address = {
            brand.abuse_email.lower(): brand.pk
            for brand in self.brands.values()
            if brand.abuse_email
        }
        self._terms: dict[int, rules.AbuseTerms | None] = {}
        self._holders: dict[IpLookup, tuple[str, int | None, int | None]] = {}
        self.not_about_customers = {
            category.key
            for brand_id in self.brands
            if (terms := self.terms(brand_id)) is not None
            for category in terms.categories
            if not category.against_customer
        }

    def terms(self, brand_id: int | None) -> rules.AbuseTerms | None:
        if brand_id is None:
            return None
        if brand_id not in self._terms:
            try:
                self._terms[brand_id] = abuse_terms_for(self.brands[brand_id])
            except NotFound:
                self._terms[brand_id] = None
        return self._terms[brand_id]

    def _look_up(self, lookups: Iterable[IpLookup]) -> None:
        """Resolve (ip, at, port) lookups not seen yet, all in one go; repeat reports of one
        incident are looked up once."""
        needed = list(dict.fromkeys(lookups))
        if len(self._holders) + len(needed) > HOLDERS_REMEMBERED:
            self._holders.clear()
        wanted = [lookup for lookup in needed if lookup not in self._holders]
        if not wanted:
            return
        for lookup, holders in ip_holders_at_many(lookups=wanted).items():
            outcome, account_id = rules.holders_verdict([h.account_id for h in holders])
            brand_id = next((h.brand_id for h in holders if h.account_id == account_id), None)
            self._holders[lookup] = (outcome, account_id, brand_id)

    def _parse(self, item: RawItem) -> ParsedMessage:
        size = len(item.raw)
        category = self.settings.category
        if item.kind in FEED_KINDS:
            limit = self.limits.max_feed_bytes
            if size > limit:
                fmt = Format.CSV if item.kind == "csv" else Format.XARF_4
                return ParsedMessage(
                    format=fmt, rejected=f"too large: {size} bytes (limit {limit})"
                )
            return parse_feed(
                item.raw, kind=item.kind, limits=self.limits, default_category=category
            )
        limit = self.limits.max_message_bytes
        if size > limit:
            return ParsedMessage(
                format=Format.UNKNOWN, rejected=f"too large: {size} bytes (limit {limit})"
            )
        return parse_message(item.raw, limits=self.limits, default_category=category)

    def _brand(self, item: RawItem, parsed: ParsedMessage) -> int | None:
        for address in (*item.recipients, *parsed.recipients):
            brand_id = self.by_address.get(address.lower())
            if brand_id is not None:
                return brand_id
        return self.default_brand.pk if self.default_brand else None

    def _classify(
        self,
        position: int,
        incident: Incident,
        brand_id: int | None,
        assigned: tuple[int, int] | None,
    ) -> _PlannedReport:
        """A report as far as it can be taken without the IP history: rejected, not about
        a customer, assigned by staff, lacking an address or a time, or to be looked up."""
        if incident.problem:
            return _PlannedReport(position, incident, ReportStatus.REJECTED, incident.problem)
        planned = _PlannedReport(position, incident, ReportStatus.ACCEPTED, judge=True)
        brand_terms = self.terms(brand_id)
        category_terms = brand_terms.category(incident.category) if brand_terms else None
        if (category_terms is not None and not category_terms.against_customer) or (
            category_terms is None and incident.category in self.not_about_customers
        ):
            planned.resolution = Resolution.NOT_APPLICABLE
            planned.judge = False
        elif assigned is not None:
            planned.resolution = Resolution.ASSIGNED
            planned.account_id, planned.brand_id = assigned
        elif incident.ip is None:
            planned.resolution = Resolution.NO_IP
        elif incident.at is None:
            planned.resolution = Resolution.NO_TIME
        else:
            planned.lookup = (incident.ip, incident.at, incident.port)
        return planned

    def _settle(self, planned: _PlannedReport, brand_id: int | None) -> None:
        """Finish a classified report: who held the address then, and whether the evidence
        is enough under the terms of that account's brand (else the brand written to)."""
        if planned.lookup is not None:
            outcome, account_id, brand_of_account = self._holders[planned.lookup]
            planned.resolution = outcome
            if account_id is not None:
                planned.account_id, planned.brand_id = account_id, brand_of_account
        if not planned.judge:
            return
        terms = self.terms(planned.brand_id) if planned.brand_id else self.terms(brand_id)
        if terms is not None:
            verdict = rules.evidence_verdict(
                terms,
                category=planned.incident.category,
                full_headers=planned.incident.full_headers,
                log_lines=planned.incident.log_lines,
            )
            planned.evidence_status, planned.evidence_reason = verdict.status, verdict.reason

    def plan(
        self,
        items: list[RawItem],
        *,
        parsed: list[ParsedMessage] | None = None,
        channel: str | None = None,
        assigned: tuple[int, int] | None = None,
    ) -> list[_Planned]:
        """Read a batch of items (unless already `parsed`) and resolve every incident in
        it, with one look-up in the IP history for the whole batch."""
        if parsed is None:
            parsed = [self._parse(item) for item in items]
        batch = []
        for item, message in zip(items, parsed, strict=True):
            brand_id = self._brand(item, message)
            reports = [
                self._classify(position, incident, brand_id, assigned)
                for position, incident in enumerate(message.incidents, start=1)
            ]
            digest = hashlib.sha256(item.raw).hexdigest()
            batch.append(
                _Planned(item, digest, message, channel or self.settings.channel, brand_id, reports)
            )
        self._look_up(r.lookup for p in batch for r in p.reports if r.lookup is not None)
        for planned in batch:
            for report in planned.reports:
                self._settle(report, planned.brand_id)
            if planned.brand_id is None:
                planned.brand_id = next(
                    (r.brand_id for r in planned.reports if r.brand_id is not None), None
                )
        return batch


_WORKER_PLANNER: _Planner | None = None


def _plan_in_worker(job: tuple[_PlanSettings, list[RawItem]]) -> list[_Planned]:
    """Plan a chunk in a worker process (one planner per process and settings)."""
    global _WORKER_PLANNER
    settings, items = job
    if _WORKER_PLANNER is None or _WORKER_PLANNER.settings != settings:
        _WORKER_PLANNER = _Planner(settings)
    planned = _WORKER_PLANNER.plan(items)
    for each in planned:
        # The caller still has the bytes: do not send them back.
        each.item = RawItem(b"", each.item.source, each.item.kind, each.item.recipients)
    return planned


def _message_ids(digests: list[str]) -> dict[str, int]:
    """The stored messages among these SHA-256 digests, by digest, in one query (on
    PostgreSQL with the digests as one array, which is quicker to send than a long IN)."""
    if not digests:
        return {}
    meta = IntakeMessage._meta
    quote = connection.ops.quote_name
    table, digest, key = (
        quote(meta.db_table),
        quote(meta.get_field("sha256").column),
        quote(meta.pk.column),  # type: ignore[union-attr]
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT {digest}, {key} FROM {table} WHERE {digest} = ANY(%s)",  # noqa: S608
                [digests],
            )
        else:
            marks = ", ".join(["%s"] * len(digests))
            cursor.execute(
                f"SELECT {digest}, {key} FROM {table} WHERE {digest} IN ({marks})",  # noqa: S608
                digests,
            )
        return dict(cursor.fetchall())


def _chunks(items: Iterable[RawItem], size: int) -> Iterator[list[RawItem]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Intake:
    """One intake run: plans items (here or in worker processes), stores them in batches
    and answers the reporters."""

    def __init__(self, settings: _PlanSettings, *, acknowledge: bool, actor: str) -> None:
        self.settings = settings
        self.planner = _Planner(settings)
        self.now = settings.now
        self.acknowledge = acknowledge
        self.actor = actor
        self.limits = self.planner.limits
        brands = self.planner.brands.values()
        self.own_addresses = {
            address.lower()
            for brand in brands
            for address in (brand.abuse_email, brand.support_email, brand.billing_email)
            if address
        }
        self.summary = IntakeSummary()
        self.seen: set[str] = set()
        self.last: _Planned | None = None

    def _message(self, planned: _Planned) -> dict[str, Any]:
        parsed, raw = planned.parsed, planned.item.raw
        rejected = [r for r in planned.reports if r.status == ReportStatus.REJECTED]
        accepted = len(planned.reports) - len(rejected)
        reason = parsed.rejected
        if not reason and not accepted:
            reason = f"all {len(rejected)} records rejected" if rejected else "no incidents found"
        return dict(
            reference=planned.reference,
            sha256=planned.digest,
            channel=planned.channel,
            source=planned.item.source[:300],
            format=parsed.format,
            status=MessageStatus.ACCEPTED if accepted else MessageStatus.REJECTED,
            reason=reason[:500],
            notes="\n".join(parsed.notes)[:5000],
            raw=raw[: self.limits.max_raw_bytes],
            raw_size=len(raw),
            raw_truncated=len(raw) > self.limits.max_raw_bytes,
            brand_id=planned.brand_id,
            reporter_email=parsed.reporter_email[:254],
            reporter_name=parsed.reporter_name[:200],
            subject=parsed.subject[:300],
            message_id=parsed.message_id[:300],
            automated=parsed.automated,
            records=len(planned.reports),
            rejected_records=len(rejected),
            received_at=self.now,
        )

    def _write(self, batch: list[_Planned], tally: IntakeSummary) -> None:
        """Store a batch: its messages, the open case of every (account, category) it
        names, and its reports on those cases, in a few statements."""
        messages = [self._message(planned) for planned in batch]
        rows_insert(IntakeMessage, messages)
        ids = _message_ids([p.digest for p in batch])
        for planned, message in zip(batch, messages, strict=True):
            planned.message_id, planned.message_status = ids[planned.digest], message["status"]
        wanted: dict[tuple[int, str], int] = {}
        for planned in batch:
            for report in planned.reports:
                key = report.case_key
                if key is not None and report.brand_id is not None:
                    wanted[key] = report.brand_id
        cases = open_cases_for(
            wanted=wanted, now=self.now, actor=self.actor or "intake", terms_of=self.planner.terms
        )
        tally.cases_created += cases.created
        tally.cases_reopened += cases.reopened
        tally.cases_updated += len(cases.existing)
        rows = []
        for planned in batch:
            parsed, message_id = planned.parsed, ids[planned.digest]
            for report in planned.reports:
                incident, key = report.incident, report.case_key
                rows.append(
                    dict(
                        message_id=message_id,
                        position=report.position,
                        status=report.status,
                        reason=report.reason[:500],
                        format=parsed.format,
                        category=incident.category,
                        ip=incident.ip,
                        port=incident.port,
                        incident_at=incident.at,
                        time_source=incident.time_source[:40],
                        evidence=incident.evidence,
                        full_headers=incident.full_headers,
                        log_lines=incident.log_lines,
                        evidence_status=report.evidence_status,
                        evidence_reason=report.evidence_reason[:300],
                        resolution=report.resolution,
                        account_id=report.account_id,
                        case_id=cases.ids.get(key) if key else None,
                        reporter_email=parsed.reporter_email[:254],
                        reporter_name=parsed.reporter_name[:200],
                        details=incident.details,
                        received_at=self.now,
                    )
                )
        rows_insert(Report, rows)
        cases.count_reports(
            Counter(row["case_id"] for row in rows if row["case_id"] is not None), at=self.now
        )
        for planned in batch:
            self._count(planned, tally)

    @staticmethod
    def _count(planned: _Planned, tally: IntakeSummary) -> None:
        tally.messages += 1
        source = planned.item.source
        if not planned.reports:
            tally.read += 1
            tally.rejected += 1
            tally.note_rejection(source, planned.parsed.rejected or "no incidents found")
            return
        for report in planned.reports:
            tally.read += 1
            if report.status == ReportStatus.REJECTED:
                tally.rejected += 1
                tally.note_rejection(source, report.reason)
                continue
            tally.accepted += 1
            if report.resolution == Resolution.NOT_APPLICABLE:
                tally.not_about_a_customer += 1
            elif report.account_id is None:
                tally.unresolved += 1
            elif report.evidence_status != Evidence.SUFFICIENT:
                tally.needs_evidence += 1

    def _duplicate(self, planned: _Planned) -> None:
        existing = IntakeMessage.objects.filter(sha256=planned.digest).first()
        records = max(existing.records, 1) if existing else 1
        self.summary.read += records
        self.summary.duplicates += records
        planned.duplicate = True
        if existing is not None:
            planned.message_id, planned.message_status = existing.pk, existing.status

    def store(self, batch: list[_Planned]) -> None:
        """Write a batch in one transaction, with the acknowledgements it calls for."""
        known = set(_message_ids([p.digest for p in batch]))
        fresh: list[_Planned] = []
        for planned in batch:
            if planned.digest in known or planned.digest in self.seen:
                self._duplicate(planned)
            else:
                self.seen.add(planned.digest)
                fresh.append(planned)
        if not fresh:
            return
        tally = IntakeSummary()
        try:
            with transaction.atomic():
                self._write(fresh, tally)
                self._answer(fresh, tally)
        except IntegrityError:
            # Concurrent intake stored one of these messages, or opened one of these cases,
            # first: store them one by one, each seeing what is there now.
            for planned in fresh:
                self._store_one(planned)
        else:
            self.summary.add(tally)

    def _store_one(self, planned: _Planned) -> None:
        for _attempt in range(2):
            planned.message_id = None
            if IntakeMessage.objects.filter(sha256=planned.digest).exists():
                self._duplicate(planned)
                return
            tally = IntakeSummary()
            try:
                with transaction.atomic():
                    self._write([planned], tally)
                    self._answer([planned], tally)
            except IntegrityError:
                continue
            self.summary.add(tally)
            return
        planned.message_id = None
        log.error("abuse report %s could not be stored", planned.item.source)
        self.summary.read += 1
        self.summary.rejected += 1
        self.summary.note_rejection(planned.item.source, "could not be stored")

    def _answer(self, batch: list[_Planned], tally: IntakeSummary) -> None:
        """Acknowledge each person's report in a batch with its reference, or ask for the
        full headers a spam report lacks; never anything about the customer or the action
        taken. The batch's notices are sent together."""
        drafts = [draft for planned in batch if (draft := self._reply(planned, tally))]
        notices_send_many(drafts=drafts, now=self.now)

    def _reply(self, planned: _Planned, tally: IntakeSummary) -> NoticeDraft | None:
        """The notice answering one message, if it calls for one."""
        parsed = planned.parsed
        address = parsed.reporter_email
        if (
            not self.acknowledge
            or parsed.automated
            or planned.brand_id is None
            or planned.message_id is None
            or planned.message_status != MessageStatus.ACCEPTED
            or not SANE_ADDRESS.match(address)
            or address in self.own_addresses
        ):
            return None
        terms = self.planner.terms(planned.brand_id)
        if terms is None:
            return None
        brand, reference = self.planner.brands[planned.brand_id], planned.reference
        if any(r.evidence_status == Evidence.NEEDS_HEADERS for r in planned.reports):
            subject, body = texts.headers_request(reference=reference)
            key, kind, clause = (
                f"abuse:headers:{reference}",
                "abuse.headers-request",
                (terms.full_headers_clause),
            )
            tally.headers_requested += 1
        elif terms.acknowledge_reports:
            subject, body = texts.acknowledgement(reference=reference)
            key, kind, clause = (
                f"abuse:ack:{reference}",
                "abuse.acknowledgement",
                (terms.acknowledgement_clause),
            )
            tally.acknowledged += 1
        else:
            return None
        return NoticeDraft(
            key=key,
            kind=kind,
            brand=brand,
            recipient=address,
            subject=subject,
            body=body,
            clause_id=clause,
        )

    def run(
        self,
        items: Iterable[RawItem],
        *,
        batch_size: int,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
    ) -> IntakeSummary:
        chunks = _chunks(items, batch_size)
        first = next(chunks, [])
        chunks = chain([first], chunks)
        # Worker processes pay off from a second batch on, and cannot share a transaction.
        if workers <= 1 or len(first) < batch_size or connection.in_atomic_block:
            for chunk in chunks:
                if chunk:
                    self._store_batch(self.planner.plan(chunk), progress)
            return self.summary
        # Worker processes must not share this process's database connections.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        sent: deque[list[RawItem]] = deque()

        def jobs() -> Iterator[tuple[_PlanSettings, list[RawItem]]]:
            for chunk in chunks:
                sent.append(chunk)
                yield self.settings, chunk

        # Objects this process already holds are frozen out of the garbage collector while
        # the workers fork, so their collections do not copy every inherited page.
        gc.freeze()
        try:
            pool = context.Pool(workers)
        finally:
            gc.unfreeze()
        with pool:
            for batch in pool.imap(_plan_in_worker, jobs()):
                for planned, item in zip(batch, sent.popleft(), strict=True):
                    planned.item = item
                self._store_batch(batch, progress)
        return self.summary

    def _store_batch(self, batch: list[_Planned], progress: Callable[[int], None] | None) -> None:
        self.store(batch)
        self.last = batch[-1]
        if progress is not None:
            progress(len(batch))


def reports_ingest(
    *,
    items: Iterable[RawItem],
    channel: str,
    now: datetime,
    brand_key: str | None = None,
    category: str = "",
    acknowledge: bool = True,
    batch_size: int = 500,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> IntakeSummary:
    """Take in emails and feed files (from the SMTP listener or an import).

    `brand_key` names the brand reports were sent to when their recipients do not say;
    `category` is the category for feed rows that do not name one. With `workers` above 1,
    reading and resolving run in that many worker processes. Replaying the same items
    changes nothing: they are counted as duplicates.
    """
    settings = _PlanSettings(channel=channel, now=now, brand_key=brand_key, category=category)
    intake = _Intake(settings, acknowledge=acknowledge, actor="")
    return intake.run(items, batch_size=batch_size, workers=workers, progress=progress)


def message_ingest(
    *,
    raw: bytes,
    source: str,
    channel: str,
    now: datetime,
    recipients: tuple[str, ...] = (),
    brand_key: str | None = None,
) -> tuple[IntakeSummary, str]:
    """Take in one email; returns the summary and the reference given to it."""
    settings = _PlanSettings(channel=channel, now=now, brand_key=brand_key, category="")
    intake = _Intake(settings, acknowledge=True, actor="")
    summary = intake.run([RawItem(raw, source, "email", recipients)], batch_size=1)
    return summary, intake.last.reference if intake.last is not None else ""


def report_submit(
    *,
    channel: str,
    brand_key: str,
    reporter_email: str,
    reporter_name: str,
    category: str,
    ip: str | None,
    port: int | None,
    incident_at: datetime,
    details: str,
    headers: str,
    now: datetime,
    account_number: str | None = None,
    actor: str = "",
    acknowledge: bool = True,
) -> IntakeMessage:
    """A report from the public web form or entered by staff (from a phone call, say).

    Stored like any other intake item (the submitted fields as JSON), checked and resolved
    the same way; staff may name the account directly.
    """
    if channel not in (Channel.WEB_FORM, Channel.STAFF):
        raise InvalidInput(f"channel: reports are submitted by web form or staff, not {channel}")
    settings = _PlanSettings(channel=channel, now=now, brand_key=brand_key, category="")
    intake = _Intake(settings, acknowledge=acknowledge, actor=actor)
    account = account_get(account_number) if account_number else None
    submitted = {
        "brand": brand_key,
        "reporter_email": reporter_email,
        "reporter_name": reporter_name,
        "category": category,
        "ip": ip,
        "port": port,
        "incident_at": incident_at.isoformat(),
        "details": details,
        "headers": headers,
        "account": account_number or "",
        "submitted_at": now.isoformat(),
        "actor": actor,
    }
    raw = json.dumps(submitted, indent=1, ensure_ascii=False).encode("utf-8")
    origin = origin_of(parse_header_block(headers)) if headers.strip() else None
    evidence = details.strip()
    if headers.strip():
        evidence += f"\n\nHeaders of the reported message:\n{headers.strip()}"
    incident = Incident(
        category=category,
        ip=ip,
        port=port,
        at=incident_at,
        time_source="given",
        evidence=evidence[: intake.limits.max_evidence_chars],
        full_headers=bool(origin and origin.full_headers),
        log_lines=log_lines(details.splitlines()),
    )
    parsed = ParsedMessage(
        format=Format.FORM,
        incidents=(incident,),
        reporter_email=reporter_email.strip().lower(),
        reporter_name=reporter_name.strip(),
        subject=f"{texts.category_label(category)} reported via {channel}",
        sent_at=now,
    )
    [planned] = intake.planner.plan(
        [RawItem(raw, f"{channel}:{actor}" if actor else channel, "form")],
        parsed=[parsed],
        channel=channel,
        assigned=(account.pk, account.brand_id) if account else None,
    )
    intake.store([planned])
    return IntakeMessage.objects.get(pk=planned.message_id)
