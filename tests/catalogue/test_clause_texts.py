"""Every clause a catalogue quotes is the terms' own text, word for word."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

CATALOGUES = Path(__file__).resolve().parents[2] / "catalogues"


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def clauses_of(name: str) -> list[tuple[str, str, str]]:
    data = tomllib.loads((CATALOGUES / name).read_text(encoding="utf-8"))
    sources = {d["key"]: d["source"] for d in data["documents"]}
    out = []
    for clause in data["clauses"]:
        document = clause["id"].split("/", 1)[1].split("#", 1)[0]
        out.append((clause["id"], sources[document], clause["text"]))
    return out


@pytest.mark.parametrize("name", ["plusnet-business.toml", "plugin.toml"])
def test_every_clause_text_is_quoted_verbatim_from_its_source(name: str) -> None:
    not_found = []
    for clause_id, source, text in clauses_of(name):
        document = collapse((CATALOGUES / "sources" / source).read_text(encoding="utf-8"))
        if collapse(text) not in document:
            not_found.append(clause_id)
    assert not_found == []


@pytest.mark.parametrize("name", ["plusnet-business.toml", "plugin.toml"])
def test_catalogue_quotes_a_substantial_part_of_its_terms(name: str) -> None:
    assert len(clauses_of(name)) >= 60
