"""Console pages that belong to no single area (wired in by the areas' ModelAdmins)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from backhaul.console.overview import account_overview
from backhaul.customers.models import Account


def account_overview_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Everything about one account on one page, for staff who may view accounts.

    Served under the account admin (``/console/customers/account/<id>/overview/``), so the
    staff audit trail records each visit against the account like its change page.
    """
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    account = get_object_or_404(Account.objects.select_related("brand"), pk=object_id)
    overview = account_overview(account, now=timezone.now(), can=request.user.has_perm)
    return TemplateResponse(
        request,
        "console/account_overview.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": f"{account.number} {account.name}",
            "opts": model_admin.opts,
            "original": account,
            "links": _links(account),
            **overview,
        },
    )


def _links(account: Account) -> dict[str, str]:
    """Console pages to act on the account, where the site has them."""
    wanted = {
        "change": ("admin:customers_account_change", [account.pk], ""),
        "credit_control": ("admin:payments_creditcontrolaccount_change", [account.pk], ""),
        "invoices": ("admin:billing_invoice_changelist", [], f"?q={account.number}"),
        "tickets": ("admin:support_ticket_changelist", [], f"?q={account.number}"),
        "cases": ("admin:abuse_case_changelist", [], f"?q={account.number}"),
        "raise": ("admin:support_ticket_raise", [], ""),
    }
    links = {}
    for key, (name, args, query) in wanted.items():
        try:
            links[key] = reverse(name, args=args) + query
        except NoReverseMatch:
            continue
    return links
