"""Staff console pages for billing: invoices are read-only; corrections are credit notes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.billing.documents import invoice_pdf
from backhaul.billing.models import BillRun, Invoice, InvoiceLine, PendingCharge
from backhaul.billing.services import credit_note_issue
from backhaul.console.confirm import confirm_action
from backhaul.core.errors import BackhaulError


class ReadOnly:
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(ReadOnly, TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["position", "description", "net", "vat_rate", "vat", "gross", "clause_id"]
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly, ModelAdmin):
    list_display = ["number", "kind", "account", "bill_date", "net", "vat", "total", "pdf"]
    list_filter = ["kind", "brand", "bill_date"]
    search_fields = ["number", "account__number", "account__name"]
    date_hierarchy = "bill_date"
    inlines = [InvoiceLineInline]
    actions = ["credit_in_full"]
    readonly_fields = [
        "number", "kind", "brand", "account", "credits_invoice", "bill_run", "bill_date",
        "period_start", "period_end", "due_date", "issued_at", "net", "vat", "total",
        "vat_summary", "supplier_name", "supplier_address", "supplier_vat_number",
        "customer_name", "customer_address", "customer_email", "account_number", "reason",
    ]  # fmt: skip

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # The change page is the read-only view; nothing on it can be saved.
        return request.user.has_perm("billing.view_invoice")

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_invoice_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice, pk=pk)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response

    @admin.display(description="PDF")
    def pdf(self, obj: Invoice) -> str:
        url = reverse("admin:billing_invoice_pdf", args=[obj.pk])
        return format_html('<a href="{}">PDF</a>', url)

    @action(description="Credit in full with a credit note", permissions=["credit"])
    @confirm_action
    def credit_in_full(self, request: HttpRequest, queryset: Any) -> None:
        from django.utils import timezone

        for invoice in queryset.filter(kind="invoice")[:50]:
            try:
                note = credit_note_issue(
                    invoice_number=invoice.number,
                    now=timezone.now(),
                    reason=f"credited in full by {request.user}",
                )
            except BackhaulError as exc:
                self.message_user(request, f"{invoice.number}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"{invoice.number}: credit note {note.number} issued")

    def has_credit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.add_invoice")


@admin.register(BillRun)
class BillRunAdmin(ReadOnly, ModelAdmin):
    list_display = ["on", "brand", "status", "accounts_due", "invoices_issued", "net", "vat",
                    "total", "started_at", "finished_at"]  # fmt: skip
    list_filter = ["status", "brand"]
    date_hierarchy = "on"


@admin.register(PendingCharge)
class PendingChargeAdmin(ReadOnly, ModelAdmin):
    list_display = ["account", "description", "amount", "vat_treatment", "kind", "source",
                    "tax_point", "billed_on", "invoice"]  # fmt: skip
    list_filter = ["kind", "source", "billed_on"]
    search_fields = ["key", "account__number", "description"]

    @admin.display(description="Invoice")
    def invoice(self, obj: PendingCharge) -> str:
        line = getattr(obj, "line", None)
        return line.invoice.number if line is not None else ""
