"""Shared set-up for the mailbox tests: one customer of each brand."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from backhaul.customers.models import CustomerUser
from backhaul.customers.services import account_create


@pytest.fixture
def plusnet_account(now):
    return account_create(
        brand_key="plusnet-business",
        name="Kestrel Bakery Ltd",
        email="orders@kestrel.example.com",
        now=now,
    )


@pytest.fixture
def plugin_account(now):
    return account_create(
        brand_key="plugin", name="Linden Accountants", email="office@linden.example.com", now=now
    )


@pytest.fixture
def customer_client(client, plusnet_account):
    user = User.objects.create_user(username="kestrel", password="not-used-here-1")
    CustomerUser.objects.create(user=user, account=plusnet_account)
    client.force_login(user)
    return client
