"""The audit trail: every staff view or change of customer data in the console and API.

Add `"backhaul.privacy.middleware.StaffAuditMiddleware"` to MIDDLEWARE after
AuthenticationMiddleware. A staff request to a console page of a model the register
lists as personal, or to the API, is recorded as an AuditEvent (who, what, when, result).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from backhaul.privacy.choices import AuditAction
from backhaul.privacy.register import REGISTER
from backhaul.privacy.services import audit_record

READ_METHODS = frozenset({"GET", "HEAD"})


def _console_target(path: str) -> tuple[str, str] | None:
    """The (model label, object id) of a console URL, when it is a personal-data model."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if "admin" not in match.namespaces:
        return None
    parts = match.route.split("/")
    if len(parts) < 3:
        return None
    app_label, model_name = parts[1], parts[2]
    for label in REGISTER:
        if label.lower() == f"{app_label}.{model_name}".lower():
            return apps.get_model(label)._meta.label, str(match.kwargs.get("object_id", ""))
    return None


class StaffAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return response
        target = _audited(request.path)
        if target is not None:
            label, object_id = target
            audit_record(
                user=user,
                action=AuditAction.VIEW if request.method in READ_METHODS else AuditAction.CHANGE,
                method=request.method or "",
                path=request.get_full_path(),
                status_code=response.status_code,
                now=timezone.now(),
                model_label=label,
                object_id=object_id,
            )
        return response


def _audited(path: str) -> tuple[str, str] | None:
    if path.startswith("/api/"):
        return "api", ""
    return _console_target(path)


# Pages are served from this site only; the console's inline styles and scripts (unfold)
# need 'unsafe-inline' until they carry nonces, and its Alpine.js components evaluate
# expressions ('unsafe-eval'), which only console pages allow.
CONSOLE_PREFIX = "/console/"


def _policy(script_src: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_src}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = _policy("'self' 'unsafe-inline'")
CONSOLE_CONTENT_SECURITY_POLICY = _policy("'self' 'unsafe-inline' 'unsafe-eval'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """A Content-Security-Policy and related headers on every response that lacks them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = dict(SECURITY_HEADERS)
        if request.path.startswith(CONSOLE_PREFIX):
            headers["Content-Security-Policy"] = CONSOLE_CONTENT_SECURITY_POLICY
        for header, value in headers.items():
            if header not in response:
                response[header] = value
        return response
