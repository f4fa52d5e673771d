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


@pytest.fixture
def kestrel(client):
    """Option 1 for 24 months from 15 Nov 2026, signed in to the Member Centre on 21 Nov."""
    from tests.billing.test_services import new_mps_customer

    account = new_mps_customer("Kestrel Signs Ltd")
    user = User.objects.create_user(username="kestrel", password="x" * 12)
    CustomerUser.objects.create(user=user, account=account)
    client.force_login(user)
    return account


def test_contract_page_quotes_leaving_today_and_on_a_later_day(client, kestrel) -> None:
    import time_machine

    from tests.billing.test_services import NOW

    with time_machine.travel(NOW, tick=False):
        today = client.get(reverse("portal:contract")).content.decode()
        later = client.get(reverse("portal:contract"), {"notice": "2028-10-16"}).content.decode()
    # Notice on 21 Nov 2026 ends the service on 21 Dec 2026: 22 months at £28.00 plus
    # 25/31 of a month = £638.58 + £127.72 VAT = £766.30, and the cease charge £25.00
    # (tests/customers/test_console_overview.py works it through): £791.30.
    assert "Plusnet Payment Services Option 1" in today
    assert "<strong>£791.30</strong>" in today
    assert "<td>30 days" in today
    # Notice on 16 Oct 2028 ends it on 15 Nov 2028, the last day of the minimum period:
    # no early termination charge is left, only the cease charge.
    assert "<strong>£25.00</strong>" in later


def test_contract_page_shows_a_bad_date_in_place(client, kestrel) -> None:
    import time_machine

    from tests.billing.test_services import NOW

    with time_machine.travel(NOW, tick=False):
        past = client.get(reverse("portal:contract"), {"notice": "2026-01-01"})
        junk = client.get(reverse("portal:contract"), {"notice": "soon"})
    assert past.status_code == junk.status_code == 200
    assert "Choose today (21 Nov 2026) or a later day." in past.content.decode()
    assert 'aria-invalid="true"' in junk.content.decode()
    assert "Enter a valid date." in junk.content.decode()


def test_notices_page_lists_the_account_notices_newest_first(client, kestrel) -> None:
    from backhaul.notices.models import Notice
    from tests.billing.test_services import NOW, new_mps_customer

    other = new_mps_customer("Osprey Glazing Ltd")
    for account, n in ((kestrel, 1), (kestrel, 2), (other, 3)):
        Notice.objects.create(
            key=f"test:{account.number}:{n}", brand=account.brand, account=account,
            kind="test.notice", recipient=account.primary_email, subject=f"Notice number {n}",
            body=f"Body {n}", status="sent", created_at=NOW.replace(day=n),
        )  # fmt: skip
    page = client.get(reverse("portal:notices")).content.decode()
    assert page.index("Notice number 2") < page.index("Notice number 1")
    assert "Body 1" in page
    assert "Notice number 3" not in page
