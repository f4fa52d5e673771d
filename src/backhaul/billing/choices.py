"""Enumerations for billing."""

from django.db import models


class ChargeKind(models.TextChoices):
    ONE_OFF = "one-off", "One-off charge"
    USAGE = "usage", "Usage"
    CREDIT = "credit", "Credit"
    RECURRING = "recurring", "Recurring charge"
