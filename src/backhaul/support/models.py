"""Support records: Help Assistant tickets and their event logs, claims, engineer visits,
complaints and the hosted sites Backhaul watches.

Persistence only. A ticket's SLA clocks are never stored: they are read from its event
log by the rules each time, so a correction to the log corrects every clock.
"""

from __future__ import annotations

from django.db import models

from backhaul.catalogue.models import Brand
from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account, Contact
from backhaul.support.choices import (
    AuthorKind,
    CancelledBy,
    ClaimKind,
    ClaimStatus,
    CloseReason,
    ComplaintOutcome,
    ComplaintStage,
    EventType,
    PauseReason,
    RaisedVia,
    TicketCategory,
    TicketState,
    VisitOutcome,
    VisitPurpose,
    VisitState,
)


class TicketSequence(models.Model):
    """The next ticket number of a brand, taken under a row lock so references never repeat."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="+")
    next_value = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.brand.key}: next ticket {self.next_value}"


class Ticket(models.Model):
    """A Help Assistant ticket, raised in the Member Centre or by staff on the phone.

    ``state`` and the milestone instants mirror the event log for listing and filtering;
    the event log is the record the SLA clocks are read from.
    """

    reference = models.CharField(max_length=20, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="tickets")
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text="The service the ticket is about (the affected line for a fault)",
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        help_text="The nominated contact who receives every update",
    )
    category = models.CharField(max_length=16, choices=TicketCategory.choices)
    subject = models.CharField(max_length=200)
    care_level = models.CharField(
        max_length=32, blank=True, help_text="The account's care level when the ticket was raised"
    )
    raised_via = models.CharField(max_length=16, choices=RaisedVia.choices)
    raised_by = models.CharField(max_length=150, blank=True)
    state = models.CharField(max_length=16, choices=TicketState.choices, default=TicketState.NEW)
    pending_reason = models.CharField(max_length=32, choices=PauseReason.choices, blank=True)
    created_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    auto_close_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["state", "auto_close_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"


class TicketEvent(models.Model):
    """One entry of a ticket's SLA event log, in the vocabulary of the SLA engine."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    type = models.CharField(max_length=16, choices=EventType.choices)
    reason = models.CharField(max_length=32, choices=PauseReason.choices, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["ticket", "at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.type} at {self.at:%Y-%m-%d %H:%M}"


class TicketMessage(models.Model):
    """A message in a ticket's conversation. Internal notes are never shown to customers."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    at = models.DateTimeField()
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author_name = models.CharField(max_length=200)
    body = models.TextField()
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["ticket", "at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.author_name} at {self.at:%Y-%m-%d %H:%M}"


class TicketAttachment(models.Model):
    """A file attached to a message, kept in the database with its checksum."""

    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()

    class Meta:
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} bytes)"


class EngineerVisit(models.Model):
    """An engineer appointment: the booking, any cancellation, and what happened."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="engineer_visits")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=16, choices=VisitPurpose.choices)
    slot_start = models.DateTimeField()
    slot_end = models.DateTimeField()
    booked_at = models.DateTimeField()
    booked_by = models.CharField(max_length=150, blank=True)
    state = models.CharField(max_length=16, choices=VisitState.choices, default=VisitState.BOOKED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=16, choices=CancelledBy.choices, blank=True)
    outcome = models.CharField(max_length=32, choices=VisitOutcome.choices, blank=True)
    time_on_site = models.DurationField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    charges = models.JSONField(
        default=list, blank=True, help_text="Charges put on the bill: key, amount, clause"
    )
    rescheduled_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rescheduled_as",
        help_text="The appointment this one replaces",
    )

    class Meta:
        ordering = ["-slot_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot_end__gt=models.F("slot_start")),
                name="visit_slot_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"Visit {self.pk} for {self.account.number} at {self.slot_start:%Y-%m-%d %H:%M}"


class Claim(models.Model):
    """A claim for a credit or compensation, and its decision with every reason.

    Customer claims (service credits, the Uptime Guarantee, phone compensation) and
    automatic ones (hosting uptime refunds, Ofcom automatic compensation) alike. An
    accepted claim puts a credit on the next bill under ``charge_key``.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="support_claims")
    kind = models.CharField(max_length=32, choices=ClaimKind.choices)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    visit = models.ForeignKey(
        EngineerVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        "MonitoredSite", null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    period_start = models.DateField(null=True, blank=True)
    claimed_at = models.DateTimeField(help_text="When the claim was made (or raised itself)")
    status = models.CharField(max_length=16, choices=ClaimStatus.choices)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The credit granted (0 unless accepted)"
    )
    vat_treatment = models.CharField(max_length=16)
    clause_id = models.CharField(max_length=200)
    reasons = models.JSONField(default=list, help_text="[{code, text, clause}] behind the decision")
    exclusions = models.JSONField(default=list, blank=True)
    circumstances = models.JSONField(default=list, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    charge_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            # "The Customer can only make one claim against each fault" (7.23), and
            # automatic compensation is paid once per event.
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=models.Q(ticket__isnull=False),
                name="one_claim_per_ticket_and_kind",
            ),
            models.UniqueConstraint(
                fields=["visit", "kind"],
                condition=models.Q(visit__isnull=False),
                name="one_claim_per_visit_and_kind",
            ),
            models.UniqueConstraint(
                fields=["site", "period_start", "kind"],
                condition=models.Q(site__isnull=False),
                name="one_claim_per_site_month",
            ),
            # Late provision is compensated once per service.
            models.UniqueConstraint(
                fields=["subscription", "kind"],
                condition=models.Q(kind="ofcom-late-provision"),
                name="one_late_provision_claim_per_service",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="claim_amount_positive"),
        ]
        indexes = [models.Index(fields=["account", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.account.number}: {self.status} £{self.amount}"


class Complaint(models.Model):
    """A complaint and its procedure: first response, escalation to management, outcome,
    and the customer's right to alternative dispute resolution."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="complaint")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="complaints")
    stage = models.CharField(
        max_length=16, choices=ComplaintStage.choices, default=ComplaintStage.RECEIVED
    )
    received_at = models.DateTimeField()
    handler = models.CharField(max_length=150, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.CharField(max_length=150, blank=True)
    escalated_answered_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=ComplaintOutcome.choices, blank=True)
    outcome_summary = models.TextField(blank=True)
    deadlock_at = models.DateTimeField(null=True, blank=True)
    adr_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"Complaint {self.ticket.reference} ({self.get_stage_display()})"


class MonitoredSite(models.Model):
    """A hosted website Backhaul checks over HTTP for the hosting uptime guarantee."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="monitored_sites")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    url = models.URLField(max_length=500)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_up = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["account", "url"]
        constraints = [
            models.UniqueConstraint(fields=["account", "url"], name="one_monitor_per_account_url")
        ]

    def __str__(self) -> str:
        return self.url


class SiteCheck(models.Model):
    """One HTTP check of a monitored site."""

    site = models.ForeignKey(MonitoredSite, on_delete=models.CASCADE, related_name="checks")
    at = models.DateTimeField()
    up = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    elapsed_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["site", "-at"]
        indexes = [models.Index(fields=["site", "at"])]

    def __str__(self) -> str:
        return f"{self.site} {'up' if self.up else 'down'} at {self.at:%Y-%m-%d %H:%M}"


class SiteOutage(models.Model):
    """Downtime of a monitored site: from the first failed check to the next good one."""

    site = models.ForeignKey(MonitoredSite, on_delete=models.CASCADE, related_name="outages")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    first_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["site", "-started_at"]
        indexes = [models.Index(fields=["site", "started_at"])]

    def __str__(self) -> str:
        return f"{self.site} down from {self.started_at:%Y-%m-%d %H:%M}"
