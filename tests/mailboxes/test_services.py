"""Mailboxes on the database: postmaster, housekeeping, limits, suspension and the log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from backhaul.catalogue.models import RuleSection
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.mailboxes import rules
from backhaul.mailboxes.models import Mailbox, MailboxEvent, MailTraffic
from backhaul.mailboxes.services import (
    mail_message_log,
    mail_traffic_log,
    mailbox_access_record,
    mailbox_create,
    mailbox_suspend,
    mailbox_unread_report,
    mailbox_unsuspend,
    mailboxes_run_day,
)
from backhaul.notices.models import Notice
from tests.domains.conftest import snapshot

pytestmark = pytest.mark.django_db

MB = 1_048_576
OPENED = date(2026, 8, 20)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def outgoing(n: int, recipients: int = 1) -> rules.MessageHeaders:
    return rules.MessageHeaders(
        message_id=f"<m{n}@linden.example.com>",
        sender="office@linden.example.com",
        recipients=tuple(f"r{k}@example.com" for k in range(recipients)),
        subject=f"Invoice {n}",
        sent_at=None,
        size_bytes=2048,
    )


def test_the_first_mailbox_brings_the_postmaster(plusnet_account, plugin_account, now) -> None:
    mailbox_create(
        account=plusnet_account,
        address="orders@kestrel.plus.com",
        username="kestrel",
        on=OPENED,
        now=now,
    )
    mailbox_create(account=plusnet_account, address="sales@kestrel.plus.com", on=OPENED, now=now)
    postmasters = list(Mailbox.objects.filter(is_postmaster=True).values_list("address", flat=True))
    # plusnet-business/broadband-schedule#5.14: postmaster@<username>.plus.com
    assert postmasters == ["postmaster@kestrel.plus.com"]
    # PlugIn's terms name no postmaster mailbox.
    mailbox_create(account=plugin_account, address="office@linden.example.com", on=OPENED, now=now)
    assert Mailbox.objects.filter(account=plugin_account).count() == 1


def test_bad_addresses_write_nothing(plusnet_account, now) -> None:
    with pytest.raises(InvalidInput, match="address: not an email address: 'nope'"):
        mailbox_create(account=plusnet_account, address="nope", on=OPENED, now=now)
    with pytest.raises(InvalidInput, match="username: 'bad name'"):
        mailbox_create(
            account=plusnet_account,
            address="a@kestrel.plus.com",
            username="bad name",
            on=OPENED,
            now=now,
        )
    assert not Mailbox.objects.exists()
    assert not MailboxEvent.objects.exists()


def test_not_accessed_for_three_months_archived_then_deleted(plusnet_account, now) -> None:
    box = mailbox_create(
        account=plusnet_account,
        address="orders@kestrel.plus.com",
        username="kestrel",
        on=OPENED,
        now=now,
    )
    postmaster = Mailbox.objects.get(is_postmaster=True)
    mailbox_access_record(mailbox=box, at=at(date(2026, 8, 31), 23), now=now)
    mailbox_access_record(mailbox=postmaster, at=at(date(2026, 11, 1)), now=now)
    # Last accessed 2026-08-31 23:00 UTC = 1 September 00:00 in London (BST): three months
    # later is 2026-12-01 (plusnet-business/broadband-schedule#5.6).
    assert mailboxes_run_day(on=date(2026, 11, 30), now=now)["archived"] == 0
    assert mailboxes_run_day(on=date(2026, 12, 1), now=now) == {
        "archived": 1,
        "deleted": 0,
        "unread_removed": 0,
    }
    box.refresh_from_db()
    assert (box.status, box.archived_on) == ("archived", date(2026, 12, 1))
    notice = Notice.objects.get(key=f"mailbox:{box.pk}:archived:2026-12-01")
    assert notice.clause.clause_id == "plusnet-business/broadband-schedule#5.6"
    assert "by 2027-01-01, we may delete all stored email" in notice.body
    # One month after the notice with no access: the stored mail is deleted.
    assert mailboxes_run_day(on=date(2026, 12, 31), now=now)["deleted"] == 0
    assert mailboxes_run_day(on=date(2027, 1, 1), now=now)["deleted"] == 1
    box.refresh_from_db()
    assert (box.status, box.deleted_on) == ("deleted", date(2027, 1, 1))
    assert Notice.objects.get(kind="mailbox.deleted").clause.clause_id == (
        "plusnet-business/broadband-schedule#5.6"
    )
    with pytest.raises(TransitionNotAllowed):
        mailbox_access_record(mailbox=box, at=at(date(2027, 1, 2)), now=now)


def test_access_after_archiving_keeps_the_mail(plusnet_account, now) -> None:
    box = mailbox_create(
        account=plusnet_account, address="orders@kestrel.plus.com", on=OPENED, now=now
    )
    mailboxes_run_day(on=date(2026, 11, 20), now=now)
    box.refresh_from_db()
    assert box.status == "archived"
    mailbox_access_record(mailbox=box, at=at(date(2026, 12, 5)), now=now)
    box.refresh_from_db()
    assert (box.status, box.archived_on) == ("active", None)
    mailboxes_run_day(on=date(2026, 12, 20), now=now)
    box.refresh_from_db()
    assert box.status == "active"
    restored = MailboxEvent.objects.get(mailbox=box, kind="restored")
    assert restored.clause.clause_id == "plusnet-business/broadband-schedule#5.6"


def test_unread_mail_over_the_limit_for_more_than_30_days_is_removed_silently(
    plusnet_account, now
) -> None:
    box = mailbox_create(
        account=plusnet_account, address="orders@kestrel.plus.com", on=OPENED, now=now
    )
    mailbox_access_record(mailbox=box, at=at(date(2026, 11, 20)), now=now)
    mailbox_unread_report(mailbox=box, unread_bytes=25 * MB, on=date(2026, 11, 1))
    box.refresh_from_db()
    assert box.unread_over_limit_since is None  # exactly 25MB is not over it
    mailbox_unread_report(mailbox=box, unread_bytes=30 * MB, on=date(2026, 11, 2))
    mailbox_unread_report(mailbox=box, unread_bytes=31 * MB, on=date(2026, 11, 10))
    box.refresh_from_db()
    assert box.unread_over_limit_since == date(2026, 11, 2)
    # Over since 11-02: on 12-02 that is 30 days, not more; removed on 12-03.
    assert mailboxes_run_day(on=date(2026, 12, 2), now=now)["unread_removed"] == 0
    assert mailboxes_run_day(on=date(2026, 12, 3), now=now)["unread_removed"] == 1
    box.refresh_from_db()
    assert (box.unread_bytes, box.unread_over_limit_since) == (0, None)
    event = MailboxEvent.objects.get(kind="unread-removed")
    assert event.clause.clause_id == "plusnet-business/broadband-schedule#5.16"
    assert event.notice is None
    # "removed without notice to you"
    assert not Notice.objects.filter(key__startswith=f"mailbox:{box.pk}:").exists()


def test_brands_without_the_rules_keep_their_mailboxes(plugin_account, now) -> None:
    box = mailbox_create(
        account=plugin_account, address="office@linden.example.com", on=OPENED, now=now
    )
    mailbox_unread_report(mailbox=box, unread_bytes=500 * MB, on=OPENED)
    for day in (date(2026, 11, 20), date(2027, 6, 1)):
        assert mailboxes_run_day(on=day, now=now) == {
            "archived": 0,
            "deleted": 0,
            "unread_removed": 0,
        }
    box.refresh_from_db()
    assert (box.status, box.unread_over_limit_since) == ("active", None)


@pytest.fixture
def send_limit_20():
    """PlugIn's daily send limit (an example of 1000 in the catalogue) set to 20, so the
    tests send 21 messages rather than 1001: the engine takes the number from the catalogue."""
    section = RuleSection.objects.get(brand__key="plugin", key="mailboxes")
    section.params = {**section.params, "daily_send_limit": 20}
    section.save()


def test_going_over_the_daily_send_limit_suspends_with_the_clause(
    plugin_account, now, send_limit_20
) -> None:
    box = mailbox_create(
        account=plugin_account, address="office@linden.example.com", on=OPENED, now=now
    )
    day = date(2026, 11, 21)
    for n in range(20):
        mail_traffic_log(mailbox=box, direction="out", headers=outgoing(n), at=at(day), now=now)
    # Received mail does not count towards the send limit.
    mail_traffic_log(mailbox=box, direction="in", headers=outgoing(99), at=at(day), now=now)
    box.refresh_from_db()
    assert box.status == "active"
    mail_traffic_log(mailbox=box, direction="out", headers=outgoing(20), at=at(day), now=now)
    box.refresh_from_db()
    assert box.status == "suspended"
    assert box.suspension_clause.clause_id == "plugin/email-terms#5"
    assert box.suspension_reason == (
        "spam-like activity: 21 messages sent in a day, over the daily send limit of 20 "
        "(plugin/email-terms#4)"
    )
    assert Notice.objects.get(kind="mailbox.suspended").clause.clause_id == "plugin/email-terms#5"


def test_the_day_is_the_london_day(plugin_account, now, send_limit_20) -> None:
    box = mailbox_create(
        account=plugin_account, address="office@linden.example.com", on=OPENED, now=now
    )
    # 10 sent at 23:30 UTC on 2026-07-01, which is 00:30 on 07-02 in London (BST), and 11
    # at 08:00 UTC on 07-02: 21 on the London day 2026-07-02.
    for n in range(10):
        mail_traffic_log(
            mailbox=box, direction="out", headers=outgoing(n),
            at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC), now=now,
        )  # fmt: skip
    for n in range(10, 21):
        mail_traffic_log(
            mailbox=box, direction="out", headers=outgoing(n),
            at=datetime(2026, 7, 2, 8, 0, tzinfo=UTC), now=now,
        )  # fmt: skip
    box.refresh_from_db()
    assert (box.status, box.suspended_on) == ("suspended", date(2026, 7, 2))
    # 20 sent at 22:30 UTC on 2026-07-03 (23:30 London) and one at 23:30 UTC (00:30 on
    # 07-04 in London): never more than 20 on one London day.
    other = mailbox_create(
        account=plugin_account, address="b@linden.example.com", on=OPENED, now=now
    )
    for n in range(20):
        mail_traffic_log(
            mailbox=other, direction="out", headers=outgoing(100 + n),
            at=datetime(2026, 7, 3, 22, 30, tzinfo=UTC), now=now,
        )  # fmt: skip
    mail_traffic_log(
        mailbox=other, direction="out", headers=outgoing(200),
        at=datetime(2026, 7, 3, 23, 30, tzinfo=UTC), now=now,
    )  # fmt: skip
    other.refresh_from_db()
    assert other.status == "active"


def test_a_message_over_the_recipient_cap_suspends(plugin_account, now) -> None:
    box = mailbox_create(
        account=plugin_account, address="office@linden.example.com", on=OPENED, now=now
    )
    mail_traffic_log(mailbox=box, direction="out", headers=outgoing(1, 100), at=at(OPENED), now=now)
    box.refresh_from_db()
    assert box.status == "active"
    mail_traffic_log(mailbox=box, direction="out", headers=outgoing(2, 101), at=at(OPENED), now=now)
    box.refresh_from_db()
    assert box.status == "suspended"
    assert "over the recipient cap of 100" in box.suspension_reason
    mailbox_unsuspend(mailbox=box, on=OPENED, now=now, reason="customer explained")
    box.refresh_from_db()
    assert (box.status, box.suspension_clause) == ("active", None)


def test_plusnet_mailboxes_have_no_sending_limits(plusnet_account, now) -> None:
    box = mailbox_create(
        account=plusnet_account, address="orders@kestrel.plus.com", on=OPENED, now=now
    )
    mail_traffic_log(
        mailbox=box, direction="out", headers=outgoing(1, 5000), at=at(OPENED), now=now
    )
    box.refresh_from_db()
    assert box.status == "active"


def test_the_abuse_desk_can_suspend_with_its_own_clause(plusnet_account, now) -> None:
    box = mailbox_create(
        account=plusnet_account, address="orders@kestrel.plus.com", on=OPENED, now=now
    )
    mailbox_suspend(
        mailbox=box,
        reason="spam reported with full headers",
        clause_id="plusnet-business/broadband-schedule#5.17",
        on=OPENED,
        now=now,
    )
    again = mailbox_suspend(
        mailbox=box,
        reason="again",
        clause_id="plusnet-business/broadband-schedule#5.17",
        on=OPENED,
        now=now,
    )
    assert again.suspension_reason == "spam reported with full headers"
    assert MailboxEvent.objects.filter(kind="suspended").count() == 1


def test_the_traffic_log_keeps_headers_and_never_a_body(plugin_account, now) -> None:
    box = mailbox_create(
        account=plugin_account, address="office@linden.example.com", on=OPENED, now=now
    )
    raw = (
        b"Message-ID: <x1@linden.example.com>\r\nFrom: office@linden.example.com\r\n"
        b"To: client@example.com\r\nSubject: Your accounts\r\n"
        b"Date: Fri, 20 Nov 2026 16:00:00 +0000\r\n\r\nSECRET-BODY-TEXT balance sheet\r\n"
    )
    entry, created = mail_message_log(
        mailbox=box, direction="out", raw=raw, at=at(date(2026, 11, 20), 16), now=now
    )
    assert created
    again, created_again = mail_message_log(
        mailbox=box, direction="out", raw=raw, at=at(date(2026, 11, 20), 16), now=now
    )
    assert (again.pk, created_again) == (entry.pk, False)
    # What the model can store: these header fields and nothing that could hold a body.
    assert {f.name for f in MailTraffic._meta.get_fields()} == {
        "id", "mailbox", "direction", "at", "message_id", "sender", "recipients",
        "recipient_count", "subject", "dated", "size_bytes", "status", "queue_id",
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {MailTraffic._meta.db_table}")  # noqa: S608
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert "SECRET" not in repr(rows)
    assert (entry.subject, entry.recipients, entry.size_bytes) == (
        "Your accounts",
        "client@example.com",
        len(raw),
    )


def test_replaying_a_range_twice_changes_nothing_and_sends_each_notice_once(
    plusnet_account, plugin_account, now
) -> None:
    kept = mailbox_create(
        account=plusnet_account,
        address="orders@kestrel.plus.com",
        username="kestrel",
        on=OPENED,
        now=now,
    )
    quiet = mailbox_create(
        account=plusnet_account, address="old@kestrel.plus.com", on=OPENED, now=now
    )
    mailbox_create(account=plugin_account, address="office@linden.example.com", on=OPENED, now=now)
    mailbox_unread_report(mailbox=kept, unread_bytes=40 * MB, on=date(2026, 10, 1))
    first, middle, last = date(2026, 10, 1), date(2026, 11, 25), date(2027, 1, 10)

    def tick(start: date, end: date) -> None:
        call_command(
            "tick",
            "--on",
            str(start),
            "--to",
            str(end),
            "--job",
            "mailboxes.housekeeping",
            "--json",
        )

    tick(first, middle)
    mailbox_access_record(mailbox=kept, at=at(date(2026, 11, 26)), now=now)
    tick(middle + timedelta(days=1), last)
    models = [Mailbox, MailboxEvent, MailTraffic, Notice]
    state = snapshot(models)
    sent = len(mail.outbox)
    tick(first, last)
    tick(first, last)
    assert snapshot(models) == state
    assert len(mail.outbox) == sent == Notice.objects.count()
    events = list(
        MailboxEvent.objects.filter(lifecycle=True)
        .order_by("on", "mailbox__address")
        .values_list("mailbox__address", "kind", "on")
    )
    # Unread over the limit since 10-01: removed on 11-01 (more than 30 days). Not
    # accessed since 08-20: archived on 11-20; "kept" accessed 11-26 and restored; the
    # other two deleted one month after their notice, on 12-20.
    assert events == [
        ("orders@kestrel.plus.com", "unread-removed", date(2026, 11, 1)),
        ("old@kestrel.plus.com", "archived", date(2026, 11, 20)),
        ("orders@kestrel.plus.com", "archived", date(2026, 11, 20)),
        ("postmaster@kestrel.plus.com", "archived", date(2026, 11, 20)),
        ("old@kestrel.plus.com", "deleted", date(2026, 12, 20)),
        ("postmaster@kestrel.plus.com", "deleted", date(2026, 12, 20)),
    ]
    quiet.refresh_from_db()
    kept.refresh_from_db()
    assert (quiet.status, kept.status) == ("deleted", "active")
    assert sorted(Notice.objects.values_list("kind", flat=True)) == [
        "mailbox.archived", "mailbox.archived", "mailbox.archived",
        "mailbox.deleted", "mailbox.deleted",
    ]  # fmt: skip
