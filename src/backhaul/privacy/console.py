"""The staff console: unfold's admin site with two-factor sign-in for staff.

`ConsoleSite` is the project's `admin.site` (see `console_app.ConsoleAdminConfig`). On top
of unfold's site it

- asks for the code of the staff member's authenticator at sign-in, when they have one;
- treats a signed-in member of staff whose session is not yet verified as not signed in
  (`security_rules.console_second_factor`): with an authenticator they sign in again with
  its code; without one, while `BACKHAUL_STAFF_2FA_REQUIRED` is on, only the enrolment
  page is open to them;
- serves the console pages of the privacy area: two-factor enrolment, anonymised
  analytics and the security-question check for callers.

Customers sign in to the Member Centre with their password only; this site is staff-only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from unfold.forms import AuthenticationForm
from unfold.sites import UnfoldAdminSite
from unfold.widgets import BASE_INPUT_CLASSES

from backhaul.core.errors import InvalidInput
from backhaul.privacy.security_rules import ConsoleAccess
from backhaul.privacy.two_factor import CODE_DIGITS, console_access, staff_code_verify, staff_device

CHECK_CALLER_PERMISSION = "customers.check_securityanswer"


class ConsoleAuthenticationForm(AuthenticationForm):
    """Username and password, and the authenticator's code for staff who have one.

    A wrong code is reported to django-axes as a failed sign-in, so guessing codes with a
    known password is throttled like guessing passwords.
    """

    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        max_length=12,
        help_text="The 6-digit code from your authenticator app, once you have set one up.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": " ".join(BASE_INPUT_CLASSES),
            }
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        device = staff_device(user)
        if device is None:
            return cleaned
        code = "".join((cleaned.get("otp_token") or "").split())
        if not code:
            raise forms.ValidationError(
                f"Enter the {CODE_DIGITS}-digit code from your authenticator app.",
                code="token_required",
            )
        try:
            staff_code_verify(device=device, code=code)
        except InvalidInput as exc:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
            message = str(exc).removeprefix("code: ")
            raise forms.ValidationError(message[0].upper() + message[1:] + ".") from None
        # django-otp marks the session verified when a user with `otp_device` signs in.
        user.otp_device = device
        return cleaned


class ConsoleSite(UnfoldAdminSite):
    login_form = ConsoleAuthenticationForm
    login_template = "privacy/console/login.html"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        # unfold chooses its own form unless UNFOLD["LOGIN"]["form"] names one.
        self.login_form = ConsoleAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if request.path == reverse("admin:logout", current_app=self.name):
            return True  # signing out never needs the second factor
        return console_access(request.user) is ConsoleAccess.ALLOWED

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method == "GET" and self._needs_enrolment(request.user):
            return self._to_enrolment(request)
        response = super().login(request, extra_context)
        redirected = request.method == "POST" and response.status_code == 302
        if redirected and self._needs_enrolment(request.user):
            return self._to_enrolment(request)
        return response

    @staticmethod
    def _needs_enrolment(user: Any) -> bool:
        return bool(
            user.is_authenticated
            and user.is_active
            and user.is_staff
            and console_access(user) is ConsoleAccess.ENROL
        )

    def _to_enrolment(self, request: HttpRequest) -> HttpResponse:
        target = reverse("admin:two-factor", current_app=self.name)
        wanted = request.POST.get("next") or request.GET.get("next") or ""
        if wanted and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target += "?" + urlencode({"next": wanted})
        return HttpResponseRedirect(target)

    def get_urls(self) -> list[URLPattern]:
        from backhaul.privacy import console_views as views

        return [
            path("two-factor/", views.two_factor_view(self), name="two-factor"),
            path(
                "privacy/analytics/",
                self.admin_view(views.analytics_view(self)),
                name="privacy-analytics",
            ),
            path(
                "privacy/verify-caller/",
                self.admin_view(views.caller_check_view(self)),
                name="privacy-verify-caller",
            ),
            *super().get_urls(),
        ]


def account_links(request: HttpRequest) -> list[dict[str, str]]:
    """The console's user menu (UNFOLD["ACCOUNT"]): two-factor, analytics, caller checks."""
    user: Any = request.user
    if not (user.is_authenticated and user.is_staff):
        return []
    links = [{"title": "Two-factor sign-in", "link": reverse("admin:two-factor")}]
    if console_access(user) is not ConsoleAccess.ALLOWED:
        return links
    links.append({"title": "Anonymised analytics", "link": reverse("admin:privacy-analytics")})
    if user.has_perm(CHECK_CALLER_PERMISSION):
        links.append({"title": "Verify a caller", "link": reverse("admin:privacy-verify-caller")})
    return links
