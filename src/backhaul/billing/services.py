"""Billing services: the charge interface, issuing invoices and credit notes, bill runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from backhaul.billing import bulk, rules, selectors
from backhaul.billing.bulk import AnyOf
from backhaul.billing.choices import BillRunStatus, ChargeKind, DocumentKind
from backhaul.billing.models import BillRun, DocumentSequence, Invoice, InvoiceLine, PendingCharge
from backhaul.catalogue.choices import VatTreatment
from backhaul.catalogue.models import Brand, Clause
from backhaul.catalogue.selectors import brand_get, clause_get
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import Rounding, Taxed, is_penny_scale, quantize
from backhaul.customers.models import Account


def charge_add(
    *,
    account: Account,
    key: str,
    source: str,
    description: str,
    amount: Decimal,
    vat_treatment: str,
    clause_id: str,
    tax_point: date,
    now: datetime,
    kind: str = ChargeKind.ONE_OFF,
    quantity: Decimal = Decimal(1),
    unit_amount: Decimal | None = None,
    vat: Decimal | None = None,
    period: tuple[date, date] | None = None,
) -> PendingCharge:
    """Put a charge (positive) or credit (negative) on the account's next bill, once per key.

    Adding the same key again returns the charge already added and changes nothing, so
    importers and daily jobs can be replayed.
    """
    existing = PendingCharge.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if kind not in ChargeKind.values:
        raise InvalidInput(f"kind: must be one of {', '.join(ChargeKind.values)}, not {kind!r}")
    if vat_treatment not in VatTreatment.values:
        raise InvalidInput(f"vat_treatment: unknown {vat_treatment!r}")
    if not is_penny_scale(amount) or (vat is not None and not is_penny_scale(vat)):
        raise InvalidInput(f"{key}: charges are whole pennies, not {amount}")
    if kind == ChargeKind.CREDIT and amount > 0:
        raise InvalidInput(f"{key}: a credit is a negative amount, not {amount}")
    clause = clause_get(clause_id)
    try:
        with transaction.atomic():
            return PendingCharge.objects.create(
                key=key,
                account=account,
                kind=kind,
                source=source,
                description=description[:300],
                quantity=quantity,
                unit_amount=unit_amount,
                amount=amount,
                vat_treatment=vat_treatment,
                vat=vat,
                clause=clause,
                tax_point=tax_point,
                period_start=period[0] if period else None,
                period_end=period[1] if period else None,
                created_at=now,
            )
    except IntegrityError:
        return PendingCharge.objects.get(key=key)


# --- Issuing invoices -----------------------------------------------------------------


@dataclass
class ChunkResult:
    issued: list[str] = field(default_factory=list)
    skipped_existing: int = 0
    empty: int = 0
    net: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")

    def add(self, other: ChunkResult) -> None:
        self.issued.extend(other.issued)
        self.skipped_existing += other.skipped_existing
        self.empty += other.empty
        self.net += other.net
        self.vat += other.vat
        self.total += other.total


def _take_numbers(brand: Brand, kind: str, count: int) -> list[str]:
    """Reserve `count` consecutive document numbers under the sequence's row lock."""
    DocumentSequence.objects.get_or_create(brand=brand, kind=kind)
    sequence = DocumentSequence.objects.select_for_update().get(brand=brand, kind=kind)
    first = sequence.next_value
    sequence.next_value = first + count
    sequence.save(update_fields=["next_value"])
    tag = "INV" if kind == DocumentKind.INVOICE else "CN"
    return [f"{brand.account_prefix}-{tag}-{n:07d}" for n in range(first, first + count)]


# Invoices are due on the day of issue.
PAYMENT_DAYS = 0

INVOICE_FIELDS = (
    "number",
    "kind",
    "brand_id",
    "account_id",
    "credits_invoice_id",
    "bill_run_id",
    "bill_date",
    "period_start",
    "period_end",
    "due_date",
    "issued_at",
    "net",
    "vat",
    "total",
    "vat_summary",
    "supplier_name",
    "supplier_address",
    "supplier_vat_number",
    "customer_name",
    "customer_address",
    "customer_email",
    "account_number",
    "reason",
)
LINE_FIELDS = (
    "invoice_id",
    "position",
    "kind",
    "description",
    "quantity",
    "unit_amount",
    "net",
    "vat",
    "gross",
    "vat_rate",
    "tax_point",
    "clause_id",
    "clause_heading",
    "clause_text",
    "subscription_id",
    "period_start",
    "period_end",
    "pending_charge_id",
)


@dataclass(frozen=True)
class _Document:
    """An invoice or credit note ready to write: its row and the draft its lines come from."""

    row: tuple[Any, ...]
    draft: rules.InvoiceDraft


def _document(
    *,
    account: selectors.BillingAccount,
    brand: Brand,
    draft: rules.InvoiceDraft,
    number: str,
    kind: str,
    now: datetime,
    bill_run_id: int | None = None,
    credits_invoice_id: int | None = None,
    reason: str = "",
) -> _Document:
    """The invoice row, in INVOICE_FIELDS order: the draft's amounts and a snapshot of the
    supplier's and customer's names and addresses as they are at issue."""
    total = draft.total
    vat_summary = [
        {"rate": str(rate), "net": str(t.net), "vat": str(t.vat), "gross": str(t.gross)}
        for rate, t in draft.vat_summary().items()
    ]
    row = (
        number,
        kind,
        brand.pk,
        account.id,
        credits_invoice_id,
        bill_run_id,
        draft.bill_date,
        draft.period_start,
        draft.period_end,
        draft.bill_date + timedelta(days=PAYMENT_DAYS),
        now,
        total.net,
        total.vat,
        total.gross,
        vat_summary,
        brand.legal_name,
        brand.address,
        brand.vat_number,
        account.name,
        account.address,
        account.email,
        account.number,
        reason,
    )
    return _Document(row=row, draft=draft)


def _line_rows(
    invoice_id: int, draft: rules.InvoiceDraft, clauses: dict[str, tuple[str, str]]
) -> list[tuple[Any, ...]]:
    """The invoice's lines in LINE_FIELDS order, each with a snapshot of its clause."""
    rows = []
    for position, line in enumerate(draft.lines, start=1):
        heading, text = clauses.get(line.clause, ("", ""))
        amount = line.amount
        rows.append(
            (
                invoice_id,
                position,
                line.kind,
                line.description[:300],
                line.quantity,
                line.unit_amount,
                amount.net,
                amount.vat,
                amount.gross,
                line.vat_rate,
                line.tax_point,
                line.clause,
                heading,
                text,
                line.subscription_id,
                line.period_start,
                line.period_end,
                line.charge_id,
            )
        )
    return rows


def _clauses(ids: set[str]) -> dict[str, tuple[str, str]]:
    """Heading and text of each clause, copied onto the lines that cite it."""
    return {
        clause_id: (heading, text)
        for clause_id, heading, text in Clause.objects.filter(clause_id__in=ids).values_list(
            "clause_id", "heading", "text"
        )
    }


def _documents_write(documents: list[_Document]) -> list[int]:
    """Write invoices and their lines; return the invoices' ids, in order.

    On PostgreSQL the ids are reserved first and both tables are filled by COPY; elsewhere
    the ORM's bulk_create writes the same rows.
    """
    clauses = _clauses({line.clause for d in documents for line in d.draft.lines})
    invoice_rows = [d.row for d in documents]
    if bulk.copy_supported():
        ids = bulk.reserve_ids(Invoice, len(documents))
        bulk.copy_rows(
            Invoice,
            ("id", *INVOICE_FIELDS),
            [(pk, *row) for pk, row in zip(ids, invoice_rows, strict=True)],
        )
    else:
        ids = bulk.create_rows(Invoice, INVOICE_FIELDS, invoice_rows)
    line_rows = [
        row
        for pk, document in zip(ids, documents, strict=True)
        for row in _line_rows(pk, document.draft, clauses)
    ]
    if bulk.copy_supported():
        bulk.copy_rows(InvoiceLine, LINE_FIELDS, line_rows)
    else:
        bulk.create_rows(InvoiceLine, LINE_FIELDS, line_rows)
    return ids


def _issued_for(account_ids: list[int], on: date) -> set[int]:
    return set(
        Invoice.objects.filter(
            AnyOf(F("account_id"), account_ids), bill_date=on, kind=DocumentKind.INVOICE
        ).values_list("account_id", flat=True)
    )


@dataclass(frozen=True)
class ChunkDrafts:
    """A chunk of accounts drafted outside any transaction, ready to issue."""

    on: date
    drafts: list[tuple[selectors.BillingAccount, rules.InvoiceDraft]]
    already_issued: int
    empty: int


def chunk_draft(*, account_ids: list[int], on: date) -> ChunkDrafts:
    """Draft the invoices of these accounts for `on`, leaving out accounts that already
    have theirs and accounts with nothing to bill. Reads only."""
    already = _issued_for(account_ids, on)
    todo_ids = [pk for pk in account_ids if pk not in already]
    events = selectors.account_events(account_ids=todo_ids, on=on) if todo_ids else []
    terms: dict[int, rules.BillingTerms] = {}
    drafts = [(e.account, selectors.draft_for(e, on=on, terms=terms)) for e in events]
    return ChunkDrafts(
        on=on,
        drafts=[(a, d) for a, d in drafts if d.lines],
        already_issued=len(already),
        empty=sum(1 for _, d in drafts if not d.lines),
    )


def chunk_issue(drafted: ChunkDrafts, *, now: datetime, bill_run_id: int | None) -> ChunkResult:
    """Issue a drafted chunk in one transaction: re-check which accounts already have an
    invoice for the date, take a block of numbers per brand under the sequence's row lock,
    write invoices and lines, and mark the charges billed."""
    on = drafted.on
    result = ChunkResult(empty=drafted.empty)
    with transaction.atomic():
        ids = [a.id for a, _ in drafted.drafts]
        existing = _issued_for(ids, on) if ids else set()
        result.skipped_existing = drafted.already_issued + len(existing)
        by_brand: dict[int, list[tuple[selectors.BillingAccount, rules.InvoiceDraft]]] = {}
        for account, draft in drafted.drafts:
            if account.id not in existing:
                by_brand.setdefault(account.brand_id, []).append((account, draft))
        if not by_brand:
            return result
        brands = Brand.objects.in_bulk(list(by_brand))
        if bill_run_id is not None and not BillRun.objects.filter(pk=bill_run_id).exists():
            bill_run_id = None
        documents: list[_Document] = []
        for brand_id, items in by_brand.items():
            brand = brands[brand_id]
            numbers = _take_numbers(brand, DocumentKind.INVOICE, len(items))
            for (account, draft), number in zip(items, numbers, strict=True):
                documents.append(
                    _document(
                        account=account,
                        brand=brand,
                        draft=draft,
                        number=number,
                        kind=DocumentKind.INVOICE,
                        now=now,
                        bill_run_id=bill_run_id,
                    )
                )
                total = draft.total
                result.issued.append(number)
                result.net += total.net
                result.vat += total.vat
                result.total += total.gross
        _documents_write(documents)
        billed = [line.charge_id for d in documents for line in d.draft.lines if line.charge_id]
        if billed:
            PendingCharge.objects.filter(AnyOf(F("id"), billed)).update(billed_on=on)
    return result


def invoices_issue_chunk(
    *, account_ids: list[int], on: date, now: datetime, bill_run_id: int | None = None
) -> ChunkResult:
    """Issue the invoices of these accounts for bill date `on`; skip those already issued.

    Drafts are worked out first, outside any transaction (`chunk_draft`); then one short
    transaction issues them (`chunk_issue`). A run killed at any point leaves each chunk
    either fully issued or not at all, so running again finishes the job with exactly one
    invoice per account.
    """
    return chunk_issue(
        chunk_draft(account_ids=account_ids, on=on), now=now, bill_run_id=bill_run_id
    )


def _issue_on_writer(drafted: ChunkDrafts, bill_run_id: int | None) -> ChunkResult:
    return chunk_issue(drafted, now=timezone.now(), bill_run_id=bill_run_id)


def invoices_issue_chunks(
    chunks: list[list[int]], *, on: date, bill_run_id: int | None
) -> Iterator[ChunkResult]:
    """Issue chunk after chunk in this process, yielding each chunk's result in order.

    On PostgreSQL, outside an enclosing transaction, the next chunk is drafted while the
    one before it is written: a writer thread with its own database connection issues
    chunks one at a time, in order, so the database works while Python drafts. Each chunk
    is still its own transaction and numbers are still taken one chunk at a time, so a
    killed run leaves whole chunks issued or not at all, as without the overlap.
    """
    overlap = (
        connection.vendor == "postgresql" and not connection.in_atomic_block and len(chunks) > 1
    )
    if not overlap:
        for chunk in chunks:
            yield invoices_issue_chunk(
                account_ids=chunk, on=on, now=timezone.now(), bill_run_id=bill_run_id
            )
        return
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="billrun-writer")
    try:
        pending: Future[ChunkResult] | None = None
        for chunk in chunks:
            drafted = chunk_draft(account_ids=chunk, on=on)
            if pending is not None:
                yield pending.result()
            pending = writer.submit(_issue_on_writer, drafted, bill_run_id)
        if pending is not None:
            yield pending.result()
    finally:
        # The writer's connection belongs to its thread: close it there.
        writer.submit(connections.close_all).result()
        writer.shutdown(wait=True)


def billrun_run(
    *,
    on: date,
    now: datetime,
    brand_key: str | None = None,
    chunk_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> tuple[BillRun, ChunkResult]:
    """Issue the invoices of every account whose bill date is `on`, in chunks.

    Chunks run as Celery tasks: in this process when no broker is configured, on workers
    otherwise (the call waits for them). Running it again for the same date issues only
    what is missing.
    """
    from backhaul.billing import tasks

    brand = brand_get(brand_key) if brand_key else None
    account_ids = selectors.accounts_due(on=on, brand_key=brand_key)
    bill_run = BillRun.objects.create(
        on=on,
        brand=brand,
        status=BillRunStatus.RUNNING,
        started_at=now,
        accounts_due=len(account_ids),
    )
    chunks = [account_ids[i : i + chunk_size] for i in range(0, len(account_ids), chunk_size)]
    result = ChunkResult()
    try:
        for chunk_result in tasks.run_chunks(chunks, on=on, bill_run_id=bill_run.pk):
            result.add(chunk_result)
            if progress:
                progress(chunk_size)
    except Exception:
        BillRun.objects.filter(pk=bill_run.pk).update(status=BillRunStatus.FAILED)
        raise
    bill_run.status = BillRunStatus.FINISHED
    bill_run.finished_at = timezone.now()
    bill_run.invoices_issued = len(result.issued)
    bill_run.net, bill_run.vat, bill_run.total = result.net, result.vat, result.total
    bill_run.save()
    return bill_run, result


def billrun_dry_run(
    *, on: date, brand_key: str | None = None, chunk_size: int = 2000
) -> list[tuple[selectors.BillingAccount, rules.InvoiceDraft]]:
    """What the bill run for `on` would issue now, without writing anything."""
    if brand_key:
        brand_get(brand_key)
    account_ids = selectors.accounts_due(on=on, brand_key=brand_key)
    issued = _issued_for(account_ids, on)
    terms: dict[int, rules.BillingTerms] = {}
    out = []
    for i in range(0, len(account_ids), chunk_size):
        chunk = [a for a in account_ids[i : i + chunk_size] if a not in issued]
        for events in selectors.account_events(account_ids=chunk, on=on):
            draft = selectors.draft_for(events, on=on, terms=terms)
            if draft.lines:
                out.append((events.account, draft))
    return out


@transaction.atomic
def credit_note_issue(
    *,
    invoice_number: str,
    now: datetime,
    reason: str,
    lines: list[tuple[int, Decimal]] | None = None,
) -> Invoice:
    """Correct an issued invoice with a credit note, never by editing it.

    `lines` lists (line position, net amount to credit); without it the whole invoice is
    credited. Each credit line repeats the original line's clause and VAT rate.
    """
    try:
        invoice = Invoice.objects.select_related("account__brand").get(
            number=invoice_number, kind=DocumentKind.INVOICE
        )
    except Invoice.DoesNotExist:
        raise NotFound(f"unknown invoice {invoice_number!r}") from None
    if not reason.strip():
        raise InvalidInput("reason: a credit note must say why")
    originals = {line.position: line for line in invoice.lines.all()}
    already = _credited_by_position(invoice)
    wanted = lines or [(p, line.net) for p, line in originals.items()]
    draft_lines = []
    for position, amount in wanted:
        original = originals.get(position)
        if original is None:
            raise InvalidInput(f"line {position}: {invoice_number} has no such line")
        if amount <= 0 or not is_penny_scale(amount):
            raise InvalidInput(
                f"line {position}: credit a positive amount in pennies, not {amount}"
            )
        if amount + already.get(position, Decimal(0)) > original.net:
            raise InvalidInput(
                f"line {position}: crediting £{amount} would credit more than "
                f"the £{original.net} billed"
            )
        net = -amount
        vat = -quantize(amount * original.vat_rate, rounding=Rounding.HALF_UP)
        draft_lines.append(
            rules.DraftLine(
                kind="credit",
                description=f"Credit: {original.description}"[:300],
                amount=Taxed(net=net, vat=vat, gross=net + vat),
                vat_rate=original.vat_rate,
                clause=original.clause_id,
                tax_point=now.date(),
                subscription_id=None,
            )
        )
    draft = rules.InvoiceDraft(
        bill_date=timezone.localdate(now),
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        lines=tuple(draft_lines),
    )
    number = _take_numbers(invoice.brand, DocumentKind.CREDIT_NOTE, 1)[0]
    account = selectors.billing_accounts([invoice.account_id])[invoice.account_id]
    document = _document(
        account=account,
        brand=invoice.account.brand,
        draft=draft,
        number=number,
        kind=DocumentKind.CREDIT_NOTE,
        now=now,
        credits_invoice_id=invoice.pk,
        reason=reason.strip(),
    )
    (note_id,) = _documents_write([document])
    return Invoice.objects.get(pk=note_id)


def _credited_by_position(invoice: Invoice) -> dict[int, Decimal]:
    """Net already credited against each line of an invoice (by matching description)."""
    by_description = {line.description: line.position for line in invoice.lines.all()}
    credited: dict[int, Decimal] = {}
    for line in InvoiceLine.objects.filter(invoice__credits_invoice=invoice):
        position = by_description.get(line.description.removeprefix("Credit: "))
        if position is not None:
            credited[position] = credited.get(position, Decimal(0)) - line.net
    return credited
