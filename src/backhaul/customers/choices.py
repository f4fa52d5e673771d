"""Enumerations for customers."""

from django.db import models


class AccountKind(models.TextChoices):
    BUSINESS = "business", "Business"
    RESIDENTIAL = "residential", "Residential"


class AccountStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CreditVet(models.TextChoices):
    NOT_CHECKED = "not-checked", "Not checked"
    PASSED = "passed", "Passed"
    REFERRED = "referred", "Referred"
    FAILED = "failed", "Failed"


class ContactRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    BILLING = "billing", "Billing"
    TECHNICAL = "technical", "Technical"
    OTHER = "other", "Other"
