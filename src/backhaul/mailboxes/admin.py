"""Staff console pages for mailboxes and their headers-only traffic log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.console.confirm import confirm_action
from backhaul.core.errors import BackhaulError
from backhaul.mailboxes.models import (
    Mailbox,
    MailboxEvent,
    MailSync,
    MailSyncReject,
    MailTraffic,
)
from backhaul.mailboxes.services import mailbox_unsuspend


class MailboxEventInline(TabularInline):
    model = MailboxEvent
    extra = 0
    can_delete = False
    fields = ["on", "kind", "clause", "detail", "notice", "pushed_at"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Mailbox)
class MailboxAdmin(ModelAdmin):
    list_display = [
        "address",
        "account",
        "status",
        "is_postmaster",
        "last_accessed_at",
        "unread_bytes",
        "suspended_on",
    ]
    list_filter = ["status", "is_postmaster", "account__brand"]
    search_fields = ["address", "account__number", "account__name"]
    readonly_fields = [
        "account",
        "address",
        "is_postmaster",
        "status",
        "created_on",
        "last_accessed_at",
        "archived_on",
        "deleted_on",
        "unread_bytes",
        "unread_over_limit_since",
        "mail_count",
        "unseen_count",
        "stored_bytes",
        "server_reported_on",
        "suspended_on",
        "suspension_reason",
        "suspension_clause",
        "created_at",
    ]
    inlines = [MailboxEventInline]
    actions = ["lift_suspension"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @action(description="Lift the suspension")
    @confirm_action
    def lift_suspension(self, request: Any, queryset: Any) -> None:
        for mailbox in queryset[:50]:
            try:
                mailbox_unsuspend(
                    mailbox=mailbox,
                    on=timezone.localdate(),
                    now=timezone.now(),
                    reason=f"lifted by {request.user.get_username()}",
                )
            except BackhaulError as exc:
                self.message_user(request, f"{mailbox.address}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"{mailbox.address}: active again", messages.SUCCESS)


@admin.register(MailTraffic)
class MailTrafficAdmin(ModelAdmin):
    """Headers only: to, from, subject, dates and size. There is no body to show."""

    list_display = [
        "at",
        "direction",
        "mailbox",
        "sender",
        "recipient_count",
        "subject",
        "status",
    ]
    list_filter = ["direction", "status"]
    search_fields = ["mailbox__address", "sender", "recipients", "message_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class MailSyncRejectInline(TabularInline):
    model = MailSyncReject
    extra = 0
    can_delete = False
    fields = ["origin", "line", "reason", "raw"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(MailSync)
class MailSyncAdmin(ModelAdmin):
    """Each reading of the mail server, with the lines it could not use and why."""

    list_display = ["started_at", "server", "on", "finished_at"]
    readonly_fields = ["server", "on", "started_at", "finished_at", "counts"]
    inlines = [MailSyncRejectInline]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
