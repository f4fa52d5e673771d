"""Invoice rules: worked examples from the charge tables and the invariants of every bill."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from backhaul.billing import rules
from backhaul.core.money import Taxed

VAT = (
    (date(2008, 12, 1), Decimal("0.15")),
    (date(2010, 1, 1), Decimal("0.175")),
    (date(2011, 1, 4), Decimal("0.20")),
)
TERMS = rules.BillingTerms(recurring_clause="plusnet-business/general-terms#4.5(a)", vat_rates=VAT)
PLUGIN_TERMS = rules.BillingTerms(
    recurring_clause="plugin/general-terms#rule-6",
    vat_rates=VAT,
    refund_clause="plugin/general-terms#rule-5",
)
OPTION_1 = (
    rules.PriceFact(
        start=date(2019, 6, 1),
        amount=Decimal("28.00"),
        vat="exclusive",
        clause="plusnet-business/broadband-charges#4",
    ),
)


def mps(**overrides) -> rules.SubscriptionFact:
    values = dict(
        id=1,
        product="mps-option-1",
        name="Plusnet Payment Services Option 1",
        billing_period="monthly",
        status="active",
        service_start=date(2026, 11, 15),
        ends_on=None,
        prices=OPTION_1,
    )
    values.update(overrides)
    return rules.SubscriptionFact(**values)


def charge(id: int, amount: str, key: str, tax_point: date, **extra) -> rules.ChargeFact:
    return rules.ChargeFact(
        id=id,
        kind="one-off",
        description=key,
        amount=Decimal(amount),
        vat_treatment="exclusive",
        clause="plusnet-business/broadband-charges#4",
        tax_point=tax_point,
        **extra,
    )


def test_first_bill_of_mps_option_1_24_months_market_1_2() -> None:
    # broadband-charges#4, Option 1, 24 months, market 1/2: activation £30.00, P&P £6.09,
    # monthly rental £28.00, all plus VAT at 20%. Service starts on the bill date (15th):
    # rental in advance for 15 Nov - 14 Dec 2026, activation and P&P in arrears.
    # VAT per line, half-up: 28.00 x 0.2 = 5.60; 30.00 x 0.2 = 6.00; 6.09 x 0.2 = 1.218 -> 1.22.
    # Net 64.09, VAT 12.82, total 76.91.
    draft = rules.invoice_draft(
        bill_date=date(2026, 11, 15),
        bill_day=15,
        subscriptions=[mps()],
        charges=[
            charge(1, "30.00", "New activation", date(2026, 11, 15)),
            charge(2, "6.09", "P&P", date(2026, 11, 15)),
        ],
        billed=[],
        terms=TERMS,
    )
    assert [(line.kind, line.amount.net, line.amount.vat) for line in draft.lines] == [
        ("recurring", Decimal("28.00"), Decimal("5.60")),
        ("one-off", Decimal("30.00"), Decimal("6.00")),
        ("one-off", Decimal("6.09"), Decimal("1.22")),
    ]
    assert draft.lines[0].description == (
        "Plusnet Payment Services Option 1, 15 Nov 2026 to 14 Dec 2026"
    )
    assert draft.lines[0].clause == "plusnet-business/broadband-charges#4"
    assert (draft.total.net, draft.total.vat, draft.total.gross) == (
        Decimal("64.09"),
        Decimal("12.82"),
        Decimal("76.91"),
    )
    assert draft.vat_summary() == {Decimal("0.20"): draft.total}


def test_service_starting_mid_period_is_billed_pro_rata_then_in_advance() -> None:
    # Bill day 1; service from 15 Nov 2026. The bill of 1 Dec covers 15-30 Nov in arrears:
    # 16 of 30 days: 28.00 x 16 / 30 = 14.9333 -> £14.93 (half-up), VAT 2.986 -> £2.99;
    # then December in advance at £28.00.
    draft = rules.invoice_draft(
        bill_date=date(2026, 12, 1),
        bill_day=1,
        subscriptions=[mps()],
        charges=[],
        billed=[],
        terms=TERMS,
    )
    assert [(line.description, line.amount.net, line.amount.vat) for line in draft.lines] == [
        (
            "Plusnet Payment Services Option 1, 15 Nov 2026 to 30 Nov 2026 "
            "(pro rata 16 of 30 days at £28.00)",
            Decimal("14.93"),
            Decimal("2.99"),
        ),
        (
            "Plusnet Payment Services Option 1, 1 Dec 2026 to 31 Dec 2026",
            Decimal("28.00"),
            Decimal("5.60"),
        ),
    ]
    assert draft.lines[0].clause == "plusnet-business/general-terms#4.5(a)"


def test_nothing_is_billed_twice() -> None:
    billed = [
        rules.BilledPeriod(
            subscription_id=1,
            start=date(2026, 11, 15),
            end=date(2026, 12, 15),
            net=Decimal("28.00"),
        )
    ]
    draft = rules.invoice_draft(
        bill_date=date(2026, 12, 15),
        bill_day=15,
        subscriptions=[mps()],
        charges=[],
        billed=billed,
        terms=TERMS,
    )
    assert [line.description for line in draft.lines] == [
        "Plusnet Payment Services Option 1, 15 Dec 2026 to 14 Jan 2027"
    ]


def test_bill_day_31_bills_on_the_last_day_of_short_months() -> None:
    assert rules.bill_date_in(2027, 2, 31) == date(2027, 2, 28)
    assert rules.bill_date_in(2028, 2, 31) == date(2028, 2, 29)
    assert rules.next_bill_date(date(2027, 1, 31), 31) == date(2027, 2, 28)
    assert rules.next_bill_date(date(2027, 2, 28), 31) == date(2027, 3, 31)
    assert rules.is_bill_date(date(2027, 2, 28), 31)


def test_plugin_refunds_days_paid_for_after_service_ends() -> None:
    # plugin/general-terms#rule-5: refunds at the pro-rata rate. Broadband at £24.99 billed
    # in advance for 10 Nov - 9 Dec (30 days); ceased 25 Nov, so 15 days were used:
    # used = 24.99 x 15 / 30 = 12.495 -> 12.50 (half-up); refund = 24.99 - 12.50 = £12.49,
    # VAT 2.498 -> £2.50.
    price = (
        rules.PriceFact(
            start=date(2019, 6, 1),
            amount=Decimal("24.99"),
            vat="exclusive",
            clause="plugin/broadband-terms#1",
        ),
    )
    subscription = rules.SubscriptionFact(
        id=7,
        product="broadband",
        name="PlugIn Broadband",
        billing_period="monthly",
        status="ceased",
        service_start=date(2026, 9, 10),
        ends_on=date(2026, 11, 25),
        prices=price,
    )
    billed = [
        rules.BilledPeriod(
            subscription_id=7, start=date(2026, 9, 10), end=date(2026, 10, 10), net=Decimal("24.99")
        ),
        rules.BilledPeriod(
            subscription_id=7,
            start=date(2026, 10, 10),
            end=date(2026, 11, 10),
            net=Decimal("24.99"),
        ),
        rules.BilledPeriod(
            subscription_id=7,
            start=date(2026, 11, 10),
            end=date(2026, 12, 10),
            net=Decimal("24.99"),
        ),
    ]
    draft = rules.invoice_draft(
        bill_date=date(2026, 12, 10),
        bill_day=10,
        subscriptions=[subscription],
        charges=[],
        billed=billed,
        terms=PLUGIN_TERMS,
    )
    assert [(line.kind, line.amount.net, line.amount.vat, line.clause) for line in draft.lines] == [
        ("refund", Decimal("-12.49"), Decimal("-2.50"), "plugin/general-terms#rule-5")
    ]
    # Once refunded, never again.
    refunded = [
        *billed,
        rules.BilledPeriod(
            subscription_id=7,
            start=date(2026, 11, 25),
            end=date(2026, 12, 10),
            net=Decimal("-12.49"),
        ),
    ]
    again = rules.invoice_draft(
        bill_date=date(2027, 1, 10),
        bill_day=10,
        subscriptions=[subscription],
        charges=[],
        billed=refunded,
        terms=PLUGIN_TERMS,
    )
    assert again.lines == ()


def test_annual_products_are_billed_a_whole_period_in_advance() -> None:
    price = (
        rules.PriceFact(
            start=date(2019, 6, 1),
            amount=Decimal("12.99"),
            vat="exclusive",
            clause="plugin/domain-terms#1",
        ),
    )
    domain = rules.SubscriptionFact(
        id=3,
        product="domain-com",
        name="Domain .com",
        status="active",
        billing_period="annual",
        service_start=date(2026, 11, 20),
        ends_on=None,
        prices=price,
    )
    draft = rules.invoice_draft(
        bill_date=date(2026, 12, 1),
        bill_day=1,
        subscriptions=[domain],
        charges=[],
        billed=[],
        terms=PLUGIN_TERMS,
    )
    assert [(line.description, line.amount.net) for line in draft.lines] == [
        ("Domain .com, 20 Nov 2026 to 19 Nov 2027", Decimal("12.99"))
    ]


def test_vat_inclusive_and_precomputed_charges() -> None:
    # business-phone-charges#6: restriction £5.76 inc VAT. At 20%: VAT = 5.76 x 0.2 / 1.2 =
    # 0.96, net 4.80. Calls arrive with their VAT already worked out per call.
    restriction = rules.ChargeFact(
        id=1,
        kind="one-off",
        description="Restriction",
        amount=Decimal("5.76"),
        vat_treatment="inclusive",
        clause="plusnet-business/business-phone-charges#6",
        tax_point=date(2026, 11, 3),
    )
    calls = rules.ChargeFact(
        id=2,
        kind="usage",
        description="Calls",
        amount=Decimal("3.41"),
        vat_treatment="exclusive",
        vat=Decimal("0.72"),
        clause="plusnet-business/business-phone-charges#7",
        tax_point=date(2026, 11, 30),
    )
    draft = rules.invoice_draft(
        bill_date=date(2026, 12, 1),
        bill_day=1,
        subscriptions=[],
        charges=[calls, restriction],
        billed=[],
        terms=TERMS,
    )
    assert [(line.description, line.amount.net, line.amount.vat) for line in draft.lines] == [
        ("Restriction", Decimal("4.80"), Decimal("0.96")),
        ("Calls", Decimal("3.41"), Decimal("0.72")),
    ]


def test_charges_after_the_bill_date_wait_for_the_next_bill() -> None:
    later = charge(1, "30.00", "New activation", date(2026, 12, 2))
    draft = rules.invoice_draft(
        bill_date=date(2026, 12, 1),
        bill_day=1,
        subscriptions=[],
        charges=[later],
        billed=[],
        terms=TERMS,
    )
    assert draft.lines == ()


@given(
    bill_day=st.integers(min_value=1, max_value=31),
    month_offset=st.integers(min_value=0, max_value=40),
    split=st.integers(min_value=1, max_value=27),
    pence=st.integers(min_value=1, max_value=50000),
)
def test_any_split_of_a_period_sums_to_the_full_price(
    bill_day: int, month_offset: int, split: int, pence: int
) -> None:
    # A plan change on any day: the old plan until the split, the new one from it, both at
    # the same price, add up to exactly one period's price.
    start = rules.bill_date_in(2025 + month_offset // 12, month_offset % 12 + 1, bill_day)
    end = rules.next_bill_date(start, bill_day)
    cut = min(start + timedelta(days=split), end - timedelta(days=1))
    price = Decimal(pence) / 100
    first = rules.part_period_amount(
        price, start=start, stop=cut, period_start=start, period_end=end
    )
    second = rules.part_period_amount(
        price, start=cut, stop=end, period_start=start, period_end=end
    )
    assert first + second == price


@given(
    start_day=st.integers(min_value=0, max_value=400),
    bill_day=st.integers(min_value=1, max_value=31),
    months=st.integers(min_value=1, max_value=14),
    activation=st.integers(min_value=0, max_value=10000),
)
def test_every_draft_adds_up_and_billing_month_by_month_covers_each_day_once(
    start_day: int, bill_day: int, months: int, activation: int
) -> None:
    service_start = date(2025, 1, 1) + timedelta(days=start_day)
    subscription = mps(service_start=service_start)
    billed: list[rules.BilledPeriod] = []
    bill = rules.bill_period_containing(service_start, bill_day)[1]
    extra = [charge(1, str(Decimal(activation) / 100), "activation", service_start)]
    for _ in range(months):
        draft = rules.invoice_draft(
            bill_date=bill,
            bill_day=bill_day,
            subscriptions=[subscription],
            charges=extra,
            billed=billed,
            terms=TERMS,
        )
        extra = []
        total = Taxed.sum_taxed(line.amount for line in draft.lines)
        assert total == draft.total
        assert draft.total.net + draft.total.vat == draft.total.gross
        for line in draft.lines:
            if line.subscription_id:
                billed.append(
                    rules.BilledPeriod(
                        subscription_id=1,
                        start=line.period_start,
                        end=line.period_end,
                        net=line.amount.net,
                    )
                )
        bill = rules.next_bill_date(bill, bill_day)
    covered = sorted((b.start, b.end) for b in billed)
    assert covered[0][0] == service_start
    for (_, end), (start, _) in itertools.pairwise(covered):
        assert end == start
    # Whole periods are charged the full £28.00; a part period less than that.
    for b in billed:
        whole = rules.bill_period_containing(b.start, bill_day)
        if (b.start, b.end) == whole:
            assert b.net == Decimal("28.00")
        else:
            assert Decimal(0) < b.net < Decimal("28.00")
