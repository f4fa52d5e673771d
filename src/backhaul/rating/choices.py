"""Enumerations for call rating."""

from django.db import models


class CdrFormat(models.TextChoices):
    CANONICAL = "canonical", "Canonical CSV"
    ASTERISK = "asterisk", "Asterisk Master.csv"


class NumberEndReason(models.TextChoices):
    LAPSED = "lapsed", "Lapsed: no outgoing call for the period in the terms"
    CEASED = "ceased", "Service ceased"
    RELEASED = "released", "Released by the customer"
