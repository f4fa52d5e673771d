"""The purpose register, consent history, disclosures, legal holds, retention and audit."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backhaul.catalogue.models import Brand, Clause
from backhaul.customers.models import Account
from backhaul.privacy.choices import (
    AuditAction,
    ConsentChannel,
    ConsentKind,
    DisclosureBasis,
    RecipientKind,
    RetentionAction,
)


class Purpose(models.Model):
    """One interaction of a brand's privacy policy: what is collected and why.

    Loaded from the brand's `[rules.privacy] purposes` by `purposes_sync`.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="purposes")
    interaction = models.SlugField(max_length=64)
    collected = models.JSONField(default=list)
    why = models.JSONField(default=list)
    flags = models.JSONField(default=dict, blank=True, help_text="Conditions the policy sets")
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["brand", "interaction"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "interaction"], name="purpose_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.brand.key}: {self.interaction}"


class ConsentChange(models.Model):
    """One change of one consent; the latest change is the customer's current choice."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=32, choices=ConsentKind.choices)
    granted = models.BooleanField()
    channel = models.CharField(max_length=16, choices=ConsentChannel.choices)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField()
    clause_id = models.CharField(max_length=120)

    class Meta:
        ordering = ["account", "kind", "at", "pk"]
        indexes = [models.Index(fields=["account", "kind", "at"])]

    def __str__(self) -> str:
        state = "on" if self.granted else "off"
        return f"{self.account.number} {self.kind} {state} at {self.at:%Y-%m-%d %H:%M}"


class Disclosure(models.Model):
    """Personal data shared outside the provider: what, with whom and on what basis."""

    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="disclosures"
    )
    account_number = models.CharField(max_length=16, help_text="Kept if the account goes")
    recipient_kind = models.CharField(max_length=32, choices=RecipientKind.choices)
    recipient = models.CharField(max_length=200)
    what = models.TextField()
    basis = models.CharField(max_length=32, choices=DisclosureBasis.choices)
    reference = models.CharField(max_length=120, blank=True)
    clause_id = models.CharField(max_length=120)
    disclosed_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-disclosed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.account_number} to {self.recipient} ({self.basis})"


class LegalHold(models.Model):
    """While open, nothing of the account is deleted or anonymised by retention."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="legal_holds")
    reason = models.CharField(max_length=200)
    placed_at = models.DateTimeField()
    placed_by = models.CharField(max_length=150)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        state = "released" if self.released_at else "open"
        return f"{self.account.number}: {self.reason} ({state})"


class RetentionLog(models.Model):
    """What one day's retention run removed or anonymised, per data class and model."""

    on = models.DateField()
    data_class = models.CharField(max_length=64)
    model_label = models.CharField(max_length=100)
    action = models.CharField(max_length=16, choices=RetentionAction.choices)
    rows = models.PositiveIntegerField()
    clause_id = models.CharField(max_length=120)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-on", "data_class", "model_label"]

    def __str__(self) -> str:
        return f"{self.on} {self.data_class} {self.model_label}: {self.action} {self.rows}"


class AuditEvent(models.Model):
    """A member of staff viewed, changed or exported customer data: who, what, when."""

    at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    model_label = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    account_number = models.CharField(max_length=16, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["account_number", "at"]),
            models.Index(fields=["username", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.path}"


class Referral(models.Model):
    """One customer introduced another; the referrer may see only whether it still counts."""

    referrer = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="referrals_made")
    referred = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="referral")
    referred_at = models.DateTimeField()

    class Meta:
        ordering = ["-referred_at"]

    def __str__(self) -> str:
        return f"{self.referrer.number} referred {self.referred.number}"
