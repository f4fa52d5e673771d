"""Enumerations for contracts."""

from django.db import models


class SubscriptionStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered"
    LINE_TEST = "line-test", "Line test and survey"
    CANCELLED = "cancelled", "Cancelled"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CEASED = "ceased", "Ceased"


class ExitLineKind(models.TextChoices):
    EARLY_TERMINATION = "early_termination", "Early termination charge"
    CEASE = "cease", "Cease charge"
