"""Package rules without a database: monthly periods, invoicing ahead, notice, first days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.core.periods import Period
from backhaul.hosting import rules


@pytest.mark.parametrize(
    ("started", "on", "period"),
    [
        (date(2026, 11, 21), date(2026, 11, 21), Period(date(2026, 11, 21), date(2026, 12, 21))),
        (date(2026, 11, 21), date(2026, 12, 21), Period(date(2026, 12, 21), date(2027, 1, 21))),
        # Started on 31 January: renews on the last day of shorter months, then the 31st.
        (date(2027, 1, 31), date(2027, 2, 1), Period(date(2027, 1, 31), date(2027, 2, 28))),
        (date(2027, 1, 31), date(2027, 3, 1), Period(date(2027, 2, 28), date(2027, 3, 31))),
        (date(2028, 1, 31), date(2028, 2, 29), Period(date(2028, 2, 29), date(2028, 3, 31))),
    ],
)
def test_monthly_periods_from_the_start_date(started: date, on: date, period: Period) -> None:
    assert rules.current_period(started_on=started, on=on) == period


def test_the_renewal_is_invoiced_before_the_renewal_date() -> None:
    # PlugIn: 14 days before (an example; the terms say only "prior to it's renewal").
    assert rules.invoice_date(date(2026, 12, 21), 14) == date(2026, 12, 7)
    assert rules.invoice_date(date(2027, 3, 1), 14) == date(2027, 2, 15)
    assert not rules.renewal_invoice_due(
        renewal=date(2026, 12, 21), on=date(2026, 12, 6), days_before=14
    )
    assert rules.renewal_invoice_due(
        renewal=date(2026, 12, 21), on=date(2026, 12, 7), days_before=14
    )
    with pytest.raises(InvalidInput):
        rules.invoice_date(date(2026, 12, 21), -1)


@pytest.mark.parametrize(
    ("notice", "ends"),
    [
        # Started 2026-10-05, renewals on the 5th. Notice 2026-11-21 + 30 days = 12-21: the
        # first renewal on or after it is 2027-01-05.
        (date(2026, 11, 21), date(2027, 1, 5)),
        # Notice 2026-11-05 + 30 = 12-05, itself a renewal date: it ends then.
        (date(2026, 11, 5), date(2026, 12, 5)),
        # Notice 2026-11-06 + 30 = 12-06, a day late for 12-05: it ends on 2027-01-05.
        (date(2026, 11, 6), date(2027, 1, 5)),
    ],
)
def test_notice_before_the_renewal_date(notice: date, ends: date) -> None:
    assert (
        rules.end_after_notice(
            notice_given=notice, notice_days=30, started_on=date(2026, 10, 5), before_renewal=True
        )
        == ends
    )


def test_the_first_30_days_include_day_30_and_not_day_31() -> None:
    start = date(2026, 11, 21)
    assert rules.within_first_days(started_on=start, on=start, days=30)
    assert rules.within_first_days(started_on=start, on=date(2026, 12, 20), days=30)  # day 30
    assert not rules.within_first_days(started_on=start, on=date(2026, 12, 21), days=30)
    assert not rules.within_first_days(started_on=start, on=start - timedelta(days=1), days=30)


def test_refund_credit() -> None:
    # Two months of £5.99 paid: 100% back is a credit of £11.98.
    assert rules.refund_credit([Decimal("5.99"), Decimal("5.99")], Decimal("100")) == Decimal(
        "-11.98"
    )
    # Half of £5.99 = £2.995, half-up to £3.00.
    assert rules.refund_credit([Decimal("5.99")], Decimal("50")) == Decimal("-3.00")
    assert rules.refund_credit([], Decimal("100")) == Decimal("0.00")
    with pytest.raises(InvalidInput):
        rules.refund_credit([Decimal("1")], Decimal("101"))


def test_rule_scope_by_product_key_or_kind() -> None:
    assert rules.applies_to(["hosting"], product_key="hosting-pro", product_kind="hosting")
    assert rules.applies_to(["email"], product_key="email", product_kind="email")
    assert not rules.applies_to(["hosting"], product_key="email", product_kind="email")


def test_aup_kinds_come_from_the_catalogue_list() -> None:
    forbidden = ["public-ftp", "peer-to-peer", "file-sharing"]
    assert rules.check_aup_kind(" Peer-To-Peer ", forbidden) == "peer-to-peer"
    with pytest.raises(InvalidInput) as caught:
        rules.check_aup_kind("irc", forbidden)
    assert (
        str(caught.value)
        == "kind: must be one of public-ftp, peer-to-peer, file-sharing, not 'irc'"
    )


@given(
    started=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    offset=st.integers(0, 3000),
)
def test_periods_tile_time_from_the_start(started: date, offset: int) -> None:
    on = started + timedelta(days=offset)
    period = rules.current_period(started_on=started, on=on)
    assert period.start <= on < period.end
    following = rules.next_period(started_on=started, renewal=period.end)
    assert following.start == period.end
