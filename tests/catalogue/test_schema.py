"""Catalogue validation: each problem is reported with the file, the key path and what is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from backhaul.catalogue.schema import CatalogueFormatError, parse_catalogue

MINIMAL = """
format = 1

[brand]
key = "acme"
name = "Acme Broadband"
legal_name = "Acme Broadband Ltd"
account_prefix = "AC"

[[documents]]
key = "terms"
title = "Acme terms"

[[clauses]]
id = "acme/terms#1"
heading = "Charges"
text = "1. You pay the charges."

[[vat_rates]]
rate = "0.20"
start = 2011-01-04

[[products]]
key = "fibre"
name = "Fibre"
kind = "broadband"
billing_period = "monthly"
terms = [12]
notice_days = 30
notice_clause = "acme/terms#1"

[[products.prices]]
amount = "25.00"
start = 2020-01-01
clause = "acme/terms#1"

[rules.contract]
clause = "acme/terms#1"
notice_days = 30
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogueFormatError) as caught:
        parse_catalogue(text, file="acme.toml")
    assert str(caught.value).startswith("acme.toml: ")
    return caught.value.problems


def test_minimal_catalogue_parses() -> None:
    parsed = parse_catalogue(MINIMAL, file="acme.toml")
    assert parsed.brand.key == "acme"
    assert str(parsed.products[0].prices[0].amount) == "25.00"
    assert parsed.rules["contract"].params == {"notice_days": 30}


def test_not_toml_names_line_and_column() -> None:
    assert problems_of("format = 1\n[brand\n") == [
        "not valid TOML: Expected ']' at the end of a table declaration (at line 2, column 7)"
    ]


def test_wrong_format_version() -> None:
    assert problems_of(MINIMAL.replace("format = 1", "format = 7")) == [
        "format: expected 1, found 7"
    ]


def test_float_amount_is_refused() -> None:
    text = MINIMAL.replace('amount = "25.00"', "amount = 25.5")
    assert problems_of(text) == [
        "products[0].prices[0].amount: amounts are written as strings, "
        'for example "28.00", not 25.5'
    ]


def test_malformed_amount_is_quoted() -> None:
    text = MINIMAL.replace('amount = "25.00"', 'amount = "£2x"')
    assert problems_of(text) == ["products[0].prices[0].amount: not an amount: '£2x'"]


def test_unknown_key_is_named() -> None:
    text = MINIMAL.replace('kind = "broadband"', 'kind = "broadband"\ncolour = "blue"')
    assert problems_of(text) == ["products[0].colour: unknown key (see docs/catalogue-format.md)"]


def test_missing_required_key() -> None:
    text = MINIMAL.replace('legal_name = "Acme Broadband Ltd"\n', "")
    assert problems_of(text) == ["brand.legal_name: required key is missing"]


def test_dangling_clause_reference() -> None:
    text = MINIMAL.replace('notice_clause = "acme/terms#1"', 'notice_clause = "acme/terms#9"')
    assert problems_of(text) == [
        "products[0].notice_clause: clause 'acme/terms#9' is not defined in [[clauses]]"
    ]


def test_clause_of_another_brand_and_undeclared_document() -> None:
    text = MINIMAL.replace('id = "acme/terms#1"', 'id = "other/guide#1"')
    found = problems_of(text)
    assert found[:2] == [
        "clauses[0].id: brand 'other' is not 'acme'",
        "clauses[0].id: document 'guide' is not in [[documents]]",
    ]


def test_float_inside_rule_parameters() -> None:
    text = MINIMAL + "threshold_percent = 5.5\n"
    assert problems_of(text) == [
        'rules.contract.threshold_percent: numbers with a fraction are written as strings ("5.5")'
    ]


def test_price_for_a_term_the_product_does_not_have() -> None:
    text = MINIMAL.replace('amount = "25.00"', 'amount = "25.00"\nterm = 24')
    assert problems_of(text) == ["products[0].prices[0].term: 24 is not one of terms [12]"]


def test_duplicate_price_version() -> None:
    extra = '\n[[products.prices]]\namount = "26.00"\nstart = 2020-01-01\nclause = "acme/terms#1"\n'
    text = MINIMAL.replace("[rules.contract]", extra + "\n[rules.contract]")
    assert problems_of(text) == [
        "products[0].prices[1]: term/market/start -/-@2020-01-01 appears twice"
    ]


def test_bad_clause_id_shape() -> None:
    text = MINIMAL.replace(
        'clause = "acme/terms#1"\nnotice_days', 'clause = "terms 1"\nnotice_days'
    )
    assert problems_of(text) == [
        "rules.contract.clause: not a clause id (<brand>/<document>#<clause>): 'terms 1'"
    ]


def test_vat_rate_must_be_a_fraction() -> None:
    text = MINIMAL.replace('rate = "0.20"', 'rate = "20"')
    assert problems_of(text) == [
        "vat_rates[0].rate: a VAT rate is a fraction between 0 and 1, not '20'"
    ]


@pytest.mark.parametrize("name", ["plusnet-business.toml", "plugin.toml"])
def test_shipped_catalogues_are_valid(name: str) -> None:
    path = Path(__file__).resolve().parents[2] / "catalogues" / name
    parsed = parse_catalogue(path.read_text(encoding="utf-8"), file=name)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert len(parsed.clauses) == len(raw["clauses"])


def test_dangling_clause_inside_a_clauses_table() -> None:
    text = MINIMAL + 'waived_when_clauses = { breach = "acme/terms#1", move = "acme/terms#2" }\n'
    assert problems_of(text) == [
        "rules.contract.waived_when_clauses: clause 'acme/terms#2' is not defined in [[clauses]]"
    ]
