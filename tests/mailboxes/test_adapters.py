"""Reading Dovecot's doveadm output and the Postfix/Dovecot mail log: no database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.mailboxes.adapters.base import MailboxAction, MailServerReport
from backhaul.mailboxes.adapters.doveadm import login_time, read_doveadm
from backhaul.mailboxes.adapters.dovecot import Dovecot
from backhaul.mailboxes.adapters.maillog import Clock, read_maillog
from backhaul.mailboxes.rules import delivery_status_merge, delivery_status_summary

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
CLOCK = Clock(on=date(2026, 11, 21), zone=ZoneInfo("Europe/London"))


def doveadm(name: str, report: MailServerReport | None = None):
    report = report or MailServerReport()
    lines = (FIXTURES / name).read_text().splitlines(keepends=True)
    return read_doveadm(lines, origin=name, report=report, now=NOW), report


def maillog(name: str, report: MailServerReport | None = None, clock: Clock = CLOCK):
    report = report or MailServerReport()
    lines = (FIXTURES / name).read_text().splitlines(keepends=True)
    return read_maillog(lines, origin=name, report=report, clock=clock), report


def rejects(report: MailServerReport) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in report.rejections]


def test_mailbox_status_adds_up_the_folders_and_rejects_bad_lines() -> None:
    summary, report = doveadm("mailbox-status.tab")
    assert (summary.kind, summary.read, summary.accepted, summary.rejected) == (
        "mailbox-status",
        9,
        7,
        2,
    )
    info = report.states["info@kestrel.plus.com"]
    # INBOX + Sent + Trash.
    assert (info.mail_count, info.unseen_count, info.stored_bytes) == (1518, 3, 57233927)
    assert info.unread_bytes is None  # mailbox status gives counts, not unread sizes
    assert (info.where.origin, info.where.line) == ("mailbox-status.tab", 2)
    assert rejects(report) == [
        (9, "messages: not a whole number: 'x'"),
        (
            10,
            "expected 5 tab-separated fields (username, mailbox, messages, unseen, vsize), found 4",
        ),
    ]
    assert report.rejections[0].raw == "sales@kestrel.plus.com\tINBOX\tx\t0\t100"


def test_unseen_sizes_add_up_to_the_unread_total() -> None:
    summary, report = doveadm("unseen-sizes.tab")
    assert (summary.read, summary.accepted, summary.rejected) == (8, 7, 1)
    assert report.states["info@kestrel.plus.com"].unread_bytes == 20480 + 15360 + 4096
    # 10 MiB + 10 MiB + 9 MiB + 2 KiB: over 25 MB (26,214,400 bytes).
    assert report.states["orders@kestrel.plus.com"].unread_bytes == 30410752
    assert rejects(report) == [(9, "size.virtual: not a whole number: '-12'")]
    # The listing covers every user: those it does not name have nothing unread.
    assert report.unread_complete is True


def test_last_logins_from_the_dict_in_every_precision() -> None:
    summary, report = doveadm("last-login.tab")
    assert (summary.read, summary.accepted, summary.rejected) == (6, 4, 2)
    logins = {address: login.at for address, login in report.logins.items()}
    assert logins == {
        "info@kestrel.plus.com": datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
        # last_login_precision = ms
        "orders@kestrel.plus.com": datetime(2026, 11, 19, 17, 2, 3, 123000, tzinfo=UTC),
        # an SQL map keyed shared/last-login/$user/$domain
        "postmaster@kestrel.plus.com": datetime(2026, 11, 18, 7, 0, tzinfo=UTC),
        "ghost@kestrel.plus.com": datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
    }
    assert rejects(report) == [
        (6, "key 'shared/quota/info@kestrel.plus.com' is not shared/last-login/<user> with a "
         "mailbox address"),
        (7, "value: not a Unix time: 'yesterday'"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1795162500", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),
        ("1795162500250", datetime(2026, 11, 20, 8, 15, 0, 250000, tzinfo=UTC)),
        ("1795162500250001", datetime(2026, 11, 20, 8, 15, 0, 250001, tzinfo=UTC)),
        ("1795162500250001999", datetime(2026, 11, 20, 8, 15, 0, 250001, tzinfo=UTC)),
        ("0", None),
        ("-5", None),
        ("17951625e3", None),
        ("1" * 21, None),
    ],
)
def test_login_time_precisions(value, expected) -> None:
    assert login_time(value) == expected


def test_a_login_in_the_future_is_rejected() -> None:
    report = MailServerReport()
    lines = ["key\tvalue\n", "shared/last-login/a@b.example\t1900000000\n"]
    summary = read_doveadm(lines, origin="f", report=report, now=NOW)
    assert (summary.accepted, summary.rejected) == (0, 1)
    assert rejects(report) == [(2, "value: 2030-03-17 17:46:40 UTC is in the future")]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "f: empty: expected doveadm -f tab output"),
        (["\n", "  \n"], "f: empty: expected doveadm -f tab output"),
        (
            ["uid\tflags\n", "1\t\\Seen\n"],
            "f: line 1: not doveadm tab output Backhaul reads (header ['uid', 'flags'])",
        ),
        (
            ["mailbox\tmessages\tunseen\n", "INBOX\t1\t0\n"],
            "f: line 1: no username column: run doveadm with -A so each line names its user",
        ),
    ],
)
def test_files_that_are_not_doveadm_output_are_refused_whole(lines, message) -> None:
    report = MailServerReport()
    with pytest.raises(InvalidInput, match=re.escape(message)):
        read_doveadm(lines, origin="f", report=report, now=NOW)
    assert report.files == [] and report.states == {} and report.rejections == []


def test_status_with_totals_and_no_mailbox_column() -> None:
    # doveadm -f tab mailbox status -A -t 'messages unseen vsize' '*'
    lines = ["Username\tmessages\tunseen\tvsize\n", "Info@Kestrel.plus.com\t12\t0\t4096\n"]
    report = MailServerReport()
    read_doveadm(lines, origin="t", report=report, now=NOW)
    state = report.states["info@kestrel.plus.com"]
    assert (state.mail_count, state.unseen_count, state.stored_bytes) == (12, 0, 4096)


def test_the_mail_log_gives_headers_only_traffic_with_statuses() -> None:
    summary, report = maillog("mail.log")
    assert (summary.read, summary.accepted, summary.rejected) == (50, 45, 5)
    records = [
        (t.direction, t.address, t.message_id, t.status, t.recipients, t.recipient_count)
        for t in report.traffic
    ]
    assert records == [
        (
            "out",
            "orders@kestrel.plus.com",
            "<20261120091402.1@kestrel.plus.com>",
            "sent",  # deferred for one recipient, then sent
            ("buyer@wholesale.example", "accounts@slowmail.example"),
            2,
        ),
        ("in", "info@kestrel.plus.com", "<CAF7a9d0x1@mail.supplier.example>", "sent",
         ("info@kestrel.plus.com",), 1),
        # Sent to the alias sales@, delivered to orders@ (to=, not orig_to=).
        ("in", "orders@kestrel.plus.com", "<CAF7a9d0x1@mail.supplier.example>", "sent",
         ("orders@kestrel.plus.com",), 1),
        ("out", "office@linden.example.com", "<8f1c2a@linden.example.com>", "bounced",
         ("nobody@closed.example",), 1),
        # The bounce notice back to the sender is delivered into their mailbox.
        ("in", "office@linden.example.com",
         "<20261120112001.4fJ5lN0bbbz3RqC@mx1.plugin.example>", "sent",
         ("office@linden.example.com",), 1),
        # 120 envelope recipients (nrcpt), two of them delivered so far in this log.
        ("out", "office@linden.example.com", "<newsletter-2026-11@linden.example.com>", "sent",
         ("client001@example.net", "client002@example.net"), 120),
        # Submitted locally (pickup), logged with an ISO 8601 time.
        ("out", "info@kestrel.plus.com", "<local-1@kestrel.plus.com>", "sent",
         ("bank@example.co.uk",), 1),
    ]  # fmt: skip
    first = report.traffic[0]
    assert (first.sender, first.size_bytes, first.subject, first.queue_id) == (
        "orders@kestrel.plus.com",
        18342,
        "Order 1182 from Kestrel Bakery",
        "4fJ3KQ1Cd7z9wTx",
    )
    assert first.at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=ZoneInfo("Europe/London"))
    assert report.traffic[-1].at == datetime(2026, 11, 20, 13, 0, 0, 123456, tzinfo=UTC)
    assert rejects(report) == [
        (39, "not a syslog line: expected 'Mon DD HH:MM:SS host program[pid]: text' or an "
         "ISO 8601 time"),
        (40, "size: not a whole number: 'abc'"),
        (41, "status: unknown delivery status 'wobbly'"),
        (42, "message without a Message-ID: not logged"),
        (43, "bad date Nov 31 12:13:00 (2026): day is out of range for month"),
    ]  # fmt: skip
    # IMAP and POP3 logins are accesses; a submission login or a failed one is not.
    assert {a: login.at.isoformat() for a, login in report.logins.items()} == {
        "info@kestrel.plus.com": "2026-11-20T12:01:44+00:00",
        "orders@kestrel.plus.com": "2026-11-20T12:05:10+00:00",
    }
    assert report.incomplete == ["4fJ7Bc2dLmz4QwS"]


def test_a_message_split_over_two_logs_becomes_an_update() -> None:
    _summary, report = maillog("mail-deferred.log")
    assert [(t.address, t.status) for t in report.traffic] == [
        ("info@kestrel.plus.com", "deferred")
    ]
    summary, later = maillog("mail-later.log")
    assert (summary.read, summary.accepted, summary.rejected) == (3, 3, 0)
    assert later.traffic == []
    assert [(u.queue_id, u.recipient, u.status) for u in later.updates] == [
        ("4fK1Wd5tVwz8XcN", "buyer@slowmail.example", "sent"),
        ("4fK0Xw9yXyz2BcD", "someone@example.org", "sent"),
    ]


def test_traditional_times_take_the_year_that_ends_on_the_sync_date() -> None:
    january = Clock(on=date(2027, 1, 2), zone=ZoneInfo("Europe/London"))
    assert january.traditional("Dec", "31", "23:59:59").year == 2026
    assert january.traditional("Jan", "2", "00:00:01").year == 2027
    # British Summer Time: 09:00 in London is 08:00 UTC.
    summer = Clock(on=date(2026, 7, 1), zone=ZoneInfo("Europe/London"))
    assert summer.traditional("Jun", "30", "09:00:00").astimezone(UTC).hour == 8


def test_dovecots_own_log_file_lines_are_read_too() -> None:
    lines = [
        "Nov 20 12:01:44 imap-login: Info: Login: user=<info@kestrel.plus.com>, method=PLAIN, "
        "rip=203.0.113.20, lip=192.0.2.1, mpid=31337, TLS, session=<p0Gk1xQJmMnLcHAU>\n",
        "Nov 20 12:01:45 pop3-login: Info: Login: user=<>, method=PLAIN\n",
    ]
    report = MailServerReport()
    summary = read_maillog(lines, origin="dovecot.log", report=report, clock=CLOCK)
    assert (summary.read, summary.accepted, summary.rejected) == (2, 1, 1)
    assert list(report.logins) == ["info@kestrel.plus.com"]
    assert rejects(report) == [(2, "login line without a user")]


def test_delivery_status_merge_and_summary() -> None:
    assert delivery_status_merge("deferred", "sent") == "sent"
    assert delivery_status_merge("bounced", "sent") == "bounced"  # a failure is final
    assert delivery_status_merge("sent", "") == "sent"
    assert delivery_status_summary(["sent", "deferred", "sent"]) == "deferred"
    assert delivery_status_summary(["sent", "bounced", "deferred"]) == "bounced"
    assert delivery_status_summary([]) == ""


lines_strategy = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
        st.sampled_from((FIXTURES / "mail.log").read_text().splitlines()),
    ),
    max_size=40,
)


@given(lines=lines_strategy)
def test_every_mail_log_line_is_accepted_or_rejected_with_a_reason(lines) -> None:
    report = MailServerReport()
    text = [line.replace("\n", " ").replace("\r", " ") + "\n" for line in lines]
    summary = read_maillog(text, origin="f", report=report, clock=CLOCK)
    assert summary.read == summary.accepted + summary.rejected
    assert summary.read == sum(1 for line in text if line.strip())
    assert len(report.rejections) == summary.rejected
    assert all(r.reason and r.line >= 1 for r in report.rejections)


@given(
    rows=st.lists(
        st.lists(
            st.text(
                alphabet=st.characters(
                    blacklist_characters="\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
                    blacklist_categories=("Cs",),
                ),
                max_size=12,
            ),
            min_size=1,
            max_size=4,
        ),
        max_size=30,
    )
)
def test_every_doveadm_line_is_accepted_or_rejected_with_a_reason(rows) -> None:
    lines = ["Username\tmailbox\tmessages\tunseen\tvsize\n"]
    lines += ["\t".join(row) + "\n" for row in rows]
    report = MailServerReport()
    summary = read_doveadm(lines, origin="f", report=report, now=NOW)
    assert summary.read == summary.accepted + summary.rejected
    assert len(report.rejections) == summary.rejected


ARCHIVE = "mdbox:/srv/vmail-archive/{user}"


@pytest.mark.parametrize(
    ("kind", "commands"),
    [
        (
            "archived",
            [
                ("doveadm", "backup", "-u", "info@kestrel.plus.com",
                 "mdbox:/srv/vmail-archive/info@kestrel.plus.com"),
                ("doveadm", "expunge", "-u", "info@kestrel.plus.com", "mailbox", "*", "all"),
            ],
        ),
        (
            "restored",
            [("doveadm", "import", "-u", "info@kestrel.plus.com",
              "mdbox:/srv/vmail-archive/info@kestrel.plus.com", "", "all")],
        ),
        (
            "deleted",
            [
                ("doveadm", "expunge", "-u", "info@kestrel.plus.com", "mailbox", "*", "all"),
                ("doveadm", "backup", "-u", "info@kestrel.plus.com",
                 "mdbox:/srv/vmail-archive/info@kestrel.plus.com"),
            ],
        ),
        (
            "unread-removed",
            [("doveadm", "expunge", "-u", "info@kestrel.plus.com", "mailbox", "*", "unseen")],
        ),
        (
            "suspended",
            [
                ("doveadm", "auth", "cache", "flush", "info@kestrel.plus.com"),
                ("doveadm", "kick", "info@kestrel.plus.com"),
            ],
        ),
        ("unsuspended", [("doveadm", "auth", "cache", "flush", "info@kestrel.plus.com")]),
        ("created", []),
    ],
)  # fmt: skip
def test_lifecycle_events_become_doveadm_commands(kind, commands) -> None:
    server = Dovecot(archive=ARCHIVE)
    action = MailboxAction(
        event_id=1, address="info@kestrel.plus.com", kind=kind, on=date(2026, 11, 21)
    )
    assert list(server.commands(action)) == commands


def test_the_adapter_checks_its_settings() -> None:
    with pytest.raises(InvalidInput, match=r"must name the mailbox as \{user\}"):
        Dovecot(archive="mdbox:/srv/archive")
    with pytest.raises(InvalidInput, match="unknown zone 'Mars/Olympus'"):
        Dovecot(log_zone="Mars/Olympus")
    with pytest.raises(InvalidInput, match="is not on this machine"):
        Dovecot(doveadm="/nonexistent/doveadm").binary()
