"""Enumerations for notices."""

from django.db import models


class NoticeStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    NO_ADDRESS = "no-address", "No address on file"
