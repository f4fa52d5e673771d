"""API tokens in the staff console: listed and revocable, never shown again."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from backhaul.api.models import ApiToken


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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
