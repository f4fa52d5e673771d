"""Payments and credit control: money in and out, mandates, disputes, dunning, collections.

Balances and allocations are not stored: they are worked out from these records and the
issued invoices and credit notes (`payments.selectors`), so they can never drift from the
documents they summarise.
"""

from __future__ import annotations

from django.db import models

from backhaul.billing.models import Invoice
from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account
from backhaul.notices.models import Notice
from backhaul.payments.choices import (
    CollectionStatus,
    ContactChannel,
    ContactOutcome,
    DepartureKind,
    DepartureStatus,
    DisputeOutcome,
    DisputeStatus,
    DunningStepKind,
    DunningStepStatus,
    EquipmentReturnStatus,
    FailureKind,
    MandateStatus,
    PaymentMethod,
    PaymentStatus,
)

POSITIVE = models.Q(amount__gt=0)


class Mandate(models.Model):
    """A Direct Debit mandate: the customer's instruction to their bank to let us collect.

    Only the last four digits of the bank account are kept; the reference is what the bank
    quotes on every collection.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="mandates")
    reference = models.CharField(max_length=64, unique=True)
    account_holder = models.CharField(max_length=200)
    sort_code = models.CharField(max_length=8)
    account_number_last4 = models.CharField(max_length=4)
    signed_on = models.DateField()
    status = models.CharField(
        max_length=16, choices=MandateStatus.choices, default=MandateStatus.ACTIVE
    )
    cancelled_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "-signed_on"]

    def __str__(self) -> str:
        return f"Mandate {self.reference} ({self.account.number})"


class CardAuthority(models.Model):
    """Continuous authority to charge the card on file until the service or contract is
    terminated (plugin/broadband-terms#3)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="card_authorities")
    card_brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    granted_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    clause = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "-granted_on"]
        verbose_name_plural = "card authorities"

    def __str__(self) -> str:
        return f"Card authority {self.account.number} from {self.granted_on}"


class Payment(models.Model):
    """Money received from a customer. A payment that later bounces or is charged back is
    kept and marked reversed, with the failure that reversed it."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    received_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    mandate = models.ForeignKey(Mandate, null=True, blank=True, on_delete=models.PROTECT)
    card_authority = models.ForeignKey(
        CardAuthority, null=True, blank=True, on_delete=models.PROTECT
    )
    by_agreement = models.BooleanField(
        default=False, help_text="A method outside the brand's usual ones, agreed by staff"
    )
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.RECEIVED
    )
    reversed_on = models.DateField(null=True, blank=True)
    clause = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["account", "received_on", "id"]
        indexes = [models.Index(fields=["account", "received_on"])]
        constraints = [models.CheckConstraint(condition=POSITIVE, name="payment_positive")]

    def __str__(self) -> str:
        return f"£{self.amount} by {self.method} on {self.received_on} ({self.account.number})"


class PaymentFailure(models.Model):
    """A card or standing order declined, a cheque bounced, a Direct Debit returned or a
    card payment charged back; counted for the decline charge where the brand has one."""

    key = models.CharField(max_length=200, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=FailureKind.choices)
    on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="failure"
    )
    incorrect = models.BooleanField(
        default=False, help_text="Chargebacks: raised in error (accidental or incorrect)"
    )
    product_kind = models.CharField(max_length=32, blank=True)
    occurrence = models.PositiveSmallIntegerField(
        default=0, help_text="How many counted failures in the 12 months to this one"
    )
    charge_key = models.CharField(max_length=200, blank=True)
    charge_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    clause = models.CharField(max_length=200, blank=True)
    explanation = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["account", "kind", "on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.on} ({self.account.number})"


class Refund(models.Model):
    """Money paid back to a customer out of a credit balance."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    on = models.DateField()
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    reason = models.CharField(max_length=300)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT)
    clause = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["account", "on", "id"]
        constraints = [models.CheckConstraint(condition=POSITIVE, name="refund_positive")]

    def __str__(self) -> str:
        return f"Refund £{self.amount} on {self.on} ({self.account.number})"


class SetOff(models.Model):
    """A credit on one account used to pay a debt overdue on another account of the same
    customer (plusnet-business/general-terms#4.13)."""

    from_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    to_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    on = models.DateField()
    clause = models.CharField(max_length=200)
    reason = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = "set-off"
        constraints = [
            models.CheckConstraint(condition=POSITIVE, name="set_off_positive"),
            models.CheckConstraint(
                condition=~models.Q(from_account=models.F("to_account")),
                name="set_off_between_accounts",
            ),
        ]

    def __str__(self) -> str:
        return f"Set-off £{self.amount} {self.from_account.number} -> {self.to_account.number}"


class Dispute(models.Model):
    """A disputed bill (plusnet-business/general-terms#4.10)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="disputes")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="disputes")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.TextField()
    raised_on = models.DateField()
    percent = models.DecimalField(max_digits=9, decimal_places=4)
    outcome = models.CharField(max_length=16, choices=DisputeOutcome.choices)
    status = models.CharField(
        max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    resolved_on = models.DateField(null=True, blank=True)
    credit_note = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    resolution = models.TextField(blank=True)
    clause = models.CharField(max_length=200)
    raised_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-raised_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=POSITIVE, name="dispute_positive"),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(status="open"),
                name="one_open_dispute_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute of £{self.amount} on {self.invoice.number}"


class InterestCharge(models.Model):
    """Late payment interest charged on one invoice for the days [from_on, to_on)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    from_on = models.DateField()
    to_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    model = models.CharField(max_length=32)
    charge_key = models.CharField(max_length=200)
    clause = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["invoice", "to_on"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "to_on"], name="interest_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"Interest £{self.amount} on {self.invoice.number} to {self.to_on}"


class DunningState(models.Model):
    """Where an account is on its brand's dunning ladder, and whether staff hold it."""

    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="dunning")
    cycle_started_on = models.DateField(
        null=True, blank=True, help_text="First day of the current run of arrears"
    )
    held = models.BooleanField(default=False)
    held_until = models.DateField(null=True, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)
    held_by = models.CharField(max_length=150, blank=True)
    last_reviewed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["account"]

    def __str__(self) -> str:
        state = "held" if self.held else ("in arrears" if self.cycle_started_on else "clear")
        return f"Dunning {self.account.number}: {state}"


class DunningStep(models.Model):
    """One rung of the ladder taken for an account in one run of arrears."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    cycle_started_on = models.DateField()
    kind = models.CharField(max_length=16, choices=DunningStepKind.choices)
    on = models.DateField()
    status = models.CharField(max_length=16, choices=DunningStepStatus.choices)
    clause = models.CharField(max_length=200)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT)
    detail = models.CharField(max_length=500, blank=True)
    subscriptions = models.JSONField(
        default=list, blank=True, help_text="Subscriptions this step restricted or suspended"
    )
    restored_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "cycle_started_on", "on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "cycle_started_on", "kind"], name="dunning_step_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.account.number} on {self.on}"


class ContactAttempt(models.Model):
    """A recorded attempt to reach a customer about unpaid bills (plugin/general-terms#rule-7:
    no termination "unless we have failed to gain a response from you")."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    channel = models.CharField(max_length=16, choices=ContactChannel.choices)
    outcome = models.CharField(max_length=16, choices=ContactOutcome.choices)
    note = models.CharField(max_length=500, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.account.number} on {self.on}"


class CollectionCase(models.Model):
    """A debt handed, or to be handed, to a debt collection agency."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    cycle_started_on = models.DateField()
    opened_on = models.DateField()
    status = models.CharField(
        max_length=16, choices=CollectionStatus.choices, default=CollectionStatus.PENDING
    )
    debt = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    agency_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    agency_cost_clause = models.CharField(max_length=200, blank=True)
    exported_on = models.DateField(null=True, blank=True)
    export_name = models.CharField(max_length=200, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "cycle_started_on"], name="one_collection_per_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"Collection {self.account.number} ({self.get_status_display()})"


class Departure(models.Model):
    """A subscription leaving: why, when it ends, and what it cost or refunded."""

    subscription = models.OneToOneField(
        Subscription, on_delete=models.PROTECT, related_name="departure"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=DepartureKind.choices)
    notice_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=16, choices=DepartureStatus.choices)
    lines = models.JSONField(default=list, help_text="Charges and credits put on the bill")
    explanation = models.TextField(blank=True)
    clause = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-notice_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: S{self.subscription_id} ends {self.ends_on}"


class EquipmentReturn(models.Model):
    """Equipment the customer must send back in the prepaid package within the return days
    of receiving it (plusnet-business/broadband-schedule#5.2)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="equipment_returns"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    package_sent_on = models.DateField()
    package_received_on = models.DateField(null=True, blank=True)
    returned_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=EquipmentReturnStatus.choices, default=EquipmentReturnStatus.AWAITING
    )
    charged_on = models.DateField(null=True, blank=True)
    charges = models.JSONField(default=list, blank=True)
    clause = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-package_sent_on", "-id"]

    def __str__(self) -> str:
        return f"Equipment return for S{self.subscription_id} ({self.get_status_display()})"


class CreditControlAccount(Account):
    """An account as credit control sees it: balance, statement, ladder, disputes."""

    class Meta:
        proxy = True
        verbose_name = "credit control account"
