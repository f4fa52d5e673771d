"""Who held an IP address at a given instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from backhaul.customers.models import Account
from backhaul.customers.services import account_create
from backhaul.network.models import IpAssignment
from backhaul.network.selectors import IpLookup, ip_holders_at, ip_holders_at_many

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


def holders_agree(lookups: list[IpLookup]) -> None:
    """`ip_holders_at_many` answers every lookup as `ip_holders_at` does: the same
    assignments, accounts and brands, in the same order (static first, then the latest)."""
    many = ip_holders_at_many(lookups=lookups)
    assert set(many) == set(lookups)
    for lookup in lookups:
        ip, when, port = lookup
        expected = ip_holders_at(ip=ip, at=when, port=port)
        got = many[lookup]
        assert sorted(h.assignment_id for h in got) == sorted(a.pk for a in expected)
        by_id = {a.pk: a for a in expected}
        # Assignments alike in source and start may come in either order from
        # `ip_holders_at`; the order of everything else must match.
        assert [(by_id[h.assignment_id].source, by_id[h.assignment_id].start) for h in got] == [
            (a.source, a.start) for a in expected
        ]
        for holder in got:
            assignment = by_id[holder.assignment_id]
            assert holder.account_id == assignment.account_id
            assert holder.brand_id == assignment.account.brand_id
            assert holder.source == assignment.source


def test_many_lookups_follow_a_reassignment_and_port_ranges(now) -> None:
    first = account_create(brand_key="plugin", name="A", email="a@example.com", now=now)
    second = account_create(brand_key="plusnet-business", name="B", email="b@example.com", now=now)
    IpAssignment.objects.create(
        ip="198.51.100.7", account=first, source="radius", start=at(8), end=at(12)
    )
    IpAssignment.objects.create(ip="198.51.100.7", account=second, source="radius", start=at(12))
    for account, low, high in [(first, 1024, 2047), (second, 2048, 3071)]:
        IpAssignment.objects.create(
            ip="100.64.0.1",
            port_start=low,
            port_end=high,
            account=account,
            source="radius",
            start=at(0),
        )
    before, after, never = (
        ("198.51.100.7", at(11, 59), None),
        ("198.51.100.7", at(12), None),
        ("198.51.100.7", at(7), None),
    )
    shared, by_port = ("100.64.0.1", at(9), None), ("100.64.0.1", at(9), 2048)
    many = ip_holders_at_many(lookups=[before, after, never, shared, by_port, before])
    assert [(h.account_id, h.brand_id) for h in many[before]] == [(first.pk, first.brand_id)]
    assert [(h.account_id, h.brand_id) for h in many[after]] == [(second.pk, second.brand_id)]
    assert many[never] == []
    assert {h.account_id for h in many[shared]} == {first.pk, second.pk}
    assert [h.account_id for h in many[by_port]] == [second.pk]
    holders_agree([before, after, never, shared, by_port])


def test_no_lookups_need_no_query(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert ip_holders_at_many(lookups=[]) == {}


def test_a_thousand_lookups_take_one_query(now, django_assert_num_queries) -> None:
    account = account_create(brand_key="plugin", name="A", email="a@example.com", now=now)
    IpAssignment.objects.create(ip="192.0.2.1", account=account, source="static", start=at(0))
    lookups = [("192.0.2.1", at(0) + timedelta(seconds=n), None) for n in range(1000)]
    with django_assert_num_queries(1):
        many = ip_holders_at_many(lookups=lookups)
    assert all([h.account_id for h in many[lookup]] == [account.pk] for lookup in lookups)


ADDRESSES = ("192.0.2.9", "100.64.0.1", "2001:db8::1")
# The same addresses as a report may write them: IPv6 in full and in capitals.
WRITTEN = {"2001:db8::1": ("2001:db8::1", "2001:DB8:0:0:0:0:0:1")}
HOURS = st.integers(min_value=0, max_value=12)
PORT = st.integers(min_value=1, max_value=6)

assignment_rows = st.tuples(
    st.sampled_from(ADDRESSES),
    st.integers(min_value=0, max_value=2),  # which account
    st.sampled_from(["static", "radius"]),
    HOURS,  # start
    st.one_of(st.none(), st.integers(min_value=1, max_value=6)),  # hours held, or still held
    st.one_of(st.none(), st.tuples(PORT, st.integers(min_value=0, max_value=3))),  # ports
)
lookup_rows = st.tuples(
    st.sampled_from(ADDRESSES),
    st.integers(min_value=0, max_value=2),  # how the address is written
    HOURS,
    st.sampled_from([0, 1, 30]),  # minutes past the hour: on a boundary, or within
    st.one_of(st.none(), PORT),
    st.booleans(),  # the instant in London time rather than UTC
)


class BulkResolverProperties(TestCase):
    """Any assignment history, looked up in bulk and one by one, gives the same holders."""

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        rows=st.lists(assignment_rows, max_size=12),
        looked_up=st.lists(lookup_rows, min_size=1, max_size=25),
    )
    def test_bulk_equals_one_by_one(self, rows, looked_up) -> None:  # type: ignore[no-untyped-def]
        brands = ("plugin", "plusnet-business", "plugin")
        accounts = [
            account_create(
                brand_key=brand, name=f"Holder {n}", email=f"h{n}@example.com", now=at(0)
            )
            for n, brand in enumerate(brands)
        ]
        for ip, holder, source, start, hours, ports in rows:
            IpAssignment.objects.create(
                ip=ip,
                account=accounts[holder],
                source=source,
                start=at(start),
                end=at(start) + timedelta(hours=hours) if hours else None,
                port_start=ports[0] if ports else None,
                port_end=ports[0] + ports[1] if ports else None,
            )
        london = ZoneInfo("Europe/London")
        lookups: list[IpLookup] = []
        for ip, spelling, hour, minute, port, in_london in looked_up:
            written = WRITTEN.get(ip, (ip,))
            when = at(hour, minute)
            lookups.append(
                (
                    written[spelling % len(written)],
                    when.astimezone(london) if in_london else when,
                    port,
                )
            )
        assert Account.objects.count() >= len(accounts)
        holders_agree(lookups)
