"""Member Centre access: a signed-in customer sees their own account and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from backhaul.customers.models import Account, CustomerUser

View = Callable[..., HttpResponse]


def customer_account(request: HttpRequest) -> Account | None:
    """The account of the signed-in customer, or None for anyone else.

    Read once per request, with its brand (every Member Centre page needs the brand).
    """
    user = request.user
    if not user.is_authenticated:
        return None
    if not hasattr(request, "_customer_account"):
        link = CustomerUser.objects.select_related("account__brand").filter(user_id=user.pk).first()
        request._customer_account = link.account if link is not None else None  # type: ignore[attr-defined]
    return request._customer_account  # type: ignore[attr-defined,no-any-return]


def customer_required(view: View) -> View:
    """Run `view(request, account, ...)` for a signed-in customer; others are turned away.

    Anonymous visitors go to the sign-in page; signed-in users with no customer account
    (staff) get 403. Views must look up every object through `account`, never by id alone,
    so that one customer can never reach another's data.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.PORTAL_LOGIN_URL)
        account = customer_account(request)
        if account is None:
            raise PermissionDenied("This page is for customers.")
        return view(request, account, *args, **kwargs)

    return wrapper
