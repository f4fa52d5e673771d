"""Payments and credit control against the database, with real bills from the bill run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backhaul.billing.models import PendingCharge
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.payments import selectors
from backhaul.payments.choices import PaymentStatus
from backhaul.payments.models import (
    CardAuthority,
    Payment,
    PaymentFailure,
    Refund,
    SetOff,
)
from backhaul.payments.services import (
    interest_charge,
    interest_summary,
    mandate_create,
    payment_failure_record,
    payment_record,
    refund_record,
    setoff_apply,
)
from tests.payments.conftest import NOW, bill, mps_customer, plugin_customer

pytestmark = pytest.mark.django_db
D = Decimal
NOV15, DEC15 = date(2026, 11, 15), date(2026, 12, 15)


def pay(account, amount: str, on: date, method: str = "card", **kwargs) -> Payment:
    return payment_record(
        account_number=account.number, amount=amount, method=method, on=on, now=NOW, **kwargs
    )


def pending(account, source: str = "payments") -> list[tuple[str, Decimal, str, str]]:
    return [
        (c.description, c.amount, c.vat_treatment, c.clause.clause_id)
        for c in PendingCharge.objects.filter(account=account, source=source).order_by("id")
    ]


# --- Payments, allocation, balance and statement ---------------------------------------


def test_payments_meet_the_oldest_bill_first_and_the_statement_balances() -> None:
    account = mps_customer("Calder Joinery Ltd")
    bill(NOV15)
    bill(DEC15)
    mandate_create(
        account_number=account.number,
        reference="PLUSNET-DD-0001",
        account_holder="Calder Joinery Ltd",
        sort_code="12-34-56",
        bank_account_number="12345678",
        signed_on=date(2026, 11, 1),
        now=NOW,
    )
    pay(account, "50.00", date(2026, 11, 20))
    pay(account, "60.51", date(2026, 12, 20), method="direct-debit")
    statement = selectors.statement(account, on=date(2026, 12, 31))
    # 76.91 - 50.00 = 26.91; + 33.60 = 60.51; - 60.51 = 0.00
    assert [
        (line["date"], line["debit"], line["credit"], line["balance"])
        for line in statement["lines"]
    ] == [
        (NOV15, "76.91", "", "76.91"),
        (date(2026, 11, 20), "", "50.00", "26.91"),
        (DEC15, "33.60", "", "60.51"),
        (date(2026, 12, 20), "", "60.51", "0.00"),
    ]
    assert statement["balance"] == "0.00"
    assert [(i["number"], i["paid"], i["status"]) for i in statement["invoices"]] == [
        ("PB-INV-0000001", "76.91", "paid"),
        ("PB-INV-0000002", "33.60", "paid"),
    ]
    # Before December's payment: November's bill part paid (26.91 left) and overdue.
    before = selectors.statement(account, on=date(2026, 12, 16))
    assert (before["balance"], before["overdue"], before["due_now"]) == ("60.51", "60.51", "60.51")
    assert before["invoices"][0]["outstanding"] == "26.91"
    direct_debit = Payment.objects.get(method="direct-debit")
    assert direct_debit.mandate.reference == "PLUSNET-DD-0001"
    assert direct_debit.clause == "plusnet-business/general-terms#4.9"


def test_recording_the_same_payment_again_changes_nothing() -> None:
    account = plugin_customer("Foxley Print Ltd")
    first = pay(account, "29.99", date(2026, 11, 16), reference="BACS 0042", method="bacs")
    again = pay(account, "29.99", date(2026, 11, 16), reference="BACS 0042", method="bacs")
    assert again.pk == first.pk
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("number", "amount", "method", "error", "message"),
    [
        ("PI999999", "10.00", "card", NotFound, "unknown account 'PI999999'"),
        (None, "0.00", "card", InvalidInput, "amount: must be more than zero, not 0.00"),
        (None, "-5.00", "card", InvalidInput, "amount: must be more than zero, not -5.00"),
        (None, "12.3.4", "card", InvalidInput, "amount: not an amount: '12.3.4'"),
        (None, "1.005", "card", InvalidInput, "amount: whole pence only, not 1.005"),
        (
            None,
            "10.00",
            "cash",
            InvalidInput,
            "method: plugin does not accept cash (plugin/code-of-practice#charges: "
            "refused cash, visa-electron)",
        ),
        (
            None,
            "10.00",
            "visa-electron",
            InvalidInput,
            "method: plugin does not accept visa-electron (plugin/code-of-practice#charges: "
            "refused cash, visa-electron)",
        ),
        (
            None,
            "10.00",
            "direct-debit",
            InvalidInput,
            "method: PI000001 has no Direct Debit mandate signed by 2026-11-16; "
            "record the mandate first",
        ),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_written(
    number, amount, method, error, message
) -> None:
    account = plugin_customer("Bramley Dental Ltd")
    with pytest.raises(error) as caught:
        payment_record(
            account_number=number or account.number,
            amount=amount,
            method=method,
            on=date(2026, 11, 16),
            now=NOW,
        )
    assert str(caught.value) == message
    assert not Payment.objects.exists()
    assert not CardAuthority.objects.exists()


def test_visa_electron_card_is_refused() -> None:
    account = plugin_customer("Harrow Motors Ltd")
    with pytest.raises(InvalidInput, match="card: plugin does not accept visa-electron"):
        pay(account, "10.00", date(2026, 11, 16), card_brand="visa-electron")
    assert not Payment.objects.exists()


def test_paying_by_card_gives_continuous_authority_until_termination() -> None:
    account = plugin_customer("Ingleby Vets Ltd")
    pay(account, "29.99", date(2026, 11, 16), card_brand="visa", card_last4="4242")
    authority = CardAuthority.objects.get(account=account)
    assert (authority.granted_on, authority.ends_on, authority.clause) == (
        date(2026, 11, 16),
        None,
        "plugin/broadband-terms#3",
    )
    pay(account, "29.99", date(2026, 12, 16))
    assert CardAuthority.objects.filter(account=account).count() == 1
    # Plusnet's terms grant no continuous authority: no record is made.
    other = mps_customer("Juniper Studio Ltd")
    pay(other, "76.91", date(2026, 11, 16))
    assert not CardAuthority.objects.filter(account=other).exists()


# --- Declines, bounces and chargebacks -------------------------------------------------


def decline(account, on: date, reference: str, kind: str = "card-decline") -> PaymentFailure:
    return payment_failure_record(
        account_number=account.number, kind=kind, on=on, now=NOW, reference=reference
    )


def test_plugin_charges_the_fourth_decline_in_twelve_months() -> None:
    account = plugin_customer("Kestrel Lettings Ltd")
    # "free for the first 3 in any 12 months, then £20 each" (broadband-terms#10)
    decline(account, date(2026, 1, 10), "D1")
    decline(account, date(2026, 3, 5), "D2", kind="standing-order-decline")
    decline(account, date(2026, 6, 1), "D3")
    assert pending(account) == []
    fourth = decline(account, date(2026, 11, 20), "D4")
    assert (fourth.occurrence, fourth.charge_amount) == (4, D("20.00"))
    assert pending(account) == [
        (
            "Payment declined or cheque bounced on 2026-11-20 (D4)",
            D("20.00"),
            "outside-scope",
            "plugin/broadband-terms#10",
        ),
    ]
    # Recording the same decline again changes nothing.
    assert decline(account, date(2026, 11, 20), "D4").pk == fourth.pk
    assert len(pending(account)) == 1


def test_plusnet_declines_cost_nothing() -> None:
    account = mps_customer("Linden Opticians Ltd")
    for n, day in enumerate(
        [date(2026, 1, 10), date(2026, 3, 5), date(2026, 6, 1), date(2026, 11, 20)]
    ):
        decline(account, day, f"D{n}")
    assert pending(account) == []


def test_a_bounced_cheque_reverses_the_payment_and_counts_as_a_failure() -> None:
    account = plugin_customer("Marlow Florists Ltd")
    bill(NOV15)
    cheque = pay(account, "29.99", date(2026, 11, 16), method="cheque", reference="CHQ 100231")
    assert selectors.account_ledger(account, on=date(2026, 11, 17)).balance == D("0.00")
    bounce = payment_failure_record(
        account_number=account.number,
        kind="cheque-bounce",
        on=date(2026, 11, 20),
        now=NOW,
        payment_id=cheque.pk,
    )
    cheque.refresh_from_db()
    assert (cheque.status, cheque.reversed_on) == (PaymentStatus.REVERSED, date(2026, 11, 20))
    assert (bounce.occurrence, bounce.charge_amount) == (1, None)
    book = selectors.account_ledger(account, on=date(2026, 11, 21))
    assert book.balance == D("29.99")
    statement = selectors.statement(account, on=date(2026, 11, 21))
    assert [line["description"] for line in statement["lines"]] == [
        "Invoice",
        "Payment by Cheque",
        "Cheque bounced",
    ]
    with pytest.raises(InvalidInput, match="already reversed on 2026-11-20"):
        payment_failure_record(
            account_number=account.number,
            kind="cheque-bounce",
            on=date(2026, 11, 21),
            now=NOW,
            payment_id=cheque.pk,
        )


@pytest.mark.parametrize(
    ("product_kind", "incorrect", "expected"),
    [
        # "Incorrect chargebacks of your card payment will be charged at £20 plus VAT"
        (
            "hosting",
            True,
            [
                (
                    "Card chargeback (hosting) on 2026-11-20 (AUTH9)",
                    D("20.00"),
                    "exclusive",
                    "plugin/hosting-terms#7",
                )
            ],
        ),
        # "Incorrect chargebacks on your card will be charged at £20 per incident"
        (
            "email",
            True,
            [
                (
                    "Card chargeback (email) on 2026-11-20 (AUTH9)",
                    D("20.00"),
                    "outside-scope",
                    "plugin/email-terms#7",
                )
            ],
        ),
        (
            "broadband",
            True,
            [
                (
                    "Card chargeback on 2026-11-20 (AUTH9)",
                    D("20.00"),
                    "exclusive",
                    "plugin/broadband-terms#10",
                )
            ],
        ),
        ("broadband", False, []),
    ],
)
def test_chargebacks_raised_in_error_are_charged_per_product(
    product_kind, incorrect, expected
) -> None:
    account = plugin_customer("Northgate Cafe Ltd")
    payment = pay(account, "29.99", date(2026, 11, 16), reference="AUTH9")
    payment_failure_record(
        account_number=account.number,
        kind="chargeback",
        on=date(2026, 11, 20),
        now=NOW,
        payment_id=payment.pk,
        incorrect=incorrect,
        product_kind=product_kind,
    )
    assert pending(account) == expected


# --- Refunds and set-off ---------------------------------------------------------------


def test_only_credit_left_after_debts_can_be_refunded() -> None:
    account = mps_customer("Oakham Surveyors Ltd")
    bill(NOV15)
    pay(account, "100.00", date(2026, 11, 20))  # 100.00 - 76.91 = 23.09 credit
    with pytest.raises(InvalidInput) as caught:
        refund_record(
            account_number=account.number,
            amount="30.00",
            on=date(2026, 11, 21),
            now=NOW,
            method="bacs",
            reason="overpaid",
        )
    assert str(caught.value) == (
        "amount: £30.00 is more than the credit on PB000001 (£23.09 credit after setting off "
        "what is owed; plusnet-business/general-terms#6.6)"
    )
    assert not Refund.objects.exists()
    refund_record(
        account_number=account.number,
        amount="23.09",
        on=date(2026, 11, 21),
        now=NOW,
        method="bacs",
        reason="overpaid",
    )
    assert selectors.account_ledger(account, on=date(2026, 11, 21)).balance == D("0.00")


def test_credit_on_one_account_is_set_off_against_anothers_overdue_debt() -> None:
    creditor = mps_customer("Penrose Pharmacy Ltd")
    debtor = mps_customer("Penrose Pharmacy (Branch) Ltd")
    bill(NOV15)
    pay(creditor, "100.00", date(2026, 11, 16))  # credit 23.09
    done = setoff_apply(
        from_account_number=creditor.number,
        to_account_number=debtor.number,
        on=date(2026, 11, 21),
        now=NOW,
    )
    # min(credit 23.09, overdue 76.91) = 23.09; 76.91 - 23.09 = 53.82 still owed
    assert (done.amount, done.clause) == (D("23.09"), "plusnet-business/general-terms#4.13")
    assert selectors.account_ledger(creditor, on=date(2026, 11, 21)).balance == D("0.00")
    assert selectors.account_ledger(debtor, on=date(2026, 11, 21)).balance == D("53.82")
    with pytest.raises(InvalidInput, match="has no credit to set off"):
        setoff_apply(
            from_account_number=creditor.number,
            to_account_number=debtor.number,
            on=date(2026, 11, 21),
            now=NOW,
        )
    assert SetOff.objects.count() == 1


def test_plugin_has_no_set_off_clause() -> None:
    one, two = plugin_customer("Quarry Builders Ltd"), plugin_customer("Quarry Design Ltd")
    with pytest.raises(InvalidInput, match="PlugIn's terms have no set-off clause"):
        setoff_apply(
            from_account_number=one.number,
            to_account_number=two.number,
            on=date(2026, 11, 21),
            now=NOW,
        )


# --- Interest --------------------------------------------------------------------------


def test_plugin_interest_is_charged_once_per_day_outside_the_scope_of_vat() -> None:
    account = plugin_customer("Redbrook Garden Centre Ltd")
    bill(NOV15)  # £29.99 due 15 Nov 2026, unpaid
    # To 15 Jan 2027: 16/30 of November, all of December, 14/31 of January:
    # 29.99 x 1% x (16/30 + 31/31 + 14/31) = 0.2999 x 1846/930 = 0.5952853...: £0.60
    summary = interest_summary(account_number=account.number, on=date(2027, 1, 15))
    assert summary["invoices"][0]["interest"] == "0.60"
    assert [(p["days"], p["principal"]) for p in summary["invoices"][0]["periods"]] == [
        (16, "29.99"),
        (31, "29.99"),
        (14, "29.99"),
    ]
    charged = interest_charge(account_number=account.number, on=date(2027, 1, 15), now=NOW)
    assert [(c.amount, c.from_on, c.to_on) for c in charged] == [
        (D("0.60"), NOV15, date(2027, 1, 15))
    ]
    interest_charge(account_number=account.number, on=date(2027, 1, 15), now=NOW)
    assert pending(account) == [
        (
            "Late payment interest on PI-INV-0000001, 15 Nov 2026 to 15 Jan 2027 "
            "(not subject to VAT)",
            D("0.60"),
            "outside-scope",
            "plugin/general-terms#rule-6",
        ),
    ]
    # The next charge starts where the last ended: 17/31 of January and 14/28 of February:
    # 0.2999 x (17/31 + 14/28) = 0.2999 x 1.0483870... = 0.3144112...: £0.31
    later = interest_charge(account_number=account.number, on=date(2027, 2, 15), now=NOW)
    assert [(c.amount, c.from_on) for c in later] == [(D("0.31"), date(2027, 1, 15))]


def test_plusnet_interest_adds_the_late_payment_charge_once() -> None:
    account = mps_customer("Sefton Electrical Ltd")
    bill(NOV15)  # £76.91 due 15 Nov 2026
    # 15 Nov to 14 Dec: 30 days at 2.15% + 7% = 9.15% a year, 1/365 a day:
    # 76.91 x 0.0915 x 30/365 = 211.11795/365 = 0.5784053...: £0.58
    charged = interest_charge(account_number=account.number, on=DEC15, now=NOW)
    assert [c.amount for c in charged] == [D("0.58")]
    interest_charge(account_number=account.number, on=date(2027, 1, 15), now=NOW)
    assert [(c[1], c[2], c[3]) for c in pending(account)] == [
        (D("0.58"), "outside-scope", "plusnet-business/general-terms#4.11(b)"),
        (D("10.00"), "outside-scope", "plusnet-business/broadband-schedule#4.4"),
        # 15 Dec to 14 Jan: 31 days: 76.91 x 0.0915 x 31/365 = 0.5976855...: £0.60
        (D("0.60"), "outside-scope", "plusnet-business/general-terms#4.11(b)"),
    ]


def test_no_interest_on_a_bill_paid_by_its_due_date() -> None:
    account = mps_customer("Thornbury Design Ltd")
    bill(NOV15)
    pay(account, "76.91", NOV15)
    assert interest_charge(account_number=account.number, on=date(2027, 1, 15), now=NOW) == []
    assert pending(account) == []
