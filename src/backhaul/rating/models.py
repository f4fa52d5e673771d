"""Telephone numbers on the brand, CDR imports, and each rated call (the itemisation)."""

from __future__ import annotations

from django.db import models

from backhaul.billing.models import PendingCharge
from backhaul.catalogue.models import Brand, Product
from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account
from backhaul.rating.choices import CdrFormat, NumberEndReason


class PhoneNumber(models.Model):
    """A number held by an account, and the call plan its outgoing calls are rated on.

    Numbers are stored in national form (``01142000001``). A number is held once: it is
    not handed to another account here after it ends.
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=20, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="phone_numbers")
    plan = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", help_text="The call plan"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=NumberEndReason.choices, blank=True)
    last_outgoing_call_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["account"]), models.Index(fields=["brand", "ended_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="phone_number_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.account.number})"


class CdrImport(models.Model):
    """One call detail record file rated into the brand's itemisation, once."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=16, choices=CdrFormat.choices)
    read = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    unanswered = models.PositiveIntegerField(default=0)
    total_ex_vat = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_inc_vat = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    charges = models.PositiveIntegerField(default=0, help_text="Bill charges added")
    summary = models.JSONField(default=dict)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "sha256"], name="cdr_import_once_per_file"),
            models.CheckConstraint(
                condition=models.Q(read=models.F("rated") + models.F("rejected")),
                name="cdr_import_counts_reconcile",
            ),
        ]

    def __str__(self) -> str:
        return f"CDR import {self.pk}: {self.file_name} ({self.rated} rated)"


class RatedCall(models.Model):
    """One rated call: what it cost, band by band, and the clause it was charged under."""

    cdr_import = models.ForeignKey(CdrImport, on_delete=models.PROTECT, related_name="calls")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="rated_calls")
    phone_number = models.ForeignKey(
        PhoneNumber, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    call_id = models.CharField(max_length=100)
    line = models.PositiveIntegerField()
    answered_at = models.DateTimeField()
    billsec = models.PositiveIntegerField()
    answered = models.BooleanField()
    caller = models.CharField(max_length=20)
    callee = models.CharField(max_length=20)
    plan = models.CharField(max_length=64)
    destination_class = models.CharField(max_length=32)
    billed_minutes = models.PositiveIntegerField()
    bands = models.JSONField(default=dict, help_text="Billed minutes per time band")
    covered_minutes = models.PositiveIntegerField(default=0)
    inclusive = models.BooleanField(default=False)
    operator_assisted = models.BooleanField(default=False)
    setup_fee = models.DecimalField(max_digits=10, decimal_places=2)
    charge_ex_vat = models.DecimalField(max_digits=10, decimal_places=2)
    charge_inc_vat = models.DecimalField(max_digits=10, decimal_places=2)
    clause = models.CharField(max_length=200)
    billing_month = models.DateField(help_text="First day of the month the call is billed in")
    charge = models.ForeignKey(
        PendingCharge, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["answered_at", "id"]
        indexes = [models.Index(fields=["account", "billing_month", "answered_at"])]
        constraints = [
            models.UniqueConstraint(fields=["brand", "call_id"], name="rated_call_once"),
            models.CheckConstraint(
                condition=models.Q(charge_inc_vat__gte=models.F("charge_ex_vat")),
                name="rated_call_vat_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.callee} £{self.charge_ex_vat}"


class RejectedCdr(models.Model):
    """A line of an import that was not rated, with its line number and reason."""

    cdr_import = models.ForeignKey(CdrImport, on_delete=models.CASCADE, related_name="rejects")
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    text = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["cdr_import", "line"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"
