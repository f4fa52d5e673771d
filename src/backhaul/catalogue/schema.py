"""The catalogue file format (docs/catalogue-format.md), validated before anything is written.

`parse_catalogue` turns the text of a TOML catalogue into a `CatalogueFile` or raises a
`CatalogueFormatError` whose problems each name the file, the key path and what is wrong,
for example `plugin.toml: products[2].prices[0].amount: not an amount: '£2x'`.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from backhaul.core.errors import InvalidInput
from backhaul.core.money import MoneyError, parse_amount

FORMAT_VERSION = 1
CLAUSE_ID = re.compile(
    r"^(?P<brand>[a-z0-9-]+)/(?P<document>[a-z0-9-]+)#(?P<ref>[A-Za-z0-9._()-]+)$"
)
KEY = r"^[a-z0-9][a-z0-9-]*$"


class CatalogueFormatError(InvalidInput):
    """A catalogue file that cannot be loaded; `problems` lists every problem found."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{file}: {shown}{more}")


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool | float | int):
        raise ValueError(f'amounts are written as strings, for example "28.00", not {value!r}')
    try:
        return parse_amount(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _rate(value: Any) -> Decimal:
    amount = _amount(value)
    if not Decimal(0) <= amount < Decimal(1):
        raise ValueError(f"a VAT rate is a fraction between 0 and 1, not {value!r}")
    return amount


def _clause_id(value: Any) -> str:
    if not isinstance(value, str) or not CLAUSE_ID.match(value):
        raise ValueError(f"not a clause id (<brand>/<document>#<clause>): {value!r}")
    return value


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Rate = Annotated[Decimal, BeforeValidator(_rate)]
ClauseId = Annotated[str, BeforeValidator(_clause_id)]
Key = Annotated[str, Field(pattern=KEY, max_length=64)]
Vat = Literal["exclusive", "inclusive", "outside-scope"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandSpec(Strict):
    key: Key
    name: str
    legal_name: str
    address: str = ""
    vat_number: str = ""
    website: str = ""
    support_email: str = ""
    abuse_email: str = ""
    billing_email: str = ""
    account_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,4}$")]
    timezone: Literal["Europe/London"] = "Europe/London"
    bank_holidays: Literal["ENG", "SCT", "NIR", "WLS"] = "ENG"
    prices_include_vat: bool = False
    example_fields: list[str] = []


class DocumentSpec(Strict):
    key: Key
    title: str
    source: str = ""


class ClauseSpec(Strict):
    id: ClauseId
    heading: str = ""
    text: Annotated[str, Field(min_length=1)]


class VatRateSpec(Strict):
    rate: Rate
    start: date
    clause: ClauseId | None = None


class PriceSpec(Strict):
    amount: Amount
    vat: Vat | None = None
    term: Annotated[int, Field(ge=1, le=120)] | None = None
    market: str | None = None
    start: date
    clause: ClauseId
    example: bool = False


class ProductSpec(Strict):
    key: Key
    name: str
    kind: Literal[
        "broadband",
        "care",
        "phone-line",
        "call-plan",
        "broadband-phone",
        "calling-feature",
        "feature-bundle",
        "email",
        "hosting",
        "domain",
        "topup",
        "static-ip",
    ]
    billing_period: Literal["monthly", "annual", "two-yearly", "one-off"]
    terms: list[Annotated[int, Field(ge=1, le=120)]] = [1]
    markets: list[str] = []
    notice_days: Annotated[int, Field(ge=0, le=365)] = 0
    notice_clause: ClauseId | None = None
    minimum_period_clause: ClauseId | None = None
    notice_before_renewal: bool = False
    requires: list[Key] = []
    attributes: dict[str, Any] = {}
    description: str = ""
    example: bool = False
    prices: list[PriceSpec] = []


class ChargeSpec(Strict):
    key: Key
    name: str
    amount: Amount
    vat: Vat | None = None
    unit: Literal[
        "each", "per-hour-or-part", "per-gb-or-part", "per-use", "per-month", "per-year"
    ] = "each"
    products: list[Key] = []
    start: date
    clause: ClauseId
    example: bool = False


class RuleSectionSpec(BaseModel):
    """A `[rules.<section>]` table: a clause plus free parameters named like the terms."""

    model_config = ConfigDict(extra="allow", frozen=True)
    clause: ClauseId
    example: bool = False

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CatalogueFile(Strict):
    format: Literal[1]
    brand: BrandSpec
    documents: list[DocumentSpec]
    clauses: list[ClauseSpec]
    vat_rates: list[VatRateSpec]
    products: list[ProductSpec] = []
    charges: list[ChargeSpec] = []
    rules: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], RuleSectionSpec] = {}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _pydantic_problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (see docs/catalogue-format.md)"
        elif item["type"] == "missing":
            message = "required key is missing"
        problems.append(f"{_path(loc)}: {message}")
    return problems


def _walk(value: Any, path: str) -> Any:
    """Yield (path, key, value) for every key in nested tables and arrays."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key), item
            yield from _walk(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            child = f"{path}[{index}]"
            yield from _walk(item, child)


def _cross_check(raw: dict[str, Any], parsed: CatalogueFile) -> list[str]:
    """Problems no single key shows: dangling clause ids, floats, duplicates, unknown keys."""
    problems: list[str] = []
    brand = parsed.brand.key
    documents = {d.key for d in parsed.documents}
    clause_ids: set[str] = set()
    for index, clause in enumerate(parsed.clauses):
        match = CLAUSE_ID.match(clause.id)
        assert match is not None  # validated by ClauseId
        if match["brand"] != brand:
            problems.append(f"clauses[{index}].id: brand {match['brand']!r} is not {brand!r}")
        if match["document"] not in documents:
            problems.append(
                f"clauses[{index}].id: document {match['document']!r} is not in [[documents]]"
            )
        if clause.id in clause_ids:
            problems.append(f"clauses[{index}].id: {clause.id} is defined twice")
        clause_ids.add(clause.id)

    for path, key, value in _walk(raw, ""):
        if isinstance(value, float):
            problems.append(f'{path}: numbers with a fraction are written as strings ("{value}")')
        if path.split(".")[0] == "clauses" or path.startswith("clauses["):
            continue
        refs: list[Any] = []
        if key == "clause" or key.endswith("_clause"):
            refs = value if isinstance(value, list) else [value]
        elif key.endswith("_clauses"):
            refs = list(value.values()) if isinstance(value, dict) else list(value)
        if refs:
            for ref in refs:
                if not isinstance(ref, str) or ref not in clause_ids:
                    problems.append(f"{path}: clause {ref!r} is not defined in [[clauses]]")

    _duplicates(problems, "documents", [d.key for d in parsed.documents])
    _duplicates(problems, "products", [p.key for p in parsed.products])
    _duplicates(problems, "vat_rates", [str(v.start) for v in parsed.vat_rates], what="start date")
    _duplicates(
        problems, "charges", [f"{c.key}@{c.start}" for c in parsed.charges], what="key and start"
    )
    product_keys = {p.key for p in parsed.products}
    for index, product in enumerate(parsed.products):
        versions = [f"{p.term or '-'}/{p.market or '-'}@{p.start}" for p in product.prices]
        _duplicates(problems, f"products[{index}].prices", versions, what="term/market/start")
        for p_index, price in enumerate(product.prices):
            where = f"products[{index}].prices[{p_index}]"
            if price.term is not None and price.term not in product.terms:
                problems.append(f"{where}.term: {price.term} is not one of terms {product.terms}")
            if price.market is not None and price.market not in product.markets:
                problems.append(
                    f"{where}.market: {price.market!r} is not one of markets {product.markets}"
                )
        for r_index, required in enumerate(product.requires):
            if required not in product_keys:
                problems.append(
                    f"products[{index}].requires[{r_index}]: unknown product {required!r}"
                )
        if product.notice_days and product.notice_clause is None:
            problems.append(f"products[{index}].notice_clause: required when notice_days is set")
    for index, charge in enumerate(parsed.charges):
        for p_index, key in enumerate(charge.products):
            if key not in product_keys:
                problems.append(f"charges[{index}].products[{p_index}]: unknown product {key!r}")
    if not parsed.vat_rates:
        problems.append("vat_rates: at least one VAT rate is required")
    return problems


def _duplicates(problems: list[str], where: str, keys: list[str], what: str = "key") -> None:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key in seen:
            problems.append(f"{where}[{index}]: {what} {key} appears twice")
        seen.add(key)


def parse_catalogue(text: str, *, file: str) -> CatalogueFile:
    """Parse and validate a catalogue; raise `CatalogueFormatError` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueFormatError(file, [f"not valid TOML: {exc}"]) from None
    version = raw.get("format")
    if version != FORMAT_VERSION:
        raise CatalogueFormatError(file, [f"format: expected {FORMAT_VERSION}, found {version!r}"])
    try:
        parsed = CatalogueFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueFormatError(file, _pydantic_problems(exc)) from None
    problems = _cross_check(raw, parsed)
    if problems:
        raise CatalogueFormatError(file, problems)
    return parsed
