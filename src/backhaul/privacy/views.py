"""Member Centre privacy pages; every lookup goes through the signed-in customer's account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backhaul.core.errors import BackhaulError
from backhaul.customers.models import Account
from backhaul.portal.access import customer_required
from backhaul.privacy.choices import ConsentChannel, ConsentKind
from backhaul.privacy.selectors import consent_history, consents_current, referrals_for
from backhaul.privacy.services import consent_change, subject_access_export


@customer_required
def privacy_home(request: HttpRequest, account: Account) -> HttpResponse:
    current = consents_current(account)
    consents = [(kind, ConsentKind(kind).label, granted) for kind, granted in current.items()]
    return render(
        request,
        "privacy/home.html",
        {
            "account": account,
            "consents": consents,
            "history": consent_history(account)[:50],
            "referrals": referrals_for(account),
        },
    )


@require_POST
@customer_required
def consent_update(request: HttpRequest, account: Account) -> HttpResponse:
    kind = request.POST.get("kind", "")
    granted = request.POST.get("granted", "")
    if granted not in ("on", "off"):
        return HttpResponseBadRequest("granted: choose on or off")
    try:
        change = consent_change(
            account=account,
            kind=kind,
            granted=granted == "on",
            channel=ConsentChannel.MEMBER_CENTRE,
            actor=request.user.get_username(),
            now=timezone.now(),
        )
    except BackhaulError as exc:
        return HttpResponseBadRequest(str(exc))
    if change is not None:
        messages.success(request, f"{ConsentKind(kind).label}: turned {granted}.")
    return redirect("privacy-portal:home")


@require_POST
@customer_required
def export_download(request: HttpRequest, account: Account) -> HttpResponse:
    archive = subject_access_export(
        account=account, requested_by=request.user.get_username(), now=timezone.now()
    )
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{account.number}-my-data.zip"'
    return response
