"""Staff console pages for usage: fair-use state, Top Ups, imports and upgrade suggestions."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.console.confirm import confirm_action
from backhaul.core.errors import BackhaulError
from backhaul.usage.choices import TopUpChannel
from backhaul.usage.models import (
    AllowanceState,
    ImportRun,
    PeriodUsage,
    QueuedNotice,
    RejectedRecord,
    StateTransition,
    TopUp,
    UpgradeRecommendation,
)
from backhaul.usage.services import topup_buy


class ReadOnly(ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AllowanceState)
class AllowanceStateAdmin(ReadOnly):
    list_display = [
        "account",
        "product_key",
        "state",
        "period_start",
        "period_end",
        "used_bytes",
        "allowance_bytes",
        "topup_left",
        "updated_at",
    ]
    list_filter = ["state", "product_key"]
    search_fields = ["account__number", "account__name"]
    actions = ["buy_topup"]

    @action(description="Buy a Top Up for the selected accounts")
    @confirm_action
    def buy_topup(self, request: Any, queryset: Any) -> None:
        for state in queryset.select_related("account")[:50]:
            try:
                topup = topup_buy(
                    account=state.account,
                    now=timezone.now(),
                    channel=TopUpChannel.CONSOLE,
                    request_key=f"console:{uuid.uuid4()}",
                    actor=request.user.get_username(),
                )
            except BackhaulError as exc:
                self.message_user(request, f"{state.account.number}: {exc}", messages.WARNING)
                continue
            self.message_user(
                request,
                f"{state.account.number}: {topup.product_key} bought, "
                f"£{topup.charge.amount if topup.charge else 0} on the next bill",
                messages.INFO,
            )


@admin.register(StateTransition)
class StateTransitionAdmin(ReadOnly):
    list_display = ["at", "account", "from_state", "to_state", "reason", "clause"]
    list_filter = ["to_state"]
    search_fields = ["account__number"]
    date_hierarchy = "at"


@admin.register(TopUp)
class TopUpAdmin(ReadOnly):
    list_display = ["bought_at", "account", "product_key", "octets", "channel", "actor", "charge"]
    list_filter = ["channel"]
    search_fields = ["account__number"]


@admin.register(PeriodUsage)
class PeriodUsageAdmin(ReadOnly):
    list_display = [
        "account",
        "period_start",
        "period_end",
        "used_bytes",
        "allowance_bytes",
        "over_bytes",
        "extra_gb",
    ]
    search_fields = ["account__number"]


@admin.register(UpgradeRecommendation)
class UpgradeRecommendationAdmin(ModelAdmin):
    list_display = ["created_at", "account", "product_key", "periods", "clause", "resolved"]
    list_filter = ["resolved"]
    search_fields = ["account__number", "account__name"]
    readonly_fields = ["account", "product_key", "periods", "clause", "created_at"]
    fields = [*readonly_fields, "resolved", "note"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class RejectedInline(TabularInline):
    model = RejectedRecord
    extra = 0
    can_delete = False
    fields = ["origin", "line", "reason"]
    readonly_fields = fields
    max_num = 0


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnly):
    list_display = ["started_at", "source", "origin", "counts"]
    list_filter = ["source"]
    inlines = [RejectedInline]


@admin.register(QueuedNotice)
class QueuedNoticeAdmin(ReadOnly):
    list_display = ["due_at", "account", "kind", "subject", "sent_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__number", "key"]
