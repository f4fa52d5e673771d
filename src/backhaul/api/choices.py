"""What an API token may read."""

from django.db import models


class Scope(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    SUBSCRIPTIONS = "subscriptions", "Subscriptions"
    INVOICES = "invoices", "Invoices"
    PAYMENTS = "payments", "Payments"
    USAGE = "usage", "Usage"
    TICKETS = "tickets", "Tickets"
    ABUSE = "abuse", "Abuse reports"


ALL_SCOPES = [s.value for s in Scope]
