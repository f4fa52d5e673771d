"""Usage: accounting records as received, metered sessions, daily usage and fair-use state."""

from __future__ import annotations

from django.db import models

from backhaul.billing.models import PendingCharge
from backhaul.customers.models import Account
from backhaul.usage.choices import FairUseState, RecordSource, StatusType, TopUpChannel


class AccountingRecord(models.Model):
    """One accounting record as received (Start, Interim-Update or Stop), append-only.

    Records land here from FreeRADIUS's radacct table or its detail files and are metered
    once, in id order, by the usage import. Counters are as the NAS reported them:
    `*_gigawords` is null when the NAS sent none (then the 32-bit counter may wrap).
    """

    source = models.CharField(max_length=16, choices=RecordSource.choices)
    session_key = models.CharField(max_length=200)
    username = models.CharField(max_length=253)
    nas_ip = models.CharField(max_length=45, blank=True)
    status = models.CharField(max_length=8, choices=StatusType.choices)
    at = models.DateTimeField()
    session_start = models.DateTimeField(null=True, blank=True)
    input_octets = models.BigIntegerField(default=0)
    input_gigawords = models.BigIntegerField(null=True, blank=True)
    output_octets = models.BigIntegerField(default=0)
    output_gigawords = models.BigIntegerField(null=True, blank=True)
    framed_ip = models.CharField(max_length=45, blank=True)
    origin = models.CharField(max_length=300, blank=True, help_text="File and line, or radacct id")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.status} {self.username} at {self.at:%Y-%m-%d %H:%M:%S}"


class ImportCursor(models.Model):
    """How far an importer has got: the last record metered, the last radacct time read."""

    name = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id} / {self.last_at}"


class ImportRun(models.Model):
    """One run of `backhaul usage import`, with counts that reconcile.

    read = accepted + rejected for the records read from the source, and
    metered + duplicates + rejected_counters + unknown_login for the records metered.
    """

    source = models.CharField(max_length=16, choices=RecordSource.choices)
    origin = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} import at {self.started_at:%Y-%m-%d %H:%M}"


class RejectedRecord(models.Model):
    """An accounting record that was not counted, kept with where it came from and why."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejected")
    origin = models.CharField(max_length=300, help_text="File and line number, or record id")
    line = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


class SessionMeter(models.Model):
    """The last counters counted for a RADIUS session, so each update adds only its delta."""

    session_key = models.CharField(max_length=200)
    username = models.CharField(max_length=253)
    # Indexed with stopped_at below; a usage import rewrites every session's row, so no
    # index is kept that no query needs.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    nas_ip = models.CharField(max_length=45, blank=True)
    framed_ip = models.CharField(max_length=45, blank=True)
    started_at = models.DateTimeField()
    last_at = models.DateTimeField()
    last_input = models.BigIntegerField(help_text="Input counter as last reported")
    last_output = models.BigIntegerField(help_text="Output counter as last reported")
    total_input = models.BigIntegerField(default=0)
    total_output = models.BigIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "stopped_at"])]
        constraints = [
            models.UniqueConstraint(fields=["session_key"], name="usage_session_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.session_key}"


class UsageDay(models.Model):
    """An account's metered usage on one London day, and its connected time for speeds.

    Input is what the customer sent (upload), output what the NAS sent them (download).
    `busy_*` count the part in the brand's busy hours.
    """

    # The (account, day) unique constraint serves lookups by account.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    input_octets = models.BigIntegerField(default=0)
    output_octets = models.BigIntegerField(default=0)
    seconds = models.BigIntegerField(default=0)
    busy_output_octets = models.BigIntegerField(default=0)
    busy_seconds = models.BigIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="usage_day_unique"),
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}"


class AllowanceState(models.Model):
    """Where an account stands in its allowance period now: the policy state the AAA layer
    enforces, and the figures behind it."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="allowance")
    product_key = models.CharField(max_length=64)
    period_start = models.DateField()
    period_end = models.DateField(help_text="First day of the next period")
    state = models.CharField(
        max_length=16, choices=FairUseState.choices, default=FairUseState.NORMAL
    )
    allowance_bytes = models.BigIntegerField()
    used_bytes = models.BigIntegerField(default=0)
    allowance_left = models.BigIntegerField()
    topup_left = models.BigIntegerField(default=0)
    throttle_left = models.BigIntegerField(default=0)
    over_bytes = models.BigIntegerField(default=0)
    notified = models.JSONField(default=list, blank=True)
    last_usage_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["account"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["period_end"])]

    def __str__(self) -> str:
        return f"{self.account} {self.state}"


class StateTransition(models.Model):
    """A change of fair-use state, when, why and under which clause."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    from_state = models.CharField(max_length=16, choices=FairUseState.choices)
    to_state = models.CharField(max_length=16, choices=FairUseState.choices)
    reason = models.CharField(max_length=200)
    clause = models.CharField(max_length=200)

    class Meta:
        ordering = ["account", "at", "id"]
        indexes = [models.Index(fields=["account", "at"])]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state} at {self.at:%Y-%m-%d %H:%M}"


class TopUp(models.Model):
    """A Top Up bought; its volume never expires and is used only after the allowance."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    product_key = models.CharField(max_length=64)
    octets = models.BigIntegerField()
    bought_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=TopUpChannel.choices)
    actor = models.CharField(max_length=150, blank=True)
    request_key = models.CharField(max_length=100, unique=True)
    charge = models.ForeignKey(
        PendingCharge, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-bought_at", "-id"]
        verbose_name = "Top Up"

    def __str__(self) -> str:
        return f"{self.product_key} for {self.account} at {self.bought_at:%Y-%m-%d %H:%M}"


class PeriodUsage(models.Model):
    """A closed allowance period: what was used, what was over, and the extra usage charged."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    allowance_bytes = models.BigIntegerField()
    used_bytes = models.BigIntegerField()
    over_bytes = models.BigIntegerField()
    extra_gb = models.PositiveIntegerField(default=0)
    charge = models.ForeignKey(
        PendingCharge, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["account", "period_start"], name="period_usage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.period_start}"


class UpgradeRecommendation(models.Model):
    """Staff are told an account has been over its allowance for months in a row
    (plusnet-business/broadband-schedule#5.7)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    product_key = models.CharField(max_length=64)
    periods = models.JSONField(help_text="Start dates of the periods over the allowance")
    clause = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    resolved = models.BooleanField(default=False)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["resolved", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(resolved=False),
                name="upgrade_recommendation_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"Upgrade suggested for {self.account}"


class QueuedNotice(models.Model):
    """A fair-use notice, decided in the same transaction as the state it announces and sent
    (through the notices area) once that transaction has committed.

    A usage import changes thousands of states in one transaction; sending mail inside it
    would hold every row lock for as long as the mail takes. Queued here, a notice cannot
    be lost (the daily job sends any left over) and, keyed like the notice itself, is
    never sent twice.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    clause = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["sent_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.account_id} due {self.due_at:%Y-%m-%d %H:%M}"
