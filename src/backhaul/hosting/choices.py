"""Enumerations for email and hosting packages."""

from django.db import models


class PackageStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled with refund"


class PackageEventKind(models.TextChoices):
    ORDERED = "ordered", "Ordered"
    RENEWAL_INVOICED = "renewal-invoiced", "Renewal charged before the renewal date"
    RENEWED = "renewed", "Renewed"
    NOTICE_GIVEN = "notice-given", "Notice given"
    ENDED = "ended", "Ended"
    REFUNDED = "refunded", "Cancelled with a full refund"
    AUP_FLAGGED = "aup-flagged", "Acceptable use flag raised"
    AUP_RESOLVED = "aup-resolved", "Acceptable use flag resolved"


class RefundBasis(models.TextChoices):
    COOLING_OFF = "cooling-off", "First 30 days: cancel for a full refund"
    MONEY_BACK = "money-back", "Money-back guarantee"
