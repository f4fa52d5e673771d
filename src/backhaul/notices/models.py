"""Every notice sent to a customer, kept as proof: what was said, to whom, when, and why."""

from __future__ import annotations

from django.db import models

from backhaul.catalogue.models import Brand, Clause
from backhaul.customers.models import Account
from backhaul.notices.choices import NoticeStatus


class Notice(models.Model):
    """A notice as sent. `key` makes sending idempotent: one notice per key, ever.

    Keys name the event, for example `domain:42:reminder-60:2026-12-01` or
    `usage:PB000001:2026-11:notify-80`, so replaying a day never sends anything twice.
    """

    key = models.CharField(max_length=200, unique=True)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(
        max_length=64, help_text="What the notice is about, e.g. domain.reminder"
    )
    recipient = models.EmailField(blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clause_text = models.TextField(blank=True, help_text="The clause as it read when sent")
    status = models.CharField(max_length=16, choices=NoticeStatus.choices)
    message_id = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient or '(no address)'} at {self.created_at:%Y-%m-%d}"
