"""The date promised to the customer when a service is ordered: "Plusnet will provide the
Service by the date agreed with the Customer" (plusnet-business/business-phone-schedule#1.3).
A later Service Start Date is late provision."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.services import subscription_create, subscription_transition
from backhaul.core.errors import InvalidInput
from backhaul.customers.services import account_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def account():
    return account_create(
        brand_key="plugin", name="Juniper Cottage", email="jc@example.com", kind="residential",
        now=NOW,
    )  # fmt: skip


def test_an_order_promises_its_requested_start_and_keeps_it_when_started_late(account) -> None:
    order = subscription_create(
        account_number=account.number, product_key="broadband", start=date(2026, 3, 27), now=NOW
    )
    assert (order.status, order.promised_start_date, order.service_start_date) == (
        SubscriptionStatus.ORDERED,
        date(2026, 3, 27),
        None,
    )
    started = subscription_transition(
        subscription_id=order.pk,
        to=SubscriptionStatus.ACTIVE,
        at=datetime(2026, 3, 31, 10, tzinfo=UTC),
        service_start=date(2026, 3, 31),
    )
    assert (started.promised_start_date, started.service_start_date) == (
        date(2026, 3, 27),
        date(2026, 3, 31),
    )


def test_an_agreed_date_other_than_the_requested_start(account) -> None:
    order = subscription_create(
        account_number=account.number,
        product_key="broadband",
        start=date(2026, 3, 20),
        promised=date(2026, 3, 24),
        now=NOW,
    )
    assert order.promised_start_date == date(2026, 3, 24)
    with pytest.raises(InvalidInput, match=r"^promised: 2026-03-01 is before the order date"):
        subscription_create(
            account_number=account.number,
            product_key="broadband",
            start=date(2026, 3, 20),
            promised=date(2026, 3, 1),
            now=NOW,
        )


def test_services_started_at_once_or_brought_over_promise_nothing(account) -> None:
    active = subscription_create(
        account_number=account.number, product_key="broadband", start=date(2026, 3, 2), now=NOW
    )
    imported = subscription_create(
        account_number=account.number,
        product_key="broadband",
        start=date(2025, 6, 1),
        billed_until=date(2026, 2, 1),
        now=NOW,
    )
    assert (active.promised_start_date, imported.promised_start_date) == (None, None)
