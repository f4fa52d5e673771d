"""Member Centre bill pages; every lookup goes through the signed-in customer's account."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from backhaul.billing.documents import invoice_context, invoice_pdf
from backhaul.billing.models import Invoice
from backhaul.customers.models import Account
from backhaul.portal.access import customer_required


def _own_invoice(account: Account, number: str) -> Invoice:
    try:
        return Invoice.objects.get(account=account, number=number)
    except Invoice.DoesNotExist:
        raise Http404("No such bill on your account.") from None


@customer_required
def bills(request: HttpRequest, account: Account) -> HttpResponse:
    invoices = Invoice.objects.filter(account=account).order_by("-bill_date", "-number")
    return render(request, "billing/bills.html", {"account": account, "invoices": invoices})


@customer_required
def bill(request: HttpRequest, account: Account, number: str) -> HttpResponse:
    invoice = _own_invoice(account, number)
    return render(request, "billing/bill.html", {"account": account, **invoice_context(invoice)})


@customer_required
def bill_pdf(request: HttpRequest, account: Account, number: str) -> HttpResponse:
    invoice = _own_invoice(account, number)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
