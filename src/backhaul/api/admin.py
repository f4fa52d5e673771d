"""API tokens in the staff console: listed and revocable, never shown again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.decorators import action

from backhaul.api.models import ApiToken
from backhaul.api.services import api_token_revoke
from backhaul.console.confirm import confirm_action


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ("prefix", "name", "user", "account", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username", "account__number")
    readonly_fields = (
        "prefix",
        "digest",
        "user",
        "account",
        "scopes",
        "created_at",
        "last_used_at",
    )
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @action(description="Revoke the selected tokens", permissions=["change"])
    @confirm_action
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        now = timezone.now()
        revoked = sum(
            api_token_revoke(prefix=token.prefix, now=now)
            for token in queryset.filter(revoked_at__isnull=True)[:500]
        )
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)
