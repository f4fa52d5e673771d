"""Staff console pages for notices: read-only, they are proof."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from unfold.admin import ModelAdmin

from backhaul.notices.models import Notice


@admin.register(Notice)
class NoticeAdmin(ModelAdmin):
    list_display = ["created_at", "kind", "account", "recipient", "subject", "status"]
    list_filter = ["kind", "status", "brand"]
    search_fields = ["key", "recipient", "subject", "account__number"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
