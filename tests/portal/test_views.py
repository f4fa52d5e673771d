"""The Member Centre shell: sign-in, the home page, and who may see it."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.customers.models import CustomerUser
from backhaul.demo.services import CUSTOMER_PASSWORD, demo_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return demo_load(customers=10, seed=3, on=date(2026, 11, 21))


def test_customer_signs_in_and_sees_only_their_services(client, demo) -> None:
    login, _, number = demo.customers[0]
    response = client.post(
        reverse("portal:login"), {"username": login, "password": CUSTOMER_PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(reverse("portal:member-home"))
    assert page.status_code == 200
    assert f"Account {number}" in page.content.decode()
    other = CustomerUser.objects.exclude(account__number=number).first()
    assert other.account.number not in page.content.decode()


def test_wrong_password_shows_an_error_in_place(client, demo) -> None:
    login, _, _ = demo.customers[0]
    response = client.post(reverse("portal:login"), {"username": login, "password": "wrong"})
    assert response.status_code == 200
    assert 'class="errorlist" role="alert"' in response.content.decode()


def test_anonymous_is_sent_to_sign_in_and_staff_are_refused(client, demo) -> None:
    response = client.get(reverse("portal:member-home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    client.force_login(User.objects.get(username="support"))
    assert client.get(reverse("portal:member-home")).status_code == 403
