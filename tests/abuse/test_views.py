"""The public report form, the customer's case pages and the staff console."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from backhaul.abuse.models import Case, IntakeMessage, Report
from backhaul.abuse.services import RawItem, case_take_step, report_release_reporter, reports_ingest
from backhaul.customers.models import CustomerUser
from backhaul.notices.models import Notice
from tests.abuse.conftest import fixture

pytestmark = pytest.mark.django_db


def ingest(now, *names: str) -> None:
    reports_ingest(
        items=[RawItem(fixture(name), name) for name in names], channel="import", now=now
    )


def customer(account) -> User:
    user = User.objects.create_user(username=account.primary_email, password="x" * 12)
    CustomerUser.objects.create(user=user, account=account)
    return user


@pytest.fixture
def staff():
    return User.objects.create_superuser(username="eve", password="x" * 12)


FORM = {
    "brand": "plusnet-business",
    "reporter_name": "Ivy",
    "reporter_email": "ivy@example.org",
    "category": "port-scan",
    "ip": "192.0.2.10",
    "port": "",
    "incident_at": "2026-11-20T09:15",
    "details": "Port scan against our office from 192.0.2.10.",
    "headers": "",
    "website": "",
}


def test_anyone_can_report_without_signing_in(client, network) -> None:
    page = client.get(reverse("abuse:report"))
    assert page.status_code == 200
    assert 'name="reporter_email"' in page.content.decode()
    response = client.post(reverse("abuse:report"), FORM)
    assert response.status_code == 200
    message = IntakeMessage.objects.get()
    body = response.content.decode()
    assert message.reference in body
    assert "Calder" not in body
    # 09:15 UK time on 20 November is 09:15 UTC (GMT): Calder held the address then.
    report = message.reports.get()
    assert (report.account, report.case.category) == (network["calder"], "port-scan")
    assert Notice.objects.get().recipient == "ivy@example.org"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"incident_at": "2030-01-01T00:00"}, "That time is in the future."),
        ({"reporter_email": "not-an-address"}, "Enter a valid email address."),
        ({"ip": "999.1.1.1"}, "Enter a valid IPv4 or IPv6 address."),
        ({"website": "http://spam.example"}, "The report could not be accepted."),
    ],
)
def test_bad_form_input_is_shown_in_place(client, network, change, error) -> None:
    response = client.post(reverse("abuse:report"), {**FORM, **change})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert IntakeMessage.objects.count() == 0


def test_case_pages_need_a_customer(client, network, staff) -> None:
    listing = reverse("abuse:case-list")
    response = client.get(listing)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    client.force_login(staff)
    assert client.get(listing).status_code == 403


def test_a_customer_sees_their_own_cases_without_the_reporter(client, network, now) -> None:
    ingest(now, "plain-spam-headers.eml", "arf-received-date.eml")
    calder, elmfield = network["calder"], network["elmfield"]
    own, other = Case.objects.get(account=calder), Case.objects.get(account=elmfield)
    case_take_step(case_id=own.pk, now=now, actor="eve")
    client.force_login(customer(calder))
    listing = client.get(reverse("abuse:case-list")).content.decode()
    assert own.reference in listing and other.reference not in listing
    detail = client.get(reverse("abuse:case-detail", args=[own.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "192.0.2.10" in page
    assert "Withheld: reports are confidential" in page
    assert "alice@reporter.example.org" not in page and "Alice" not in page
    assert "This breaks plusnet-business/abuse-faq#what-is-abuse" in page  # the notice
    assert client.get(reverse("abuse:case-detail", args=[other.pk])).status_code == 404

    report_release_reporter(report_id=Report.objects.get(case=own).pk, now=now, actor="eve")
    released = client.get(reverse("abuse:case-detail", args=[own.pk])).content.decode()
    assert "Alice Reporter" in released


def test_a_customer_answers_a_case(client, network, now) -> None:
    ingest(now, "arf-lf.eml")
    case = Case.objects.get()
    client.force_login(customer(network["calder"]))
    url = reverse("abuse:case-detail", args=[case.pk])
    empty = client.post(url, {"text": ""})
    assert "This field is required." in empty.content.decode()
    response = client.post(url, {"text": "The infected PC is off the network."})
    assert response.status_code == 302
    assert case.answers.get().text == "The infected PC is off the network."


def test_console_queue_filters_and_bulk_resolve(client, network, now, staff) -> None:
    ingest(now, "arf-lf.eml", "xarf-0.1.eml", "arf-received-date.eml")
    client.force_login(staff)
    changelist = reverse("admin:abuse_case_changelist")
    for query in ("", "?category=spam", "?status=open", "?age=1", "?age=older", "?q=PB000001"):
        assert client.get(changelist + query).status_code == 200, query
    spam = Case.objects.filter(category="spam").values_list("pk", flat=True)
    chosen = {"action": "mark_resolved", "_selected_action": list(spam)}
    asked = client.post(changelist, chosen)
    assert asked.status_code == 200
    assert set(Case.objects.filter(pk__in=spam).values_list("status", flat=True)) == {"open"}
    response = client.post(changelist, {**chosen, "_confirmed": "yes"}, follow=True)
    assert response.status_code == 200
    assert set(Case.objects.filter(pk__in=spam).values_list("status", flat=True)) == {"resolved"}
    assert [str(m) for m in response.context["messages"]] == ["2 case(s) now resolved."]


def test_console_pages(client, network, now, staff) -> None:
    ingest(now, "arf-received-date.eml", "plain-spam-no-headers.eml")
    client.force_login(staff)
    case = Case.objects.get()
    for url in (
        reverse("admin:abuse_case_statistics"),
        reverse("admin:abuse_case_change", args=[case.pk]),
        reverse("admin:abuse_case_choose_step", args=[case.pk]),
        reverse("admin:abuse_case_disclose", args=[case.pk]),
        reverse("admin:abuse_report_add"),
        reverse("admin:abuse_report_changelist") + "?evidence_status=needs-headers",
        reverse("admin:abuse_intakemessage_change", args=[IntakeMessage.objects.first().pk]),
    ):
        assert client.get(url).status_code == 200, url

    step = client.post(
        reverse("admin:abuse_case_choose_step", args=[case.pk]),
        {"step": "warning", "confirm": "on", "_confirmed": "yes"},
    )
    assert step.status_code == 302
    assert case.actions.get().kind == "warning"
    disclosed = client.post(
        reverse("admin:abuse_case_disclose", args=[case.pk]),
        {
            "authority": "Example Police",
            "legal_basis": "court-order",
            "reference": "",
            "detail": "name",
            "_confirmed": "yes",
        },
    )
    assert disclosed.status_code == 302
    assert case.actions.filter(kind="disclosure").count() == 1


def test_staff_entry_in_the_console(client, network, staff) -> None:
    client.force_login(staff)
    response = client.post(
        reverse("admin:abuse_report_add"),
        {
            **FORM,
            "brand": "plugin",
            "reporter_email": "",
            "category": "harassment",
            "ip": "",
            "account": network["greyfriars"].number,
        },
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.message.channel, report.resolution, report.case.account) == (
        "staff",
        "assigned",
        network["greyfriars"],
    )
    assert Notice.objects.count() == 0


def test_console_assigns_an_unresolved_report(client, network, now, staff) -> None:
    reports_ingest(
        items=[RawItem(fixture("shadowserver.csv"), "shadowserver.csv", "csv")],
        channel="import",
        now=now,
    )
    waiting = Report.objects.get(resolution="no-holder")
    client.force_login(staff)
    response = client.post(
        reverse("admin:abuse_report_change", args=[waiting.pk]),
        {"assign_account": network["dunmore"].number, "set_category": ""},
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.account, waiting.case.category) == (network["dunmore"], "intrusion-attempt")
    assert timezone.is_aware(waiting.case.opened_at)


def test_console_pages_need_the_abuse_permissions(client, network, now) -> None:
    ingest(now, "arf-lf.eml")
    case = Case.objects.get()
    clerk = User.objects.create_user(username="clerk", password="x" * 12, is_staff=True)
    client.force_login(clerk)
    for url in (
        reverse("admin:abuse_case_statistics"),
        reverse("admin:abuse_case_choose_step", args=[case.pk]),
    ):
        assert client.get(url).status_code == 403, url
