"""Enumerations for domains."""

from django.db import models


class DomainStatus(models.TextChoices):
    ACTIVE = "active", "Registered"
    EXPIRED = "expired", "Expired: services suspended"
    REGISTRY_SUSPENDED = "registry-suspended", "Suspended by the registry"
    DELETED = "deleted", "Cancelled and deleted"
    TRANSFERRED_OUT = "transferred-out", "Transferred away"


class DomainEventKind(models.TextChoices):
    """What happened to a domain. Reminders are `reminder-<days>`, the days from the catalogue."""

    REGISTERED = "registered", "Registered"
    RENEWED = "renewed", "Renewed"
    REMINDER = "reminder", "Renewal reminder"
    EXPIRED = "expired", "Expired"
    REGISTRY_SUSPENDED = "registry-suspended", "Suspended by the registry"
    RENEWAL_DEADLINE = "renewal-deadline", "Last day to ask for renewal passed"
    DELETED = "deleted", "Cancelled and deleted"
    TRANSFERRED_OUT = "transferred-out", "Transferred away"
    TRANSFER_REFUSED = "transfer-refused", "Transfer away refused"
    PRIVACY_CHANGED = "privacy-changed", "Whois privacy changed"
