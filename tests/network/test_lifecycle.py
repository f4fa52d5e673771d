"""Static addresses follow the subscription: allocated on activation, returned on cease."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backhaul.contracts.services import subscription_create, subscription_transition
from backhaul.customers.services import account_create
from backhaul.network.models import IpAssignment, StaticIp
from backhaul.network.selectors import ip_holders_at
from backhaul.network.services import ip_pool_create

pytestmark = pytest.mark.django_db


def test_activation_allocates_and_cease_returns_the_address(now) -> None:
    # plusnet-business/broadband-schedule#5.8: static IPs come with MPS by default and
    # revert when the contract ends.
    ip_pool_create(
        brand_key="plusnet-business",
        name="pb-test",
        network="192.0.2.0/30",
        rdns_domain="static.example.net",
        now=now,
    )
    account = account_create(
        brand_key="plusnet-business",
        name="Upton Studio Ltd",
        email="studio@upton.example.com",
        now=now,
    )
    subscription = subscription_create(
        account_number=account.number,
        product_key="mps-option-1",
        term=24,
        market="1-2",
        start=date(2026, 11, 1),
        now=now,
    )
    address = StaticIp.objects.get(subscription=subscription)
    assert address.ip == "192.0.2.1"
    assert [a.account for a in ip_holders_at(ip="192.0.2.1", at=now)] == [account]
    ceased_at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    subscription_transition(subscription_id=subscription.pk, to="ceased", at=ceased_at)
    address.refresh_from_db()
    assert address.account is None
    assert IpAssignment.objects.get(ip="192.0.2.1").end == ceased_at
    assert ip_holders_at(ip="192.0.2.1", at=ceased_at) == []


def test_an_exhausted_pool_does_not_stop_activation(now) -> None:
    account = account_create(
        brand_key="plusnet-business",
        name="Valley Cafe Ltd",
        email="cafe@valley.example.com",
        now=now,
    )
    subscription = subscription_create(
        account_number=account.number,
        product_key="mps-option-2",
        term=36,
        market="3",
        start=date(2026, 11, 1),
        now=now,
    )
    assert subscription.status == "active"
    assert not StaticIp.objects.filter(subscription=subscription).exists()
