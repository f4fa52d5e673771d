"""Who held an IP address at a given instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backhaul.customers.services import account_create
from backhaul.network.models import IpAssignment
from backhaul.network.selectors import ip_holders_at

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)


def test_reassigned_address_resolves_to_the_holder_at_the_time(now) -> None:
    first = account_create(brand_key="plugin", name="A", email="a@example.com", now=now)
    second = account_create(brand_key="plugin", name="B", email="b@example.com", now=now)
    IpAssignment.objects.create(
        ip="198.51.100.7", account=first, source="radius", start=at(8), end=at(12)
    )
    IpAssignment.objects.create(ip="198.51.100.7", account=second, source="radius", start=at(12))
    assert [a.account for a in ip_holders_at(ip="198.51.100.7", at=at(11, 59))] == [first]
    assert [a.account for a in ip_holders_at(ip="198.51.100.7", at=at(12))] == [second]
    assert ip_holders_at(ip="198.51.100.7", at=at(7)) == []


def test_cgnat_port_ranges(now) -> None:
    first = account_create(brand_key="plugin", name="A", email="a@example.com", now=now)
    second = account_create(brand_key="plugin", name="B", email="b@example.com", now=now)
    for account, low, high in [(first, 1024, 2047), (second, 2048, 3071)]:
        IpAssignment.objects.create(
            ip="100.64.0.1",
            port_start=low,
            port_end=high,
            account=account,
            source="radius",
            start=at(0),
        )
    assert [a.account for a in ip_holders_at(ip="100.64.0.1", at=at(9), port=2048)] == [second]
    assert len(ip_holders_at(ip="100.64.0.1", at=at(9))) == 2
