"""The daily retention job: delete or anonymise past the schedule, legal hold, replay."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backhaul.billing.models import Invoice
from backhaul.customers.models import Account
from backhaul.notices.services import notice_send
from backhaul.privacy.jobs import DAILY_JOBS
from backhaul.privacy.models import RetentionLog
from backhaul.privacy.retention import ANONYMISED, retention_apply
from backhaul.privacy.services import legal_hold_place, legal_hold_release

pytestmark = pytest.mark.django_db

ON = date(2026, 3, 16)


def old_invoice(demo: list[Account]) -> Invoice:
    invoice = Invoice.objects.filter(account__brand__key="plusnet-business").first()
    assert invoice is not None
    # Issued 2020-03-15 10:00 UTC: 72 months (invoices kept six years) end on 2020-03-16.
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=datetime(2020, 3, 15, 10, tzinfo=UTC))
    return invoice


def test_invoice_is_anonymised_after_six_years_and_replay_changes_nothing(
    demo: list[Account], now: datetime
) -> None:
    invoice = old_invoice(demo)
    kept = Invoice.objects.exclude(pk=invoice.pk).values_list("customer_name", flat=True)
    kept_before = list(kept)
    assert retention_apply(on=date(2026, 3, 15), now=now) == {}
    counts = retention_apply(on=ON, now=now)
    assert counts == {"invoices:billing.Invoice:anonymise": 1}
    invoice.refresh_from_db()
    assert (invoice.customer_name, invoice.customer_address, invoice.customer_email) == (
        ANONYMISED,
        "",
        "",
    )
    assert invoice.total is not None and invoice.number
    assert list(kept) == kept_before
    assert retention_apply(on=ON, now=now) == {}
    assert RetentionLog.objects.count() == 1


def test_legal_hold_keeps_everything_until_released(demo: list[Account], now: datetime) -> None:
    invoice = old_invoice(demo)
    hold = legal_hold_place(
        account=invoice.account, reason="police request", placed_by="dpo",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert retention_apply(on=ON, now=now) == {}
    legal_hold_release(hold=hold, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert retention_apply(on=ON, now=now) == {"invoices:billing.Invoice:anonymise": 1}


def test_notices_follow_their_own_schedule(demo: list[Account], now: datetime) -> None:
    account = demo[0]
    old = notice_send(
        key="old", kind="general", subject="Old", body="Dear customer", account=account,
        now=datetime(2024, 3, 15, 9, tzinfo=UTC),
    )  # fmt: skip
    new = notice_send(
        key="new", kind="general", subject="New", body="Dear customer", account=account,
        now=datetime(2024, 3, 16, 9, tzinfo=UTC),
    )  # fmt: skip
    # Notices are kept 24 months: on 2026-03-16 the cutoff is 2024-03-16.
    counts = retention_apply(on=ON, now=now)
    assert counts.get("notices:notices.Notice:anonymise") == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.body, old.recipient) == (ANONYMISED, "")
    assert new.body.strip() == "Dear customer"


def test_daily_jobs_are_registered() -> None:
    assert {job.name for job in DAILY_JOBS} == {"privacy-purposes", "privacy-retention"}
