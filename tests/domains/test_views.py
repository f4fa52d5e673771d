"""Member Centre and console pages for domains: a customer reaches only their own names."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from backhaul.billing.models import PendingCharge
from backhaul.domains.models import Domain
from backhaul.domains.services import domain_register

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 21)


@pytest.fixture(autouse=True)
def fixed_today():
    with mock.patch.object(timezone, "localdate", return_value=TODAY):
        yield


@pytest.fixture
def names(plugin_account, other_account, now):
    mine = domain_register(account=plugin_account, name="foxley.co.uk", on=TODAY, now=now)
    theirs = domain_register(account=other_account, name="juniper.co.uk", on=TODAY, now=now)
    return mine, theirs


def test_the_list_shows_only_my_names(customer_client, names) -> None:
    page = customer_client.get(reverse("domains:list")).content.decode()
    assert "foxley.co.uk" in page
    assert "juniper.co.uk" not in page
    assert 'href="/member/domains/"' in page  # the menu entry


def test_detail_shows_the_timeline_and_another_account_is_404(customer_client, names) -> None:
    page = customer_client.get(reverse("domains:detail", args=["foxley.co.uk"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "21 November 2028" in text and "plugin/domain-terms#uk-expiry" in text
    assert "Renew foxley.co.uk" in text
    assert customer_client.get(reverse("domains:detail", args=["juniper.co.uk"])).status_code == 404
    refused = customer_client.post(reverse("domains:renew", args=["juniper.co.uk"]))
    assert refused.status_code == 404


def test_renew_privacy_and_a_refused_transfer(customer_client, names) -> None:
    mine, _ = names
    response = customer_client.post(reverse("domains:renew", args=["foxley.co.uk"]), follow=True)
    assert "is renewed" in response.content.decode()
    mine.refresh_from_db()
    assert mine.expires_on == date(2030, 11, 21)
    customer_client.post(reverse("domains:privacy", args=["foxley.co.uk"]), {"enabled": "on"})
    mine.refresh_from_db()
    assert mine.whois_privacy is True
    response = customer_client.post(reverse("domains:transfer", args=["foxley.co.uk"]), follow=True)
    assert "outstanding" in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == "active"


def test_after_expiry_the_page_says_to_email_before_the_deadline(customer_client, names) -> None:
    with mock.patch.object(timezone, "localdate", return_value=date(2028, 12, 1)):
        text = customer_client.get(
            reverse("domains:detail", args=["foxley.co.uk"])
        ).content.decode()
    assert "email support@plugin.co.uk before <strong>9 February 2029</strong>" in text
    assert "Renew foxley.co.uk" not in text


def test_pages_need_a_signed_in_customer(client, names) -> None:
    response = client.get(reverse("domains:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_console_pages_and_actions(client, names) -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "not-used-here-1")
    client.force_login(admin)
    mine, _ = names
    assert client.get(reverse("admin:domains_domain_changelist")).status_code == 200
    change = client.get(reverse("admin:domains_domain_change", args=[mine.pk]))
    assert change.status_code == 200
    assert "registered" in change.content.decode()
    response = client.post(
        reverse("admin:domains_domain_changelist"),
        {"action": "transfer_out_today", "_selected_action": [mine.pk], "_confirmed": "yes"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "foxley.co.uk: the account has £9.99 outstanding; domains are not transferred while any "
        "sum is outstanding (plugin/domain-terms#7)"
    ]
    PendingCharge.objects.update(billed_on=TODAY)
    client.post(
        reverse("admin:domains_domain_changelist"),
        {"action": "renew_today", "_selected_action": [mine.pk], "_confirmed": "yes"},
    )
    assert Domain.objects.get(pk=mine.pk).expires_on == TODAY.replace(year=2030)
