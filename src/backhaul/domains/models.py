"""Domain registrations held for customers, and everything that happened to each."""

from __future__ import annotations

from django.db import models

from backhaul.catalogue.models import Clause, PriceVersion, Product
from backhaul.customers.models import Account
from backhaul.domains.choices import DomainStatus
from backhaul.notices.models import Notice

HELD = [DomainStatus.ACTIVE, DomainStatus.EXPIRED, DomainStatus.REGISTRY_SUSPENDED]


class Domain(models.Model):
    """A name registered in the customer's name (the account is the registrant).

    The expiry is `anchor` plus `months`, always counted from the anchor so renewals keep
    the day of the month; `expires_on` holds the result for queries. `auto_renew` is copied
    from the brand's catalogue when the name is registered.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="domains")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=253)
    tld = models.CharField(max_length=63)
    status = models.CharField(
        max_length=20, choices=DomainStatus.choices, default=DomainStatus.ACTIVE
    )
    registered_on = models.DateField()
    anchor = models.DateField(help_text="Expiry dates are counted in months from this day")
    months = models.PositiveSmallIntegerField(help_text="Months registered from the anchor")
    expires_on = models.DateField()
    registration_price = models.ForeignKey(PriceVersion, on_delete=models.PROTECT, related_name="+")
    whois_privacy = models.BooleanField(default=False)
    auto_renew = models.BooleanField(default=False)
    status_changed_on = models.DateField()
    next_action_on = models.DateField(
        null=True,
        blank=True,
        help_text="The next day the daily job has something to do for this name",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "expires_on"]),
            models.Index(fields=["next_action_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(status__in=HELD),
                name="domain_name_held_once",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("registered_on")),
                name="domain_expires_after_registration",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DomainEvent(models.Model):
    """One thing that happened to a name, with the clause it rests on.

    `cycle` is the expiry date the event belongs to; lifecycle events (reminders, expiry
    stages) happen once per name and cycle, which the unique constraint guarantees, so a
    replayed day adds nothing.
    """

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    cycle = models.DateField()
    on = models.DateField()
    lifecycle = models.BooleanField(default=False)
    clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["domain", "on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "kind", "cycle"],
                condition=models.Q(lifecycle=True),
                name="domain_lifecycle_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain.name} {self.kind} on {self.on}"
