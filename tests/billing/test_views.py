"""Bills in the Member Centre and the console: on screen, as PDF, and only one's own."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.billing.models import Invoice
from backhaul.billing.services import billrun_run
from backhaul.customers.models import CustomerUser
from tests.billing.test_services import NOW, new_mps_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_customers():
    mine = new_mps_customer("Penrose Print Ltd")
    theirs = new_mps_customer("Quarry Motors Ltd")
    billrun_run(on=date(2026, 11, 15), now=NOW)
    user = User.objects.create_user("penrose@example.com", password="pw-123456")
    CustomerUser.objects.create(user=user, account=mine)
    return user, Invoice.objects.get(account=mine), Invoice.objects.get(account=theirs)


def test_customer_sees_their_bill_with_the_why_of_each_line(client, two_customers) -> None:
    user, mine, _ = two_customers
    client.force_login(user)
    listing = client.get(reverse("billing-portal:bills")).content.decode()
    assert mine.number in listing
    page = client.get(reverse("billing-portal:bill", args=[mine.number])).content.decode()
    assert "£76.91" in page
    assert 'Why: <a href="#clause-1">plusnet-business/broadband-charges#4-option-1</a>' in page
    assert "VAT at 20%" in page
    assert mine.lines.first().clause_text.splitlines()[0] in page


def test_pdf_download(client, two_customers) -> None:
    user, mine, _ = two_customers
    client.force_login(user)
    response = client.get(reverse("billing-portal:bill-pdf", args=[mine.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f'filename="{mine.number}.pdf"' in response["Content-Disposition"]


def test_another_customers_bill_is_not_found(client, two_customers) -> None:
    user, _, theirs = two_customers
    client.force_login(user)
    assert client.get(reverse("billing-portal:bill", args=[theirs.number])).status_code == 404
    assert client.get(reverse("billing-portal:bill-pdf", args=[theirs.number])).status_code == 404
    assert theirs.number not in client.get(reverse("billing-portal:bills")).content.decode()


def test_staff_pdf_and_credit_note_action(client, two_customers) -> None:
    _, mine, _ = two_customers
    admin_user = User.objects.create_superuser("boss", password="pw-123456")
    client.force_login(admin_user)
    pdf = client.get(reverse("admin:billing_invoice_pdf", args=[mine.pk]))
    assert pdf.content.startswith(b"%PDF-")
    client.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "credit_in_full", "_selected_action": [mine.pk], "_confirmed": "yes"},
    )
    note = Invoice.objects.get(credits_invoice=mine)
    assert note.total == -mine.total
