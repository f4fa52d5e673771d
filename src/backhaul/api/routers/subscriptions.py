"""/subscriptions and the exit quote: what it would cost to leave on a given day."""

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from backhaul.api.access import accounts_visible
from backhaul.api.choices import Scope
from backhaul.api.pagination import Pagination
from backhaul.api.schemas import SubscriptionOut
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import exit_quote_for_subscription
from backhaul.core.calendar import LONDON
from backhaul.core.errors import BackhaulError

router = Router(tags=["subscriptions"])


def _subscriptions(request: HttpRequest) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        account__in=accounts_visible(request, Scope.SUBSCRIPTIONS)
    ).select_related("account", "product")


@router.get("/subscriptions", response=list[SubscriptionOut])
@paginate(Pagination)
def subscription_list(
    request: HttpRequest,
    account: str | None = None,
    status: str | None = None,
    product: str | None = None,
) -> QuerySet[Subscription]:
    """Subscriptions, filtered by account number, status or product key."""
    subscriptions = _subscriptions(request)
    if account:
        subscriptions = subscriptions.filter(account__number=account.strip().upper())
    if status:
        subscriptions = subscriptions.filter(status=status)
    if product:
        subscriptions = subscriptions.filter(product__key=product)
    return subscriptions.order_by("account__number", "id")


def _subscription(request: HttpRequest, subscription_id: int) -> Subscription:
    found = _subscriptions(request).filter(pk=subscription_id).first()
    if found is None:
        raise HttpError(404, f"no subscription {subscription_id}")
    return found


@router.get("/subscriptions/{subscription_id}", response=SubscriptionOut)
def subscription_detail(request: HttpRequest, subscription_id: int) -> Subscription:
    return _subscription(request, subscription_id)


@router.get("/subscriptions/{subscription_id}/exit-quote", response=dict[str, Any])
def subscription_exit_quote(
    request: HttpRequest, subscription_id: int, notice: date | None = None
) -> dict[str, Any]:
    """What leaving would cost if notice were given on `notice` (today by default)."""
    subscription = _subscription(request, subscription_id)
    on = notice or timezone.now().astimezone(LONDON).date()
    try:
        return exit_quote_for_subscription(subscription_id=subscription.pk, notice=on)
    except BackhaulError as exc:
        raise HttpError(422, str(exc)) from None
