"""Staff console pages for domains, with renewal and transfer actions through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.console.confirm import confirm_action
from backhaul.core.errors import BackhaulError
from backhaul.domains.models import Domain, DomainEvent
from backhaul.domains.services import domain_renew, domain_transfer_out


class DomainEventInline(TabularInline):
    model = DomainEvent
    extra = 0
    can_delete = False
    fields = ["on", "kind", "cycle", "clause", "detail", "notice"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Domain)
class DomainAdmin(ModelAdmin):
    list_display = ["name", "account", "status", "registered_on", "expires_on", "whois_privacy"]
    list_filter = ["status", "tld", "account__brand", "whois_privacy"]
    search_fields = ["name", "account__number", "account__name"]
    date_hierarchy = "expires_on"
    readonly_fields = [
        "account",
        "product",
        "name",
        "tld",
        "status",
        "registered_on",
        "anchor",
        "months",
        "expires_on",
        "registration_price",
        "whois_privacy",
        "auto_renew",
        "status_changed_on",
        "created_at",
    ]
    inlines = [DomainEventInline]
    actions = ["renew_today", "transfer_out_today"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        # Names are registered through the domain service, which checks the name, the TLD
        # and the price against the catalogue and charges the registration.
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def _each(self, request: Any, queryset: Any, done: str, run: Callable[[Domain], Any]) -> None:
        for domain in queryset[:50]:
            try:
                run(domain)
            except BackhaulError as exc:
                self.message_user(request, f"{domain.name}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"{domain.name}: {done}", messages.SUCCESS)

    @action(description="Renew (asked for today)")
    @confirm_action
    def renew_today(self, request: Any, queryset: Any) -> None:
        self._each(
            request,
            queryset,
            "renewed",
            lambda d: domain_renew(
                domain=d,
                on=timezone.localdate(),
                now=timezone.now(),
                requested_by=f"staff ({request.user.get_username()})",
            ),
        )

    @action(description="Release for transfer to another registrar")
    @confirm_action
    def transfer_out_today(self, request: Any, queryset: Any) -> None:
        self._each(
            request,
            queryset,
            "released for transfer",
            lambda d: domain_transfer_out(domain=d, on=timezone.localdate(), now=timezone.now()),
        )
