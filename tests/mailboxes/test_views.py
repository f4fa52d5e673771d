"""Member Centre and console pages for mailboxes: a customer sees only their own."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from backhaul.mailboxes import rules
from backhaul.mailboxes.models import Mailbox
from backhaul.mailboxes.services import mail_traffic_log, mailbox_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def boxes(plusnet_account, plugin_account, now):
    mine = mailbox_create(
        account=plusnet_account, address="orders@kestrel.plus.com", username="kestrel",
        on=date(2026, 11, 1), now=now,
    )  # fmt: skip
    theirs = mailbox_create(
        account=plugin_account, address="office@linden.example.com", on=date(2026, 11, 1), now=now
    )
    mail_traffic_log(
        mailbox=mine,
        direction="in",
        headers=rules.MessageHeaders(
            message_id="<1@example.com>",
            sender="supplier@example.com",
            recipients=("orders@kestrel.plus.com",),
            subject="Flour delivery",
            sent_at=None,
            size_bytes=4096,
        ),
        at=datetime(2026, 11, 20, 8, tzinfo=UTC),
        now=now,
    )
    return mine, theirs


def test_list_and_detail_show_my_mailboxes_only(customer_client, boxes) -> None:
    mine, theirs = boxes
    page = customer_client.get(reverse("mailboxes:list")).content.decode()
    assert "orders@kestrel.plus.com" in page and "postmaster@kestrel.plus.com" in page
    assert "office@linden.example.com" not in page
    assert "not accessed for 3 months is archived" in page
    assert "25MB of unread email" in page
    detail = customer_client.get(reverse("mailboxes:detail", args=[mine.pk])).content.decode()
    assert "Flour delivery" in detail and "supplier@example.com" in detail
    assert customer_client.get(reverse("mailboxes:detail", args=[theirs.pk])).status_code == 404


def test_console_pages_render_and_lift_a_suspension(client, boxes, now) -> None:
    from backhaul.mailboxes.services import mailbox_suspend

    mine, _ = boxes
    mailbox_suspend(
        mailbox=mine,
        reason="spam reported",
        clause_id="plusnet-business/broadband-schedule#5.17",
        on=date(2026, 11, 21),
        now=now,
    )
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x-not-used-1"))
    for name, pk in (("mailbox", mine.pk), ("mailtraffic", mine.traffic.get().pk)):
        assert client.get(reverse(f"admin:mailboxes_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:mailboxes_{name}_change", args=[pk])).status_code == 200
    client.post(
        reverse("admin:mailboxes_mailbox_changelist"),
        {"action": "lift_suspension", "_selected_action": [mine.pk], "_confirmed": "yes"},
    )
    assert Mailbox.objects.get(pk=mine.pk).status == "active"
