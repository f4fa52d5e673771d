"""Console pages of the privacy area: two-factor enrolment, analytics, caller checks.

Each factory takes the console site and returns the view; `ConsoleSite.get_urls` serves
them. Analytics and caller checks are wrapped in `admin_view` (staff, second factor done);
the enrolment page is open to signed-in staff who still need to set up two-factor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from unfold.widgets import INPUT_CLASSES, SELECT_CLASSES

from backhaul.core.errors import BackhaulError
from backhaul.customers.forms import AccountLookupForm, CallerCheckForm
from backhaul.customers.models import Account
from backhaul.customers.selectors import security_answers_for
from backhaul.privacy.analytics import analytics_tables
from backhaul.privacy.security_rules import K_ANONYMITY, ConsoleAccess
from backhaul.privacy.services import caller_questions, caller_verify
from backhaul.privacy.two_factor import (
    console_access,
    enrolment_key,
    enrolment_qr_svg,
    staff_device,
    staff_enrolment_confirm,
    staff_enrolment_start,
)

View = Callable[..., HttpResponse]


def _console_styled(form: Any) -> Any:
    """Give the form's inputs the console's (unfold's) look; the forms are shared with views
    outside the console."""
    for field in form.fields.values():
        widget = field.widget
        if widget.is_hidden:
            continue
        classes = SELECT_CLASSES if widget.input_type == "select" else INPUT_CLASSES
        widget.attrs["class"] = " ".join(classes)
    return form


def _error_text(exc: BackhaulError) -> tuple[str, str]:
    """("field", "message") from a domain error worded "field: message"."""
    field, _, message = str(exc).partition(": ")
    return (field, message) if message else ("", str(exc))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def two_factor_view(site: Any) -> View:
    from django import forms

    class CodeForm(forms.Form):
        code = forms.CharField(
            label="Code from the app",
            max_length=12,
            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        )

        def clean_code(self) -> str:
            code = "".join(self.cleaned_data["code"].split())
            if not code.isdigit():
                raise forms.ValidationError("Type the digits the app shows.")
            return code

    @never_cache
    def view(request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        login_url = reverse("admin:login", current_app=site.name)
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), login_url)
        if console_access(user) is ConsoleAccess.VERIFY:
            return redirect_to_login(request.get_full_path(), login_url)
        context: dict[str, Any] = {
            **site.each_context(request),
            "title": "Two-factor sign-in",
            "must_enrol": console_access(user) is ConsoleAccess.ENROL,
            "next": _safe_next(request, ""),
        }
        device = staff_device(user)
        if device is not None:
            context["device"] = device
            return TemplateResponse(request, "privacy/console/two_factor.html", context)
        pending = staff_enrolment_start(user=user)
        form = _console_styled(CodeForm(request.POST or None))
        if request.method == "POST" and form.is_valid():
            try:
                device = staff_enrolment_confirm(
                    user=user, device_id=pending.pk, code=form.cleaned_data["code"]
                )
            except BackhaulError as exc:
                form.add_error("code", _error_text(exc)[1])
            else:
                request.session.cycle_key()
                otp_login(request, device)
                messages.success(
                    request, "Two-factor sign-in is on: the console will ask for a code each time."
                )
                return HttpResponseRedirect(_safe_next(request, reverse("admin:index")))
        context.update(
            form=form,
            # The SVG is generated here from the device's own otpauth:// address.
            qr_svg=mark_safe(enrolment_qr_svg(pending)),  # noqa: S308
            key=enrolment_key(pending),
        )
        return TemplateResponse(request, "privacy/console/two_factor.html", context)

    return view


def analytics_view(site: Any) -> View:
    def view(request: HttpRequest) -> HttpResponse:
        tables = analytics_tables(on=timezone.localdate())
        context = {
            **site.each_context(request),
            "title": "Anonymised analytics",
            "tables": tables,
            "k": K_ANONYMITY,
        }
        return TemplateResponse(request, "privacy/console/analytics.html", context)

    return view


def caller_check_view(site: Any) -> View:
    from backhaul.privacy.console import CHECK_CALLER_PERMISSION

    def view(request: HttpRequest) -> HttpResponse:
        staff: Any = request.user
        if not staff.has_perm(CHECK_CALLER_PERMISSION):
            raise PermissionDenied("Checking callers needs the caller-check permission.")
        now = timezone.now()
        source = request.POST if request.method == "POST" else request.GET
        lookup = _console_styled(AccountLookupForm(source if "account" in source else None))
        context: dict[str, Any] = {
            **site.each_context(request),
            "title": "Verify a caller",
            "lookup": lookup,
        }
        account = None
        if lookup.is_bound and lookup.is_valid():
            number = lookup.cleaned_data["account"].strip().upper()
            account = Account.objects.filter(number=number).first()
            if account is None:
                lookup.add_error("account", f"No account {number}.")
        if account is not None:
            if request.method == "POST":
                # The check itself is audited (caller_verify); reading the list again is not.
                prompts = [answer.prompt for answer in security_answers_for(account)]
            else:
                prompts = caller_questions(
                    staff=staff, account=account, path=request.get_full_path(), now=now
                )
            check = _console_styled(
                CallerCheckForm(
                    request.POST if request.method == "POST" else None,
                    prompts=prompts,
                    initial={"account": account.number},
                )
            )
            if request.method == "POST" and check.is_valid():
                try:
                    matched = caller_verify(
                        staff=staff, account=account, prompt=check.cleaned_data["prompt"],
                        answer=check.cleaned_data["answer"], path=request.path, now=now,
                    )  # fmt: skip
                except BackhaulError as exc:
                    field, message = _error_text(exc)
                    shown = field in ("prompt", "answer")  # the account field is hidden
                    check.add_error(field if shown else None, message)
                else:
                    context["matched"] = matched
                    # A fresh form: what the caller said is not sent back to the page.
                    check = _console_styled(
                        CallerCheckForm(prompts=prompts, initial={"account": account.number})
                    )
            context.update(account=account, prompts=prompts, check=check)
        return TemplateResponse(request, "privacy/console/caller_check.html", context)

    return view
