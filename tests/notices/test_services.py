"""Notices go once per key to the address on file, and the proof is kept."""

from __future__ import annotations

import pytest
from django.core import mail

from backhaul.customers.services import account_create
from backhaul.notices.models import Notice
from backhaul.notices.services import notice_send

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
