"""Subscriptions to products and the history of their lifecycle."""

from __future__ import annotations

from django.db import models

from backhaul.catalogue.models import Clause, PriceVersion, Product
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.customers.models import Account, Site


class Subscription(models.Model):
    """One product on one account: its price version, term, market and lifecycle dates.

    The notice period is copied from the catalogue when the subscription is created, so a
    later catalogue change does not silently change what this customer agreed to.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="subscriptions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    price_version = models.ForeignKey(PriceVersion, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    term_months = models.PositiveSmallIntegerField()
    market = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices)
    ordered_on = models.DateField()
    service_start_date = models.DateField(null=True, blank=True)
    promised_start_date = models.DateField(
        null=True,
        blank=True,
        help_text="The date the service was promised to start when it was ordered (the date "
        "agreed with the customer); a later Service Start Date is late provision",
    )
    minimum_period_end = models.DateField(null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField()
    notice_clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    billed_until = models.DateField(
        null=True,
        blank=True,
        help_text="Recurring charges before this date were billed before the service came to "
        "Backhaul (imported services)",
    )
    notice_given_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "id"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_months__gte=1), name="subscription_term_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_period_end__isnull=True)
                | models.Q(service_start_date__isnull=False),
                name="subscription_minimum_end_needs_start",
            ),
        ]

    def __str__(self) -> str:
        return f"S{self.pk} {self.product.key} for {self.account.number}"


class SubscriptionEvent(models.Model):
    """Each lifecycle change, kept as history (who, when, from, to, why)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=SubscriptionStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["subscription", "at", "id"]

    def __str__(self) -> str:
        return f"{self.subscription} {self.from_status or 'new'} -> {self.to_status} at {self.at}"
