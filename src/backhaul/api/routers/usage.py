"""/accounts/{number}/usage: the fair-use state and allowance figures now (or at `at`)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError

from backhaul.api.access import account_visible
from backhaul.api.choices import Scope
from backhaul.api.schemas import UsageOut
from backhaul.core.errors import BackhaulError
from backhaul.usage.selectors import usage_state_at

router = Router(tags=["usage"])


@router.get("/accounts/{number}/usage", response=UsageOut)
def account_usage(request: HttpRequest, number: str, at: datetime | None = None) -> dict[str, Any]:
    """Normal, throttled or blocked, with the allowance used and left."""
    account = account_visible(request, Scope.USAGE, number)
    when = at if at is not None and timezone.is_aware(at) else timezone.now()
    try:
        return usage_state_at(account, when)
    except BackhaulError as exc:  # for example a moment before the account had a plan
        raise HttpError(422, str(exc)) from None
