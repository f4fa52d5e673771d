"""Member Centre pages that belong to no single area."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backhaul.catalogue.models import Brand
from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account
from backhaul.portal.access import customer_required


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"brands": Brand.objects.order_by("name")})


@customer_required
def member_home(request: HttpRequest, account: Account) -> HttpResponse:
    subscriptions = (
        Subscription.objects.filter(account=account)
        .select_related("product")
        .order_by("status", "product__name")
    )
    return render(
        request, "portal/member_home.html", {"account": account, "subscriptions": subscriptions}
    )
