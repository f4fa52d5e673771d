"""The staff console: every page renders for an administrator, and staff roles are limited."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.contracts.models import Subscription
from backhaul.demo.services import demo_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    demo_load(customers=10, seed=3, on=date(2026, 11, 21))


def test_every_console_page_renders_for_the_administrator(client, demo) -> None:
    client.force_login(User.objects.get(username="admin"))
    assert client.get(reverse("admin:index")).status_code == 200
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = client.get(changelist)
        assert response.status_code == 200, changelist
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            assert client.get(change).status_code == 200, change


def test_exit_quote_action(client, demo) -> None:
    client.force_login(User.objects.get(username="billing"))
    subscription = Subscription.objects.filter(status="active").first()
    response = client.post(
        reverse("admin:contracts_subscription_changelist"),
        {"action": "quote_exit_today", "_selected_action": [subscription.pk]},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith(f"S{subscription.pk} {subscription.product.key}: ends ")
    assert "inc VAT" in messages[0]


def test_abuse_staff_cannot_open_the_user_list(client, demo) -> None:
    client.force_login(User.objects.get(username="abuse"))
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:customers_account_changelist")).status_code == 200
