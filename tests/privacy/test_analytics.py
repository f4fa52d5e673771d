"""Anonymised analytics: group figures only, small cells suppressed, no personal field shown."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from backhaul.catalogue.models import Brand, Product
from backhaul.customers.choices import AccountStatus
from backhaul.customers.models import Account
from backhaul.customers.services import account_create
from backhaul.privacy.analytics import Table, analytics_tables, customers_by_brand, months_ending
from backhaul.privacy.register import REGISTER
from backhaul.privacy.security_rules import K_ANONYMITY, Cell, cell
from backhaul.support.choices import TicketCategory
from backhaul.support.services.tickets import ticket_raise

ON = date(2026, 11, 21)


@given(value=st.integers(min_value=0, max_value=10**12), people=st.integers(0, 1000))
def test_a_cell_is_shown_only_for_k_people_or_none(value: int, people: int) -> None:
    shown = cell(value, people)
    if 0 < people < K_ANONYMITY:
        assert shown == Cell(None) and str(shown) == "<5"
    else:
        assert shown.value == value


def test_months_ending() -> None:
    months = months_ending(date(2026, 2, 10), 3)
    assert months == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


def strings_in(tables: list[Table]) -> set[str]:
    found: set[str] = set()
    for table in tables:
        found |= {table.title, table.note, *table.columns}
        for label, cells in table.rows:
            found.add(label)
            assert all(isinstance(c, Cell) for c in cells)
            assert all(c.value is None or isinstance(c.value, int) for c in cells)
    return found


def personal_values() -> set[str]:
    """Every text value of every registered personal field held in the database."""
    values: set[str] = set()
    for label, entry in REGISTER.items():
        model = apps.get_model(label)
        text_fields = [
            name
            for name in entry.fields
            if isinstance(model._meta.get_field(name), models.CharField | models.TextField)
        ]
        for row in model.objects.values_list(*text_fields) if text_fields else []:
            values |= {str(v) for v in row if v and len(str(v)) >= 5}
    return values


@pytest.mark.django_db
def test_no_personal_field_appears_in_the_analytics(demo: list[Account], now: datetime) -> None:
    for account in demo[:3]:
        ticket_raise(
            account=account, category="billing", subject="Refund for March please",
            body="My bill is wrong", now=now, raised_via="portal", raised_by=account.name,
        )  # fmt: skip
    tables = analytics_tables(on=ON)
    # Only the vocabulary of brands, products, categories, statuses and months is used.
    allowed = (
        set(Brand.objects.values_list("name", flat=True))
        | {f"{p.brand.name}: {p.name}" for p in Product.objects.select_related("brand")}
        | {str(label) for _, label in AccountStatus.choices}
        | {str(label) for _, label in TicketCategory.choices}
        | {m.strftime("%b %Y") for m in months_ending(ON)}
        | {t.title for t in tables}
        | {t.note for t in tables}
        | {"Accounts"}
    )
    assert strings_in(tables) <= allowed
    held = personal_values()
    assert any("@" in v for v in held)  # the demo's emails, names and addresses are there
    dumped = json.dumps([asdict(t) for t in tables], default=str)
    leaked = sorted(v for v in held if v in dumped)
    assert leaked == []

    staff = User.objects.create_user("viewer", password="x" * 12, is_staff=True)
    client = Client()
    client.force_login(staff)
    page = client.get("/console/privacy/analytics/").content.decode()
    body = page[page.index("Anonymised analytics</h1>") :]
    body = body[: body.rindex("</table>")]
    leaked = sorted(v for v in held if v in body)
    assert leaked == []
    assert "Customers by product" in body and "Tickets by category and month" in body


@pytest.mark.django_db
def test_small_groups_are_suppressed(now: datetime) -> None:
    plugin = [
        account_create(brand_key="plugin", name=f"Home {n}", email=f"h{n}@example.com", now=now)
        for n in range(5)
    ]
    plusnet = [
        account_create(
            brand_key="plusnet-business", name=f"Firm {n}", email=f"f{n}@example.com", now=now
        )
        for n in range(2)
    ]
    table = customers_by_brand()
    rows = {label: [str(c) for c in cells] for label, cells in table.rows}
    assert table.columns == ("Open", "Closed")
    assert rows == {
        Brand.objects.get(key="plugin").name: ["5", "0"],
        Brand.objects.get(key="plusnet-business").name: ["<5", "0"],
    }

    # Five tickets from one account describe one customer: suppressed, whatever the count.
    for n in range(5):
        ticket_raise(
            account=plusnet[0], category="billing", subject=f"Bill {n}", body="?",
            now=now + timedelta(minutes=n), raised_via="portal",
        )  # fmt: skip
    for account in plugin:
        ticket_raise(
            account=account, category="general", subject="Hello", body="?", now=now,
            raised_via="portal",
        )  # fmt: skip
    tickets = next(t for t in analytics_tables(on=now.date()) if t.title.startswith("Tickets"))
    by_label = {label: cells for label, cells in tickets.rows}
    assert tickets.columns[-1] == "Nov 2026"
    assert str(by_label["Billing"][-1]) == "<5"
    assert str(by_label["General enquiry"][-1]) == "5"
    assert str(by_label["General enquiry"][-2]) == "0"


def test_cells_render_without_revealing_the_withheld_count() -> None:
    rendered: Any = [str(cell(7, 3)), str(cell(0, 0)), str(cell(1234, 9))]
    assert rendered == ["<5", "0", "1,234"]
