"""Sign-in throttling (django-axes): which address a sign-in attempt came from.

Named by `AXES_CLIENT_IP_CALLABLE` in the settings; the rule is
`security_rules.client_address`, trusting `BACKHAUL_PROXY_COUNT` reverse proxies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backhaul.privacy.security_rules import client_address


def client_ip(request: HttpRequest) -> str | None:
    return client_address(
        remote_addr=request.META.get("REMOTE_ADDR") or "",
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR") or "",
        proxy_count=settings.BACKHAUL_PROXY_COUNT,
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page shown instead of signing in while a username and address are locked out."""
    from axes.helpers import get_client_username, get_cool_off

    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "minutes": minutes,
    }
    return render(
        request, "privacy/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
