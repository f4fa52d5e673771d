"""Member Centre pages for domains: every name is looked up through the signed-in account."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backhaul.core.errors import BackhaulError, NotFound
from backhaul.customers.models import Account
from backhaul.domains.models import Domain
from backhaul.domains.selectors import domain_of, domain_overview, domains_of
from backhaul.domains.services import domain_privacy_set, domain_renew, domain_transfer_out
from backhaul.portal.access import customer_required


def _own(account: Account, name: str) -> Domain:
    try:
        return domain_of(account, name)
    except NotFound:
        raise Http404("No such domain on your account") from None


@customer_required
def domain_list(request: HttpRequest, account: Account) -> HttpResponse:
    return render(
        request, "domains/list.html", {"account": account, "domains": domains_of(account)}
    )


@customer_required
def domain_detail(request: HttpRequest, account: Account, name: str) -> HttpResponse:
    overview = domain_overview(_own(account, name), on=timezone.localdate())
    return render(request, "domains/detail.html", {"account": account, **overview})


def _act(request: HttpRequest, done: str, action: Callable[[], object]) -> None:
    try:
        action()
    except BackhaulError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)


@require_POST
@customer_required
def domain_privacy(request: HttpRequest, account: Account, name: str) -> HttpResponse:
    domain = _own(account, name)
    enabled = request.POST.get("enabled") == "on"
    _act(
        request,
        f"Whois privacy is now {'on' if enabled else 'off'} for {domain.name}.",
        lambda: domain_privacy_set(
            domain=domain, enabled=enabled, on=timezone.localdate(), now=timezone.now()
        ),
    )
    return redirect("domains:detail", name=domain.name)


@require_POST
@customer_required
def domain_renewal(request: HttpRequest, account: Account, name: str) -> HttpResponse:
    domain = _own(account, name)
    _act(
        request,
        f"{domain.name} is renewed; the charge will appear on your next bill.",
        lambda: domain_renew(
            domain=domain,
            on=timezone.localdate(),
            now=timezone.now(),
            requested_by="the Member Centre",
        ),
    )
    return redirect("domains:detail", name=domain.name)


@require_POST
@customer_required
def domain_transfer(request: HttpRequest, account: Account, name: str) -> HttpResponse:
    domain = _own(account, name)
    _act(
        request,
        f"{domain.name} is released for transfer to your new registrar.",
        lambda: domain_transfer_out(domain=domain, on=timezone.localdate(), now=timezone.now()),
    )
    return redirect("domains:detail", name=domain.name)
