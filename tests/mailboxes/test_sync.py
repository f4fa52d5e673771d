"""Keeping Backhaul and a Dovecot/Postfix mail server in step: `backhaul mailboxes sync`
and `backhaul mailboxes push`, through the real command, on the database."""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail

from backhaul.mailboxes.models import (
    Mailbox,
    MailboxEvent,
    MailSync,
    MailSyncReject,
    MailTraffic,
)
from backhaul.mailboxes.services import mailbox_create, mailbox_suspend, mailboxes_run_day
from backhaul.notices.models import Notice
from tests.domains.conftest import run_command, snapshot

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
OPENED = date(2026, 8, 20)
SYNCED = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
FILES = [
    "--doveadm-file", str(FIXTURES / "mailbox-status.tab"),
    "--doveadm-file", str(FIXTURES / "unseen-sizes.tab"),
    "--doveadm-file", str(FIXTURES / "last-login.tab"),
    "--maillog", str(FIXTURES / "mail.log"),
]  # fmt: skip


@pytest.fixture
def boxes(plusnet_account, plugin_account, now) -> dict[str, Mailbox]:
    for address in ("info@kestrel.plus.com", "orders@kestrel.plus.com", "sales@kestrel.plus.com"):
        mailbox_create(
            account=plusnet_account, address=address, username="kestrel", on=OPENED, now=now
        )
    mailbox_create(account=plugin_account, address="office@linden.example.com", on=OPENED, now=now)
    return {m.address: m for m in Mailbox.objects.all()}


def sync(capsys, *args: str) -> dict:
    with time_machine.travel(NOW, tick=False):
        code, out, err = run_command(
            capsys, "mailboxes", "sync", *args, "--on", str(SYNCED), "--json"
        )
    assert (code, err) == (0, ""), err
    return json.loads(out)


def state(address: str) -> tuple:
    m = Mailbox.objects.get(address=address)
    return (
        m.status,
        m.last_accessed_at,
        m.mail_count,
        m.unseen_count,
        m.stored_bytes,
        m.unread_bytes,
        m.unread_over_limit_since,
        m.server_reported_on,
    )


def test_a_sync_from_saved_doveadm_output_and_the_mail_log(capsys, boxes) -> None:
    result = sync(capsys, *FILES)
    # Every line is accounted for: read = accepted + rejected, file by file.
    assert [(f["kind"], f["read"], f["accepted"], f["rejected"]) for f in result["files"]] == [
        ("mailbox-status", 9, 7, 2),
        ("unseen-sizes", 8, 7, 1),
        ("last-login", 6, 4, 2),
        ("mail-log", 50, 45, 5),
    ]
    assert result["lines"] == {"read": 73, "accepted": 63, "rejected": 10}
    assert state("info@kestrel.plus.com") == (
        "active",
        datetime(2026, 11, 20, 12, 1, 44, tzinfo=UTC),  # IMAP login in the log, after the dict's
        1518,
        3,
        57233927,
        39936,
        None,
        SYNCED,
    )
    # 30,410,752 bytes unread: over 25 MB (26,214,400 bytes), from today.
    assert state("orders@kestrel.plus.com") == (
        "active",
        datetime(2026, 11, 20, 12, 5, 10, tzinfo=UTC),  # a POP3 login
        90,
        4,
        31477760,
        30410752,
        SYNCED,
        SYNCED,
    )
    assert state("postmaster@kestrel.plus.com")[1:6] == (
        datetime(2026, 11, 18, 7, 0, tzinfo=UTC),
        3,
        0,
        6144,
        0,
    )
    # Both of sales@'s status lines were rejected; nothing unread (not in the listing).
    assert state("sales@kestrel.plus.com") == ("active", None, None, None, None, 0, None, None)
    assert result["mailboxes"] == {"reported": 4, "unknown": 1, "updated": 3}
    assert result["logins"] == {"recorded": 3, "reported": 4, "unknown": 1}
    # The mailbox the server has and Backhaul does not is kept with where it was named.
    refused = list(
        MailSyncReject.objects.filter(reason__startswith="no mailbox").values_list(
            "origin", "line", "reason"
        )
    )
    assert sorted(refused) == [
        (str(FIXTURES / "last-login.tab"), 5, "no mailbox ghost@kestrel.plus.com in Backhaul"),
        (str(FIXTURES / "mailbox-status.tab"), 8, "no mailbox ghost@kestrel.plus.com in Backhaul"),
    ]
    assert MailSyncReject.objects.count() == 12
    bad = MailSyncReject.objects.get(reason="size: not a whole number: 'abc'")
    assert bad.line == 40 and "size=abc" in bad.raw
    # The headers-only traffic log, with the delivery status.
    logged = sorted(
        MailTraffic.objects.values_list(
            "mailbox__address", "direction", "message_id", "status", "recipient_count"
        )
    )
    assert logged == [
        ("info@kestrel.plus.com", "in", "<CAF7a9d0x1@mail.supplier.example>", "sent", 1),
        ("info@kestrel.plus.com", "out", "<local-1@kestrel.plus.com>", "sent", 1),
        ("office@linden.example.com", "in",
         "<20261120112001.4fJ5lN0bbbz3RqC@mx1.plugin.example>", "sent", 1),
        ("office@linden.example.com", "out", "<8f1c2a@linden.example.com>", "bounced", 1),
        ("office@linden.example.com", "out", "<newsletter-2026-11@linden.example.com>", "sent",
         120),
        ("orders@kestrel.plus.com", "in", "<CAF7a9d0x1@mail.supplier.example>", "sent", 1),
        ("orders@kestrel.plus.com", "out", "<20261120091402.1@kestrel.plus.com>", "sent", 2),
    ]  # fmt: skip
    order = MailTraffic.objects.get(message_id="<20261120091402.1@kestrel.plus.com>")
    assert (order.subject, order.size_bytes, order.sender, order.queue_id) == (
        "Order 1182 from Kestrel Bakery",
        18342,
        "orders@kestrel.plus.com",
        "4fJ3KQ1Cd7z9wTx",
    )
    assert order.recipients == "buyer@wholesale.example, accounts@slowmail.example"
    assert result["traffic"] == {"logged": 7, "records": 7}
    # 120 recipients in one message is over PlugIn's cap of 100 (plugin/email-terms#4):
    # spam-like activity suspends the mailbox, with the clause, and the customer is told.
    office = Mailbox.objects.get(address="office@linden.example.com")
    assert (office.status, office.suspension_clause.clause_id) == (
        "suspended",
        "plugin/email-terms#5",
    )
    assert "over the recipient cap of 100" in office.suspension_reason
    assert Notice.objects.filter(kind="mailbox.suspended").count() == 1
    assert result["incomplete"] == ["4fJ7Bc2dLmz4QwS"]
    assert MailSync.objects.get().counts["lines"]["read"] == 73


def test_syncing_the_same_output_again_changes_nothing(capsys, boxes) -> None:
    tables = (Mailbox, MailboxEvent, MailTraffic, Notice)
    sync(capsys, *FILES)
    first = snapshot(tables)
    sent = len(mail.outbox)
    again = sync(capsys, *FILES)
    assert snapshot(tables) == first
    assert len(mail.outbox) == sent
    assert again["traffic"] == {"records": 7, "unchanged": 7}
    assert again["logins"] == {"reported": 4, "unchanged": 3, "unknown": 1}
    assert again["mailboxes"] == {"reported": 4, "unchanged": 3, "unknown": 1}


def test_an_archived_mailbox_used_again_is_restored(capsys, boxes) -> None:
    # Not accessed since it opened on 20 August: archived on 20 November (3 months).
    mailboxes_run_day(on=date(2026, 11, 20), now=NOW)
    assert Mailbox.objects.get(address="info@kestrel.plus.com").status == "archived"
    result = sync(capsys, "--maillog", str(FIXTURES / "mail.log"))
    info = Mailbox.objects.get(address="info@kestrel.plus.com")
    assert (info.status, info.archived_on) == ("active", None)
    assert info.events.filter(kind="restored").exists()
    assert result["logins"]["restored"] == 2  # info@ and orders@ (both archived)


def test_a_message_split_over_two_logs_gets_its_final_status(capsys, boxes) -> None:
    first = sync(capsys, "--maillog", str(FIXTURES / "mail-deferred.log"))
    assert first["traffic"] == {"logged": 1, "records": 1}
    entry = MailTraffic.objects.get(message_id="<quote-77@kestrel.plus.com>")
    assert entry.status == "deferred"
    later = sync(capsys, "--maillog", str(FIXTURES / "mail-later.log"))
    entry.refresh_from_db()
    assert entry.status == "sent"
    # The other message's start was never read: reported, not lost.
    assert later["updates"] == {"applied": 1, "reported": 2, "unmatched": 1}


def test_unread_mail_over_the_limit_is_removed_and_pushed_to_the_server(
    capsys, boxes, tmp_path
) -> None:
    sync(capsys, *FILES)
    # Over the limit from 21 November "for more than a 30 day period": removed on day 31
    # (plusnet-business/broadband-schedule#5.16).
    mailboxes_run_day(on=SYNCED + timedelta(days=30), now=NOW)
    assert Mailbox.objects.get(address="orders@kestrel.plus.com").unread_bytes == 30410752
    mailboxes_run_day(on=SYNCED + timedelta(days=31), now=NOW)
    assert Mailbox.objects.get(address="orders@kestrel.plus.com").unread_bytes == 0
    code, out, err = run_command(capsys, "mailboxes", "push", "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "# office@linden.example.com: suspended on 2026-11-20",
        "doveadm auth cache flush office@linden.example.com",
        "doveadm kick office@linden.example.com",
        # Not accessed since it opened on 20 August (plusnet-business/broadband-schedule#5.6).
        "# sales@kestrel.plus.com: archived on 2026-12-21",
        "doveadm backup -u sales@kestrel.plus.com mdbox:/srv/vmail-archive/sales@kestrel.plus.com",
        "doveadm expunge -u sales@kestrel.plus.com mailbox '*' all",
        "# orders@kestrel.plus.com: unread-removed on 2026-12-22",
        "doveadm expunge -u orders@kestrel.plus.com mailbox '*' unseen",
    ]
    # A dry run changes nothing: the same list again.
    assert run_command(capsys, "mailboxes", "push", "--dry-run")[1] == out


FAKE_DOVEADM = """#!/bin/sh
# A stand-in for doveadm: prints saved output for the reads, logs and answers the writes.
echo "$@" >> "{log}"
case "$*" in
  *"mailbox status"*)
    cat "{fixtures}/mailbox-status.tab"
    echo "Error: User broken@kestrel.plus.com: mailbox status failed" >&2
    exit 75 ;;
  *"fetch"*) cat "{fixtures}/unseen-sizes.tab" ;;
  *"dict iter"*) cat "{fixtures}/last-login.tab" ;;
  *"orders@kestrel.plus.com"*) echo "Error: User doesn't exist" >&2; exit 67 ;;
esac
exit 0
"""


def fake_doveadm(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "doveadm.calls"
    program = tmp_path / "doveadm"
    program.write_text(FAKE_DOVEADM.format(log=log, fixtures=FIXTURES))
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return program, log


def test_command_mode_runs_doveadm_and_keeps_its_errors(capsys, boxes, tmp_path) -> None:
    program, log = fake_doveadm(tmp_path)
    result = sync(
        capsys,
        "--run-doveadm",
        "--doveadm", str(program),
        "--last-login-dict", "proxy::lastlogin",
        "--maillog", str(FIXTURES / "mail.log"),
    )  # fmt: skip
    assert log.read_text().splitlines() == [
        "-f tab mailbox status -A messages unseen vsize *",
        "-f tab fetch -A mailbox size.virtual unseen",
        "-f tab dict iter -R proxy::lastlogin shared/last-login/",
    ]
    # The same figures as from the saved files.
    assert state("orders@kestrel.plus.com")[5:7] == (30410752, SYNCED)
    # doveadm carried on past a user it could not read; its error line is kept.
    errors = [f for f in result["files"] if f["kind"] == "doveadm-errors"]
    assert errors == [
        {
            "name": "doveadm mailbox status -A messages unseen vsize * (errors)",
            "kind": "doveadm-errors",
            "read": 1,
            "accepted": 0,
            "rejected": 1,
        }
    ]
    assert MailSyncReject.objects.filter(
        reason="Error: User broken@kestrel.plus.com: mailbox status failed"
    ).exists()


def test_push_runs_each_event_once_and_waits_after_a_failure(capsys, boxes, tmp_path) -> None:
    program, log = fake_doveadm(tmp_path)
    sync(capsys, *FILES)
    mailboxes_run_day(on=SYNCED + timedelta(days=31), now=NOW)  # orders@: unread removed
    mailbox_suspend(
        mailbox=Mailbox.objects.get(address="orders@kestrel.plus.com"),
        reason="abuse report",
        clause_id="plusnet-business/broadband-schedule#5.17",
        on=SYNCED + timedelta(days=32),
        now=NOW,
    )
    deny = tmp_path / "suspended"
    code, out, err = run_command(
        capsys, "mailboxes", "push", "--doveadm", str(program), "--deny-file", str(deny), "--json"
    )
    assert (code, err) == (0, "")
    result = json.loads(out)
    # office@ suspended, orders@ unread removed, sales@ archived (not accessed since August),
    # orders@ suspended: that last one waits, as the mailbox's earlier event failed.
    assert (result["pending"], result["done"], result["failed"]) == (4, 2, 1)
    failed = next(a for a in result["actions"] if a["error"])
    assert (failed["mailbox"], failed["error"]) == (
        "orders@kestrel.plus.com",
        "exit status 67: Error: User doesn't exist",
    )
    assert log.read_text().splitlines() == [
        "auth cache flush office@linden.example.com",
        "kick office@linden.example.com",
        "expunge -u orders@kestrel.plus.com mailbox * unseen",
        "backup -u sales@kestrel.plus.com mdbox:/srv/vmail-archive/sales@kestrel.plus.com",
        "expunge -u sales@kestrel.plus.com mailbox * all",
    ]
    assert deny.read_text() == "office@linden.example.com\norders@kestrel.plus.com\n"
    assert sorted(
        MailboxEvent.objects.filter(pushed_at__isnull=False).values_list("kind", flat=True)
    ) == ["archived", "suspended"]
    # Next time only what is still to do is tried.
    again = json.loads(
        run_command(capsys, "mailboxes", "push", "--doveadm", str(program), "--json")[1]
    )
    assert [a["kind"] for a in again["actions"]] == ["unread-removed", "suspended"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: give --doveadm-file, --maillog or --run-doveadm"),
        (["--doveadm-file", "/nonexistent/status.tab"],
         "error: /nonexistent/status.tab: cannot read"),
        (["--maillog", str(FIXTURES / "mail.log"), "--doveadm-file", str(FIXTURES / "mail.log")],
         "error: " + str(FIXTURES / "mail.log") + ": line 1: not doveadm tab output"),
        (["--run-doveadm", "--doveadm", "/nonexistent/doveadm"],
         "error: doveadm: '/nonexistent/doveadm' is not on this machine"),
        (["--maillog", str(FIXTURES / "mail.log"), "--log-zone", "Mars/Olympus"],
         "error: log time zone: unknown zone 'Mars/Olympus'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(capsys, boxes, args, message) -> None:
    with time_machine.travel(NOW, tick=False):
        code, _out, err = run_command(capsys, "mailboxes", "sync", *args)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1
    assert not MailSync.objects.exists() and not MailTraffic.objects.exists()


def test_the_console_shows_each_sync_with_the_lines_it_could_not_use(capsys, client, boxes) -> None:
    from django.contrib.auth.models import User
    from django.urls import reverse

    sync(capsys, *FILES)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x-not-used-1"))
    assert client.get(reverse("admin:mailboxes_mailsync_changelist")).status_code == 200
    page = client.get(reverse("admin:mailboxes_mailsync_change", args=[MailSync.objects.get().pk]))
    assert page.status_code == 200
    assert "size: not a whole number: &#x27;abc&#x27;" in page.content.decode()
