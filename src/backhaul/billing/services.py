"""Billing services: the charge interface, issuing invoices and credit notes, bill runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from backhaul.billing import rules, selectors
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


def _customer_address(account: Account) -> str:
    # Sites are prefetched by the bill run's selector; order by id in Python.
    sites = sorted(account.sites.all(), key=lambda s: s.pk)
    site = sites[0] if sites else None
    if site is None:
        return ""
    lines = [site.address_line1, site.address_line2, site.town, site.postcode]
    return "\n".join(line for line in lines if line)


def _clauses(ids: set[str]) -> dict[str, Clause]:
    return {c.clause_id: c for c in Clause.objects.filter(clause_id__in=ids)}


def _invoice_rows(
    *,
    account: Account,
    draft: rules.InvoiceDraft,
    number: str,
    kind: str,
    now: datetime,
    clauses: dict[str, Clause],
    bill_run: BillRun | None = None,
    credits_invoice: Invoice | None = None,
    reason: str = "",
) -> tuple[Invoice, list[InvoiceLine]]:
    brand = account.brand
    total = draft.total
    payment_days = 0
    invoice = Invoice(
        number=number,
        kind=kind,
        brand=brand,
        account=account,
        credits_invoice=credits_invoice,
        bill_run=bill_run,
        bill_date=draft.bill_date,
        period_start=draft.period_start,
        period_end=draft.period_end,
        due_date=draft.bill_date + timedelta(days=payment_days),
        issued_at=now,
        net=total.net,
        vat=total.vat,
        total=total.gross,
        vat_summary=[
            {"rate": str(rate), "net": str(t.net), "vat": str(t.vat), "gross": str(t.gross)}
            for rate, t in draft.vat_summary().items()
        ],
        supplier_name=brand.legal_name,
        supplier_address=brand.address,
        supplier_vat_number=brand.vat_number,
        customer_name=account.name,
        customer_address=_customer_address(account),
        customer_email=account.primary_email,
        account_number=account.number,
        reason=reason,
    )
    lines = []
    for position, line in enumerate(draft.lines, start=1):
        clause = clauses.get(line.clause)
        lines.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                kind=line.kind,
                description=line.description[:300],
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                net=line.amount.net,
                vat=line.amount.vat,
                gross=line.amount.gross,
                vat_rate=line.vat_rate,
                tax_point=line.tax_point,
                clause_id=line.clause,
                clause_heading=clause.heading if clause else "",
                clause_text=clause.text if clause else "",
                subscription_id=line.subscription_id,
                period_start=line.period_start,
                period_end=line.period_end,
                pending_charge_id=line.charge_id,
            )
        )
    return invoice, lines


def invoices_issue_chunk(
    *, account_ids: list[int], on: date, now: datetime, bill_run_id: int | None = None
) -> ChunkResult:
    """Issue the invoices of these accounts for bill date `on`; skip those already issued.

    Drafts are worked out first, outside any transaction; then one short transaction
    re-checks which accounts already have an invoice for `on`, takes a block of numbers
    under the brand's sequence lock, and writes invoices, lines and the billed marks.
    A run killed at any point leaves each chunk either fully issued or not at all, so
    running again finishes the job with exactly one invoice per account.
    """
    events = selectors.account_events(account_ids=account_ids, on=on)
    terms: dict[int, rules.BillingTerms] = {}
    drafts = [(e.account, selectors.draft_for(e, on=on, terms=terms)) for e in events]
    result = ChunkResult()
    result.empty = sum(1 for _, d in drafts if not d.lines)
    drafts = [(a, d) for a, d in drafts if d.lines]
    clause_ids = {line.clause for _, d in drafts for line in d.lines}
    with transaction.atomic():
        clauses = _clauses(clause_ids)
        bill_run = BillRun.objects.filter(pk=bill_run_id).first() if bill_run_id else None
        existing = set(
            Invoice.objects.filter(
                account_id__in=[a.pk for a, _ in drafts], bill_date=on, kind=DocumentKind.INVOICE
            ).values_list("account_id", flat=True)
        )
        result.skipped_existing = len(existing)
        todo = [(a, d) for a, d in drafts if a.pk not in existing]
        by_brand: dict[int, list[tuple[Account, rules.InvoiceDraft]]] = {}
        for account, draft in todo:
            by_brand.setdefault(account.brand_id, []).append((account, draft))
        invoices: list[Invoice] = []
        lines: list[tuple[Invoice, InvoiceLine]] = []
        for items in by_brand.values():
            numbers = _take_numbers(items[0][0].brand, DocumentKind.INVOICE, len(items))
            for (account, draft), number in zip(items, numbers, strict=True):
                invoice, invoice_lines = _invoice_rows(
                    account=account,
                    draft=draft,
                    number=number,
                    kind=DocumentKind.INVOICE,
                    now=now,
                    clauses=clauses,
                    bill_run=bill_run,
                )
                invoices.append(invoice)
                lines.extend((invoice, line) for line in invoice_lines)
                result.issued.append(number)
                result.net += invoice.net
                result.vat += invoice.vat
                result.total += invoice.total
        Invoice.objects.bulk_create(invoices)
        for invoice, line in lines:
            line.invoice = invoice  # now saved: sets the foreign key from its id
        InvoiceLine.objects.bulk_create([line for _, line in lines], batch_size=2000)
        billed = [line.pending_charge_id for _, line in lines if line.pending_charge_id]
        PendingCharge.objects.filter(pk__in=billed).update(billed_on=on)
    return result


def billrun_run(
    *,
    on: date,
    now: datetime,
    brand_key: str | None = None,
    chunk_size: int = 500,
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
    *, on: date, brand_key: str | None = None, chunk_size: int = 500
) -> list[tuple[Account, rules.InvoiceDraft]]:
    """What the bill run for `on` would issue now, without writing anything."""
    if brand_key:
        brand_get(brand_key)
    account_ids = selectors.accounts_due(on=on, brand_key=brand_key)
    issued = set(
        Invoice.objects.filter(
            account_id__in=account_ids, bill_date=on, kind=DocumentKind.INVOICE
        ).values_list("account_id", flat=True)
    )
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
    note, note_lines = _invoice_rows(
        account=invoice.account,
        draft=draft,
        number=number,
        kind=DocumentKind.CREDIT_NOTE,
        now=now,
        clauses=_clauses({line.clause for line in draft_lines}),
        credits_invoice=invoice,
        reason=reason.strip(),
    )
    note.save()
    for line in note_lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(note_lines)
    return note


def _credited_by_position(invoice: Invoice) -> dict[int, Decimal]:
    """Net already credited against each line of an invoice (by matching description)."""
    by_description = {line.description: line.position for line in invoice.lines.all()}
    credited: dict[int, Decimal] = {}
    for line in InvoiceLine.objects.filter(invoice__credits_invoice=invoice):
        position = by_description.get(line.description.removeprefix("Credit: "))
        if position is not None:
            credited[position] = credited.get(position, Decimal(0)) - line.net
    return credited
