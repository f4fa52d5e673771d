"""Disputed bills (plusnet-business/general-terms#4.10) through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backhaul.billing.models import Invoice
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.notices.models import Notice
from backhaul.payments import selectors
from backhaul.payments.models import Dispute
from backhaul.payments.services import dispute_raise, dispute_resolve, payment_record
from tests.payments.conftest import NOW, hundred_pound_bill, mps_customer

pytestmark = pytest.mark.django_db
D = Decimal
NOV15 = date(2026, 11, 15)


def raise_(account, invoice, amount: str, on: date = date(2026, 11, 20), reason="Wrong survey"):
    return dispute_raise(
        account=account,
        invoice_number=invoice.number,
        amount=amount,
        reason=reason,
        raised_on=on,
        now=NOW,
    )


def test_disputing_4_9_percent_leaves_the_whole_bill_due() -> None:
    account, invoice = hundred_pound_bill("Ashford Joinery Ltd")
    dispute = raise_(account, invoice, "4.90")
    # £4.90 of £100.00 = 4.9%, less than 5%: "the Customer will pay the full amount"
    assert (dispute.percent, dispute.outcome, dispute.clause) == (
        D("4.9000"),
        "pay-in-full",
        "plusnet-business/general-terms#4.10(a)",
    )
    book = selectors.account_ledger(account, on=date(2026, 12, 1))
    assert book.due_now(on=date(2026, 12, 1)) == D("100.00")
    assert sum(left for _, left in book.overdue(on=date(2026, 12, 1))) == D("100.00")
    notice = Notice.objects.get(key=f"dispute:{dispute.pk}:raised")
    assert "4.9000% of the £100.00 bill, less than 5%" in notice.body
    assert "plusnet-business/general-terms#4.10(a)" in notice.body


def test_disputing_5_1_percent_leaves_only_the_undisputed_part_due() -> None:
    account, invoice = hundred_pound_bill("Bramley Bakery Ltd")
    dispute = raise_(account, invoice, "5.10")
    # £5.10 of £100.00 = 5.1%, more than 5%: "pay the amount not in dispute", £94.90
    assert (dispute.percent, dispute.outcome) == (D("5.1000"), "pay-undisputed")
    payment_record(
        account_number=account.number, amount="94.90", method="card", on=date(2026, 11, 21), now=NOW
    )
    book = selectors.account_ledger(account, on=date(2026, 12, 1))
    assert book.overdue(on=date(2026, 12, 1)) == []
    assert book.withheld() == D("5.10")
    assert book.balance == D("5.10")


def test_resolving_by_credit_note_clears_the_disputed_amount() -> None:
    account, invoice = hundred_pound_bill("Calder Motors Ltd")
    dispute = raise_(account, invoice, "5.10")
    # Credit £4.25 net on line 1: VAT 4.25 x 20% = 0.85; credit note total -£5.10
    resolved = dispute_resolve(
        dispute_id=dispute.pk, now=NOW, note="survey not carried out", credit_lines=[(1, D("4.25"))]
    )
    assert (resolved.status, resolved.credited) == ("credited", D("5.10"))
    assert resolved.credit_note.total == D("-5.10")
    assert resolved.credit_note.credits_invoice == invoice
    book = selectors.account_ledger(account, on=date(2026, 11, 21))
    assert book.balance == D("94.90")
    invoice.refresh_from_db()
    assert invoice.total == D("100.00")  # issued invoices never change


def test_a_confirmed_charge_is_payable_at_once() -> None:
    account, invoice = hundred_pound_bill("Dunmore Dental Ltd")
    dispute = raise_(account, invoice, "5.10")
    payment_record(
        account_number=account.number, amount="94.90", method="card", on=date(2026, 11, 16), now=NOW
    )
    resolved = dispute_resolve(dispute_id=dispute.pk, now=NOW, note="charge was correct")
    assert (resolved.status, resolved.resolved_on) == ("confirmed", date(2026, 11, 21))
    # "the resolved amount if any is payable immediately": due 21 Nov, overdue from 22 Nov.
    book = selectors.account_ledger(account, on=date(2026, 11, 22))
    assert [(p.due_on, left) for p, left in book.overdue(on=date(2026, 11, 22))] == [
        (date(2026, 11, 21), D("5.10"))
    ]
    with pytest.raises(InvalidInput, match="was resolved on 2026-11-21"):
        dispute_resolve(dispute_id=dispute.pk, now=NOW, note="again")


def test_crediting_more_than_was_disputed_is_refused_and_nothing_is_issued() -> None:
    account, invoice = hundred_pound_bill("Elmfield Print Ltd")
    dispute = raise_(account, invoice, "5.10")
    with pytest.raises(InvalidInput, match=r"£12\.00 inc VAT is more than the £5\.10 disputed"):
        dispute_resolve(dispute_id=dispute.pk, now=NOW, note="x", credit_lines=[(1, D("10.00"))])
    assert not Invoice.objects.filter(kind="credit-note").exists()
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_bad_disputes_are_refused_and_nothing_changes() -> None:
    account, invoice = hundred_pound_bill("Foxley Florists Ltd")
    _other, foreign = hundred_pound_bill("Greyfriars Vets Ltd")
    cases = [
        (
            foreign.number,
            "1.00",
            date(2026, 11, 20),
            InvalidInput,
            f"invoice: {foreign.number} is not a bill of account {account.number}",
        ),
        (
            "PB-INV-9999999",
            "1.00",
            date(2026, 11, 20),
            NotFound,
            "invoice: unknown invoice 'PB-INV-9999999'",
        ),
        (
            invoice.number,
            "1.00",
            date(2026, 12, 16),
            InvalidInput,
            f"{invoice.number}: a dispute must be raised within 30 days of the bill date; "
            f"{invoice.number} is dated 2026-11-15, 31 days before 2026-12-16 "
            "(plusnet-business/general-terms#4.10)",
        ),
        (
            invoice.number,
            "0",
            date(2026, 11, 20),
            InvalidInput,
            "amount: dispute a positive amount in pence, not 0",
        ),
    ]
    for number, amount, on, error, message in cases:
        with pytest.raises(error) as caught:
            dispute_raise(
                account=account,
                invoice_number=number,
                amount=amount,
                reason="wrong",
                raised_on=on,
                now=NOW,
            )
        assert str(caught.value) == message
    payment_record(
        account_number=account.number,
        amount="100.00",
        method="card",
        on=date(2026, 11, 18),
        now=NOW,
    )
    with pytest.raises(InvalidInput, match=f"invoice: {invoice.number} is settled"):
        raise_(account, invoice, "1.00")
    assert not Dispute.objects.exists()
    assert not Notice.objects.filter(kind__startswith="payments.dispute").exists()


def test_one_open_dispute_per_bill() -> None:
    account, invoice = hundred_pound_bill("Harrow Cafe Ltd")
    raise_(account, invoice, "1.00")
    with pytest.raises(InvalidInput, match="already has an open dispute"):
        raise_(account, invoice, "2.00")


def test_plugin_terms_have_no_disputed_bills_clause() -> None:
    account, invoice = hundred_pound_bill("Ingleby Motors Ltd", brand="plugin")
    with pytest.raises(InvalidInput, match="PlugIn's terms have no disputed-bills clause"):
        raise_(account, invoice, "1.00")


def test_a_plusnet_mps_bill_disputed_in_part() -> None:
    # The first MPS bill, £76.91: disputing the £6.09 P&P plus its VAT (£1.22), £7.31, is
    # 7.31 / 76.91 = 9.5046...%, more than 5%: only £69.60 is due until it is resolved.
    account = mps_customer("Juniper Lettings Ltd")
    from tests.payments.conftest import bill

    bill(NOV15)
    invoice = Invoice.objects.get(account=account)
    dispute = raise_(account, invoice, "7.31", reason="router never arrived: P&P")
    assert (dispute.outcome, dispute.percent) == ("pay-undisputed", D("9.5046"))
    book = selectors.account_ledger(account, on=date(2026, 11, 21))
    assert book.due_now(on=date(2026, 11, 21)) == D("69.60")
    # P&P is line 3: credit it in full, £6.09 + VAT £1.22 = £7.31.
    resolved = dispute_resolve(
        dispute_id=dispute.pk, now=NOW, note="no router sent", credit_lines=[(3, D("6.09"))]
    )
    assert (resolved.status, resolved.credited) == ("credited", D("7.31"))
    assert selectors.account_ledger(account, on=date(2026, 11, 21)).balance == D("69.60")
