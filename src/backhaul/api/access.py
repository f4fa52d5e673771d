"""Who may read what through the API.

A customer token reaches its own account and nothing else: every object is looked up
through `accounts_visible`, so another account's number, invoice or ticket is simply not
found (404). A staff token reads what the user's permissions let them view in the console.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from backhaul.api.choices import Scope
from backhaul.api.models import ApiToken
from backhaul.api.services import api_token_find
from backhaul.customers.models import Account

# The console permission a staff token's user needs for each scope.
STAFF_PERMISSION = {
    Scope.ACCOUNTS: "customers.view_account",
    Scope.SUBSCRIPTIONS: "contracts.view_subscription",
    Scope.INVOICES: "billing.view_invoice",
    Scope.PAYMENTS: "payments.view_payment",
    Scope.USAGE: "usage.view_allowancestate",
    Scope.TICKETS: "support.view_ticket",
    Scope.ABUSE: "abuse.view_report",
}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; a missing, unknown or revoked token is a 401."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_find(token)
        if found is None:
            return None
        if found.user_id is not None and not (found.user.is_active and found.user.is_staff):
            return None
        return found


def token_of(request: HttpRequest) -> ApiToken:
    token: Any = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        raise HttpError(401, "Unauthorized")
    return token


def is_staff_token(token: ApiToken) -> bool:
    return token.user_id is not None


def require(request: HttpRequest, scope: Scope) -> ApiToken:
    """The request's token, if it carries `scope` (and, for staff, the permission)."""
    token = token_of(request)
    if scope.value not in token.scopes:
        raise HttpError(403, f"this token lacks the {scope.value!r} scope")
    if is_staff_token(token) and not token.user.has_perm(STAFF_PERMISSION[scope]):
        raise HttpError(403, f"your staff role cannot view {scope.label.lower()}")
    return token


def accounts_visible(request: HttpRequest, scope: Scope) -> QuerySet[Account]:
    """The accounts this request may read for `scope`."""
    token = require(request, scope)
    accounts = Account.objects.select_related("brand")
    if is_staff_token(token):
        return accounts.all()
    return accounts.filter(pk=token.account_id)


def account_visible(request: HttpRequest, scope: Scope, number: str) -> Account:
    account = accounts_visible(request, scope).filter(number=number.strip().upper()).first()
    if account is None:
        raise HttpError(404, f"no account {number!r}")
    return account
