"""Demo data: deterministic, idempotent, across both brands and all lifecycle stages."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User

from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account
from backhaul.demo.services import demo_load

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple[str, str, str, str]]:
    return list(
        Subscription.objects.order_by("account__number", "id").values_list(
            "account__number", "account__name", "product__key", "status"
        )
    )


def test_demo_is_deterministic_and_idempotent() -> None:
    first = demo_load(customers=40, seed=7, on=date(2026, 11, 21))
    assert first.accounts_created == 40
    assert Account.objects.filter(brand__key="plusnet-business").count() == 24
    assert Account.objects.filter(brand__key="plugin").count() == 16
    statuses = set(Subscription.objects.values_list("status", flat=True))
    assert {"active", "ordered", "ceased"} <= statuses
    state = snapshot()
    again = demo_load(customers=40, seed=7, on=date(2026, 11, 21))
    assert (again.accounts_created, again.accounts_existing) == (0, 40)
    assert snapshot() == state
    staff = {u.username: u for u in User.objects.filter(is_staff=True)}
    assert set(staff) == {"admin", "billing", "support", "abuse", "dpo"}
    assert staff["admin"].is_superuser and not staff["billing"].is_superuser
    assert staff["billing"].check_password("backhaul-billing")
    assert len(first.customers) == 6


def test_same_seed_gives_same_accounts_in_a_fresh_database() -> None:
    demo_load(customers=10, seed=7, on=date(2026, 11, 21))
    names = list(Account.objects.order_by("number").values_list("name", flat=True))
    Subscription.objects.all().delete()
    Account.objects.all().delete()
    from backhaul.customers.models import AccountNumberSequence

    AccountNumberSequence.objects.all().delete()
    demo_load(customers=10, seed=7, on=date(2026, 11, 21))
    assert list(Account.objects.order_by("number").values_list("name", flat=True)) == names
