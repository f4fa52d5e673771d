"""Mailboxes, what happened to them, and the headers-only traffic log."""

from __future__ import annotations

from django.db import models

from backhaul.catalogue.models import Clause
from backhaul.customers.models import Account
from backhaul.mailboxes.choices import DeliveryStatus, MailboxStatus, TrafficDirection
from backhaul.mailboxes.rules import (
    ADDRESS_LIMIT,
    MESSAGE_ID_LIMIT,
    RECIPIENTS_LIMIT,
    SUBJECT_LIMIT,
)
from backhaul.notices.models import Notice


class Mailbox(models.Model):
    """One mailbox of an account, with when it was last accessed and how much is unread."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="mailboxes")
    address = models.EmailField(max_length=254, unique=True)
    is_postmaster = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=MailboxStatus.choices, default=MailboxStatus.ACTIVE
    )
    created_on = models.DateField()
    last_accessed_at = models.DateTimeField(null=True, blank=True)
    archived_on = models.DateField(
        null=True, blank=True, help_text="The day the mail was archived and the customer told"
    )
    deleted_on = models.DateField(null=True, blank=True)
    unread_bytes = models.PositiveBigIntegerField(default=0)
    unread_over_limit_since = models.DateField(null=True, blank=True)
    suspended_on = models.DateField(null=True, blank=True)
    # The mail server's own totals, as last reported (None until it has reported them).
    mail_count = models.PositiveIntegerField(null=True, blank=True)
    unseen_count = models.PositiveIntegerField(null=True, blank=True)
    stored_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    server_reported_on = models.DateField(
        null=True, blank=True, help_text="The day the mail server last reported on it"
    )
    suspension_reason = models.CharField(max_length=300, blank=True)
    suspension_clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "mailboxes"
        indexes = [models.Index(fields=["status", "last_accessed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_postmaster=True),
                name="one_postmaster_per_account",
            ),
            models.CheckConstraint(
                condition=models.Q(suspended_on__isnull=True)
                | models.Q(suspension_clause__isnull=False),
                name="mailbox_suspension_names_its_clause",
            ),
        ]

    def __str__(self) -> str:
        return self.address


class MailboxEvent(models.Model):
    """One thing that happened to a mailbox, with the clause it rests on.

    Housekeeping events happen once per mailbox, kind and day (the unique constraint), so
    a replayed day adds nothing.
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="events")
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
    pushed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the mail server carried it out"
    )

    class Meta:
        ordering = ["mailbox", "on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "kind", "on"],
                condition=models.Q(lifecycle=True),
                name="mailbox_lifecycle_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox.address} {self.kind} on {self.on}"


class MailTraffic(models.Model):
    """One message through a mailbox, logged by its headers.

    There is deliberately no field that could hold a body: the log keeps the headers
    staff may see (to, from, subject, date and size) and the Message-ID to trace it
    (plugin/email-terms#reliability, plugin/email-terms#email-privacy-headers).
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="traffic")
    direction = models.CharField(max_length=3, choices=TrafficDirection.choices)
    at = models.DateTimeField(help_text="When the message passed through our servers")
    message_id = models.CharField(max_length=MESSAGE_ID_LIMIT, blank=True)
    sender = models.CharField(max_length=ADDRESS_LIMIT, blank=True)
    recipients = models.CharField(max_length=RECIPIENTS_LIMIT, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    subject = models.CharField(max_length=SUBJECT_LIMIT, blank=True)
    dated = models.DateTimeField(null=True, blank=True, help_text="The message's Date header")
    size_bytes = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, blank=True)
    queue_id = models.CharField(max_length=32, blank=True, help_text="The mail log's queue id")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "mail traffic"
        indexes = [
            models.Index(fields=["mailbox", "direction", "at"]),
            models.Index(fields=["queue_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "direction", "message_id"],
                condition=~models.Q(message_id=""),
                name="mail_traffic_logged_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.at:%Y-%m-%d %H:%M} {self.subject[:40]}"


class MailSync(models.Model):
    """One reading of the mail server (`backhaul mailboxes sync`), with counts that reconcile.

    For each file or command output read = accepted + rejected; every rejected line is
    kept as a `MailSyncReject` with its reason.
    """

    server = models.CharField(max_length=32)
    on = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.server} sync on {self.on}"


class MailSyncReject(models.Model):
    """A line of the mail server's output that was not used, where it was and why."""

    sync = models.ForeignKey(MailSync, on_delete=models.CASCADE, related_name="rejects")
    origin = models.CharField(max_length=300, help_text="The file or command read")
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ["sync", "id"]

    def __str__(self) -> str:
        return f"{self.origin}:{self.line}: {self.reason}"
