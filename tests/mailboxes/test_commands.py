"""`backhaul mailboxes ...`: the traffic log from message files reconciles read = logged +
already logged + rejected, and user errors are one line."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from backhaul.core.errors import InvalidInput
from backhaul.mailboxes.models import Mailbox, MailTraffic

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = StringIO()
    call_command("mailboxes", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_create_access_unread_and_list(plusnet_account) -> None:
    created = run(
        "create", "--account", plusnet_account.number, "--address", "orders@kestrel.plus.com",
        "--username", "kestrel", "--on", "2026-11-21",
    )  # fmt: skip
    assert (created["address"], created["status"], created["postmaster"]) == (
        "orders@kestrel.plus.com",
        "active",
        False,
    )
    accessed = run(
        "access", "--address", "orders@kestrel.plus.com", "--at", "2026-11-21T09:00:00+00:00"
    )
    assert accessed["last_accessed_at"] == "2026-11-21T09:00:00+00:00"
    unread = run(
        "unread", "--address", "orders@kestrel.plus.com", "--bytes", "1000", "--on", "2026-11-21"
    )
    assert unread["unread_bytes"] == 1000
    listed = run("list", "--account", plusnet_account.number)
    assert [m["address"] for m in listed["mailboxes"]] == [
        "postmaster@kestrel.plus.com",
        "orders@kestrel.plus.com",
    ]


def test_log_counts_reconcile_and_bodies_stay_out(plugin_account, tmp_path, now) -> None:
    from backhaul.mailboxes.services import mailbox_create

    mailbox_create(
        account=plugin_account, address="office@linden.example.com", on=now.date(), now=now
    )
    good = tmp_path / "good.eml"
    good.write_bytes(
        b"Message-ID: <g1@linden.example.com>\r\nFrom: office@linden.example.com\r\n"
        b"To: a@example.com\r\nSubject: Hello\r\nDate: Sat, 21 Nov 2026 09:00:00 +0000\r\n"
        b"\r\nSECRET-BODY-TEXT\r\n"
    )
    undated = tmp_path / "undated.eml"
    undated.write_bytes(b"From: office@linden.example.com\r\nSubject: no date\r\n\r\nbody")
    missing = tmp_path / "missing.eml"
    summary = run(
        "log", "--address", "office@linden.example.com", "--direction", "out",
        str(good), str(undated), str(missing), str(good),
    )  # fmt: skip
    assert summary == {
        "read": 4,
        "logged": 1,
        "already_logged": 1,
        "rejected": [
            {"file": str(undated), "reason": "no Date header; give --at"},
            {"file": str(missing), "reason": "cannot read: No such file or directory"},
        ],
    }
    assert summary["read"] == summary["logged"] + summary["already_logged"] + len(
        summary["rejected"]
    )
    assert MailTraffic.objects.get().subject == "Hello"


def test_suspend_names_its_clause_and_bad_input_is_refused(plusnet_account) -> None:
    run(
        "create", "--account", plusnet_account.number, "--address", "orders@kestrel.plus.com",
        "--on", "2026-11-21",
    )  # fmt: skip
    from backhaul.core.errors import NotFound

    with pytest.raises(NotFound, match="unknown clause 'plusnet-business/nowhere#1'"):
        run(
            "suspend", "--address", "orders@kestrel.plus.com", "--reason", "spam",
            "--clause", "plusnet-business/nowhere#1", "--on", "2026-11-21",
        )  # fmt: skip
    assert Mailbox.objects.get(address="orders@kestrel.plus.com").status == "active"
    suspended = run(
        "suspend", "--address", "orders@kestrel.plus.com", "--reason", "spam reported",
        "--clause", "plusnet-business/broadband-schedule#5.17", "--on", "2026-11-21",
    )  # fmt: skip
    assert (suspended["status"], suspended["suspension_reason"]) == ("suspended", "spam reported")
    assert (
        run("unsuspend", "--address", "orders@kestrel.plus.com", "--on", "2026-11-22")["status"]
        == "active"
    )
    with pytest.raises(InvalidInput, match="unread bytes: must not be negative"):
        run("unread", "--address", "orders@kestrel.plus.com", "--bytes", "-1", "--on", "2026-11-21")
