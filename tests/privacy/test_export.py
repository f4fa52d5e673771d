"""The subject access export holds every registered personal field of the account."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import Any

import pytest

from backhaul.customers.models import Account
from backhaul.network.services import login_create
from backhaul.notices.services import notice_send
from backhaul.privacy.choices import ConsentChannel, DisclosureBasis, RecipientKind
from backhaul.privacy.export import export_build
from backhaul.privacy.models import Disclosure
from backhaul.privacy.register import REGISTER, SECRET_TEXT
from backhaul.privacy.selectors import account_usernames, held_for_account
from backhaul.privacy.services import consent_change, disclosure_record, subject_access_export
from backhaul.support.services.tickets import Upload, ticket_raise

pytestmark = pytest.mark.django_db


def fake_pdf(invoice: Any) -> bytes:
    return f"%PDF {invoice.number}".encode()


def with_more_data(account: Account, now: datetime) -> Account:
    """Give a demo account rows in the areas the demo does not fill."""
    notice_send(
        key=f"privacy-test-{account.number}",
        kind="general",
        subject="Your service",
        body="Hello",
        account=account,
        now=now,
    )
    login_create(
        account_number=account.number, username=f"{account.number.lower()}@bb", password="pw-1",
        now=now,
    )  # fmt: skip
    ticket_raise(
        account=account,
        category="general",
        subject="Router lights",
        body="The lights are red",
        now=now,
        raised_via="portal",
        raised_by="Pat",
        uploads=[Upload(filename="photo.txt", content_type="text/plain", content=b"red")],
    )
    consent_change(
        account=account, kind="marketing", granted=True, channel=ConsentChannel.MEMBER_CENTRE,
        actor="pat", now=now,
    )  # fmt: skip
    disclosure_record(
        account=account, recipient_kind=RecipientKind.DEBT_COLLECTION_AGENCY,
        recipient="Example Collections Ltd", what="name, address, debt",
        basis=DisclosureBasis.LEGITIMATE_INTERESTS,
        clause_id="plusnet-business/privacy-policy#debt-collection", recorded_by="billing",
        now=now,
    )  # fmt: skip
    return account


def unzip(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def test_export_holds_every_registered_field_of_every_row(demo: list[Account], now) -> None:  # type: ignore[no-untyped-def]
    account = with_more_data(
        next(a for a in demo if a.brand.key == "plusnet-business" and a.invoices.exists()), now
    )
    files = unzip(export_build(account=account, now=now, invoice_pdf=fake_pdf))
    usernames = account_usernames(account)
    checked = set()
    for label, entry in REGISTER.items():
        rows = held_for_account(label, entry, account, usernames)
        if rows is None or not rows.exists():
            continue
        app_label, model_name = label.split(".")
        exported = json.loads(files[f"data/{app_label}.json"])[model_name]
        assert [r["id"] for r in exported] == [o.pk for o in rows], label
        for row in exported:
            assert set(row) == {"id", *entry.fields}, label
        checked.add(label)
    # The account has data in at least these areas, so the comparison means something.
    assert {
        "customers.Account", "customers.Contact", "customers.Site", "billing.Invoice",
        "notices.Notice", "network.BroadbandLogin", "network.RadCheck", "support.Ticket",
        "support.TicketMessage", "support.TicketAttachment", "privacy.ConsentChange",
        "privacy.Disclosure",
    } <= checked  # fmt: skip
    customers = json.loads(files["data/customers.json"])
    assert customers["Account"][0]["primary_email"] == account.primary_email
    invoices = sorted(n for n in files if n.startswith("invoices/"))
    assert invoices == sorted(f"invoices/{i.number}.pdf" for i in account.invoices.all())
    summary = json.loads(files["account.json"])
    assert summary["account"] == account.number
    assert summary["why_each_field_is_held"]["customers.Account"]["name"] == ["sign-up"]


def test_secrets_are_never_exported(demo: list[Account], now) -> None:  # type: ignore[no-untyped-def]
    account = with_more_data(demo[0], now)
    files = unzip(export_build(account=account, now=now, invoice_pdf=fake_pdf))
    network = json.loads(files["data/network.json"])
    assert network["BroadbandLogin"][0]["password"] == SECRET_TEXT
    assert all(r["value"] == SECRET_TEXT for r in network["RadCheck"])
    assert b"pw-1" not in b"".join(files.values())


def test_export_has_nothing_of_another_customer(demo: list[Account], now) -> None:  # type: ignore[no-untyped-def]
    mine, other = demo[0], demo[1]
    with_more_data(other, now)
    everything = b"".join(unzip(export_build(account=mine, now=now, invoice_pdf=fake_pdf)).values())
    assert other.number.encode() not in everything
    assert other.primary_email.encode() not in everything


def test_subject_access_export_is_logged_with_real_invoice_pdfs(demo: list[Account], now) -> None:  # type: ignore[no-untyped-def]
    account = next(a for a in demo if a.invoices.exists())
    files = unzip(subject_access_export(account=account, requested_by="dpo", now=now))
    pdfs = [body for name, body in files.items() if name.startswith("invoices/")]
    assert pdfs and all(body.startswith(b"%PDF") for body in pdfs)
    logged = Disclosure.objects.get(account=account)
    assert logged.recipient_kind == RecipientKind.DATA_SUBJECT
    assert logged.recorded_by == "dpo"
