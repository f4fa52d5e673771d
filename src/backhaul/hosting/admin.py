"""Staff console pages for email and hosting packages and hosting AUP flags."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.console.confirm import confirm_action
from backhaul.core.errors import BackhaulError
from backhaul.hosting.models import AupFlag, Package, PackageEvent
from backhaul.hosting.services import package_aup_resolve, package_notice_give


class PackageEventInline(TabularInline):
    model = PackageEvent
    extra = 0
    can_delete = False
    fields = ["on", "kind", "clause", "detail", "notice"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class AupFlagInline(TabularInline):
    model = AupFlag
    extra = 0
    can_delete = False
    fields = ["noted_on", "kind", "detail", "clause", "resolved_on"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Package)
class PackageAdmin(ModelAdmin):
    list_display = ["id", "account", "product", "status", "started_on", "renews_on", "ends_on"]
    list_filter = ["status", "product__kind", "account__brand"]
    search_fields = ["account__number", "account__name", "product__key"]
    readonly_fields = [
        "account",
        "product",
        "price_version",
        "status",
        "started_on",
        "renews_on",
        "notice_given_on",
        "ends_on",
        "ended_on",
        "end_reason",
        "created_at",
    ]
    inlines = [PackageEventInline, AupFlagInline]
    actions = ["give_notice_today"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        # Packages are ordered through the package service, which charges the first month.
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @action(description="Record notice given today")
    @confirm_action
    def give_notice_today(self, request: Any, queryset: Any) -> None:
        for package in queryset[:50]:
            try:
                done = package_notice_give(
                    package=package, on=timezone.localdate(), now=timezone.now()
                )
            except BackhaulError as exc:
                self.message_user(request, f"P{package.pk}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"P{package.pk}: ends on {done.ends_on}", messages.INFO)


@admin.register(AupFlag)
class AupFlagAdmin(ModelAdmin):
    list_display = ["noted_on", "kind", "package", "resolved_on"]
    list_filter = ["kind", "resolved_on"]
    search_fields = ["package__account__number", "detail"]
    readonly_fields = ["package", "kind", "noted_on", "detail", "clause", "notice", "created_at"]
    actions = ["resolve_today"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @action(description="Mark resolved today")
    @confirm_action
    def resolve_today(self, request: Any, queryset: Any) -> None:
        for flag in queryset[:50]:
            try:
                package_aup_resolve(flag=flag, on=timezone.localdate(), now=timezone.now())
            except BackhaulError as exc:
                self.message_user(request, f"{flag}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"{flag}: resolved", messages.SUCCESS)
