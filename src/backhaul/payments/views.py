"""Member Centre pages: always the signed-in customer's own account, never another's."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from backhaul.core.errors import BackhaulError, InvalidInput
from backhaul.customers.models import Account
from backhaul.payments import selectors
from backhaul.payments.forms import DisputeForm, show_error
from backhaul.payments.models import Dispute
from backhaul.payments.services import dispute_raise
from backhaul.portal.access import customer_required


def _accepted_methods(account: Account) -> list[str]:
    terms = selectors.method_terms(account.brand)
    return [m.replace("-", " ") for m in terms.accepted]


@customer_required
def balance(request: HttpRequest, account: Account) -> HttpResponse:
    today = timezone.localdate()
    summary = selectors.statement(account, on=today)
    return render(
        request,
        "payments/balance.html",
        {
            "account": account,
            "summary": summary,
            "open_invoices": [i for i in summary["invoices"] if i["status"] != "paid"],
            "methods": _accepted_methods(account),
            "refused": [m.replace("-", " ") for m in selectors.method_terms(account.brand).refused],
            "clause": selectors.method_terms(account.brand).clause,
        },
    )


@customer_required
def statement(request: HttpRequest, account: Account) -> HttpResponse:
    return render(
        request,
        "payments/statement.html",
        {"account": account, "summary": selectors.statement(account, on=timezone.localdate())},
    )


@customer_required
def payments(request: HttpRequest, account: Account) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "payments/payments.html",
        {
            "account": account,
            "rows": selectors.payment_rows(account, on=today),
            "refunds": account.refunds.order_by("-on"),
            "mandates": account.mandates.order_by("-signed_on"),
            "authorities": account.card_authorities.order_by("-granted_on"),
        },
    )


@customer_required
def disputes(request: HttpRequest, account: Account) -> HttpResponse:
    today = timezone.localdate()
    try:
        terms = selectors.dispute_terms(account.brand)
    except InvalidInput as exc:
        terms, unavailable = None, str(exc)
    else:
        unavailable = ""
    invoices = selectors.disputable_invoices(account, on=today)
    form = DisputeForm(request.POST or None, invoices=invoices)
    if request.method == "POST" and terms is not None and form.is_valid():
        try:
            dispute = dispute_raise(
                account=account,
                invoice_number=form.cleaned_data["invoice"],
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                raised_on=today,
                now=timezone.now(),
                raised_by=request.user.get_username(),
            )
        except BackhaulError as exc:
            show_error(form, exc)
        else:
            messages.success(request, f"Dispute raised about {dispute.invoice.number}.")
            return redirect("payments:disputes")
    return render(
        request,
        "payments/disputes.html",
        {
            "account": account,
            "form": form,
            "terms": terms,
            "unavailable": unavailable,
            "disputes": Dispute.objects.filter(account=account).select_related(
                "invoice", "credit_note"
            ),
        },
    )
