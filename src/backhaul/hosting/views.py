"""Member Centre pages for email and hosting packages, through the signed-in account only."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backhaul.core.errors import BackhaulError, NotFound
from backhaul.customers.models import Account
from backhaul.hosting.models import Package
from backhaul.hosting.selectors import package_of, package_overview, packages_of, plans_of
from backhaul.hosting.services import (
    package_cancel_with_refund,
    package_notice_give,
    package_order,
)
from backhaul.portal.access import customer_required


def _own(account: Account, package_id: int) -> Package:
    try:
        return package_of(account, package_id)
    except NotFound:
        raise Http404("No such package on your account") from None


def _act(request: HttpRequest, done: str, action: Callable[[], object]) -> bool:
    try:
        action()
    except BackhaulError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, done)
    return True


@customer_required
def package_list(request: HttpRequest, account: Account) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "hosting/list.html",
        {
            "account": account,
            "packages": [package_overview(p, on=today) for p in packages_of(account)],
            "plans": plans_of(account.brand, on=today),
        },
    )


@require_POST
@customer_required
def package_new(request: HttpRequest, account: Account) -> HttpResponse:
    product_key = request.POST.get("product", "")
    _act(
        request,
        "Your package has started; the first month will appear on your next bill.",
        lambda: package_order(
            account=account, product_key=product_key, on=timezone.localdate(), now=timezone.now()
        ),
    )
    return redirect("hosting:list")


@require_POST
@customer_required
def package_notice(request: HttpRequest, account: Account, package_id: int) -> HttpResponse:
    package = _own(account, package_id)
    _act(
        request,
        f"We have your notice for {package.product.name}; we have emailed you to confirm it.",
        lambda: package_notice_give(package=package, on=timezone.localdate(), now=timezone.now()),
    )
    return redirect("hosting:list")


@require_POST
@customer_required
def package_refund(request: HttpRequest, account: Account, package_id: int) -> HttpResponse:
    package = _own(account, package_id)
    basis = request.POST.get("basis", "")
    _act(
        request,
        f"{package.product.name} is cancelled; the refund will be credited on your next bill.",
        lambda: package_cancel_with_refund(
            package=package, basis=basis, on=timezone.localdate(), now=timezone.now()
        ),
    )
    return redirect("hosting:list")
