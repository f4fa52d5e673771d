"""A customer's evening and a support analyst's morning, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from backhaul.billing.models import Invoice
from backhaul.billing.services import billrun_run
from backhaul.contracts.services import subscription_create
from backhaul.customers.models import CustomerUser
from backhaul.customers.services import account_create, site_add
from backhaul.support.models import Ticket
from backhaul.usage.models import TopUp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def customer() -> Any:
    """A PlugIn broadband customer (metered, so Top Ups are on offer) billed last week."""
    today = timezone.localdate()
    start = today - timedelta(days=6)
    start = start.replace(day=min(start.day, 28))
    opened = timezone.now()
    account = account_create(
        brand_key="plugin",
        name="Juniper Cottage",
        email="juniper@example.com",
        kind="residential",
        bill_day=start.day,
        now=opened,
    )
    site_add(account=account, address_line1="2 Mill Lane", town="Hebden", postcode="HX7 8AA")
    subscription_create(
        account_number=account.number, product_key="broadband", start=start, now=opened
    )
    billrun_run(on=start, now=opened)
    user = User.objects.create_user("juniper@example.com", password=PASSWORD)
    CustomerUser.objects.create(user=user, account=account)
    return account


def sign_in(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_label(re.compile("user ?name|email", re.I)).fill("juniper@example.com")
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_load_state()


def test_customer_pays_attention_and_staff_fix_the_fault(live_server, watch, customer) -> None:  # type: ignore[no-untyped-def]
    invoice = Invoice.objects.get(account=customer)
    me = watch("customer")
    page = me.page

    sign_in(page, f"{live_server.url}/member/login/")
    assert page.url.rstrip("/").endswith("/member")
    me.shot("home")

    page.get_by_role("link", name="Bills").first.click()
    page.get_by_role("link", name=re.compile(invoice.number)).first.click()
    assert invoice.number in page.content()
    me.shot("bill")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").first.click()
    download = download_info.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.goto(f"{live_server.url}/member/usage/")
    me.shot("usage")
    page.get_by_role("button", name="Buy a Top Up").click()
    page.wait_for_load_state()
    assert "Top Up bought" in page.content()
    assert TopUp.objects.filter(account=customer).count() == 1
    me.shot("topup-bought")

    page.goto(f"{live_server.url}/member/support/new/")
    page.get_by_role("button", name="Raise the ticket").click()
    page.wait_for_load_state()
    assert page.locator(".errorlist").count() > 0, "an empty form shows its errors in place"
    me.shot("fault-errors")
    page.get_by_label("What is it about?").select_option("fault")
    page.get_by_label("Which service?").select_option(label="PlugIn Broadband")
    page.get_by_label("Summary").fill("No broadband since the storm")
    page.get_by_label("What is happening?").fill(
        "The router's broadband light is red and nothing loads."
    )
    page.get_by_role("button", name="Raise the ticket").click()
    page.wait_for_load_state()
    ticket = Ticket.objects.get(account=customer)
    assert ticket.reference in page.content()
    me.shot("fault-raised")

    # Every page of the Member Centre menu opens without a JavaScript error or a traceback.
    page.goto(f"{live_server.url}/member/")
    menu = page.locator("nav.menu a")
    links = sorted({menu.nth(i).get_attribute("href") for i in range(menu.count())})
    assert "/member/contract/" in links and "/member/notices/" in links
    for href in links:
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, href
    page.goto(f"{live_server.url}/member/contract/")
    assert "To leave" in page.content()
    me.shot("contract")

    User.objects.create_superuser("support-lead", password=PASSWORD)
    staff = watch("staff")
    desk = staff.page
    desk.goto(f"{live_server.url}/console/login/?next=/console/")
    desk.fill("input[name=username]", "support-lead")
    desk.fill("input[name=password]", PASSWORD)
    desk.locator("button[type=submit], input[type=submit]").first.click()
    desk.wait_for_load_state()
    staff.shot("console")
    desk.goto(f"{live_server.url}/console/support/ticket/queue/")
    assert ticket.reference in desk.content()
    staff.shot("queue")
    desk.goto(f"{live_server.url}/console/support/ticket/{ticket.pk}/act/")
    desk.select_option("select[name=action]", "resolve")
    desk.fill("textarea[name=body]", "An engineer reset the port; please check the light.")
    desk.locator("form button[type=submit]").last.click()
    desk.wait_for_load_state()
    # The console asks first: nothing has changed until the analyst confirms.
    assert "Nothing has been changed yet" in desk.content()
    assert "An engineer reset the port" in desk.content()
    staff.shot("confirm")
    ticket.refresh_from_db()
    assert ticket.resolved_at is None
    desk.get_by_role("button", name="Yes, go ahead").click()
    desk.wait_for_load_state()
    assert f"{ticket.reference}: done." in desk.content()
    staff.shot("resolved")
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None

    # Everything about the account on one page, from the account list.
    desk.goto(f"{live_server.url}/console/customers/account/")
    desk.get_by_role("link", name="Overview").first.click()
    desk.wait_for_load_state()
    assert customer.number in desk.content() and ticket.reference in desk.content()
    staff.shot("account-overview")
