"""Billing: charges waiting for a bill, and (as the bill run lands) invoices and their lines."""

from __future__ import annotations

from django.db import models

from backhaul.billing.choices import ChargeKind
from backhaul.catalogue.choices import VatTreatment
from backhaul.catalogue.models import Clause
from backhaul.customers.models import Account


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
    billed_on = models.DateField(null=True, blank=True)
    invoice_number = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "tax_point", "id"]
        indexes = [models.Index(fields=["account", "billed_on", "tax_point"])]

    def __str__(self) -> str:
        return f"{self.description} £{self.amount} ({self.account.number})"
