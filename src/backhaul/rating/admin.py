"""Staff console pages for numbers, CDR imports, rated calls and rejected lines.

Rated calls and imports are records of what was billed: they are read-only here. Files are
imported with `backhaul rate`; numbers are given with the rating services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from backhaul.rating.models import CdrImport, PhoneNumber, RatedCall, RejectedCdr


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(PhoneNumber)
class PhoneNumberAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "account",
        "plan",
        "started_at",
        "ended_at",
        "end_reason",
        "last_outgoing_call_at",
    ]
    list_filter = ["plan", "end_reason"]
    search_fields = ["number", "account__number", "account__name"]
    list_select_related = ["account", "plan"]


@admin.register(CdrImport)
class CdrImportAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "file_name",
        "format",
        "read",
        "rated",
        "rejected_lines",
        "total_ex_vat",
        "total_inc_vat",
        "charges",
        "imported_at",
    ]
    list_filter = ["brand", "format"]
    search_fields = ["file_name", "sha256"]
    readonly_fields = [
        "brand",
        "file_name",
        "sha256",
        "format",
        "read",
        "rated",
        "rejected",
        "unanswered",
        "total_ex_vat",
        "total_inc_vat",
        "charges",
        "summary",
        "imported_at",
    ]

    @admin.display(description="rejected")
    def rejected_lines(self, obj: CdrImport) -> str:
        url = reverse("admin:rating_rejectedcdr_changelist") + f"?cdr_import__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.rejected)


@admin.register(RatedCall)
class RatedCallAdmin(ReadOnlyAdmin):
    list_display = [
        "call_id",
        "account",
        "answered_at",
        "caller",
        "callee",
        "destination_class",
        "billed_minutes",
        "inclusive",
        "charge_ex_vat",
        "charge_inc_vat",
        "clause",
    ]
    list_filter = ["destination_class", "plan", "inclusive", "answered", "billing_month"]
    search_fields = ["call_id", "caller", "callee", "account__number"]
    list_select_related = ["account"]
    show_full_result_count = False
    date_hierarchy = "answered_at"


@admin.register(RejectedCdr)
class RejectedCdrAdmin(ReadOnlyAdmin):
    list_display = ["cdr_import", "line", "reason", "text"]
    list_filter = ["cdr_import"]
    search_fields = ["reason", "text"]
    show_full_result_count = False
