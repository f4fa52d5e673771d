"""Member Centre usage page and Top Ups, published speeds, and the console's usage pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.billing.models import PendingCharge
from backhaul.customers.models import CustomerUser
from backhaul.usage.models import AllowanceState, ImportRun, TopUp
from backhaul.usage.services import usage_import
from tests.usage.factories import broadband_account, detail_record, write_detail

pytestmark = pytest.mark.django_db
GB = 10**9
# 21 November 2026, 10:00 UTC (GMT): PlugIn's period from the 2nd runs 2 Nov to 2 Dec.
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
KEY = "0123456789abcdef0123456789abcdef"


def utc(day: int, hour: int = 12, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def customer_of(account, name: str) -> User:
    user = User.objects.create_user(username=name, password="x")
    CustomerUser.objects.create(user=user, account=account)
    return user


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plugin_customer(tmp_path, clock):
    """A PlugIn customer on 100 GB who used 30 GB on 5 November and 20 GB on 10 November."""
    account, _, login = broadband_account()
    path = write_detail(
        tmp_path / "detail",
        [
            detail_record(when=utc(5), username=login.username, total_out=30 * GB),
            detail_record(when=utc(10), username=login.username, total_out=50 * GB),
        ],
    )
    usage_import(now=NOW, detail_paths=[path])
    return account, customer_of(account, "amelia")


def topup_post(client, **fields):
    return client.post(reverse("usage:topup"), {"quantity": "1", "request_key": KEY, **fields})


# --- The usage page ----------------------------------------------------------------------


def test_usage_page_shows_the_state_the_figures_and_the_chart(client, plugin_customer) -> None:
    _, user = plugin_customer
    client.force_login(user)
    response = client.get(reverse("usage:usage"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<span class="status ok">Normal</span>' in page
    assert "<strong>50.00 GB</strong> of 100.00 GB" in page
    assert "2 Nov 2026 to 2 Dec 2026" in page
    chart = response.context["chart"]
    # 30 days from 2 November; x steps of 640 / 29. The top is the 100 GB allowance, so
    # y = 240 - 240 * used / 100 GB: 30 GB -> 168.0 (5 Nov, day 3), 50 GB -> 120.0 (10 Nov).
    used = chart["used"].split()
    assert len(used) == 20  # 2 to 21 November: no points after today
    assert used[:4] == ["0.0,240.0", "22.1,240.0", "44.1,240.0", "66.2,168.0"]
    assert used[8] == "176.6,120.0"
    assert used[-1] == "419.3,120.0"
    assert chart["allowance_y"] == 0.0
    assert chart["limit"].split()[-1] == "640.0,0.0"
    assert chart["ceiling_gb"] == Decimal("100.0")
    assert f'points="{chart["used"]}"' in page
    # The table below the chart: GB used so far, by day.
    assert '<td>5 Nov</td><td class="num">30</td>' in page
    assert '<td>21 Nov</td><td class="num">50</td>' in page
    assert "<td>22 Nov</td>" not in page
    # The Top Up offer and its form.
    assert "Broadband Top Up 10GB: £5.00 plus VAT each" in page
    assert 'name="quantity"' in page
    assert response.context["form"].initial["quantity"] == 1


def test_throttled_and_blocked_customers_are_told_why(client, tmp_path, clock) -> None:
    account, _, login = broadband_account()
    total = 101_500_000_000  # the 100 GB allowance and the 1 GB at 128 kbit/s, and more
    path = write_detail(
        tmp_path / "detail", [detail_record(when=utc(12), username=login.username, total_out=total)]
    )
    usage_import(now=NOW, detail_paths=[path])
    client.force_login(customer_of(account, "heavy"))
    page = client.get(reverse("usage:usage")).content.decode()
    assert '<span class="status bad">Blocked</span>' in page
    assert "blocked until you buy a Top Up or the next period starts" in page
    assert "<strong>101.50 GB</strong> of 100.00 GB" in page


def test_a_plan_without_an_allowance_has_nothing_to_count(client, clock) -> None:
    account, _, _ = broadband_account(product="broadband-unlimited", username="u@pi.example")
    client.force_login(customer_of(account, "unlimited"))
    response = client.get(reverse("usage:usage"))
    assert response.status_code == 200
    assert "no monthly allowance" in response.content.decode()
    assert response.context["form"] is None


def test_strangers_and_staff_are_kept_out(client, plugin_customer) -> None:
    assert client.get(reverse("usage:usage")).status_code == 302
    assert topup_post(client).status_code == 302
    staff = User.objects.create_user(username="staff", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("usage:usage")).status_code == 403
    assert TopUp.objects.count() == 0


def test_each_customer_sees_only_their_own_usage(client, plugin_customer) -> None:
    other, _, _ = broadband_account(username="bea@plugin.example")
    client.force_login(customer_of(other, "bea"))
    page = client.get(reverse("usage:usage")).content.decode()
    assert "<strong>0.00 GB</strong> of 100.00 GB" in page
    assert "50.00 GB" not in page


# --- Buying Top Ups ----------------------------------------------------------------------


def test_buying_two_top_ups_bills_each_and_raises_the_limit(client, plugin_customer) -> None:
    account, user = plugin_customer
    client.force_login(user)
    response = topup_post(client, quantity="2")
    assert response.status_code == 302
    assert response["Location"] == reverse("usage:usage")
    page = client.get(reverse("usage:usage")).content.decode()
    # 2 x 10 GB at £5.00 each, plus VAT, on the next bill.
    assert "2 Top Ups bought: 20 GB, £10.00 (plus VAT) on your next bill." in page
    charges = PendingCharge.objects.filter(account=account, source="usage").order_by("id")
    assert [(c.amount, c.vat_treatment, c.clause.clause_id) for c in charges] == [
        (Decimal("5.00"), "exclusive", "plugin/broadband-terms#8")
    ] * 2
    topups = TopUp.objects.filter(account=account)
    assert sorted(t.request_key for t in topups) == [
        f"portal:{account.pk}:{KEY}",
        f"portal:{account.pk}:{KEY}:1",
    ]
    assert {t.channel for t in topups} == {"member-centre"}
    assert AllowanceState.objects.get(account=account).topup_left == 20 * GB
    response = client.get(reverse("usage:usage"))
    assert "<strong>20.00 GB</strong>" in response.content.decode()
    # From 21 November the limit is 120 GB, the top of the chart: the allowance line
    # sits at 240 - 240 * 100 / 120 = 40.0.
    assert response.context["chart"]["ceiling_gb"] == Decimal("120.0")
    assert response.context["chart"]["allowance_y"] == 40.0


def test_sending_the_same_form_twice_buys_once(client, plugin_customer) -> None:
    account, user = plugin_customer
    client.force_login(user)
    topup_post(client)
    topup_post(client)
    assert TopUp.objects.filter(account=account).count() == 1
    assert PendingCharge.objects.filter(account=account, source="usage").count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"quantity": "lots"}, "quantity", "Enter a whole number of Top Ups."),
        ({"quantity": "1.5"}, "quantity", "Enter a whole number of Top Ups."),
        ({"quantity": "0"}, "quantity", "Buy at least one Top Up."),
        ({"quantity": "11"}, "quantity", "At most 10 Top Ups in one order."),
        ({"quantity": ""}, "quantity", "Say how many Top Ups to buy."),
        ({"request_key": ""}, "request_key", "The form expired; please try again."),
        ({"request_key": "not-a-key"}, "request_key", "The form expired; please try again."),
    ],
)
def test_bad_input_is_shown_by_its_field_and_buys_nothing(
    client, plugin_customer, fields, field, message
) -> None:
    account, user = plugin_customer
    client.force_login(user)
    response = topup_post(client, **fields)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    page = response.content.decode()
    assert message in page
    assert 'role="alert"' in page
    # The page is shown again in full, with the usage as before.
    assert "<strong>50.00 GB</strong> of 100.00 GB" in page
    assert TopUp.objects.filter(account=account).count() == 0
    assert not PendingCharge.objects.filter(account=account, source="usage").exists()


def test_a_plan_without_top_ups_offers_none_and_sells_none(client, clock) -> None:
    account, _, _ = broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username="dental@pn.example",
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )
    client.force_login(customer_of(account, "dental"))
    page = client.get(reverse("usage:usage")).content.decode()
    assert "Buy a Top Up" not in page
    response = topup_post(client)
    assert response.status_code == 302
    page = client.get(reverse("usage:usage")).content.decode()
    assert f"{account.number} has no broadband plan that takes Top Ups" in page
    assert TopUp.objects.count() == 0
    assert not PendingCharge.objects.filter(account=account, source="usage").exists()


def test_a_top_up_is_bought_by_post_only(client, plugin_customer) -> None:
    _, user = plugin_customer
    client.force_login(user)
    assert client.get(reverse("usage:topup")).status_code == 405


# --- Published speeds --------------------------------------------------------------------


@pytest.fixture
def speeds(tmp_path):
    """Two PlugIn customers' sessions in November 2026 (GMT, so London time is UTC).

    First: 17:00-19:00 9 GB down (ends in the 18:00-23:00 busy hours), then 19:00-23:30
    1.8 GB more (ends outside them). Second: 19:00-20:00 2.7 GB down (busy).
    """
    first, _, login_a = broadband_account(username="a@plugin.example")
    second, _, login_b = broadband_account(username="b@plugin.example")
    records = [
        detail_record(when=utc(10, 17), username=login_a.username, status="Start", session="a"),
        detail_record(when=utc(10, 19), username=login_a.username, total_out=9 * GB, session="a"),
        detail_record(
            when=utc(10, 23, 30), username=login_a.username, total_out=10_800_000_000, session="a"
        ),
        detail_record(when=utc(12, 19), username=login_b.username, status="Start", session="b"),
        detail_record(
            when=utc(12, 20), username=login_b.username, total_out=2_700_000_000, session="b"
        ),
    ]
    usage_import(
        now=datetime(2026, 12, 5, 9, 0, tzinfo=UTC),
        detail_paths=[write_detail(tmp_path / "detail", records)],
    )
    return first, second


def plugin_figures(payload: dict) -> dict:
    return next(s for s in payload["speeds"] if s["brand"] == "plugin")


def test_speeds_are_published_as_json_without_signing_in(client, speeds) -> None:
    response = client.get(reverse("usage:speeds-json"), {"month": "2026-11"})
    assert response.status_code == 200
    figures = plugin_figures(json.loads(response.content))
    # First: 10.8 GB over 7200 + 16200 s = 86.4e9 bits / 23.4e6 ms = 3692.3 kbit/s; in the
    # busy hours 9 GB over 7200 s = 10000.0. Second: 2.7 GB over 3600 s = 6000.0 (busy).
    # Averages over the two: (3692.3 + 6000.0) / 2 = 4846.15 -> 4846.2; busy 8000.0.
    assert figures == {
        "brand": "plugin",
        "month": "2026-11",
        "customers": 2,
        "average_kbps": "4846.2",
        "busy_hours_average_kbps": "8000.0",
        "busy_hours": {
            "start": "18:00",
            "end": "23:00",
            "clause": "plugin/broadband-speeds#throughput",
        },
        "measure": "throughput",
        "clause": "plugin/broadband-speeds#policy",
        "published": "monthly",
    }


def test_speeds_page_and_the_default_month(client, speeds) -> None:
    with time_machine.travel(datetime(2026, 12, 5, 9, 0, tzinfo=UTC), tick=False):
        page = client.get(reverse("usage:speeds")).content.decode()
        bad = client.get(reverse("usage:speeds-json"), {"month": "2026-13"})
    # Without a month (or with a bad one) the page shows last month's figures.
    assert "plugin · 2026-11" in page
    assert '<strong class="num">4846.2 kbit/s</strong>' in page
    assert '(18:00–23:00): <strong class="num">8000.0 kbit/s</strong>, over 2 customers' in page
    assert plugin_figures(json.loads(bad.content))["average_kbps"] == "4846.2"


def test_a_month_without_accounting_says_so(client, speeds) -> None:
    page = client.get(reverse("usage:speeds"), {"month": "2026-10"}).content.decode()
    assert "No accounting data for this month." in page
    answer = client.get(reverse("usage:speeds-json"), {"month": "2026-10"})
    empty = plugin_figures(json.loads(answer.content))
    assert (empty["customers"], empty["average_kbps"]) == (0, None)


# --- The staff console -------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser(username="root", password="x"))
    return client


def test_console_usage_pages_render(admin_client, plugin_customer) -> None:
    account, _ = plugin_customer
    for model in (
        "allowancestate",
        "statetransition",
        "topup",
        "periodusage",
        "upgraderecommendation",
        "importrun",
        "queuednotice",
    ):
        response = admin_client.get(reverse(f"admin:usage_{model}_changelist"))
        assert response.status_code == 200, model
    states = admin_client.get(reverse("admin:usage_allowancestate_changelist"))
    assert account.number in states.content.decode()
    run = ImportRun.objects.get()
    run_page = admin_client.get(reverse("admin:usage_importrun_change", args=[run.pk]))
    assert run_page.status_code == 200


def test_console_top_up_asks_first_then_buys(admin_client, plugin_customer) -> None:
    account, _ = plugin_customer
    state = AllowanceState.objects.get(account=account)
    url = reverse("admin:usage_allowancestate_changelist")
    form = {"action": "buy_topup", "_selected_action": [state.pk]}
    asked = admin_client.post(url, form)
    assert asked.status_code == 200
    assert TopUp.objects.count() == 0
    done = admin_client.post(url, {**form, "_confirmed": "yes"}, follow=True)
    assert f"{account.number}: topup-10gb bought, £5.00 on the next bill" in done.content.decode()
    topup = TopUp.objects.get(account=account)
    assert (topup.channel, topup.actor, topup.octets) == ("console", "root", 10 * GB)
