"""`backhaul tick` over the domain, mailbox and package jobs together: replaying a range of
days twice leaves the same state and sends each notice once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from backhaul.billing.models import PendingCharge
from backhaul.customers.services import account_create
from backhaul.domains.models import Domain, DomainEvent
from backhaul.domains.services import domain_register
from backhaul.hosting.models import AupFlag, Package, PackageEvent
from backhaul.hosting.services import package_order
from backhaul.mailboxes.models import Mailbox, MailboxEvent, MailTraffic
from backhaul.mailboxes.services import mailbox_access_record, mailbox_create
from backhaul.notices.models import Notice
from tests.domains.conftest import snapshot

pytestmark = pytest.mark.django_db

JOBS = ["domains.lifecycle", "mailboxes.housekeeping", "hosting.renewals"]
MODELS = [
    Domain,
    DomainEvent,
    Mailbox,
    MailboxEvent,
    MailTraffic,
    Package,
    PackageEvent,
    AupFlag,
    PendingCharge,
    Notice,
]


def tick(first: date, last: date) -> dict:
    out = StringIO()
    options = [arg for job in JOBS for arg in ("--job", job)]
    call_command("tick", "--on", str(first), "--to", str(last), *options, "--json", stdout=out)
    return json.loads(out.getvalue())["days"]


def test_three_areas_replayed_twice(plugin_account, now) -> None:
    plusnet = account_create(
        brand_key="plusnet-business", name="Sefton Joinery", email="a@sefton.example.com", now=now
    )
    domain_register(
        account=plugin_account, name="foxley.co.uk", on=date(2026, 11, 21),
        expiry=date(2027, 1, 10), now=now,
    )  # fmt: skip
    package_order(account=plugin_account, product_key="hosting", on=date(2026, 11, 21), now=now)
    box = mailbox_create(
        account=plusnet, address="info@sefton.plus.com", username="sefton",
        on=date(2026, 9, 1), now=now,
    )  # fmt: skip
    mailbox_access_record(mailbox=box, at=datetime(2026, 9, 15, 12, tzinfo=UTC), now=now)

    first, last = date(2026, 11, 25), date(2027, 1, 15)
    days = tick(first, last)
    assert days["2026-12-07"]["hosting.renewals"]["invoiced"] == 1
    assert days["2026-11-25"]["domains.lifecycle"]["reminders"] == 1  # reminder-60, late
    assert days["2027-01-10"]["domains.lifecycle"]["expired"] == 1
    assert days["2026-12-01"]["mailboxes.housekeeping"]["archived"] == 1  # the postmaster
    state = snapshot(MODELS)
    sent = len(mail.outbox)
    replayed = tick(first, last)
    assert all(
        count == 0
        for jobs in replayed.values()
        for counts in jobs.values()
        for count in counts.values()
    )
    tick(first, last)
    assert snapshot(MODELS) == state
    assert len(mail.outbox) == sent == Notice.objects.count()
    # No notice was sent twice under different keys either.
    assert len(set(Notice.objects.values_list("account", "kind", "subject"))) == sent
