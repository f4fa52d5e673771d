"""Mailbox rules without a database: archive and delete dates, unread mail, sending limits,
the postmaster address and the headers-only traffic log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.mailboxes import rules

MB = 1_048_576
PLUGIN_LIMITS = rules.SendingLimits(
    daily_send_limit=1000,
    recipient_cap=100,
    limit_clause="plugin/email-terms#4",
    suspend_clause="plugin/email-terms#5",
)


@pytest.mark.parametrize(
    ("last", "archived"),
    [
        # Three calendar months, clamped at month ends (plusnet-business/broadband-schedule#5.6).
        (date(2026, 8, 20), date(2026, 11, 20)),
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
        (date(2026, 12, 31), date(2027, 3, 31)),
    ],
)
def test_archive_after_three_months_without_access(last: date, archived: date) -> None:
    assert rules.archive_date(last, 3) == archived
    assert not rules.archive_due(last_activity=last, on=archived - timedelta(days=1), months=3)
    assert rules.archive_due(last_activity=last, on=archived, months=3)


def test_deletion_one_month_after_the_notice() -> None:
    # Notice on 2028-01-31: one month later is 2028-02-29 (leap year).
    assert rules.deletion_date(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert not rules.deletion_due(notified_on=date(2028, 1, 31), on=date(2028, 2, 28), months=1)
    assert rules.deletion_due(notified_on=date(2028, 1, 31), on=date(2028, 2, 29), months=1)


def test_unread_limit_is_exceeded_only_above_25mb() -> None:
    # "exceed a total of 25MB": exactly 25 x 1,048,576 bytes is not over it.
    assert not rules.unread_over_limit(unread_bytes=25 * MB, limit_mb=25, bytes_per_mb=MB)
    assert rules.unread_over_limit(unread_bytes=25 * MB + 1, limit_mb=25, bytes_per_mb=MB)


def test_unread_mail_is_removed_after_more_than_30_days() -> None:
    # Over the limit since 2026-11-01: on 2026-12-01 it has been 30 days, not more than 30;
    # removed on 2026-12-02.
    since = date(2026, 11, 1)
    assert rules.unread_removal_date(since, 30) == date(2026, 12, 2)
    assert not rules.unread_removal_due(over_since=since, on=date(2026, 12, 1), days=30)
    assert rules.unread_removal_due(over_since=since, on=date(2026, 12, 2), days=30)


def test_sending_limits() -> None:
    assert rules.spam_like_activity(sent_today=1000, recipients=100, limits=PLUGIN_LIMITS) is None
    assert rules.spam_like_activity(sent_today=1001, recipients=1, limits=PLUGIN_LIMITS) == (
        "1001 messages sent in a day, over the daily send limit of 1000 (plugin/email-terms#4)"
    )
    assert rules.spam_like_activity(sent_today=1, recipients=101, limits=PLUGIN_LIMITS) == (
        "a message to 101 recipients, over the recipient cap of 100 (plugin/email-terms#4)"
    )
    only_cap = rules.SendingLimits(None, 5, "c", "s")
    assert rules.spam_like_activity(sent_today=10**6, recipients=5, limits=only_cap) is None


def test_postmaster_address_from_the_pattern() -> None:
    pattern = "postmaster@<username>.plus.com"
    assert rules.postmaster_address(pattern, "Foxley") == "postmaster@foxley.plus.com"
    with pytest.raises(InvalidInput, match="username: 'fox ley'"):
        rules.postmaster_address(pattern, "fox ley")


RAW = (
    b"Message-ID: <abc123@foxley.example.com>\r\n"
    b"From: Ann Foxley <ann@foxley.example.com>\r\n"
    b"To: bob@example.com, Carol <carol@example.com>\r\n"
    b"Cc: dan@example.com\r\n"
    b"Subject: Quarterly =?utf-8?q?r=C3=A9sum=C3=A9?=\r\n"
    b"Date: Sat, 21 Nov 2026 09:30:00 +0000\r\n"
    b"\r\n"
    b"SECRET-BODY-TEXT that must never be kept\r\n"
)


def test_headers_are_read_and_the_body_is_not() -> None:
    headers = rules.headers_of(RAW, envelope_recipients=("hidden@example.com",))
    assert headers == rules.MessageHeaders(
        message_id="<abc123@foxley.example.com>",
        sender="ann@foxley.example.com",
        recipients=(
            "bob@example.com",
            "carol@example.com",
            "dan@example.com",
            "hidden@example.com",
        ),
        subject="Quarterly résumé",
        sent_at=datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
        size_bytes=len(RAW),
    )
    assert "SECRET" not in repr(headers)


def test_odd_headers_are_tolerated() -> None:
    headers = rules.headers_of(b"Subject: a\r\n b\r\nDate: not a date\r\n\r\nbody")
    assert (headers.subject, headers.sent_at, headers.recipients, headers.sender) == (
        "a b",
        None,
        (),
        "",
    )
    with pytest.raises(InvalidInput):
        rules.headers_of("text, not bytes")  # type: ignore[arg-type]


def test_long_recipient_lists_are_cut_with_their_count() -> None:
    recipients = tuple(f"person{n:04d}@example.com" for n in range(200))
    text = rules.recipients_text(recipients)
    assert len(text) <= rules.RECIPIENTS_LIMIT
    assert text.endswith("(+200 in all)")


@given(body=st.text(min_size=1, max_size=200))
def test_no_body_text_ever_reaches_the_headers(body: str) -> None:
    marker = "ZZBODYZZ" + body
    raw = b"Subject: hello\r\nFrom: a@example.com\r\n\r\n" + marker.encode("utf-8")
    headers = rules.headers_of(raw)
    assert "ZZBODYZZ" not in repr(headers)


@pytest.mark.parametrize(
    ("on", "months", "latest"),
    [
        (date(2026, 6, 30), 3, date(2026, 3, 31)),  # 29, 30 and 31 March all fall on 30 June
        (date(2026, 6, 29), 3, date(2026, 3, 29)),
        (date(2026, 2, 28), 1, date(2026, 1, 31)),
        (date(2028, 2, 28), 1, date(2028, 1, 28)),  # a leap year: 29 January is due on 29 Feb
        (date(2028, 2, 29), 1, date(2028, 1, 31)),
        (date(2026, 11, 21), 3, date(2026, 8, 21)),
    ],
)
def test_latest_due(on, months, latest) -> None:
    assert rules.latest_due(on, months) == latest


@given(
    day=st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)),
    on=st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(min_value=1, max_value=24),
)
def test_the_daily_query_picks_exactly_the_mailboxes_due(day, on, months) -> None:
    # The job selects last activity on or before latest_due; the rule decides archive_due.
    assert (day <= rules.latest_due(on, months)) == rules.archive_due(
        last_activity=day, on=on, months=months
    )
