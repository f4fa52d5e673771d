"""Loading catalogues: all or nothing, idempotent, and never rewriting a price's history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backhaul.catalogue.models import Brand, CatalogueLoad, Clause, PriceVersion, Product
from backhaul.catalogue.schema import CatalogueFormatError
from backhaul.catalogue.selectors import (
    brand_get,
    catalogue_summary,
    charge_in_force,
    price_in_force,
    product_get,
    vat_rate_on,
)
from backhaul.catalogue.services import catalogue_load
from backhaul.core.errors import InvalidInput, NotFound
from tests.catalogue.test_schema import MINIMAL
from tests.conftest import PLUGIN, PLUSNET

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, text: str, name: str = "acme.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reloading_the_shipped_catalogues_changes_nothing(now) -> None:
    before = {
        "loads": CatalogueLoad.objects.count(),
        "clauses": Clause.objects.count(),
        "prices": PriceVersion.objects.count(),
    }
    for path in (PLUSNET, PLUGIN):
        result = catalogue_load(path=path, now=now)
        assert result.changed is False
        assert set(result.counts["prices"]) == {"unchanged"}
    after = {
        "loads": CatalogueLoad.objects.count(),
        "clauses": Clause.objects.count(),
        "prices": PriceVersion.objects.count(),
    }
    assert after == before


def test_mps_prices_from_the_charges_schedule() -> None:
    # plusnet-business/broadband-charges#4: Option 1 and Option 2 monthly rentals by
    # contract length and OFCOM market.
    brand = brand_get("plusnet-business")
    expected = {
        ("mps-option-1", 24, "1-2"): "28.00",
        ("mps-option-1", 24, "3"): "23.00",
        ("mps-option-1", 36, "1-2"): "26.50",
        ("mps-option-1", 36, "3"): "21.50",
        ("mps-option-1", 48, "1-2"): "25.00",
        ("mps-option-1", 48, "3"): "20.00",
        ("mps-option-2", 24, "1-2"): "36.00",
        ("mps-option-2", 24, "3"): "28.00",
        ("mps-option-2", 36, "1-2"): "34.00",
        ("mps-option-2", 36, "3"): "26.50",
        ("mps-option-2", 48, "1-2"): "33.00",
        ("mps-option-2", 48, "3"): "25.00",
    }
    for (key, term, market), amount in expected.items():
        price = price_in_force(
            product_get(brand, key), on=date(2026, 1, 1), term=term, market=market
        )
        assert (key, term, market, price.amount) == (key, term, market, Decimal(amount))
        assert price.vat_treatment == "exclusive"


def test_one_off_charges_from_the_seeds() -> None:
    plusnet = brand_get("plusnet-business")
    plugin = brand_get("plugin")
    on = date(2026, 1, 1)
    assert charge_in_force(plusnet, "activation", on=on).amount == Decimal("30.00")
    assert charge_in_force(plusnet, "postage-and-packing", on=on).amount == Decimal("6.09")
    assert charge_in_force(plusnet, "cease", on=on).amount == Decimal("20.83")
    assert charge_in_force(plugin, "cease", on=on).amount == Decimal("32.00")
    assert charge_in_force(plugin, "order-cancellation", on=on).amount == Decimal("25.00")


def test_vat_rate_history() -> None:
    brand = brand_get("plusnet-business")
    assert vat_rate_on(brand, date(2009, 6, 1)).rate == Decimal("0.15")
    assert vat_rate_on(brand, date(2010, 6, 1)).rate == Decimal("0.175")
    assert vat_rate_on(brand, date(2011, 1, 3)).rate == Decimal("0.175")
    assert vat_rate_on(brand, date(2011, 1, 4)).rate == Decimal("0.20")


def test_a_price_change_is_a_new_version_and_history_is_kept(tmp_path, now) -> None:
    catalogue_load(path=write(tmp_path, MINIMAL), now=now)
    extra = '\n[[products.prices]]\namount = "27.50"\nstart = 2027-01-01\nclause = "acme/terms#1"\n'
    changed = MINIMAL.replace("[rules.contract]", extra + "\n[rules.contract]")
    result = catalogue_load(path=write(tmp_path, changed), now=now)
    assert dict(result.counts["prices"]) == {"created": 1, "unchanged": 1}
    product = product_get(brand_get("acme"), "fibre")
    assert price_in_force(product, on=date(2026, 12, 31)).amount == Decimal("25.00")
    assert price_in_force(product, on=date(2027, 1, 1)).amount == Decimal("27.50")


def test_rewriting_a_loaded_version_is_refused_and_nothing_is_written(tmp_path, now) -> None:
    catalogue_load(path=write(tmp_path, MINIMAL), now=now)
    rewritten = MINIMAL.replace('amount = "25.00"', 'amount = "19.99"').replace(
        'name = "Fibre"', 'name = "Fibre Plus"'
    )
    with pytest.raises(CatalogueFormatError) as caught:
        catalogue_load(path=write(tmp_path, rewritten), now=now)
    assert caught.value.problems == [
        "products[0].prices[0]: the version starting 2020-01-01 is already loaded "
        "(amount is 25.0000 not 19.99); a change needs a new entry with a later start date"
    ]
    # All or nothing: the product rename in the same file was rolled back too.
    assert Product.objects.get(brand__key="acme", key="fibre").name == "Fibre"


def test_a_broken_file_writes_nothing(tmp_path, now) -> None:
    broken = MINIMAL.replace('amount = "25.00"', "amount = 25")
    with pytest.raises(CatalogueFormatError):
        catalogue_load(path=write(tmp_path, broken), now=now)
    assert not Brand.objects.filter(key="acme").exists()


def test_missing_and_non_utf8_files(tmp_path, now) -> None:
    with pytest.raises(InvalidInput, match=r"nope.toml: cannot read the file"):
        catalogue_load(path=tmp_path / "nope.toml", now=now)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"format = 1\n\xff\xfe")
    with pytest.raises(InvalidInput, match=r"bad.toml: not UTF-8 text \(byte 11\)"):
        catalogue_load(path=bad, now=now)


def test_unknown_brand_and_product_name_what_is_known() -> None:
    with pytest.raises(NotFound, match=r"unknown brand 'nope' \(known: plugin, plusnet-business\)"):
        brand_get("nope")
    with pytest.raises(NotFound, match=r"unknown product 'fibre-9000' for plugin \(known: "):
        product_get(brand_get("plugin"), "fibre-9000")


def test_summary_shows_prices_in_force() -> None:
    summary = catalogue_summary(brand_get("plusnet-business"), on=date(2026, 11, 21))
    option_2 = next(p for p in summary["products"] if p["key"] == "mps-option-2")
    prices = {(p["term"], p["market"]): p["amount"] for p in option_2["prices"]}
    assert prices[(36, "3")] == "26.50"
    assert summary["vat_rate"] == "0.20"
    assert "early_termination" in summary["rules"]
