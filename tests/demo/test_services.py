"""Demo data: deterministic, idempotent, across both brands and all lifecycle stages."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date

import pytest
from django.contrib.auth.models import User

from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account
from backhaul.demo.services import demo_load
from tests.conftest import PLUGIN, PLUSNET, ROOT

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple[str, str, str, str]]:
    return list(
        Subscription.objects.order_by("account__number", "id").values_list(
            "account__number", "account__name", "product__key", "status"
        )
    )


def test_demo_is_deterministic_and_idempotent() -> None:
    first = demo_load(customers=20, seed=7, on=date(2026, 11, 21))
    assert first.accounts_created == 20
    assert Account.objects.filter(brand__key="plusnet-business").count() == 12
    assert Account.objects.filter(brand__key="plugin").count() == 8
    statuses = set(Subscription.objects.values_list("status", flat=True))
    assert {"active", "ordered", "ceased"} <= statuses
    state = snapshot()
    again = demo_load(customers=20, seed=7, on=date(2026, 11, 21))
    assert (again.accounts_created, again.accounts_existing) == (0, 20)
    assert snapshot() == state
    staff = {u.username: u for u in User.objects.filter(is_staff=True)}
    assert set(staff) == {"admin", "billing", "support", "abuse", "dpo"}
    assert staff["admin"].is_superuser and not staff["billing"].is_superuser
    assert staff["billing"].check_password("backhaul-billing")
    assert len(first.customers) == 6


def test_same_seed_gives_the_same_data_in_fresh_databases(tmp_path) -> None:
    """Two fresh databases, the same seed and date: the same accounts and subscriptions."""
    snapshots = []
    for name in ("first", "second"):
        db = tmp_path / f"{name}.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "BACKHAUL_HOME": str(ROOT)}
        for args in (
            ["migrate", "--no-input", "-v", "0"],
            ["catalogue", "load", str(PLUSNET), str(PLUGIN)],
            ["demo", "--customers", "8", "--seed", "11", "--on", "2026-11-21", "--json"],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "backhaul", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        with sqlite3.connect(db) as conn:
            snapshots.append(
                conn.execute(
                    "select a.number, a.name, a.primary_email, p.key, s.status, "
                    "s.service_start_date "
                    "from contracts_subscription s join customers_account a on a.id = s.account_id "
                    "join catalogue_product p on p.id = s.product_id order by a.number, s.id"
                ).fetchall()
            )
    assert len(snapshots[0]) >= 8
    assert snapshots[0] == snapshots[1]
