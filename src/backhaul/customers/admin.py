"""Staff console pages for accounts."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

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
    list_display = ["number", "name", "brand", "kind", "status", "primary_email", "credit_vet"]
    list_filter = ["brand", "kind", "status", "credit_vet", "deposit_required"]
    search_fields = ["number", "name", "primary_email", "contacts__name", "contacts__email"]
    readonly_fields = ["number", "brand", "created_at"]
    inlines = [ContactInline, SiteInline]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Accounts are opened through the account service so numbers are allocated properly.
        return False


@admin.register(CustomerUser)
class CustomerUserAdmin(ModelAdmin):
    list_display = ["user", "account"]
    search_fields = ["user__username", "account__number"]
    autocomplete_fields = ["account"]
