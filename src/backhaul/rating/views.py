"""Member Centre pages: itemised calls, month by month, for the signed-in account only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from backhaul.customers.models import Account
from backhaul.portal.access import customer_required
from backhaul.rating.selectors import call_months as months_of
from backhaul.rating.selectors import calls_for_account

PAGE_SIZE = 100


@customer_required
def call_months(request: HttpRequest, account: Account) -> HttpResponse:
    return render(request, "rating/months.html", {"account": account, "months": months_of(account)})


@customer_required
def call_list(request: HttpRequest, account: Account, year: int, month: int) -> HttpResponse:
    try:
        first = date(year, month, 1)
    except ValueError:
        raise Http404("No such month") from None
    calls = calls_for_account(account, first)
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    sums = calls.aggregate(ex_vat=Sum("charge_ex_vat"), inc_vat=Sum("charge_inc_vat"))
    totals = {key: value or Decimal("0.00") for key, value in sums.items()}
    return render(
        request,
        "rating/calls.html",
        {"account": account, "month": first, "page": page, "totals": totals},
    )
