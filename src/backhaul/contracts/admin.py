"""Staff console pages for subscriptions, with an exit quote action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.contracts.models import Subscription, SubscriptionEvent
from backhaul.contracts.services import exit_quote_for_subscription
from backhaul.core.errors import BackhaulError


class SubscriptionEventInline(TabularInline):
    model = SubscriptionEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "reason", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ModelAdmin):
    list_display = [
        "id",
        "account",
        "product",
        "status",
        "term_months",
        "market",
        "service_start_date",
        "promised_start_date",
        "minimum_period_end",
    ]
    list_filter = ["status", "product__brand", "product__kind", "term_months"]
    search_fields = ["account__number", "account__name", "product__key"]
    readonly_fields = [
        "account",
        "product",
        "price_version",
        "term_months",
        "market",
        "status",
        "ordered_on",
        "promised_start_date",
        "service_start_date",
        "minimum_period_end",
        "notice_days",
        "notice_clause",
        "notice_given_on",
        "ends_on",
        "created_at",
    ]
    inlines = [SubscriptionEventInline]
    actions = ["quote_exit_today"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        # Subscriptions are created through the subscription service, which validates the
        # product, term, market and price against the catalogue.
        return False

    @action(description="Quote exit if notice were given today")
    def quote_exit_today(self, request: Any, queryset: Any) -> None:
        today = timezone.localdate()
        for subscription in queryset[:50]:
            try:
                quote = exit_quote_for_subscription(subscription_id=subscription.pk, notice=today)
            except BackhaulError as exc:
                self.message_user(request, f"S{subscription.pk}: {exc}", messages.WARNING)
                continue
            lines = (
                "; ".join(
                    f"{line['description']} £{line['gross']} ({line['clause']})"
                    for line in quote["lines"]
                )
                or "nothing to pay"
            )
            self.message_user(
                request,
                f"S{subscription.pk} {quote['product']}: ends {quote['termination_date']}: "
                f"{lines}. Total £{quote['total']} inc VAT.",
                messages.INFO,
            )
