"""Member Centre pages (balance, statement, payments, disputes) and the console pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.customers.models import CustomerUser
from backhaul.payments.models import Dispute, DunningState, Payment
from backhaul.payments.services import payment_record
from tests.payments.conftest import NOW, hundred_pound_bill, plugin_customer

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def sign_in(client, account, username: str = "member"):
    user = User.objects.create_user(username=username, password="x" * 12)
    CustomerUser.objects.create(user=user, account=account)
    client.force_login(user)
    return user


def test_balance_statement_and_payments_show_only_the_customers_own_money(client) -> None:
    account, invoice = hundred_pound_bill("Ashford Print Ltd")
    other, foreign = hundred_pound_bill("Bramley Print Ltd")
    payment_record(
        account_number=account.number, amount="40.00", method="card", on=date(2026, 11, 18), now=NOW
    )
    sign_in(client, account)
    page = client.get(reverse("payments:balance")).content.decode()
    assert "£60.00" in page and "£60.00 overdue" in page
    assert invoice.number in page and foreign.number not in page
    assert "We cannot accept" not in page  # Plusnet refuses nothing outright
    statement = client.get(reverse("payments:statement")).content.decode()
    assert "£100.00" in statement and "£40.00" in statement and other.number not in statement
    payments = client.get(reverse("payments:payments")).content.decode()
    assert f"{invoice.number}: £40.00" in payments


def test_plugin_balance_page_names_the_refused_methods(client) -> None:
    account = plugin_customer("Calder Print Ltd")
    sign_in(client, account)
    page = client.get(reverse("payments:balance")).content.decode()
    assert "We cannot accept cash or visa electron." in page


def test_raising_a_dispute_shows_field_errors_in_place(client) -> None:
    account, invoice = hundred_pound_bill("Dunmore Print Ltd")
    sign_in(client, account)
    url = reverse("payments:disputes")
    page = client.get(url)
    assert page.status_code == 200
    assert f'<option value="{invoice.number}">' in page.content.decode()
    bad = client.post(url, {"invoice": invoice.number, "amount": "0", "reason": "Wrong"})
    html = bad.content.decode()
    assert bad.status_code == 200
    assert 'id="id_amount-errors"' in html
    assert "dispute a positive amount in pence, not 0" in html
    assert not Dispute.objects.exists()
    missing = client.post(url, {"invoice": "", "amount": "5.10", "reason": ""})
    assert 'id="id_invoice-errors"' in missing.content.decode()
    assert 'id="id_reason-errors"' in missing.content.decode()
    good = client.post(
        url, {"invoice": invoice.number, "amount": "5.10", "reason": "Wrong"}, follow=True
    )
    assert "Dispute raised about" in good.content.decode()
    assert Dispute.objects.get().outcome == "pay-undisputed"


def test_a_customer_cannot_dispute_another_customers_bill(client) -> None:
    account, _ = hundred_pound_bill("Elmfield Print Ltd")
    _, foreign = hundred_pound_bill("Foxley Vets Ltd")
    sign_in(client, account)
    response = client.post(
        reverse("payments:disputes"), {"invoice": foreign.number, "amount": "5.00", "reason": "x"}
    )
    # Not one of the choices offered: refused by the form before any service runs.
    assert 'id="id_invoice-errors"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_staff_are_refused_and_visitors_sent_to_sign_in(client) -> None:
    assert client.get(reverse("payments:balance")).status_code == 302
    staff = User.objects.create_user(username="clerk", password="x" * 12, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("payments:balance")).status_code == 403


# Console actions ask first; these posts are the "Yes, go ahead" that follows.
CONFIRMED = {"_confirmed": "yes"}


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser(username="root", password="x" * 12, email="r@x.test")
    client.force_login(admin)
    return client


def test_console_account_page_records_a_payment_and_shows_errors(admin_client) -> None:
    account, invoice = hundred_pound_bill("Greyfriars Print Ltd")
    page = admin_client.get(
        reverse("admin:payments_creditcontrolaccount_change", args=[account.pk])
    )
    assert page.status_code == 200
    assert invoice.number in page.content.decode()
    act = reverse("admin:payments_creditcontrolaccount_act", args=[account.pk, "payment"])
    bad = admin_client.post(
        act,
        {"payment-amount": "-1", "payment-method": "card", "payment-on": "2026-11-20", **CONFIRMED},
    )
    assert bad.status_code == 200
    assert "must be more than zero, not -1" in bad.content.decode()
    assert not Payment.objects.exists()
    good = admin_client.post(
        act,
        {
            "payment-amount": "100.00",
            "payment-method": "card",
            "payment-on": "2026-11-20",
            **CONFIRMED,
        },
        follow=True,
    )
    assert "Recorded £100.00" in good.content.decode()
    assert Payment.objects.get().amount == D("100.00")
    hold = reverse("admin:payments_creditcontrolaccount_act", args=[account.pk, "hold"])
    admin_client.post(hold, {"hold-reason": "explained on the phone", **CONFIRMED})
    assert DunningState.objects.get(account=account).held


def test_console_resolves_a_dispute_with_a_credit_note(admin_client) -> None:
    account, invoice = hundred_pound_bill("Harrow Print Ltd")
    from backhaul.payments.services import dispute_raise

    dispute = dispute_raise(
        account=account,
        invoice_number=invoice.number,
        amount="5.10",
        reason="survey not done",
        raised_on=date(2026, 11, 20),
        now=NOW,
    )
    url = reverse("admin:payments_dispute_resolve", args=[dispute.pk])
    assert admin_client.get(url).status_code == 200
    bad = admin_client.post(url, {"note": "upheld", "credit": "one:4.25", **CONFIRMED})
    assert "write line:net such as 2:30.00" in bad.content.decode()
    admin_client.post(url, {"note": "upheld", "credit": "1:4.25", **CONFIRMED})
    dispute.refresh_from_db()
    assert (dispute.status, dispute.credited) == ("credited", D("5.10"))
