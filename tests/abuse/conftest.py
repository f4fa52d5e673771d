"""Abuse desk test set-up: accounts with IP history, and the fixture reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def network(now):
    """Who held the fixture reports' addresses on 19-20 November 2026.

    192.0.2.10 and .11: Calder (Plusnet) until 20 Nov 12:00, then Dunmore (Plusnet).
    198.51.100.23: Elmfield (PlugIn), static.
    203.0.113.50: a CGNAT address shared by Foxley (ports 1024-2047) and Greyfriars
    (2048-3071), both PlugIn.
    """
    from backhaul.customers.services import account_create
    from backhaul.network.models import IpAssignment

    def account(brand: str, name: str, email: str):
        return account_create(brand_key=brand, name=name, email=email, now=now)

    accounts = {
        "calder": account("plusnet-business", "Calder Joinery Ltd", "office@calder.example.com"),
        "dunmore": account("plusnet-business", "Dunmore Dental", "practice@dunmore.example.com"),
        "elmfield": account("plugin", "Elmfield Bakery", "hello@elmfield.example.com"),
        "foxley": account("plugin", "Foxley Print", "print@foxley.example.com"),
        "greyfriars": account("plugin", "Greyfriars Motors", "desk@greyfriars.example.com"),
    }
    for ip in ("192.0.2.10", "192.0.2.11"):
        IpAssignment.objects.create(
            ip=ip, account=accounts["calder"], source="radius", start=at(1, 0), end=at(20, 12)
        )
        IpAssignment.objects.create(
            ip=ip, account=accounts["dunmore"], source="radius", start=at(20, 12)
        )
    IpAssignment.objects.create(
        ip="198.51.100.23", account=accounts["elmfield"], source="static", start=at(1, 0)
    )
    for name, low, high in (("foxley", 1024, 2047), ("greyfriars", 2048, 3071)):
        IpAssignment.objects.create(
            ip="203.0.113.50",
            port_start=low,
            port_end=high,
            account=accounts[name],
            source="radius",
            start=at(1, 0),
        )
    return accounts


@pytest.fixture
def catalogues_reloaded(django_db_blocker):
    """For tests on `transactional_db` (listed before it): the flush after such a test
    empties every table, so the catalogues the rest of the session relies on are loaded
    again once it has run."""
    yield
    from backhaul.catalogue.services import catalogue_load
    from tests.conftest import FIXED_NOW, PLUGIN, PLUSNET

    with django_db_blocker.unblock():
        for path in (PLUSNET, PLUGIN):
            catalogue_load(path=path, now=FIXED_NOW)
