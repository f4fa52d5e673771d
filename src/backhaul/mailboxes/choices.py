"""Enumerations for mailboxes."""

from django.db import models


class MailboxStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived (not accessed)"
    SUSPENDED = "suspended", "Suspended"
    DELETED = "deleted", "Deleted"


class MailboxEventKind(models.TextChoices):
    CREATED = "created", "Created"
    ARCHIVED = "archived", "Archived"
    RESTORED = "restored", "Restored on access"
    DELETED = "deleted", "Stored email deleted"
    UNREAD_REMOVED = "unread-removed", "Unread email removed"
    SUSPENDED = "suspended", "Suspended"
    UNSUSPENDED = "unsuspended", "Suspension lifted"


class TrafficDirection(models.TextChoices):
    INBOUND = "in", "Received"
    OUTBOUND = "out", "Sent"


class DeliveryStatus(models.TextChoices):
    """A message's delivery status as the mail log reported it last."""

    UNKNOWN = "", "Not reported"
    SENT = "sent", "Delivered"
    DEFERRED = "deferred", "Deferred (still queued)"
    BOUNCED = "bounced", "Bounced"
    EXPIRED = "expired", "Expired and returned to the sender"
