"""Email and hosting packages (monthly rolling contracts) and hosting acceptable use flags."""

from __future__ import annotations

from django.db import models

from backhaul.catalogue.models import Clause, PriceVersion, Product
from backhaul.customers.models import Account
from backhaul.hosting.choices import PackageStatus
from backhaul.notices.models import Notice


class Package(models.Model):
    """An email or hosting package: one product on one account, renewed monthly.

    `renews_on` is the end of the period paid for and the next renewal date. A package is
    not a contracts Subscription: its renewals are charged by the daily job through the
    billing charge interface, ahead of the renewal date as the terms require.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="packages")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    price_version = models.ForeignKey(PriceVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=PackageStatus.choices, default=PackageStatus.ACTIVE
    )
    started_on = models.DateField()
    renews_on = models.DateField()
    charged_to = models.DateField(help_text="The end of the last period charged")
    notice_given_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True, help_text="Set when notice is given")
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "started_on", "id"]
        indexes = [models.Index(fields=["status", "renews_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(renews_on__gt=models.F("started_on")),
                name="package_renews_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"P{self.pk} {self.product.name} for {self.account.number}"


class PackageEvent(models.Model):
    """One thing that happened to a package, with the clause it rests on; daily events are
    unique per package, kind and day, so a replayed day adds nothing."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
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
        ordering = ["package", "on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "kind", "on"],
                condition=models.Q(lifecycle=True),
                name="package_lifecycle_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"P{self.package_id} {self.kind} on {self.on}"


class AupFlag(models.Model):
    """A forbidden use found on a hosting package (public FTP, peer-to-peer, file sharing)."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="aup_flags")
    kind = models.CharField(max_length=32, help_text="One of the brand's forbidden uses")
    noted_on = models.DateField()
    detail = models.CharField(max_length=300, blank=True)
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-noted_on", "id"]
        verbose_name = "AUP flag"
        constraints = [
            models.UniqueConstraint(
                fields=["package", "kind"],
                condition=models.Q(resolved_on__isnull=True),
                name="one_open_aup_flag_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on P{self.package_id}"
