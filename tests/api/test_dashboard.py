"""The console dashboard: last bill run totals, debt by age, SLA breaches, abuse queue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import override_settings

from backhaul.api.dashboard import console_dashboard
from backhaul.billing.models import BillRun
from tests.api.conftest import NOW, World

pytestmark = pytest.mark.django_db


def test_figures(world: World) -> None:
    run = BillRun.objects.get()
    # Sixty days after the 15 Nov bills fell due, both customers still owe part of them:
    # £76.91 - £20.00 = £56.91 and £76.91 - £5.00 = £71.91, £128.82 in all.
    later = NOW + timedelta(days=60)
    board = console_dashboard(now=later)
    assert board["bill_run"]["total"] == run.total
    assert board["bill_run"]["invoices_issued"] == 2
    overdue = {row["label"]: row["amount"] for row in board["debt"]}
    assert sum(overdue.values()) == Decimal("128.82")
    assert max(row["percent"] for row in board["debt"]) == 100
    abuse = {row["label"]: row["count"] for row in board["abuse"]}
    assert abuse["Open cases"] == 2
    assert board["sla"]["open"] == 2


def test_old_debt_lands_in_the_oldest_bucket(world: World) -> None:
    board = console_dashboard(now=NOW + timedelta(days=100))
    oldest = board["debt"][-1]
    assert (oldest["label"], oldest["amount"], oldest["accounts"]) == (
        "Over 90 days",
        Decimal("128.82"),
        2,
    )
    assert [row["percent"] for row in board["debt"]] == [0, 0, 0, 100]


def test_console_index_draws_the_dashboard(client, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(admin.site, "index_template", "admin/console_index.html")
    client.force_login(User.objects.create_superuser("boss", password="pw-123456"))
    unfold = {**settings.UNFOLD, "DASHBOARD_CALLBACK": "backhaul.api.dashboard.dashboard_callback"}
    with override_settings(UNFOLD=unfold):
        page = client.get("/console/").content.decode()
    assert "Last bill run" in page
    assert f"£{BillRun.objects.get().total}" in page
    assert "Debt by age" in page and "SLA breaches" in page and "Abuse queue" in page
