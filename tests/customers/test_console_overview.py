"""The console's account overview: everything about one account on one page."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.billing.services import billrun_run
from backhaul.customers.models import Contact, CustomerUser
from backhaul.demo.services import staff_users_ensure
from backhaul.payments.services.money import payment_record
from backhaul.privacy.models import AuditEvent
from backhaul.support.choices import RaisedVia, TicketCategory
from backhaul.support.services.tickets import ticket_raise
from tests.billing.test_services import NOW, new_mps_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    """Option 1 for 24 months from 15 Nov 2026, billed £76.91 on 15 Nov, £50.00 paid, and
    a fault raised on 21 Nov (tests/billing/test_services.py has the bill's arithmetic)."""
    account = new_mps_customer("Kestrel Signs Ltd")
    Contact.objects.create(account=account, name="Ruth Kestrel", role="billing", nominated=True)
    billrun_run(on=date(2026, 11, 15), now=NOW)
    payment_record(
        account_number=account.number, amount="50.00", method="card", on=date(2026, 11, 20),
        now=NOW,
    )  # fmt: skip
    ticket_raise(
        account=account,
        category=TicketCategory.FAULT,
        subject="No sync since this morning",
        body="The router light is red.",
        now=NOW,
        raised_via=RaisedVia.PHONE,
        subscription=account.subscriptions.get(),
        raised_by="support",
    )
    return account


@pytest.fixture
def staff():
    staff_users_ensure()
    return {u.username: u for u in User.objects.filter(is_staff=True)}


def overview(client, account):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("admin:customers_account_overview", args=[account.pk]))


def test_billing_staff_see_the_worked_figures(client, account, staff) -> None:
    client.force_login(staff["billing"])
    response = overview(client, account)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{account.number} Kestrel Signs Ltd" in page
    assert "Ruth Kestrel" in page and "nominated" in page
    # The bill: £64.09 + £12.82 VAT = £76.91, due on its date (15 Nov); the £50.00 paid
    # on 20 Nov goes to it, leaving £26.91 overdue on 21 Nov.
    assert "<td>PB-INV-0000001</td><td>15 Nov 2026</td><td>15 Nov 2026</td>" in page
    assert (
        '<td class="num">£76.91</td><td class="num">£0.00</td><td class="num">£50.00</td>' in page
    )
    assert '<dt>Overdue</dt><dd class="num bad">£26.91</dd>' in page
    assert "PB-INV-0000001 £50.00" in page
    # Leaving today (21 Nov 2026): 30 days' notice ends the service on 21 Dec 2026, inside
    # the minimum period that ends 15 Nov 2028. Remaining charges: 22 whole months at £28.00
    # = £616.00, plus 25 of the 31 days from 21 Oct to 21 Nov 2028: £28 x 25/31 = £22.58;
    # £638.58 + £127.72 VAT = £766.30. The cease charge: £20.83 + £4.17 = £25.00.
    # Together £791.30.
    assert "ends 2026-12-21" in page
    assert "£766.30" in page
    assert "£791.30" in page
    # The ticket with its clocks, from support's presentation.
    assert "No sync since this morning" in page
    assert "sla-clock" in page
    # The billing role has no abuse or privacy permissions: those sections say so.
    assert page.count("Your role does not include this area.") >= 2


def test_data_protection_sees_consents_and_the_audit_trail(client, account, staff) -> None:
    client.force_login(staff["dpo"])
    overview(client, account)  # this visit itself is audited
    page = overview(client, account).content.decode()
    assert "Staff access (audit trail)" in page
    assert AuditEvent.objects.filter(
        username="dpo", model_label="customers.Account", object_id=str(account.pk)
    ).exists()
    assert f"/console/customers/account/{account.pk}/overview/" in page


def test_the_account_list_and_change_page_link_to_it(client, account, staff) -> None:
    client.force_login(staff["support"])
    url = reverse("admin:customers_account_overview", args=[account.pk])
    assert url in client.get(reverse("admin:customers_account_changelist")).content.decode()
    go = client.get(
        reverse("admin:customers_account_open_overview", args=[account.pk]), follow=False
    )
    assert go.status_code == 302 and go["Location"] == url


def test_customers_and_anonymous_visitors_are_turned_away(client, account, staff) -> None:
    url = reverse("admin:customers_account_overview", args=[account.pk])
    assert client.get(url).status_code == 302  # to the console sign-in
    customer = User.objects.create_user(username="kestrel", password="x" * 12)
    CustomerUser.objects.create(user=customer, account=account)
    client.force_login(customer)
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_staff_without_the_account_permission_are_refused(client, account) -> None:
    clerk = User.objects.create_user(username="clerk", password="x" * 12, is_staff=True)
    client.force_login(clerk)
    assert overview(client, account).status_code == 403
