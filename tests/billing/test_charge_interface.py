"""The charge interface: every area adds charges and credits once, with their clause."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backhaul.billing.models import PendingCharge
from backhaul.billing.services import charge_add
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.services import account_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(now):
    return account_create(
        brand_key="plusnet-business",
        name="Yardley Cafe Ltd",
        email="hello@yardley.example.com",
        now=now,
    )


def test_adding_the_same_key_twice_adds_one_charge(account, now) -> None:
    values = dict(
        account=account,
        key="usage:test:2026-11",
        source="usage",
        description="Extra usage: 3 GB at £1.00",
        amount=Decimal("3.00"),
        vat_treatment="exclusive",
        clause_id="plusnet-business/broadband-charges#7",
        tax_point=date(2026, 11, 30),
        now=now,
        kind="usage",
    )
    first = charge_add(**values)
    second = charge_add(**{**values, "amount": Decimal("9.00")})
    assert second.pk == first.pk
    assert PendingCharge.objects.filter(account=account).count() == 1
    assert first.amount == Decimal("3.00")
    assert first.clause.clause_id == "plusnet-business/broadband-charges#7"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": Decimal("1.005")}, "test:bad: charges are whole pennies, not 1.005"),
        ({"kind": "credit"}, "test:bad: a credit is a negative amount, not 5.00"),
        (
            {"kind": "refund"},
            "kind: must be one of one-off, usage, credit, recurring, not 'refund'",
        ),
    ],
)
def test_bad_charges_are_refused(account, now, overrides, message) -> None:
    values = dict(
        account=account,
        key="test:bad",
        source="test",
        description="x",
        amount=Decimal("5.00"),
        vat_treatment="exclusive",
        clause_id="plusnet-business/broadband-charges#7",
        tax_point=date(2026, 11, 1),
        now=now,
    )
    with pytest.raises(InvalidInput) as caught:
        charge_add(**{**values, **overrides})
    assert str(caught.value) == message
    assert not PendingCharge.objects.exists()


def test_unknown_clause_is_refused(account, now) -> None:
    with pytest.raises(NotFound, match="unknown clause 'plusnet-business/nowhere#1'"):
        charge_add(
            account=account,
            key="test:clause",
            source="test",
            description="x",
            amount=Decimal("5.00"),
            vat_treatment="exclusive",
            clause_id="plusnet-business/nowhere#1",
            tax_point=date(2026, 11, 1),
            now=now,
        )
