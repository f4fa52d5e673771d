"""Enumerations for billing."""

from django.db import models


class ChargeKind(models.TextChoices):
    ONE_OFF = "one-off", "One-off charge"
    USAGE = "usage", "Usage"
    CREDIT = "credit", "Credit"
    RECURRING = "recurring", "Recurring charge"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit-note", "Credit note"


class LineKind(models.TextChoices):
    RECURRING = "recurring", "Recurring charge"
    REFUND = "refund", "Refund"
    ONE_OFF = "one-off", "One-off charge"
    USAGE = "usage", "Usage"
    CREDIT = "credit", "Credit"


class BillRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
