"""/invoices: issued bills and credit notes, and each one as a PDF."""

from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from backhaul.api.access import accounts_visible
from backhaul.api.choices import Scope
from backhaul.api.pagination import Pagination
from backhaul.api.schemas import InvoiceDetailOut, InvoiceOut
from backhaul.billing.documents import invoice_pdf
from backhaul.billing.models import Invoice

router = Router(tags=["invoices"])


def _invoices(request: HttpRequest) -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        account__in=accounts_visible(request, Scope.INVOICES)
    ).select_related("account", "credits_invoice")


@router.get("/invoices", response=list[InvoiceOut])
@paginate(Pagination)
def invoice_list(
    request: HttpRequest,
    account: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Invoice]:
    """Invoices and credit notes, newest first, filtered by account, kind and bill date."""
    invoices = _invoices(request)
    if account:
        invoices = invoices.filter(account__number=account.strip().upper())
    if kind:
        invoices = invoices.filter(kind=kind)
    if since:
        invoices = invoices.filter(bill_date__gte=since)
    if until:
        invoices = invoices.filter(bill_date__lte=until)
    return invoices.order_by("-bill_date", "-number")


def _invoice(request: HttpRequest, number: str) -> Invoice:
    found = _invoices(request).filter(number=number).first()
    if found is None:
        raise HttpError(404, f"no invoice {number!r}")
    return found


@router.get("/invoices/{number}", response=InvoiceDetailOut)
def invoice_detail(request: HttpRequest, number: str) -> Invoice:
    return _invoice(request, number)


@router.get(
    "/invoices/{number}/pdf",
    response={200: None},
    openapi_extra={
        "responses": {
            200: {"description": "The invoice as PDF", "content": {"application/pdf": {}}}
        }
    },
)
def invoice_pdf_download(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _invoice(request, number)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
