"""Making, finding and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from backhaul.api.choices import ALL_SCOPES
from backhaul.api.models import ApiToken
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.models import Account

TOKEN_PREFIX = "bh_"  # noqa: S105 (marks a string as a Backhaul token, not a secret)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    username: str | None = None,
    account_number: str | None = None,
    scopes: list[str] | None = None,
    name: str = "",
    now: datetime,
) -> IssuedToken:
    """A new token for a staff user or a customer account; the secret is returned once."""
    if (username is None) == (account_number is None):
        raise InvalidInput("give exactly one owner: --user NAME or --account NUMBER")
    wanted = list(scopes if scopes else ALL_SCOPES)
    unknown = sorted(set(wanted) - set(ALL_SCOPES))
    if unknown:
        raise InvalidInput(
            f"--scope: unknown {', '.join(unknown)} (choose from {', '.join(ALL_SCOPES)})"
        )
    user = account = None
    if username is not None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise NotFound(f"--user: no user {username!r}")
        if not (user.is_active and user.is_staff):
            raise InvalidInput(f"--user: {username!r} is not active staff")
    else:
        account = Account.objects.filter(number=str(account_number).strip().upper()).first()
        if account is None:
            raise NotFound(f"--account: no account {account_number!r}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        prefix=secret[:10],
        digest=token_digest(secret),
        user=user,
        account=account,
        scopes=wanted,
        created_at=now,
    )
    return IssuedToken(token=token, secret=secret)


def api_token_find(secret: str) -> ApiToken | None:
    """The live token with this secret, or None."""
    return (
        ApiToken.objects.select_related("user", "account")
        .filter(digest=token_digest(secret), revoked_at__isnull=True)
        .first()
    )


def api_token_revoke(*, prefix: str, now: datetime) -> int:
    return ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).update(revoked_at=now)
