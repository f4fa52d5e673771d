"""Bill runs against the database: one invoice per account, gapless numbers, credit notes."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from backhaul.billing.models import Invoice, InvoiceLine, PendingCharge
from backhaul.billing.selectors import draft_as_dict, invoice_as_dict
from backhaul.billing.services import billrun_dry_run, billrun_run, credit_note_issue
from backhaul.contracts.services import subscription_create
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.services import account_create, site_add

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 10, tzinfo=UTC)


def new_mps_customer(name: str, *, bill_day: int = 15, start: date = date(2026, 11, 15)):
    account = account_create(
        brand_key="plusnet-business",
        name=name,
        email=f"{name.split()[0].lower()}@example.com",
        bill_day=bill_day,
        now=NOW,
    )
    site_add(account=account, address_line1="1 High Street", town="Leeds", postcode="ls1 4ab")
    subscription_create(
        account_number=account.number,
        product_key="mps-option-1",
        term=24,
        market="1-2",
        start=start,
        now=NOW,
    )
    return account


def test_first_bill_through_the_services() -> None:
    # Activation raises New activation £30.00 and P&P £6.09 (broadband-charges#4,
    # [rules.activation]); the bill of 15 Nov adds the first month in advance at £28.00.
    # Arithmetic in tests/billing/test_rules.py::test_first_bill_of_mps_option_1_...
    account = new_mps_customer("Calder Joinery Ltd")
    assert sorted(
        PendingCharge.objects.filter(account=account).values_list("amount", flat=True)
    ) == [Decimal("6.09"), Decimal("30.00")]
    bill_run, result = billrun_run(on=date(2026, 11, 15), now=NOW)
    assert (bill_run.accounts_due, len(result.issued)) == (1, 1)
    invoice = Invoice.objects.get(account=account)
    assert (invoice.net, invoice.vat, invoice.total) == (
        Decimal("64.09"),
        Decimal("12.82"),
        Decimal("76.91"),
    )
    assert invoice.number == "PB-INV-0000001"
    assert invoice.supplier_name == account.brand.legal_name
    assert invoice.customer_address == "1 High Street\nLeeds\nLS1 4AB"
    assert invoice.vat_summary == [
        {"rate": "0.2000", "net": "64.09", "vat": "12.82", "gross": "76.91"}
    ]
    lines = list(invoice.lines.values_list("description", "net", "clause_id"))
    assert lines == [
        (
            "Plusnet Payment Services Option 1, 15 Nov 2026 to 14 Dec 2026",
            Decimal("28.00"),
            "plusnet-business/broadband-charges#4-option-1",
        ),
        (
            "New activation: Plusnet Payment Services Option 1",
            Decimal("30.00"),
            "plusnet-business/broadband-charges#4",
        ),
        (
            "P&P: Plusnet Payment Services Option 1",
            Decimal("6.09"),
            "plusnet-business/broadband-charges#4",
        ),
    ]
    assert all(line.clause_text for line in invoice.lines.all())
    assert not PendingCharge.objects.filter(account=account, billed_on__isnull=True).exists()


def test_running_twice_makes_one_invoice_per_account_with_gapless_numbers() -> None:
    accounts = [new_mps_customer(f"Customer{n} Ltd") for n in range(5)]
    new_mps_customer("Other day Ltd", bill_day=3, start=date(2026, 11, 3))
    billrun_run(on=date(2026, 11, 15), now=NOW)
    _, again = billrun_run(on=date(2026, 11, 15), now=NOW)
    assert again.issued == []
    assert Invoice.objects.filter(bill_date=date(2026, 11, 15)).count() == len(accounts)
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"PB-INV-{n:07d}" for n in range(1, 6)]
    billrun_run(on=date(2026, 12, 15), now=NOW)
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"PB-INV-{n:07d}" for n in range(1, 11)]
    december = Invoice.objects.filter(bill_date=date(2026, 12, 15))
    assert {i.total for i in december} == {Decimal("33.60")}  # £28.00 + VAT £5.60


def test_dry_run_shows_exactly_what_the_run_issues() -> None:
    for n in range(3):
        new_mps_customer(f"Dry{n} Ltd")
    drafts = [draft_as_dict(a, d) for a, d in billrun_dry_run(on=date(2026, 11, 15))]
    assert Invoice.objects.count() == 0
    _, result = billrun_run(on=date(2026, 11, 15), now=NOW)
    issued = [invoice_as_dict(i) for i in Invoice.objects.order_by("number")]

    def strip(invoice: dict) -> dict:
        return {k: v for k, v in invoice.items() if k not in ("number", "kind")}

    assert len(result.issued) == 3
    assert [strip(d) for d in drafts] == [strip(i) for i in issued]
    assert billrun_dry_run(on=date(2026, 11, 15)) == []


def test_credit_note_corrects_without_editing() -> None:
    account = new_mps_customer("Marlow Vets Ltd")
    billrun_run(on=date(2026, 11, 15), now=NOW)
    invoice = Invoice.objects.get(account=account)
    # Credit the activation line (position 2) in full: -30.00, VAT -6.00 at the line's rate.
    note = credit_note_issue(
        invoice_number=invoice.number,
        lines=[(2, Decimal("30.00"))],
        reason="activation waived as a goodwill gesture",
        now=NOW,
    )
    assert note.number == "PB-CN-0000001"
    assert (note.net, note.vat, note.total) == (
        Decimal("-30.00"),
        Decimal("-6.00"),
        Decimal("-36.00"),
    )
    assert note.credits_invoice == invoice
    line = note.lines.get()
    assert line.clause_id == "plusnet-business/broadband-charges#4"
    invoice.refresh_from_db()
    assert invoice.total == Decimal("76.91")
    with pytest.raises(InvalidInput, match=r"line 2: crediting £0.01 would credit more than"):
        credit_note_issue(
            invoice_number=invoice.number, lines=[(2, Decimal("0.01"))], reason="again", now=NOW
        )
    with pytest.raises(InvalidInput, match="reason: a credit note must say why"):
        credit_note_issue(invoice_number=invoice.number, reason=" ", now=NOW)
    with pytest.raises(NotFound, match="unknown invoice 'PB-INV-9'"):
        credit_note_issue(invoice_number="PB-INV-9", reason="x", now=NOW)


def test_invoice_lines_add_up_in_the_database() -> None:
    for n in range(4):
        new_mps_customer(f"Sum{n} Ltd")
    billrun_run(on=date(2026, 11, 15), now=NOW)
    for invoice in Invoice.objects.all():
        lines = InvoiceLine.objects.filter(invoice=invoice)
        assert sum(line.net for line in lines) == invoice.net
        assert sum(line.vat for line in lines) == invoice.vat
        assert invoice.net + invoice.vat == invoice.total


class BillRunProperties(TestCase):
    """Hypothesis over the database: any mix of start days, re-run any number of times."""

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        starts=st.lists(st.integers(min_value=1, max_value=28), min_size=1, max_size=4),
        reruns=st.integers(min_value=1, max_value=3),
    )
    def test_rerunning_changes_nothing(self, starts: list[int], reruns: int) -> None:
        for n, day in enumerate(starts):
            new_mps_customer(f"Prop{n} Ltd", bill_day=1, start=date(2026, 10, day))
        billrun_run(on=date(2026, 11, 1), now=NOW)
        before = sorted(Invoice.objects.values_list("number", "account_id", "total"))
        for _ in range(reruns):
            billrun_run(on=date(2026, 11, 1), now=NOW)
        assert sorted(Invoice.objects.values_list("number", "account_id", "total")) == before
        assert len(before) == len(starts)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_chunks_are_written_while_the_next_is_drafted(monkeypatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the overlapped writer runs on PostgreSQL: set DATABASE_URL=postgres://...")
    from backhaul.billing import services

    for n in range(10):
        new_mps_customer(f"Overlap{n} Ltd")
    drafts = [draft_as_dict(a, d) for a, d in billrun_dry_run(on=date(2026, 11, 15))]
    writers = []
    issue = services._issue_on_writer

    def recording(drafted, bill_run_id):
        writers.append(threading.current_thread().name)
        return issue(drafted, bill_run_id)

    monkeypatch.setattr(services, "_issue_on_writer", recording)
    bill_run, result = billrun_run(on=date(2026, 11, 15), now=NOW, chunk_size=3)
    # Four chunks (3 + 3 + 3 + 1), each issued on the writer thread, in order.
    assert len(writers) == 4
    assert all(name.startswith("billrun-writer") for name in writers)
    issued = [invoice_as_dict(i) for i in Invoice.objects.order_by("number")]

    def strip(invoice: dict) -> dict:
        return {k: v for k, v in invoice.items() if k not in ("number", "kind")}

    assert [strip(i) for i in issued] == [strip(d) for d in drafts]
    assert result.issued == [f"PB-INV-{n:07d}" for n in range(1, 11)]
    assert bill_run.invoices_issued == 10
    assert bill_run.total == Decimal("769.10")  # 10 x (£64.09 + £12.82 VAT)
    assert all(line.clause_text for line in InvoiceLine.objects.all())
    assert not PendingCharge.objects.filter(billed_on__isnull=True).exists()
    _, again = billrun_run(on=date(2026, 11, 15), now=NOW, chunk_size=3)
    assert (again.issued, again.skipped_existing) == ([], 10)
