"""Rendering issued invoices: one template for the screen and for the PDF (WeasyPrint)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from backhaul.billing.models import Invoice


def _percent(rate: Decimal | str) -> str:
    value = (Decimal(rate) * 100).normalize()
    return format(value, "f")


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    lines = list(invoice.lines.order_by("position"))
    for line in lines:
        line.vat_percent = _percent(line.vat_rate)  # type: ignore[attr-defined]
    summary = [{**row, "percent": _percent(row["rate"])} for row in invoice.vat_summary]
    # Periods are stored half-open [start, end); people read the last day billed.
    last_day = invoice.period_end - timedelta(days=1)
    return {"invoice": invoice, "lines": lines, "vat_summary": summary, "period_last_day": last_day}


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF, from the same template the Member Centre shows."""
    from weasyprint import HTML

    html = render_to_string("billing/invoice_pdf.html", invoice_context(invoice))
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
