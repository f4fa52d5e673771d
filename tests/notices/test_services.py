"""Notices go once per key to the address on file, and the proof is kept."""

from __future__ import annotations

from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backhaul.catalogue.models import Brand
from backhaul.core.errors import NotFound
from backhaul.customers.services import account_create
from backhaul.notices.models import Notice
from backhaul.notices.services import NoticeDraft, notice_send, notices_send_many

pytestmark = pytest.mark.django_db


def test_notice_is_sent_once_and_quotes_its_clause(now) -> None:
    account = account_create(
        brand_key="plugin", name="Ella Evans", email="ella@example.com", kind="residential", now=now
    )
    first = notice_send(
        key="test:price-change:1",
        kind="change-of-terms",
        account=account,
        subject="Changes to your prices",
        body="Your prices change on 1 Jan.",
        clause_id="plugin/general-terms#rule-1",
        now=now,
    )
    again = notice_send(
        key="test:price-change:1",
        kind="change-of-terms",
        account=account,
        subject="Changes to your prices",
        body="Your prices change on 1 Jan.",
        clause_id="plugin/general-terms#rule-1",
        now=now,
    )
    assert again.pk == first.pk
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ella@example.com"]
    assert "This notice is given under plugin/general-terms#rule-1" in sent.body
    assert first.clause_text in sent.body
    assert first.clause_text.startswith("We will notify you within 30 days")
    assert sent.extra_headers["Message-ID"] == first.message_id
    assert Notice.objects.filter(account=account).count() == 1
    assert first.status == "sent"


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses one address and takes the rest (kept in `mail.outbox`)."""

    connections = 0

    def open(self) -> bool:
        type(self).connections += 1
        return True

    def send_messages(self, messages) -> int:  # type: ignore[no-untyped-def]
        for message in messages:
            if "refused@example.com" in message.to:
                raise SMTPRecipientsRefused({"refused@example.com": (550, b"no such user")})
            mail.outbox.append(message)
        return len(messages)


def draft(number: int, **changes) -> NoticeDraft:  # type: ignore[no-untyped-def]
    fields = {
        "key": f"test:bulk:{number}",
        "kind": "test.bulk",
        "subject": f"Notice {number}",
        "body": f"Notice number {number}.\n\n",
        "recipient": f"person{number}@example.com",
        "clause_id": "plugin/general-terms#rule-1",
    }
    fields.update(changes)
    return NoticeDraft(**fields)


def test_many_notices_read_as_one_by_one_and_each_key_is_sent_once(now) -> None:
    plugin = Brand.objects.get(key="plugin")
    account = account_create(
        brand_key="plugin", name="Ella Evans", email="ella@example.com", kind="residential", now=now
    )
    alone = notice_send(
        key="test:bulk:alone",
        kind="test.bulk",
        brand=plugin,
        recipient="person1@example.com",
        subject="Notice 1",
        body="Notice number 1.\n\n",
        clause_id="plugin/general-terms#rule-1",
        now=now,
    )
    earlier = notice_send(
        key="test:bulk:2", kind="test.bulk", brand=plugin, subject="Old", body="Old.", now=now
    )
    mail.outbox.clear()
    notices = notices_send_many(
        drafts=[
            draft(1, brand=plugin),
            draft(2, brand=plugin),  # sent before: nothing sent, the stored one returned
            draft(3, account=account, recipient=None, clause_id=None),  # to the address on file
            draft(1, brand=plugin, subject="Again"),  # the same key twice in one go
            draft(4, brand=plugin, recipient=""),  # nowhere to send it
        ],
        now=now,
    )
    first, second, third, repeat, fourth = notices
    assert [m.to for m in mail.outbox] == [["person1@example.com"], ["ella@example.com"]]
    assert second.pk == earlier.pk and second.subject == "Old"
    assert repeat is first
    assert Notice.objects.filter(key__startswith="test:bulk:").count() == 5
    # The first reads exactly as `notice_send` writes the same notice.
    assert (first.body, first.clause_text, first.status, first.recipient) == (
        alone.body,
        alone.clause_text,
        "sent",
        "person1@example.com",
    )
    assert first.body == "Notice number 1.\n\nThis notice is given under " + (
        f"plugin/general-terms#rule-1:\n\n{alone.clause_text}\n"
    )
    assert mail.outbox[0].body == first.body
    assert mail.outbox[0].extra_headers == {
        "Message-ID": first.message_id,
        "X-Backhaul-Notice": "test:bulk:1",
    }
    assert (third.account, third.recipient, third.body, third.clause) == (
        account,
        "ella@example.com",
        "Notice number 3.\n",
        None,
    )
    assert (fourth.status, fourth.message_id) == ("no-address", "")
    assert all(n.pk is not None for n in notices)
    assert Notice.objects.get(key="test:bulk:1").message_id == first.message_id


def test_sending_many_takes_the_same_queries_for_two_notices_as_for_six(now) -> None:
    plugin = Brand.objects.get(key="plugin")
    counts = []
    for numbers in (range(10, 12), range(20, 26)):
        with CaptureQueriesContext(connection) as queries:
            notices_send_many(drafts=[draft(n, brand=plugin) for n in numbers], now=now)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert len(mail.outbox) == 8


def test_a_refused_notice_is_kept_as_failed_and_the_others_still_go(now, settings) -> None:
    settings.EMAIL_BACKEND = "tests.notices.test_services.RefusingBackend"
    RefusingBackend.connections = 0
    plugin = Brand.objects.get(key="plugin")
    notices = notices_send_many(
        drafts=[
            draft(1, brand=plugin),
            draft(2, brand=plugin, recipient="refused@example.com"),
            draft(3, brand=plugin),
        ],
        now=now,
    )
    assert [n.status for n in notices] == ["sent", "failed", "sent"]
    assert notices[1].message_id == "" and "no such user" in notices[1].error
    assert [m.to for m in mail.outbox] == [["person1@example.com"], ["person3@example.com"]]
    # One connection for the lot, and a fresh one after the refusal.
    assert RefusingBackend.connections == 2
    stored = Notice.objects.get(key="test:bulk:2")
    assert (stored.status, stored.recipient) == ("failed", "refused@example.com")


def test_an_unknown_clause_sends_nothing(now) -> None:
    plugin = Brand.objects.get(key="plugin")
    with pytest.raises(NotFound, match="plugin/no-such-clause"):
        notices_send_many(
            drafts=[
                draft(1, brand=plugin),
                draft(2, brand=plugin, clause_id="plugin/no-such-clause"),
            ],
            now=now,
        )
    assert mail.outbox == []
    assert not Notice.objects.filter(key__startswith="test:bulk:").exists()


def test_a_draft_needs_an_account_or_a_brand(now) -> None:
    with pytest.raises(ValueError, match="account or a brand"):
        notices_send_many(drafts=[draft(1)], now=now)
    assert mail.outbox == []
