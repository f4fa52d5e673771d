"""Member Centre call itemisation: a customer sees their own calls and nobody else's."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.customers.models import CustomerUser
from backhaul.customers.services import account_create
from backhaul.rating.services import cdr_import, number_assign
from tests.rating.conftest import write_cdrs

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_customers(now, tmp_path):
    accounts = []
    for name, number in (("Ingleby Bakery", "01142000301"), ("Juniper Studio", "01142000302")):
        account = account_create(
            brand_key="plusnet-business", name=name, email=f"{number}@example.com", now=now
        )
        number_assign(
            account_number=account.number,
            number=number,
            plan="business-phone-line",
            start=date(2026, 1, 1),
            now=now,
        )
        user = User.objects.create_user(username=f"user-{number}", password="x")
        CustomerUser.objects.create(user=user, account=account)
        accounts.append((account, user))
    path = write_cdrs(
        tmp_path / "calls.csv",
        [
            "v1,,01142000301,07400123456,2026-06-13T11:00:00+01:00,185,ANSWERED,false",
            "v2,,01142000302,02079460999,2026-06-14T11:00:00+01:00,60,ANSWERED,false",
        ],
    )
    cdr_import(path=path, brand_key="plusnet-business", now=now)
    return accounts


def test_a_customer_sees_their_own_calls_month_by_month(client, two_customers) -> None:
    (_mine, me), (_theirs, _them) = two_customers
    client.force_login(me)
    months = client.get(reverse("rating:months"))
    assert months.status_code == 200
    assert "June 2026" in months.content.decode()
    calls = client.get(reverse("rating:calls", args=[2026, 6]))
    page = calls.content.decode()
    assert calls.status_code == 200
    # 4 weekend minutes of FM2: 0.75 before VAT, 0.90 with it.
    assert "07400123456" in page and "£0.75" in page and "£0.90" in page
    assert "02079460999" not in page


def test_strangers_are_kept_out(client, two_customers) -> None:
    response = client.get(reverse("rating:months"))
    assert response.status_code == 302
    assert client.get(reverse("rating:calls", args=[2026, 13])).status_code == 302
    (_mine, me), _ = two_customers
    client.force_login(me)
    assert client.get("/member/rating/2026-13/").status_code == 404
