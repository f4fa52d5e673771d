"""Staff console pages for the catalogue. Loaded from files, so read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from backhaul.catalogue.models import (
    Brand,
    CatalogueLoad,
    Charge,
    Clause,
    PriceVersion,
    Product,
    RuleSection,
    TermsDocument,
    VatRate,
)


class ReadOnlyAdmin(ModelAdmin):
    """The catalogue changes only by loading a file, so that every change has a record."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class VatRateInline(ReadOnlyInline):
    model = VatRate
    fields = ["rate", "start", "clause"]


@admin.register(Brand)
class BrandAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "legal_name", "account_prefix", "bank_holidays"]
    inlines = [VatRateInline]


@admin.register(TermsDocument)
class TermsDocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "title", "source"]
    list_filter = ["brand"]


@admin.register(Clause)
class ClauseAdmin(ReadOnlyAdmin):
    list_display = ["clause_id", "heading"]
    list_filter = ["brand", "document"]
    search_fields = ["clause_id", "heading", "text"]


class PriceVersionInline(ReadOnlyInline):
    model = PriceVersion
    fields = ["term", "market", "amount", "vat_treatment", "start", "clause", "example"]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "brand", "kind", "billing_period", "notice_days", "example"]
    list_filter = ["brand", "kind", "billing_period", "example"]
    search_fields = ["key", "name"]
    inlines = [PriceVersionInline]


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "brand", "amount", "vat_treatment", "unit", "start", "clause"]
    list_filter = ["brand", "vat_treatment"]
    search_fields = ["key", "name"]


@admin.register(RuleSection)
class RuleSectionAdmin(ReadOnlyAdmin):
    list_display = ["key", "brand", "clause", "example"]
    list_filter = ["brand"]
    search_fields = ["key"]


@admin.register(CatalogueLoad)
class CatalogueLoadAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "brand", "loaded_at", "sha256"]
    list_filter = ["brand"]
