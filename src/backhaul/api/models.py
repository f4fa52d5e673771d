"""API tokens: only a hash is kept; the token itself is shown once, when it is made."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backhaul.customers.models import Account


class ApiToken(models.Model):
    """A bearer token for /api/v1, owned by a staff user or by one customer account.

    A customer token sees its own account's data and nothing else; a staff token sees what
    the user's permissions let them view in the console.
    """

    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(
        max_length=12, help_text="The token's first characters, to tell tokens apart"
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    scopes = models.JSONField(default=list, help_text="What the token may read")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False) & models.Q(account__isnull=True))
                | (models.Q(user__isnull=True) & models.Q(account__isnull=False)),
                name="api_token_one_owner",
            )
        ]

    def __str__(self) -> str:
        owner = self.account.number if self.account_id else str(self.user)
        return f"{self.prefix}… ({owner})"
