"""Shared set-up for the email and hosting package tests: a PlugIn customer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from backhaul.customers.models import CustomerUser
from backhaul.customers.services import account_create


@pytest.fixture
def plugin_account(now):
    return account_create(
        brand_key="plugin", name="Marlow Motors", email="service@marlow.example.com", now=now
    )


@pytest.fixture
def other_account(now):
    return account_create(
        brand_key="plugin", name="Northgate Print", email="hello@northgate.example.com", now=now
    )


@pytest.fixture
def customer_client(client, plugin_account):
    user = User.objects.create_user(username="marlow", password="not-used-here-1")
    CustomerUser.objects.create(user=user, account=plugin_account)
    client.force_login(user)
    return client
