"""Member Centre support pages and the staff console queue: what each person may see and do."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backhaul.console.confirm import CONFIRM_FIELD, CONFIRMED
from backhaul.customers.models import CustomerUser
from backhaul.support.choices import ClaimStatus, EventType, TicketState
from backhaul.support.models import Claim, Ticket, TicketAttachment
from backhaul.support.services import ticket_event_add
from tests.support.factories import fault, london, plugin_line, plusnet_enhanced

pytestmark = pytest.mark.django_db
#: Console changes are confirmed first; tests post the confirmation with the form.
YES = {CONFIRM_FIELD: CONFIRMED}


def sign_in(client, account, username: str = "pat") -> User:
    user = User.objects.create_user(username=username, password="not-used-here")
    CustomerUser.objects.create(user=user, account=account)
    client.force_login(user)
    return user


@pytest.fixture
def customer(client):
    account, line = plusnet_enhanced()
    sign_in(client, account)
    return account, line


def test_raise_form_shows_errors_next_to_each_field(client, customer) -> None:
    page = client.get(reverse("support:ticket-new"))
    assert page.status_code == 200
    assert "Report a fault" in page.content.decode()
    response = client.post(reverse("support:ticket-new"), {"category": "fault", "subject": ""})
    html = response.content.decode()
    assert response.status_code == 200
    # Each error sits inside the field's block, just before its input.
    for field in ("subject", "description", "subscription"):
        block = re.search(
            rf'<label for="id_{field}">.*?<ul class="errorlist" role="alert" '
            rf'id="id_{field}-errors">(.*?)</ul>',
            html,
            re.S,
        )
        assert block is not None, field
    assert "Choose the service that has the fault." in html
    assert Ticket.objects.count() == 0


def test_raise_a_fault_with_an_attachment(client, customer) -> None:
    account, line = customer
    with time_machine.travel(london(2026, 11, 2, 9), tick=False):
        response = client.post(
            reverse("support:ticket-new"),
            {
                "category": "fault",
                "subscription": line.pk,
                "subject": "No sync light",
                "description": "Red light since 7am.",
                "contact": account.contacts.get().pk,
                "attachments": [SimpleUploadedFile("router.jpg", b"\xff\xd8jpeg", "image/jpeg")],
            },
        )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:ticket", args=[ticket.reference])
    attachment = TicketAttachment.objects.get()
    download = client.get(reverse("support:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content if download.streaming else [download.content]) == (
        b"\xff\xd8jpeg"
    )
    assert 'filename="router.jpg"' in download["Content-Disposition"]


def test_ticket_page_draws_each_clock_as_a_bar_with_text(client, customer) -> None:
    account, line = customer
    ticket = fault(account, line, london(2026, 11, 2, 9))
    with time_machine.travel(london(2026, 11, 2, 9, 45), tick=False):
        html = client.get(reverse("support:ticket", args=[ticket.reference])).content.decode()
    # 45 of the 60 working minutes used: the bar is 75% wide and says so in words.
    assert '<rect class="used-warn" x="0" y="0" width="75" height="10">' in html
    assert "Response: 45 min of 1 h working time used, 15 min left (running)." in html
    assert 'role="img" aria-labelledby="clock-PB-T000001-0"' in html
    with time_machine.travel(london(2026, 11, 3, 9), tick=False):
        html = client.get(reverse("support:tickets")).content.decode()
    # Next morning, Tue 09:00: Mon 09:00-20:00 (11 h) and Tue 08:00-09:00 (1 h) are 12
    # working hours of the 1-hour response: 11 h over, a full red bar.
    assert '<rect class="used-bad" x="0" y="0" width="100" height="10">' in html
    assert "Response: 12 h of 1 h working time used, 11 h over (missed)." in html


def test_customer_confirms_and_claims(client, customer) -> None:
    account, line = customer
    ticket = fault(account, line, london(2026, 11, 2, 9))
    ticket_event_add(ticket=ticket, type=EventType.RESPONDED, at=london(2026, 11, 2, 11), actor="S")
    ticket.refresh_from_db()
    ticket_event_add(ticket=ticket, type=EventType.RESOLVED, at=london(2026, 11, 2, 15), actor="S")
    with time_machine.travel(london(2026, 11, 3, 9), tick=False):
        page = client.get(reverse("support:ticket", args=[ticket.reference])).content.decode()
        assert "You can claim a service credit until 9 November 2026" in page
        client.post(reverse("support:ticket-confirm", args=[ticket.reference]))
        response = client.post(reverse("support:ticket-claim", args=[ticket.reference]))
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert response["Location"] == reverse("support:claims")
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.PENDING
    claims_page = client.get(reverse("support:claims")).content.decode()
    assert "Awaiting a decision" in claims_page
    assert "plusnet-business/broadband-schedule#7.19" in claims_page


def test_customers_never_reach_another_accounts_tickets(client, customer) -> None:
    other_account, other_line = plugin_line()
    theirs = fault(other_account, other_line, london(2026, 11, 2, 9))
    attachment_ticket = theirs.messages.get()
    assert client.get(reverse("support:ticket", args=[theirs.reference])).status_code == 404
    response = client.post(reverse("support:ticket-reply", args=[theirs.reference]), {"body": "x"})
    assert response.status_code == 404
    assert client.post(reverse("support:ticket-claim", args=[theirs.reference])).status_code == 404
    listing = client.get(reverse("support:tickets")).content.decode()
    assert theirs.reference not in listing
    assert attachment_ticket.ticket == theirs


def test_menu_and_who_may_see_the_pages(client, customer) -> None:
    home = client.get(reverse("portal:member-home")).content.decode()
    assert f'href="{reverse("support:tickets")}"' in home
    assert f'href="{reverse("support:claims")}"' in home
    client.logout()
    assert client.get(reverse("support:tickets")).status_code == 302
    staff = User.objects.create_user(username="sam", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("support:tickets")).status_code == 403


def test_console_queue_shows_time_left_and_breaches(client) -> None:
    account, line = plusnet_enhanced()
    late = fault(account, line, london(2026, 11, 2, 9), subject="Late one")
    fresh = fault(account, line, london(2026, 11, 3, 8, 30), subject="Fresh one")
    admin_user = User.objects.create_superuser(username="boss", password="x")
    client.force_login(admin_user)
    with time_machine.travel(london(2026, 11, 3, 9), tick=False):
        html = client.get(reverse("admin:support_ticket_queue")).content.decode()
        listing = client.get(reverse("admin:support_ticket_changelist")).content.decode()
        act = client.get(reverse("admin:support_ticket_act", args=[late.pk]))
    # The breached ticket comes first; the fresh one has 30 of its 60 minutes left.
    assert html.index(late.reference) < html.index(fresh.reference)
    assert "breached</strong> by 11 h" in html
    assert "30 min left (due Tue 03 Nov 09:30)" in html
    assert "breached</strong> by 11 h" in listing
    assert act.status_code == 200


def test_staff_raise_a_ticket_from_a_call_and_resolve_it(client) -> None:
    account, line = plusnet_enhanced()
    admin_user = User.objects.create_superuser(username="boss", password="x")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:support_ticket_raise"),
        {
            "account": account.number,
            "category": "fault",
            "subscription": line.pk,
            "subject": "Caller reports no sync",
            "description": "Router shows red.",
            **YES,
        },
    )
    ticket = Ticket.objects.get()
    assert (ticket.raised_via, ticket.raised_by) == ("phone", "boss")
    assert response["Location"] == reverse("admin:support_ticket_act", args=[ticket.pk])
    paused = client.post(
        reverse("admin:support_ticket_act", args=[ticket.pk]),
        {"action": "pause", "reason": "", "body": "", **YES},
    )
    # The service's error sits next to the field it names.
    assert re.search(
        r'<label for="id_reason".*?<ul class="errorlist" role="alert"[^>]*>'
        r"<li>A pause needs one of",
        paused.content.decode(),
        re.S,
    )
    client.post(
        reverse("admin:support_ticket_act", args=[ticket.pk]),
        {"action": "resolve", "reason": "", "body": "Fixed at the exchange.", **YES},
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.first_response_at is not None) == ("resolved", True)
