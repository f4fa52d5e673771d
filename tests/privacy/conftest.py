"""Privacy test set-up: the purpose registers loaded, and demo customers with data."""

from __future__ import annotations

from datetime import date

import pytest

from backhaul.catalogue.models import Brand
from backhaul.customers.models import Account
from backhaul.demo.services import demo_load
from backhaul.privacy.services import purposes_sync

DEMO_ON = date(2026, 11, 21)


@pytest.fixture
def purposes(db: None) -> None:
    for brand in Brand.objects.all():
        purposes_sync(brand=brand)


@pytest.fixture
def demo(db: None, purposes: None) -> list[Account]:
    """Demo customers (the only source of personal data in tests), two of each brand."""
    demo_load(customers=6, seed=11, on=DEMO_ON)
    return list(Account.objects.order_by("number"))
