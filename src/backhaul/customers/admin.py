"""Staff console pages for accounts, with everything about one account on one page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.console.views import account_overview_view
from backhaul.customers.models import Account, Contact, CustomerUser, Site


class ContactInline(TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "role", "nominated"]


class SiteInline(TabularInline):
    model = Site
    extra = 0
    fields = ["label", "address_line1", "address_line2", "town", "postcode"]


@admin.register(Account)
class AccountAdmin(ModelAdmin):
    list_display = ["number", "name", "brand", "kind", "status", "primary_email", "credit_vet",
                    "overview"]  # fmt: skip
    list_filter = ["brand", "kind", "status", "credit_vet", "deposit_required"]
    search_fields = ["number", "name", "primary_email", "contacts__name", "contacts__email"]
    readonly_fields = ["number", "brand", "created_at"]
    inlines = [ContactInline, SiteInline]
    actions_detail = ["open_overview"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Accounts are opened through the account service so numbers are allocated properly.
        return False

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/overview/",
                self.admin_site.admin_view(self.overview_view),
                name="customers_account_overview",
            ),
            *super().get_urls(),
        ]

    def overview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return account_overview_view(self, request, object_id)

    @admin.display(description="On one page")
    def overview(self, obj: Account) -> str:
        url = reverse("admin:customers_account_overview", args=[obj.pk])
        return format_html('<a href="{}">Overview</a>', url)

    @action(description="Everything on one page", url_path="go-overview", permissions=["view"])
    def open_overview(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:customers_account_overview", args=[object_id]))


@admin.register(CustomerUser)
class CustomerUserAdmin(ModelAdmin):
    list_display = ["user", "account"]
    search_fields = ["user__username", "account__number"]
    autocomplete_fields = ["account"]
