"""Loading a catalogue file: all or nothing, idempotent, never rewriting a price's history."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction

from backhaul.catalogue.models import (
    Brand,
    CatalogueLoad,
    Charge,
    Clause,
    PriceVersion,
    Product,
    RuleSection,
    TermsDocument,
    VatRate,
)
from backhaul.catalogue.schema import (
    CLAUSE_ID,
    CatalogueFile,
    CatalogueFormatError,
    parse_catalogue,
)
from backhaul.core.errors import InvalidInput


@dataclass
class LoadResult:
    brand: str
    file: str
    sha256: str
    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def note(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "file": self.file,
            "sha256": self.sha256,
            "changed": self.changed,
            "counts": {kind: dict(sorted(c.items())) for kind, c in sorted(self.counts.items())},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _upsert(
    result: LoadResult, kind: str, model: Any, lookup: dict[str, Any], values: dict[str, Any]
) -> Any:
    """Create the row, or update the fields that differ; count what happened."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model.objects.create(**lookup, **values)
        result.note(kind, "created")
        return row
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row.save(update_fields=changed)
        result.note(kind, "updated")
    else:
        result.note(kind, "unchanged")
    return row


def _append_only(
    result: LoadResult,
    problems: list[str],
    kind: str,
    where: str,
    model: Any,
    lookup: dict[str, Any],
    values: dict[str, Any],
) -> None:
    """Add a dated version; an existing version with other values is a conflict, not an edit."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        model.objects.create(**lookup, **values)
        result.note(kind, "created")
        return
    differing = {
        name: (getattr(row, name), value)
        for name, value in values.items()
        if getattr(row, name) != value
    }
    if differing:
        detail = ", ".join(f"{name} is {old} not {new}" for name, (old, new) in differing.items())
        problems.append(
            f"{where}: the version starting {lookup['start']} is already loaded ({detail}); "
            "a change needs a new entry with a later start date"
        )
    else:
        result.note(kind, "unchanged")


def catalogue_load(*, path: Path, now: datetime) -> LoadResult:
    """Validate and load one catalogue file in a single transaction.

    Everything is validated before anything is written; conflicts with versions already
    loaded (a price, charge or VAT rate whose start date exists with another value) abort
    the whole load. Loading the same file twice changes nothing.
    """
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read the file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{file}: not UTF-8 text (byte {exc.start})") from None
    spec = parse_catalogue(text, file=file)
    result = LoadResult(brand=spec.brand.key, file=file, sha256=hashlib.sha256(data).hexdigest())
    with transaction.atomic():
        problems = _write(spec, result)
        if problems:
            transaction.set_rollback(True)
            raise CatalogueFormatError(file, problems)
        if result.changed:
            CatalogueLoad.objects.create(
                brand=Brand.objects.get(key=spec.brand.key),
                file_name=path.name,
                sha256=result.sha256,
                loaded_at=now,
                summary=result.as_dict()["counts"],
            )
    return result


def _write(spec: CatalogueFile, result: LoadResult) -> list[str]:
    problems: list[str] = []
    b = spec.brand
    default_vat = "inclusive" if b.prices_include_vat else "exclusive"
    brand = _upsert(
        result,
        "brand",
        Brand,
        {"key": b.key},
        {
            "name": b.name,
            "legal_name": b.legal_name,
            "address": b.address,
            "vat_number": b.vat_number,
            "website": b.website,
            "support_email": b.support_email,
            "abuse_email": b.abuse_email,
            "billing_email": b.billing_email,
            "account_prefix": b.account_prefix,
            "timezone": b.timezone,
            "bank_holidays": b.bank_holidays,
            "prices_include_vat": b.prices_include_vat,
            "example_fields": b.example_fields,
        },
    )
    documents = {
        d.key: _upsert(
            result,
            "documents",
            TermsDocument,
            {"brand": brand, "key": d.key},
            {"title": d.title, "source": d.source},
        )
        for d in spec.documents
    }
    clauses: dict[str, Clause] = {}
    for c in spec.clauses:
        match = CLAUSE_ID.match(c.id)
        assert match is not None  # validated by the schema
        clauses[c.id] = _upsert(
            result,
            "clauses",
            Clause,
            {"clause_id": c.id},
            {
                "brand": brand,
                "document": documents[match["document"]],
                "ref": match["ref"],
                "heading": c.heading,
                "text": c.text.strip(),
            },
        )

    def clause(ref: str | None) -> Clause | None:
        return clauses[ref] if ref else None

    for index, v in enumerate(spec.vat_rates):
        _append_only(
            result,
            problems,
            "vat_rates",
            f"vat_rates[{index}]",
            VatRate,
            {"brand": brand, "start": v.start},
            {"rate": v.rate, "clause": clause(v.clause)},
        )
    for index, p in enumerate(spec.products):
        product = _upsert(
            result,
            "products",
            Product,
            {"brand": brand, "key": p.key},
            {
                "name": p.name,
                "kind": p.kind,
                "billing_period": p.billing_period,
                "terms": p.terms,
                "markets": p.markets,
                "notice_days": p.notice_days,
                "notice_clause": clause(p.notice_clause),
                "minimum_period_clause": clause(p.minimum_period_clause),
                "notice_before_renewal": p.notice_before_renewal,
                "requires": p.requires,
                "attributes": _jsonable(p.attributes),
                "description": p.description,
                "example": p.example,
            },
        )
        for p_index, price in enumerate(p.prices):
            _append_only(
                result,
                problems,
                "prices",
                f"products[{index}].prices[{p_index}]",
                PriceVersion,
                {
                    "product": product,
                    "term": price.term or 0,
                    "market": price.market or "",
                    "start": price.start,
                },
                {
                    "amount": price.amount,
                    "vat_treatment": price.vat or default_vat,
                    "clause": clauses[price.clause],
                    "example": price.example,
                },
            )
    for index, ch in enumerate(spec.charges):
        _append_only(
            result,
            problems,
            "charges",
            f"charges[{index}]",
            Charge,
            {"brand": brand, "key": ch.key, "start": ch.start},
            {
                "name": ch.name,
                "amount": ch.amount,
                "vat_treatment": ch.vat or default_vat,
                "unit": ch.unit,
                "products": ch.products,
                "clause": clauses[ch.clause],
                "example": ch.example,
            },
        )
    for key, section in spec.rules.items():
        _upsert(
            result,
            "rules",
            RuleSection,
            {"brand": brand, "key": key},
            {
                "clause": clauses[section.clause],
                "params": _jsonable(section.params),
                "example": section.example,
            },
        )
    return problems
