"""Member Centre and console pages for packages: a customer reaches only their own."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from backhaul.billing.models import PendingCharge
from backhaul.hosting.models import Package
from backhaul.hosting.services import package_aup_flag, package_order

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 21)


@pytest.fixture(autouse=True)
def fixed_today():
    with mock.patch.object(timezone, "localdate", return_value=TODAY):
        yield


@pytest.fixture
def packages(plugin_account, other_account, now):
    mine = package_order(account=plugin_account, product_key="hosting", on=TODAY, now=now)
    theirs = package_order(account=other_account, product_key="hosting", on=TODAY, now=now)
    return mine, theirs


def test_the_page_lists_my_packages_plans_and_flags(customer_client, packages, now) -> None:
    mine, theirs = packages
    package_aup_flag(package=mine, kind="file-sharing", on=TODAY, now=now)
    page = customer_client.get(reverse("hosting:list")).content.decode()
    assert f'id="package-{mine.pk}"' in page and f'id="package-{theirs.pk}"' not in page
    assert "paid up to 21 December 2026" in page
    assert "next renewal invoiced on 7 December 2026" in page
    assert "Not permitted: file-sharing" in page
    assert "money-back guarantee" in page and "until 20 December 2026" in page
    assert "PlugIn Email package: £2.50 + VAT a month" in page


def test_order_notice_and_refund_from_the_member_centre(
    customer_client, packages, plugin_account
) -> None:
    mine, theirs = packages
    assert customer_client.post(reverse("hosting:notice", args=[theirs.pk])).status_code == 404
    customer_client.post(reverse("hosting:order"), {"product": "email"})
    assert Package.objects.filter(account=plugin_account, product__key="email").exists()
    response = customer_client.post(reverse("hosting:order"), {"product": "broadband"}, follow=True)
    assert "not an email or hosting package" in response.content.decode()
    customer_client.post(reverse("hosting:notice", args=[mine.pk]))
    mine.refresh_from_db()
    # 2026-11-21 + 30 days = 12-21, itself the renewal date: it ends then.
    assert mine.ends_on == date(2026, 12, 21)
    customer_client.post(reverse("hosting:refund", args=[mine.pk]), {"basis": "money-back"})
    mine.refresh_from_db()
    assert mine.status == "cancelled"
    assert (
        PendingCharge.objects.get(key=f"package:{mine.pk}:refund").amount
        == -mine.price_version.amount
    )


def test_console_pages_and_actions(client, packages, now) -> None:
    mine, _ = packages
    flag = package_aup_flag(package=mine, kind="public-ftp", on=TODAY, now=now)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x-not-used-1"))
    for name, pk in (("package", mine.pk), ("aupflag", flag.pk)):
        assert client.get(reverse(f"admin:hosting_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:hosting_{name}_change", args=[pk])).status_code == 200
    client.post(
        reverse("admin:hosting_package_changelist"),
        {"action": "give_notice_today", "_selected_action": [mine.pk], "_confirmed": "yes"},
    )
    client.post(
        reverse("admin:hosting_aupflag_changelist"),
        {"action": "resolve_today", "_selected_action": [flag.pk], "_confirmed": "yes"},
    )
    mine.refresh_from_db()
    flag.refresh_from_db()
    assert (mine.ends_on, flag.resolved_on) == (date(2026, 12, 21), TODAY)
