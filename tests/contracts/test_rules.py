"""Contract rules: lifecycle, minimum and notice periods, early termination and exit quotes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.contracts import rules
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.periods import add_months

VAT = (
    (date(2008, 12, 1), Decimal("0.15")),
    (date(2010, 1, 1), Decimal("0.175")),
    (date(2011, 1, 4), Decimal("0.20")),
)


def mps_terms(**overrides) -> rules.ExitTerms:
    values = {
        "product": "mps-option-2",
        "product_name": "Plusnet Payment Services Option 2",
        "term_months": 36,
        "monthly_price": Decimal("26.50"),
        "price_vat": "exclusive",
        "price_clause": "plusnet-business/broadband-charges#4",
        "notice_days": 30,
        "notice_clause": "plusnet-business/general-terms#6.2",
        "notice_before_renewal": False,
        "minimum_period_clause": "plusnet-business/broadband-schedule#1.7",
        "early_termination_clause": "plusnet-business/broadband-schedule#4.8",
        "detrimental_window_days": 30,
        "detrimental_clause": "plusnet-business/general-terms#6.3",
        "cease_amount": Decimal("20.83"),
        "cease_vat": "exclusive",
        "cease_clause": "plusnet-business/broadband-charges#8",
        "cease_waived_with_mac": True,
        "vat_rates": VAT,
    }
    values.update(overrides)
    return rules.ExitTerms(**values)


def test_lifecycle_allows_the_order_path() -> None:
    for current, target in [
        ("ordered", "line-test"),
        ("line-test", "active"),
        ("line-test", "cancelled"),
        ("active", "suspended"),
        ("suspended", "active"),
        ("active", "ceased"),
    ]:
        rules.check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (
            "ceased",
            "active",
            "cannot change a subscription from ceased to active (allowed: nothing)",
        ),
        (
            "ordered",
            "suspended",
            "cannot change a subscription from ordered to suspended "
            "(allowed: active, cancelled, line-test)",
        ),
        (
            "active",
            "cancelled",
            "cannot change a subscription from active to cancelled (allowed: ceased, suspended)",
        ),
        ("active", "paused", "unknown status 'paused'"),
    ],
)
def test_lifecycle_refuses_other_changes(current: str, target: str, message: str) -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        rules.check_transition(current, target)
    assert str(caught.value) == message


def test_minimum_period_end_clamps_to_month_end() -> None:
    assert rules.minimum_period_end(date(2025, 1, 15), 36) == date(2028, 1, 15)
    assert rules.minimum_period_end(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_plusnet_worked_example_option_2_36_months_market_3() -> None:
    # Option 2, 36 months, market 3: £26.50 a month (broadband-charges#4).
    # Service start 2025-01-15, so the Minimum Period ends 2028-01-15 (broadband-schedule#1.7).
    # Notice 2026-09-20 + 30 days (general-terms#6.2) = termination 2026-10-20.
    # Whole months from 2026-10-20 to 2028-01-15: 2026-10-20 + 14 months = 2027-12-20 <= M,
    # + 15 months = 2028-01-20 > M, so n = 14; part month 2027-12-20..2028-01-15 = 26 days of
    # a 31-day month (2027-12-20..2028-01-20).
    # Early termination = 26.50 x 14 + 26.50 x 26 / 31 = 371.00 + 22.2258... = 393.2258
    # -> £393.23 (half-up); VAT 20% = 78.646 -> £78.65; gross £471.88.
    # Cease charge £20.83 + VAT 4.166 -> £4.17 = £25.00 (broadband-charges#8).
    quote = rules.exit_quote(
        mps_terms(), service_start=date(2025, 1, 15), notice_given=date(2026, 9, 20)
    )
    assert quote.termination_date == date(2026, 10, 20)
    assert quote.minimum_period_end == date(2028, 1, 15)
    assert [
        (line.kind, line.amount.net, line.amount.vat, line.amount.gross, line.clause)
        for line in quote.lines
    ] == [
        (
            "early_termination",
            Decimal("393.23"),
            Decimal("78.65"),
            Decimal("471.88"),
            "plusnet-business/broadband-schedule#4.8",
        ),
        (
            "cease",
            Decimal("20.83"),
            Decimal("4.17"),
            Decimal("25.00"),
            "plusnet-business/broadband-charges#8",
        ),
    ]
    assert (quote.total.net, quote.total.vat, quote.total.gross) == (
        Decimal("414.06"),
        Decimal("82.82"),
        Decimal("496.88"),
    )


def test_plusnet_worked_example_option_1_24_months_from_a_month_end() -> None:
    # Option 1, 24 months, market 1-2: £28.00. Start 2024-03-31 -> M = 2026-03-31.
    # Notice 2025-12-15 + 30 days = 2026-01-14. 2026-01-14 + 2 months = 2026-03-14 <= M,
    # + 3 months = 2026-04-14 > M: n = 2, part = 17 days of 31 (2026-03-14..2026-04-14).
    # 28.00 x 2 + 28.00 x 17 / 31 = 56.00 + 15.3548... = 71.3548 -> £71.35; VAT 14.27.
    quote = rules.exit_quote(
        mps_terms(term_months=24, monthly_price=Decimal("28.00")),
        service_start=date(2024, 3, 31),
        notice_given=date(2025, 12, 15),
        mac=True,
    )
    assert quote.termination_date == date(2026, 1, 14)
    assert [(line.kind, line.amount.net, line.amount.vat) for line in quote.lines] == [
        ("early_termination", Decimal("71.35"), Decimal("14.27"))
    ]
    assert [w.kind for w in quote.waived] == ["cease"]


def test_no_early_termination_charge_once_the_minimum_period_has_passed() -> None:
    # Notice on 2027-12-20 ends the contract 2028-01-19, after M = 2028-01-15.
    quote = rules.exit_quote(
        mps_terms(), service_start=date(2025, 1, 15), notice_given=date(2027, 12, 20)
    )
    assert [line.kind for line in quote.lines] == ["cease"]


def test_detrimental_change_waives_early_termination_within_30_days() -> None:
    # general-terms#6.3(b): notice within 30 days of being told of a detrimental change.
    inside = rules.exit_quote(
        mps_terms(),
        service_start=date(2025, 1, 15),
        notice_given=date(2026, 9, 20),
        detrimental_change_notified=date(2026, 8, 21),  # 30 days before the notice
    )
    assert [line.kind for line in inside.lines] == ["cease"]
    assert [(w.kind, w.clause) for w in inside.waived] == [
        ("early_termination", "plusnet-business/general-terms#6.3")
    ]
    outside = rules.exit_quote(
        mps_terms(),
        service_start=date(2025, 1, 15),
        notice_given=date(2026, 9, 20),
        detrimental_change_notified=date(2026, 8, 20),  # 31 days before the notice
    )
    assert [line.kind for line in outside.lines] == ["early_termination", "cease"]


def test_detrimental_change_after_the_notice_is_refused() -> None:
    with pytest.raises(InvalidInput, match="is after the notice date"):
        rules.exit_quote(
            mps_terms(),
            service_start=date(2025, 1, 15),
            notice_given=date(2026, 9, 20),
            detrimental_change_notified=date(2026, 9, 21),
        )


def test_notice_before_start_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.exit_quote(
            mps_terms(), service_start=date(2025, 1, 15), notice_given=date(2025, 1, 14)
        )
    assert str(caught.value) == "notice: 2025-01-14 is before the service start date 2025-01-15"


def test_plugin_notice_runs_to_the_renewal_date() -> None:
    # plugin/broadband-terms#2: 20 days' notice before the renewal date. Monthly renewals on
    # the 10th: notice on 2026-07-01 reaches 2026-07-21, so the contract ends 2026-08-10;
    # notice on 2026-07-21 is exactly 20 days before 2026-08-10, so it ends then too.
    for notice, ends in [
        (date(2026, 7, 1), date(2026, 8, 10)),
        (date(2026, 7, 21), date(2026, 8, 10)),
        (date(2026, 7, 22), date(2026, 9, 10)),
    ]:
        assert (
            rules.termination_date(
                notice_given=notice,
                notice_days=20,
                service_start=date(2026, 3, 10),
                notice_before_renewal=True,
            )
            == ends
        )


def test_vat_rate_in_force_on_the_termination_date() -> None:
    # 17.5% until 2011-01-03; 20% from 2011-01-04.
    quote = rules.exit_quote(
        mps_terms(term_months=24), service_start=date(2009, 2, 1), notice_given=date(2010, 12, 1)
    )
    assert quote.termination_date == date(2010, 12, 31)
    assert quote.vat_rate == Decimal("0.175")


@given(
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
    term=st.sampled_from([12, 24, 36, 48]),
    offset=st.integers(min_value=0, max_value=60 * 31),
    pence=st.integers(min_value=100, max_value=20000),
)
def test_early_termination_is_bounded_and_never_grows_as_notice_comes_later(
    start: date, term: int, offset: int, pence: int
) -> None:
    price = Decimal(pence) / 100
    minimum_end = add_months(start, term)
    earlier = start + timedelta(days=offset)
    later = earlier + timedelta(days=1)
    first = rules.early_termination_charge(
        monthly_price=price, termination=earlier, minimum_end=minimum_end
    )
    second = rules.early_termination_charge(
        monthly_price=price, termination=later, minimum_end=minimum_end
    )
    assert Decimal(0) <= second <= first <= price * term
    if earlier >= minimum_end:
        assert first == Decimal("0.00")


@given(
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
    term=st.sampled_from([12, 24, 36, 48]),
    months_before_end=st.integers(min_value=0, max_value=12),
)
def test_termination_a_whole_number_of_months_before_the_end_charges_whole_months(
    start: date, term: int, months_before_end: int
) -> None:
    months_before_end = min(months_before_end, term)
    minimum_end = add_months(start, term)
    termination = add_months(start, term - months_before_end)
    charge = rules.early_termination_charge(
        monthly_price=Decimal("26.50"), termination=termination, minimum_end=minimum_end
    )
    if start.day <= 28:
        # No month-end clamping: the remaining time is exactly whole months.
        assert charge == Decimal("26.50") * months_before_end
    else:
        # A clamped termination date (31 Jan -> 28 Feb) leaves a few extra days to pay.
        assert Decimal("26.50") * months_before_end <= charge
        assert charge < Decimal("26.50") * (months_before_end + 1)
