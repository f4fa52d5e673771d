"""Abuse reports as received, the incidents they describe, and the cases built from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backhaul.abuse.choices import (
    ActionKind,
    CaseStatus,
    Channel,
    Evidence,
    Format,
    MessageStatus,
    ReportStatus,
    Resolution,
)
from backhaul.catalogue.models import Brand, Clause
from backhaul.customers.models import Account
from backhaul.notices.models import Notice


class IntakeMessage(models.Model):
    """One item as received: an email, a feed file, a web form post or a staff entry.

    The raw bytes are kept (up to a limit, with the full size and digest) whatever became
    of them, so a rejected item can be read again with its reason. The SHA-256 digest makes
    intake idempotent: the same bytes received twice are one message.
    """

    # Unique by the constraints below, which (unlike `unique=True`) add no second
    # pattern-matching index on PostgreSQL: neither is ever searched by prefix.
    reference = models.CharField(max_length=20, help_text="Given to the reporter")
    sha256 = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    source = models.CharField(max_length=300, blank=True, help_text="File, peer or form")
    format = models.CharField(max_length=16, choices=Format.choices)
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    raw = models.BinaryField()
    raw_size = models.PositiveBigIntegerField()
    raw_truncated = models.BooleanField(default=False)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reporter_email = models.CharField(max_length=254, blank=True)
    reporter_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    automated = models.BooleanField(default=False, help_text="Machine-sent: never answered")
    records = models.PositiveIntegerField(default=0, help_text="Incidents read from it")
    rejected_records = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"])]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="abuse_message_reference_unique"),
            models.UniqueConstraint(fields=["sha256"], name="abuse_message_sha256_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.format} {self.status}"


class Case(models.Model):
    """What the desk does about one account's abuse of one kind.

    At most one case per (account, category) is open at a time: further reports attach to
    it, and a new report reopens the latest resolved case. `steps_taken` counts the ladder
    steps taken so far; `deadline` is when the corrective action asked for is due.
    """

    # Indexed by the (account, category, status) index below, which starts with it.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="abuse_cases", db_index=False
    )
    category = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    steps_taken = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=16, blank=True, help_text="The last ladder step taken")
    deadline = models.DateTimeField(null=True, blank=True)
    repeat_offender = models.BooleanField(default=False)
    reports_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField()
    last_report_at = models.DateTimeField(null=True, blank=True)
    first_action_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["status", "category"]),
            models.Index(fields=["account", "category", "status"]),
            models.Index(fields=["opened_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "category"],
                condition=models.Q(status="open"),
                name="abuse_one_open_case_per_account_category",
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | models.Q(status="merged"),
                name="abuse_case_merged_into_only_when_merged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.category} ({self.status})"

    @property
    def reference(self) -> str:
        return f"AC-{self.pk:06d}" if self.pk else "AC-new"


class Report(models.Model):
    """One incident from an intake message, resolved to the account that held the address.

    Rejected records (a feed row with a bad address, say) are kept here too, with their
    reason. The reporter's identity is copied from the message and is shown to the customer
    only once staff release it.
    """

    # Indexed by the (message, position) constraint below, which starts with it.
    message = models.ForeignKey(
        IntakeMessage, on_delete=models.CASCADE, related_name="reports", db_index=False
    )
    position = models.PositiveIntegerField(help_text="Line or order within the message")
    status = models.CharField(max_length=16, choices=ReportStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    format = models.CharField(max_length=16, choices=Format.choices)
    category = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    incident_at = models.DateTimeField(null=True, blank=True)
    time_source = models.CharField(max_length=40, blank=True)
    evidence = models.TextField(blank=True)
    full_headers = models.BooleanField(default=False)
    log_lines = models.PositiveIntegerField(default=0, help_text="Log-like lines in the text")
    evidence_status = models.CharField(
        max_length=20, choices=Evidence.choices, default=Evidence.UNCHECKED
    )
    evidence_reason = models.CharField(max_length=300, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="abuse_reports"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    reporter_email = models.CharField(max_length=254, blank=True)
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_released = models.BooleanField(default=False)
    details = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["received_at", "category"]),
            models.Index(fields=["status", "resolution"]),
            models.Index(fields=["status", "evidence_status"]),
            models.Index(fields=["ip", "incident_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "position"], name="abuse_report_once_per_position"
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.ip}:{self.port}" if self.port else str(self.ip or "no address")
        return f"R{self.pk} {self.category or 'unclassified'} {where}"


class CaseAction(models.Model):
    """Everything done on a case, each with the clause that allows it; ladder steps keep the
    notice sent and the subscriptions they changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)
    clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    subscriptions = models.JSONField(default=list, blank=True)
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authority = models.CharField(max_length=200, blank=True)
    legal_basis = models.CharField(max_length=64, blank=True)
    authority_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case.reference} at {self.at:%Y-%m-%d %H:%M}"


class CaseNote(models.Model):
    """A staff note: never shown to the customer or the reporter."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    actor = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.case.reference} by {self.actor or 'staff'}"


class CustomerAnswer(models.Model):
    """What the customer said about a case, from the Member Centre."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"Answer on {self.case.reference} at {self.at:%Y-%m-%d %H:%M}"
