"""Opening accounts."""

from __future__ import annotations

import pytest

from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.models import Contact
from backhaul.customers.services import account_create, account_get

pytestmark = pytest.mark.django_db


def test_account_numbers_are_sequential_per_brand(now) -> None:
    first = account_create(
        brand_key="plusnet-business", name="A Ltd", email="a@example.com", now=now
    )
    second = account_create(
        brand_key="plusnet-business", name="B Ltd", email="b@example.com", now=now
    )
    other = account_create(
        brand_key="plugin", name="C", email="c@example.com", kind="residential", now=now
    )
    assert (first.number, second.number, other.number) == ("PB000001", "PB000002", "PI000001")
    assert account_get("pb000002") == second


def test_primary_contact_is_created_and_email_normalised(now) -> None:
    account = account_create(
        brand_key="plugin", name="  Isla   Owen ", email="Isla@Example.COM ", now=now
    )
    assert (account.name, account.primary_email) == ("Isla Owen", "isla@example.com")
    contact = Contact.objects.get(account=account)
    assert (contact.role, contact.nominated, contact.email) == ("primary", True, "isla@example.com")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "not-an-email"}, "email: not an email address: 'not-an-email'"),
        ({"name": "   "}, "name: must not be empty"),
        ({"kind": "charity"}, "kind: must be one of business, residential, not 'charity'"),
    ],
)
def test_bad_input_is_refused(now, kwargs, message) -> None:
    values = {"brand_key": "plugin", "name": "X", "email": "x@example.com", **kwargs}
    with pytest.raises(InvalidInput) as caught:
        account_create(now=now, **values)
    assert str(caught.value) == message


def test_unknown_brand_and_account(now) -> None:
    with pytest.raises(NotFound, match="unknown brand 'acme'"):
        account_create(brand_key="acme", name="X", email="x@example.com", now=now)
    with pytest.raises(NotFound, match="unknown account 'PB000404'"):
        account_get("PB000404")
