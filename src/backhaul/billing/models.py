"""Billing: charges waiting for a bill, and (as the bill run lands) invoices and their lines."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from backhaul.billing.choices import BillRunStatus, ChargeKind, DocumentKind, LineKind
from backhaul.catalogue.choices import VatTreatment
from backhaul.catalogue.models import Brand, Clause
from backhaul.customers.models import Account

HALF_PENNY = Decimal("0.005")


def adds_up(total: str, net: str, vat: str) -> models.Q:
    """total = net + vat, checked by the database for columns held to the penny.

    SQLite keeps decimals as binary floating point, so the check allows less than half a
    penny of representation error; on PostgreSQL (exact numerics) it is an exact equality
    for two-decimal columns.
    """
    expected = models.F(net) + models.F(vat)
    return models.Q(**{f"{total}__gt": expected - HALF_PENNY}) & models.Q(
        **{f"{total}__lt": expected + HALF_PENNY}
    )


class PendingCharge(models.Model):
    """A one-off, usage or credit amount that goes on the account's next bill.

    Every area that charges or credits a customer (rating, usage, support, domains...)
    adds one through `billing.services.charge_add`, with the clause it rests on; the bill
    run picks up those whose tax point is on or before the bill date. `key` makes adding
    idempotent. `amount` is as the terms quote it (`vat_treatment` says plus VAT, including
    VAT or outside the scope); `vat`, when given, is VAT the area has already worked out
    under its own rounding rule (calls: each call's VAT-inclusive charge rounded up).
    """

    key = models.CharField(max_length=200, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="pending_charges")
    kind = models.CharField(max_length=16, choices=ChargeKind.choices)
    source = models.CharField(max_length=32, help_text="The area that raised it: rating, usage...")
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, default=1)
    unit_amount = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    vat_treatment = models.CharField(max_length=16, choices=VatTreatment.choices)
    vat = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="+")
    tax_point = models.DateField()
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    billed_on = models.DateField(null=True, blank=True, help_text="Date of the bill it went on")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "tax_point", "id"]
        indexes = [models.Index(fields=["account", "billed_on", "tax_point"])]

    def __str__(self) -> str:
        return f"{self.description} £{self.amount} ({self.account.number})"


class DocumentSequence(models.Model):
    """The next invoice or credit note number of a brand, taken under a row lock so that
    numbers are sequential without gaps (a rolled-back issue gives its number back)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "kind"], name="document_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.brand.key} {self.kind}: next {self.next_value}"


class BillRun(models.Model):
    on = models.DateField()
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=BillRunStatus.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts_due = models.PositiveIntegerField(default=0)
    invoices_issued = models.PositiveIntegerField(default=0)
    net = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    vat = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Bill run {self.on} ({self.brand.key if self.brand else 'all brands'})"


class Invoice(models.Model):
    """An issued invoice or credit note: an immutable snapshot of what was billed and why.

    Names, addresses, prices and clause texts are copied at issue, so the document reads the
    same for ever; a correction is a credit note, never an edit.
    """

    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="invoices")
    credits_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    bill_run = models.ForeignKey(BillRun, null=True, blank=True, on_delete=models.SET_NULL)
    bill_date = models.DateField(help_text="Date of issue and tax point")
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField()
    issued_at = models.DateTimeField()
    net = models.DecimalField(max_digits=14, decimal_places=2)
    vat = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    vat_summary = models.JSONField(default=list)
    supplier_name = models.CharField(max_length=200)
    supplier_address = models.TextField(blank=True)
    supplier_vat_number = models.CharField(max_length=40, blank=True)
    customer_name = models.CharField(max_length=200)
    customer_address = models.TextField(blank=True)
    customer_email = models.EmailField(blank=True)
    account_number = models.CharField(max_length=16)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-bill_date", "-number"]
        indexes = [models.Index(fields=["account", "bill_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "bill_date"],
                condition=models.Q(kind="invoice"),
                name="one_invoice_per_account_and_bill_date",
            ),
            models.CheckConstraint(
                condition=adds_up("total", "net", "vat"), name="invoice_total_is_net_plus_vat"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=14, decimal_places=6, default=1)
    unit_amount = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    vat = models.DecimalField(max_digits=14, decimal_places=2)
    gross = models.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=6, decimal_places=4)
    tax_point = models.DateField()
    clause_id = models.CharField(max_length=200)
    clause_heading = models.CharField(max_length=300, blank=True)
    clause_text = models.TextField()
    subscription = models.ForeignKey(
        "contracts.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    pending_charge = models.OneToOneField(
        PendingCharge, null=True, blank=True, on_delete=models.PROTECT, related_name="line"
    )

    class Meta:
        ordering = ["invoice", "position"]
        indexes = [models.Index(fields=["subscription", "period_start"])]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(
                condition=adds_up("gross", "net", "vat"), name="invoice_line_gross_is_net_plus_vat"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice.number}/{self.position} {self.description}"
