"""Building a brand's phone tariff: from the loaded catalogue, or straight from its file."""

from __future__ import annotations

from pathlib import Path

from backhaul.catalogue.schema import parse_catalogue
from backhaul.core.errors import NotFound
from backhaul.rating.tariff_rules import PhoneTariff, tariff_from_params

SECTION = "phone_rating"


def tariff_from_catalogue_file(path: Path) -> PhoneTariff:
    """The tariff in a catalogue TOML file, without a database (benchmarks, what-ifs)."""
    catalogue = parse_catalogue(path.read_text(encoding="utf-8"), file=str(path))
    section = catalogue.rules.get(SECTION)
    if section is None:
        raise NotFound(f"{path}: no [rules.{SECTION}] section")
    return tariff_from_params(
        {**section.params, "clause": section.clause},
        brand=catalogue.brand.key,
        timezone=catalogue.brand.timezone,
        vat_rates=[(rate.start, rate.rate) for rate in catalogue.vat_rates],
    )
