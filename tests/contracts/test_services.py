"""Subscriptions and exit quotes against the loaded catalogues."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backhaul.contracts.models import SubscriptionEvent
from backhaul.contracts.services import (
    exit_quote_for_product,
    exit_quote_for_subscription,
    subscription_create,
    subscription_transition,
)
from backhaul.core.errors import InvalidInput, NotFound, TransitionNotAllowed
from backhaul.customers.services import account_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def plusnet_account(now):
    return account_create(
        brand_key="plusnet-business",
        name="Calder Joinery Ltd",
        email="office@calder.example.com",
        now=now,
    )


def test_exit_quote_for_the_worked_example() -> None:
    quote = exit_quote_for_product(
        brand_key="plusnet-business",
        product_key="mps-option-2",
        term=36,
        market="3",
        start=date(2025, 1, 15),
        notice=date(2026, 9, 20),
    )
    # Arithmetic in tests/contracts/test_rules.py::test_plusnet_worked_example_option_2_...
    assert quote["termination_date"] == "2026-10-20"
    assert quote["minimum_period_end"] == "2028-01-15"
    assert [(line["kind"], line["net"], line["vat"], line["gross"]) for line in quote["lines"]] == [
        ("early_termination", "393.23", "78.65", "471.88"),
        ("cease", "20.83", "4.17", "25.00"),
    ]
    assert (quote["net"], quote["vat"], quote["total"]) == ("414.06", "82.82", "496.88")
    assert quote["lines"][1]["clause"] == "plusnet-business/broadband-charges#8"
    assert quote["notice_clause"] == "plusnet-business/general-terms#6.2"


def test_exit_quote_with_mac_and_detrimental_change() -> None:
    quote = exit_quote_for_product(
        brand_key="plusnet-business",
        product_key="mps-option-2",
        term=36,
        market="3",
        start=date(2025, 1, 15),
        notice=date(2026, 9, 20),
        mac=True,
        detrimental_change_notified=date(2026, 9, 1),
    )
    assert quote["lines"] == []
    assert quote["total"] == "0.00"
    assert [w["kind"] for w in quote["waived"]] == ["early_termination", "cease"]


def test_plugin_unlimited_exit() -> None:
    # plugin/broadband-terms#2: Unlimited has a 12-month minimum; 20 days' notice before the
    # renewal date. Start 2026-03-10, notice 2026-07-01 -> ends at the 2026-08-10 renewal.
    # M = 2027-03-10: exactly 7 months remain at the example price £34.99 -> £244.93,
    # VAT 48.986 -> £48.99. Cease £32.00 + VAT £6.40 (broadband-terms#12).
    quote = exit_quote_for_product(
        brand_key="plugin",
        product_key="broadband-unlimited",
        start=date(2026, 3, 10),
        notice=date(2026, 7, 1),
    )
    assert quote["termination_date"] == "2026-08-10"
    assert [(line["kind"], line["net"], line["vat"]) for line in quote["lines"]] == [
        ("early_termination", "244.93", "48.99"),
        ("cease", "32.00", "6.40"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"product_key": "mps-option-2", "market": "3"},
            InvalidInput,
            "term: mps-option-2 has a choice of minimum periods; give one of 24, 36, 48 months",
        ),
        (
            {"product_key": "mps-option-2", "term": 12, "market": "3"},
            InvalidInput,
            "term: mps-option-2 is sold for 24, 36, 48 months, not 12",
        ),
        (
            {"product_key": "mps-option-2", "term": 36},
            InvalidInput,
            "market: mps-option-2 is priced by OFCOM market; give one of 1-2, 3",
        ),
        (
            {"product_key": "mps-option-2", "term": 36, "market": "4"},
            InvalidInput,
            "market: mps-option-2 has markets 1-2, 3, not '4'",
        ),
        ({"product_key": "fibre-9000"}, NotFound, "unknown product 'fibre-9000'"),
    ],
)
def test_exit_quote_bad_input(kwargs, error, message) -> None:
    with pytest.raises(error) as caught:
        exit_quote_for_product(
            brand_key="plusnet-business",
            start=date(2025, 1, 15),
            notice=date(2026, 9, 20),
            **kwargs,
        )
    assert str(caught.value).startswith(message)


def test_subscription_created_active_from_a_past_start(plusnet_account, now) -> None:
    subscription = subscription_create(
        account_number=plusnet_account.number,
        product_key="mps-option-1",
        term=24,
        market="1-2",
        start=date(2025, 3, 1),
        now=now,
    )
    assert subscription.status == "active"
    assert subscription.minimum_period_end == date(2027, 3, 1)
    assert subscription.notice_days == 30
    assert str(subscription.price_version.amount) == "28.0000"
    events = list(
        SubscriptionEvent.objects.filter(subscription=subscription).values_list(
            "from_status", "to_status"
        )
    )
    assert events == [("", "active")]


def test_subscription_order_lifecycle(plusnet_account, now) -> None:
    subscription = subscription_create(
        account_number=plusnet_account.number,
        product_key="mps-option-2",
        term=48,
        market="3",
        start=date(2026, 12, 14),
        now=now,
    )
    assert (subscription.status, subscription.service_start_date) == ("ordered", None)
    at = datetime(2026, 12, 14, 9, tzinfo=UTC)
    subscription_transition(subscription_id=subscription.pk, to="line-test", at=now)
    activated = subscription_transition(
        subscription_id=subscription.pk, to="active", at=at, service_start=date(2026, 12, 14)
    )
    assert activated.minimum_period_end == date(2030, 12, 14)
    with pytest.raises(TransitionNotAllowed):
        subscription_transition(subscription_id=subscription.pk, to="cancelled", at=at)
    ceased = subscription_transition(subscription_id=subscription.pk, to="ceased", at=at)
    assert ceased.ends_on == date(2026, 12, 14)
    assert list(subscription.events.values_list("to_status", flat=True)) == [
        "ordered",
        "line-test",
        "active",
        "ceased",
    ]


def test_exit_quote_for_a_real_subscription(plusnet_account, now) -> None:
    subscription = subscription_create(
        account_number=plusnet_account.number,
        product_key="mps-option-2",
        term=36,
        market="3",
        start=date(2025, 1, 15),
        now=now,
    )
    quote = exit_quote_for_subscription(subscription_id=subscription.pk, notice=date(2026, 9, 20))
    assert quote["account"] == plusnet_account.number
    assert quote["total"] == "496.88"


def test_subscription_for_a_product_of_another_brand(plusnet_account, now) -> None:
    with pytest.raises(
        NotFound, match="unknown product 'broadband-unlimited' for plusnet-business"
    ):
        subscription_create(
            account_number=plusnet_account.number,
            product_key="broadband-unlimited",
            start=date(2026, 1, 1),
            now=now,
        )


def test_unknown_account(now) -> None:
    with pytest.raises(NotFound, match="unknown account 'PB999999'"):
        subscription_create(
            account_number="PB999999", product_key="mps-option-1", start=date(2026, 1, 1), now=now
        )
