"""Payment and credit control rules, worked out from the terms by hand. No database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.payments import rules

D = Decimal
PLUGIN_METHODS = rules.MethodTerms(
    clause="plugin/code-of-practice#charges",
    accepted=("credit-card", "debit-card", "cheque", "bacs", "direct-debit", "standing-order"),
    refused=("cash", "visa-electron"),
)
PLUSNET_METHODS = rules.MethodTerms(
    clause="plusnet-business/general-terms#4.9",
    accepted=("direct-debit", "debit-card", "credit-card"),
    others_by_agreement=True,
)
PLUGIN_INTEREST = rules.InterestTerms(
    model=rules.MONTHLY_PERCENT, clause="plugin/general-terms#rule-6", monthly_percent=D("1")
)
ECB = (
    (date(2025, 3, 12), D("2.65")),
    (date(2025, 4, 23), D("2.40")),
    (date(2025, 6, 11), D("2.15")),
)
PLUSNET_INTEREST = rules.InterestTerms(
    model=rules.ECB_PLUS,
    clause="plusnet-business/general-terms#4.11(b)",
    margin_percent=D("7"),
    base_rates=ECB,
    base_rates_verified_until=date(2025, 12, 18),
)


# --- Payment methods -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "stored"),
    [
        ("card", "card"),
        ("credit-card", "card"),
        ("Debit-Card", "card"),
        ("direct-debit", "direct-debit"),
        ("bacs", "bacs"),
        ("cheque", "cheque"),
        ("standing-order", "standing-order"),
    ],
)
def test_plugin_takes_cards_cheques_bacs_direct_debit_and_standing_orders(method, stored) -> None:
    assert rules.payment_method_check(method, terms=PLUGIN_METHODS, brand="plugin") == stored


def test_cash_and_visa_electron_are_refused_citing_the_rule() -> None:
    with pytest.raises(rules.PaymentRefused) as cash:
        rules.payment_method_check("cash", terms=PLUGIN_METHODS, brand="plugin")
    assert str(cash.value) == (
        "method: plugin does not accept cash "
        "(plugin/code-of-practice#charges: refused cash, visa-electron)"
    )
    with pytest.raises(rules.PaymentRefused, match="card: plugin does not accept visa-electron"):
        rules.payment_method_check(
            "card", terms=PLUGIN_METHODS, brand="plugin", card_brand="Visa-Electron"
        )
    with pytest.raises(rules.PaymentRefused, match="method: plugin does not accept visa-electron"):
        rules.payment_method_check("visa-electron", terms=PLUGIN_METHODS, brand="plugin")


def test_plusnet_takes_other_methods_only_by_agreement() -> None:
    # "The Customer must pay all charges by direct debit, or debit or credit card, unless
    # otherwise advised by Plusnet" (general-terms#4.9).
    with pytest.raises(rules.PaymentRefused) as refused:
        rules.payment_method_check("cheque", terms=PLUSNET_METHODS, brand="plusnet-business")
    assert str(refused.value) == (
        "method: plusnet-business does not take cheque unless agreed by staff "
        "(plusnet-business/general-terms#4.9: accepts direct-debit, debit-card, credit-card)"
    )
    assert (
        rules.payment_method_check(
            "cheque", terms=PLUSNET_METHODS, brand="plusnet-business", by_agreement=True
        )
        == "cheque"
    )
    with pytest.raises(rules.PaymentRefused, match="does not take cash"):
        rules.payment_method_check(
            "cash", terms=PLUSNET_METHODS, brand="plusnet-business", by_agreement=True
        )
    with pytest.raises(InvalidInput, match="unknown payment method 'bitcoin'"):
        rules.payment_method_check("bitcoin", terms=PLUSNET_METHODS, brand="plusnet-business")


@pytest.mark.parametrize("amount", [D("0"), D("0.00"), D("-5.00")])
def test_zero_and_negative_payments_are_refused(amount) -> None:
    with pytest.raises(InvalidInput, match="amount: must be more than zero"):
        rules.payment_amount_check(amount)


def test_payments_are_whole_pence() -> None:
    with pytest.raises(InvalidInput, match=r"amount: whole pence only, not 1\.001"):
        rules.payment_amount_check(D("1.001"))
    assert rules.payment_amount_check(D("12.3")) == D("12.30")


# --- Allocation ------------------------------------------------------------------------


def debt(key: str, day: date, amount: str) -> rules.Debt:
    return rules.Debt(key=key, order=(day, key), amount=D(amount), available_on=day)


def fund(key: str, day: date, amount: str) -> rules.Fund:
    return rules.Fund(key=key, order=(day, key), amount=D(amount), received_on=day)


def test_payments_meet_the_oldest_invoice_first() -> None:
    # £50.00 paid on 20 Nov meets September's £30.00 in full, then £20.00 of October's
    # £30.00; November's bill is untouched; nothing is left over.
    parts = rules.allocate(
        [
            debt("NOV", date(2026, 11, 15), "30.00"),
            debt("SEP", date(2026, 9, 15), "30.00"),
            debt("OCT", date(2026, 10, 15), "30.00"),
        ],
        [fund("P1", date(2026, 11, 20), "50.00")],
    )
    assert [(p.debt, p.amount, p.on) for p in parts] == [
        ("SEP", D("30.00"), date(2026, 11, 20)),
        ("OCT", D("20.00"), date(2026, 11, 20)),
    ]


def test_a_payment_before_the_bill_meets_it_on_the_bill_date() -> None:
    parts = rules.allocate(
        [debt("DEC", date(2026, 12, 15), "30.00")], [fund("P1", date(2026, 12, 1), "40.00")]
    )
    assert [(p.amount, p.on) for p in parts] == [(D("30.00"), date(2026, 12, 15))]


pennies = st.integers(min_value=-500, max_value=50_000).map(lambda n: D(n).scaleb(-2))
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    debts=st.lists(st.tuples(days, pennies), max_size=12),
    funds=st.lists(st.tuples(days, pennies), max_size=12),
)
def test_allocation_never_over_allocates_and_sums_match(debts, funds) -> None:
    owed = [debt(f"D{i}", d, str(a)) for i, (d, a) in enumerate(debts)]
    paid = [fund(f"F{i}", d, str(a)) for i, (d, a) in enumerate(funds)]
    parts = rules.allocate(owed, paid)
    for item in owed:
        taken = sum((p.amount for p in parts if p.debt == item.key), D(0))
        assert taken <= max(item.amount, D(0))
    for item in paid:
        given_ = sum((p.amount for p in parts if p.fund == item.key), D(0))
        assert given_ <= max(item.amount, D(0))
    assert all(p.amount > 0 for p in parts)
    total_owed = sum((d.amount for d in owed if d.amount > 0), D(0))
    total_paid = sum((f.amount for f in paid if f.amount > 0), D(0))
    assert sum((p.amount for p in parts), D(0)) == min(total_owed, total_paid)
    # Oldest first: a debt is only touched once every older debt is paid in full.
    by_key = {d.key: d for d in owed}
    touched = {p.debt for p in parts}
    for item in owed:
        if item.key in touched:
            for older in owed:
                if older.order < item.order and older.amount > 0:
                    taken = sum((p.amount for p in parts if p.debt == older.key), D(0))
                    assert taken == by_key[older.key].amount


# --- Ledger ----------------------------------------------------------------------------


def test_balance_is_invoices_plus_credit_notes_less_payments_plus_refunds() -> None:
    # Invoices £76.91 + £33.60 = £110.51; credit note -£36.00; payment £100.00; refund
    # £5.00: 110.51 - 36.00 - 100.00 + 5.00 = -20.49 (a credit of £20.49).
    invoices = [
        rules.InvoiceFact(
            "INV1",
            date(2026, 11, 15),
            date(2026, 11, 15),
            D("76.91"),
            credits=((date(2026, 11, 21), D("36.00")),),
        ),
        rules.InvoiceFact("INV2", date(2026, 12, 15), date(2026, 12, 15), D("33.60")),
    ]
    money = [
        rules.MoneyFact("P1", date(2026, 11, 20), D("100.00"), 1),
        rules.MoneyFact("R1", date(2026, 12, 20), D("5.00"), -1),
    ]
    book = rules.ledger(invoices, money, on=date(2026, 12, 31))
    assert book.balance == D("-20.49")
    # P1 pays INV1 (76.91 - 36.00 = 40.91) and INV2 (33.60), then the refund (5.00);
    # 100.00 - 40.91 - 33.60 - 5.00 = 20.49 is left as credit.
    assert book.credit == D("20.49")
    assert book.invoice_outstanding("INV1") == D("0.00")
    assert book.invoice_outstanding("INV2") == D("0.00")


def test_a_reversed_payment_counts_as_never_made() -> None:
    invoices = [rules.InvoiceFact("INV1", date(2026, 11, 15), date(2026, 11, 15), D("76.91"))]
    money = [
        rules.MoneyFact("P1", date(2026, 11, 16), D("76.91"), 1, reversed_on=date(2026, 11, 20))
    ]
    assert rules.ledger(invoices, money, on=date(2026, 11, 19)).balance == D("0.00")
    after = rules.ledger(invoices, money, on=date(2026, 11, 20))
    assert after.balance == D("76.91")
    assert [(p.invoice, left) for p, left in after.overdue(on=date(2026, 11, 20))] == [
        ("INV1", D("76.91"))
    ]


def test_an_open_dispute_over_the_threshold_holds_back_only_the_disputed_amount() -> None:
    dispute = rules.DisputeFact(
        id=1, raised_on=date(2026, 11, 20), amount=D("10.00"), withholds=True
    )
    invoice = rules.InvoiceFact(
        "INV1", date(2026, 11, 15), date(2026, 11, 15), D("100.00"), disputes=(dispute,)
    )
    book = rules.ledger(
        [invoice], [rules.MoneyFact("P1", date(2026, 11, 16), D("90.00"), 1)], on=date(2026, 12, 1)
    )
    assert book.overdue(on=date(2026, 12, 1)) == []
    assert book.withheld() == D("10.00")
    resolved = rules.DisputeFact(
        id=1,
        raised_on=date(2026, 11, 20),
        amount=D("10.00"),
        withholds=True,
        resolved_on=date(2026, 12, 2),
        credited=D("4.00"),
    )
    invoice = rules.InvoiceFact(
        "INV1",
        date(2026, 11, 15),
        date(2026, 11, 15),
        D("100.00"),
        credits=((date(2026, 12, 2), D("4.00")),),
        disputes=(resolved,),
    )
    later = rules.ledger(
        [invoice], [rules.MoneyFact("P1", date(2026, 11, 16), D("90.00"), 1)], on=date(2026, 12, 3)
    )
    # £4.00 credited; the other £6.00 was confirmed and is due from 2 Dec.
    assert [(p.due_on, left) for p, left in later.overdue(on=date(2026, 12, 3))] == [
        (date(2026, 12, 2), D("6.00"))
    ]


# --- Declines and chargebacks ----------------------------------------------------------


def test_three_failures_a_year_are_free_then_each_is_charged() -> None:
    clause = "plugin/broadband-terms#10"
    earlier = [date(2026, 1, 10), date(2026, 3, 5), date(2026, 6, 1)]
    third = rules.decline_charge_due(
        earlier[:2], on=date(2026, 6, 1), free_per_year=3, clause=clause
    )
    assert (third.occurrence, third.chargeable) == (3, False)
    fourth = rules.decline_charge_due(
        earlier, on=date(2026, 11, 20), free_per_year=3, clause=clause
    )
    assert (fourth.occurrence, fourth.chargeable) == (4, True)
    # Twelve months on, January's decline has dropped out of the window (11 Jan 2026
    # onwards counts): March, June, November and this one make four again.
    assert (
        rules.decline_charge_due(
            [*earlier, date(2026, 11, 20)], on=date(2027, 1, 11), free_per_year=3, clause=clause
        ).occurrence
        == 4
    )
    # In 2028 only this one counts.
    assert not rules.decline_charge_due(
        [*earlier, date(2026, 11, 20)], on=date(2028, 1, 1), free_per_year=3, clause=clause
    ).chargeable


def test_chargeback_charge_depends_on_the_product() -> None:
    by_product = {"hosting": "chargeback-hosting", "email": "chargeback-email"}
    assert (
        rules.chargeback_charge_key(
            default_key="chargeback", by_product=by_product, product_kind="email"
        )
        == "chargeback-email"
    )
    assert (
        rules.chargeback_charge_key(
            default_key="chargeback", by_product=by_product, product_kind="broadband"
        )
        == "chargeback"
    )


# --- Interest: worked examples ---------------------------------------------------------


def one_invoice(amount: str, due: date) -> list[rules.Piece]:
    return [rules.Piece(invoice="INV1", key="INV1", due_on=due, amount=D(amount), bill_date=due)]


def test_plugin_one_percent_a_month_worked_example() -> None:
    # £120.00 due 15 Sep 2026, unpaid; interest up to 21 Nov 2026 (days 15 Sep .. 20 Nov).
    # September: 16 days of 30; October: all 31 of 31; November: 20 days of 30.
    # 120.00 x 1% x (16/30 + 31/31 + 20/30) = 1.20 x 2.2 = 2.64 exactly.
    result = rules.interest_for_invoice(
        invoice="INV1",
        pieces=one_invoice("120.00", date(2026, 9, 15)),
        paid=[],
        start=date(2026, 9, 15),
        end=date(2026, 11, 21),
        terms=PLUGIN_INTEREST,
    )
    assert [(p.start, p.days, p.principal) for p in result.periods] == [
        (date(2026, 9, 15), 16, D("120.00")),
        (date(2026, 10, 1), 31, D("120.00")),
        (date(2026, 11, 1), 20, D("120.00")),
    ]
    assert result.exact == D("2.64")
    assert result.amount == D("2.64")


def test_plugin_interest_follows_part_payments() -> None:
    # £60.00 of the £120.00 paid on 10 Oct: 120.00 for 15-30 Sep (16/30) and 1-9 Oct
    # (9/31), 60.00 for 10-31 Oct (22/31) and 1-20 Nov (20/30):
    # 1.20 x 16/30 = 0.64; 1.20 x 9/31 = 10.8/31; 0.60 x 22/31 = 13.2/31; 0.60 x 20/30 = 0.40
    # total 1.04 + 24/31 = 1.8141935...: rounded half-up once, £1.81.
    result = rules.interest_for_invoice(
        invoice="INV1",
        pieces=one_invoice("120.00", date(2026, 9, 15)),
        paid=[("INV1", date(2026, 10, 10), D("60.00"))],
        start=date(2026, 9, 15),
        end=date(2026, 11, 21),
        terms=PLUGIN_INTEREST,
    )
    assert [(p.days, p.principal) for p in result.periods] == [
        (16, D("120.00")),
        (9, D("120.00")),
        (22, D("60.00")),
        (20, D("60.00")),
    ]
    assert abs(result.exact - (D("1.04") + D(24) / D(31))) < D("1e-30")
    assert result.amount == D("1.81")


def test_plusnet_ecb_plus_seven_percent_worked_example() -> None:
    # £240.00 due 1 May 2025, paid 1 Jul 2025: interest for 1 May .. 30 Jun.
    # ECB main refinancing rate 2.40% from 23 Apr 2025, 2.15% from 11 Jun 2025; plus 7%.
    # 1 May - 10 Jun: 41 days at 9.40%: 240.00 x 0.094 x 41/365 = 924.96/365
    # 11 Jun - 30 Jun: 20 days at 9.15%: 240.00 x 0.0915 x 20/365 = 439.20/365
    # total 1364.16/365 = 3.7374246...: rounded half-up once, £3.74.
    result = rules.interest_for_invoice(
        invoice="INV1",
        pieces=one_invoice("240.00", date(2025, 5, 1)),
        paid=[("INV1", date(2025, 7, 1), D("240.00"))],
        start=date(2025, 5, 1),
        end=date(2025, 12, 1),
        terms=PLUSNET_INTEREST,
    )
    assert [(p.start, p.end, p.days) for p in result.periods] == [
        (date(2025, 5, 1), date(2025, 6, 11), 41),
        (date(2025, 6, 11), date(2025, 7, 1), 20),
    ]
    assert result.periods[0].rate.startswith("9.40% a year (ECB 2.40% from 2025-04-23 + 7%)")
    assert abs(result.exact - D("1364.16") / D(365)) < D("1e-30")
    assert result.amount == D("3.74")


def test_days_after_the_verified_rate_table_are_flagged() -> None:
    result = rules.interest_for_invoice(
        invoice="INV1",
        pieces=one_invoice("100.00", date(2025, 12, 10)),
        paid=[],
        start=date(2025, 12, 10),
        end=date(2026, 1, 10),
        terms=PLUSNET_INTEREST,
    )
    assert [(p.start, p.unverified_rate) for p in result.periods] == [
        (date(2025, 12, 10), False),
        (date(2025, 12, 19), True),
    ]


def test_no_interest_when_paid_on_the_due_date() -> None:
    result = rules.interest_for_invoice(
        invoice="INV1",
        pieces=one_invoice("100.00", date(2026, 1, 15)),
        paid=[("INV1", date(2026, 1, 15), D("100.00"))],
        start=date(2026, 1, 15),
        end=date(2026, 3, 1),
        terms=PLUGIN_INTEREST,
    )
    assert result.periods == () and result.amount == D("0.00")


def test_a_date_before_the_rate_table_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no ECB base rate in the catalogue for 2025-01-01"):
        rules.day_rate(PLUSNET_INTEREST, date(2025, 1, 1))


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=10_000_00).map(lambda n: D(n).scaleb(-2)),
    due=st.dates(min_value=date(2025, 4, 1), max_value=date(2026, 6, 1)),
    length=st.integers(min_value=0, max_value=200),
    cut=st.integers(min_value=0, max_value=200),
    monthly=st.booleans(),
)
def test_interest_is_monotone_in_days_and_additive_over_splits(
    amount, due, length, cut, monthly
) -> None:
    terms = PLUGIN_INTEREST if monthly else PLUSNET_INTEREST
    pieces = one_invoice(str(amount), due)
    end = due + timedelta(days=length)
    middle = due + timedelta(days=min(cut, length))

    def exact(start: date, stop: date) -> Decimal:
        return rules.interest_for_invoice(
            invoice="INV1", pieces=pieces, paid=[], start=start, end=stop, terms=terms
        ).exact

    whole = exact(due, end)
    assert exact(due, end + timedelta(days=1)) > whole or amount == 0
    # Exact to 28 significant digits (a total under £1,000 is off by less than 1e-24).
    assert abs(exact(due, middle) + exact(middle, end) - whole) < D("1e-24")


# --- Disputes --------------------------------------------------------------------------

DISPUTES = rules.DisputeTerms(
    clause="plusnet-business/general-terms#4.10",
    window_days=30,
    threshold_percent=D("5"),
    under_clause="plusnet-business/general-terms#4.10(a)",
    over_clause="plusnet-business/general-terms#4.10(b)",
)


def assess(disputed: str, raised_on: date = date(2026, 11, 20)) -> rules.DisputeAssessment:
    return rules.dispute_assess(
        terms=DISPUTES,
        invoice="PB-INV-0000001",
        bill_date=date(2026, 11, 15),
        bill_total=D("100.00"),
        disputed=D(disputed),
        raised_on=raised_on,
    )


def test_dispute_of_4_9_percent_leaves_the_whole_bill_payable() -> None:
    # £4.90 of a £100.00 bill is 4.9%, less than 5%: pay the full £100.00 (4.10(a)).
    result = assess("4.90")
    assert (result.percent, result.outcome, result.payable_now) == (
        D("4.9"),
        "pay-in-full",
        D("100.00"),
    )
    assert result.clause == "plusnet-business/general-terms#4.10(a)"


def test_dispute_of_5_1_percent_leaves_only_the_undisputed_part_due() -> None:
    # £5.10 of £100.00 is 5.1%, more than 5%: pay the £94.90 not in dispute (4.10(b)).
    result = assess("5.10")
    assert (result.percent, result.outcome, result.payable_now) == (
        D("5.1"),
        "pay-undisputed",
        D("94.90"),
    )
    assert result.clause == "plusnet-business/general-terms#4.10(b)"


def test_dispute_of_exactly_5_percent_leaves_the_whole_bill_payable() -> None:
    result = assess("5.00")
    assert (result.outcome, result.payable_now) == ("pay-in-full", D("100.00"))
    assert "exactly 5%" in result.explanation


def test_a_dispute_after_30_days_is_refused_saying_why() -> None:
    assert assess("1.00", raised_on=date(2026, 12, 15)).outcome == "pay-in-full"  # day 30
    with pytest.raises(InvalidInput) as late:
        assess("1.00", raised_on=date(2026, 12, 16))
    assert str(late.value) == (
        "PB-INV-0000001: a dispute must be raised within 30 days of the bill date; "
        "PB-INV-0000001 is dated 2026-11-15, 31 days before 2026-12-16 "
        "(plusnet-business/general-terms#4.10)"
    )


@pytest.mark.parametrize(
    ("disputed", "message"),
    [
        ("0.00", "amount: dispute a positive amount"),
        ("100.01", "amount: £100.01 is more than the £100.00"),
    ],
)
def test_dispute_amount_must_be_part_of_the_bill(disputed, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        assess(disputed)


# --- Dunning ---------------------------------------------------------------------------

PLUGIN_LADDER = rules.ladder_from_params(
    [
        {"kind": "reminder", "after_days": 0, "clause": "plugin/broadband-terms#9"},
        {
            "kind": "suspend",
            "after_days": 14,
            "services": ["broadband", "email"],
            "clause": "plugin/broadband-terms#9",
        },
        {"kind": "termination", "after_days": 30, "clause": "plugin/general-terms#rule-7"},
    ]
)


def test_ladder_steps_are_taken_in_order_once() -> None:
    assert [s.kind for s in PLUGIN_LADDER] == ["reminder", "suspension", "termination"]
    assert [s.kind for s in rules.dunning_steps_due(PLUGIN_LADDER, days_overdue=1, taken=[])] == [
        "reminder"
    ]
    due = rules.dunning_steps_due(PLUGIN_LADDER, days_overdue=31, taken=["reminder"])
    assert [s.kind for s in due] == ["suspension", "termination"]
    assert (
        rules.dunning_steps_due(
            PLUGIN_LADDER, days_overdue=40, taken=["reminder", "suspension", "termination"]
        )
        == []
    )


def test_termination_needs_a_failed_attempt_to_reach_the_customer() -> None:
    clause = "plugin/general-terms#rule-7"
    since = date(2026, 10, 1)
    assert "no attempt to reach the customer" in rules.termination_blocked(
        required=True, attempts=[], since=since, clause=clause
    )
    old = [rules.ContactFact(on=date(2026, 9, 1), outcome="no-response")]
    assert rules.termination_blocked(required=True, attempts=old, since=since, clause=clause)
    answered = [rules.ContactFact(on=date(2026, 10, 20), outcome="responded")]
    assert "responded" in rules.termination_blocked(
        required=True, attempts=answered, since=since, clause=clause
    )
    failed = [*answered, rules.ContactFact(on=date(2026, 10, 25), outcome="no-response")]
    assert (
        rules.termination_blocked(required=True, attempts=failed, since=since, clause=clause) == ""
    )
    assert rules.termination_blocked(required=False, attempts=[], since=since, clause=clause) == ""


def test_agency_cost_is_a_share_of_the_debt_rounded_half_up() -> None:
    # 15% of £123.45 = 18.5175: half-up to the penny, £18.52.
    assert rules.agency_cost(D("123.45"), percent=D("15")) == D("18.52")
    assert rules.agency_cost(D("0.00"), percent=D("15")) == D("0.00")


# --- Leaving ---------------------------------------------------------------------------


def test_equipment_is_due_back_within_14_days_of_the_package() -> None:
    assert rules.equipment_return_deadline(date(2026, 11, 2), return_days=14) == date(2026, 11, 16)


def test_full_months_paid_in_advance_are_refunded_part_months_are_not() -> None:
    # Annual hosting paid 1 Mar 2026 - 1 Mar 2027 (£120.00); the provider ends it on
    # 20 Jun 2026: 20 Jun 2026 + 8 months = 20 Feb 2027 <= 1 Mar 2027 < 20 Mar 2027,
    # so 8 full months at £10.00 = £80.00; the 9 days to 1 Mar are not refunded.
    refund = rules.full_months_refund(
        [rules.PaidPeriod(date(2026, 3, 1), date(2027, 3, 1), D("120.00"))],
        ends_on=date(2026, 6, 20),
        monthly_price=D("10.00"),
        clause="plugin/hosting-terms#8",
    )
    assert (refund.months, refund.net) == (8, D("80.00"))
    monthly = rules.full_months_refund(
        [rules.PaidPeriod(date(2026, 6, 1), date(2026, 7, 1), D("10.00"))],
        ends_on=date(2026, 6, 20),
        monthly_price=D("10.00"),
        clause="plugin/email-terms#9",
    )
    assert (monthly.months, monthly.net) == (0, D("0.00"))
