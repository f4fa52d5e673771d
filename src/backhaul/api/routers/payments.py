"""/payments and each account's statement (balance, what is due and overdue)."""

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.pagination import paginate

from backhaul.api.access import account_visible, accounts_visible
from backhaul.api.choices import Scope
from backhaul.api.pagination import Pagination
from backhaul.api.schemas import PaymentOut, StatementOut
from backhaul.core.calendar import LONDON
from backhaul.payments.models import Payment
from backhaul.payments.selectors import statement

router = Router(tags=["payments"])


@router.get("/payments", response=list[PaymentOut])
@paginate(Pagination)
def payment_list(
    request: HttpRequest,
    account: str | None = None,
    method: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Payment]:
    """Payments received, newest first, filtered by account, method and date received."""
    payments = Payment.objects.filter(
        account__in=accounts_visible(request, Scope.PAYMENTS)
    ).select_related("account")
    if account:
        payments = payments.filter(account__number=account.strip().upper())
    if method:
        payments = payments.filter(method=method)
    if since:
        payments = payments.filter(received_on__gte=since)
    if until:
        payments = payments.filter(received_on__lte=until)
    return payments.order_by("-received_on", "-id")


@router.get("/accounts/{number}/statement", response=StatementOut)
def account_statement(request: HttpRequest, number: str, on: date | None = None) -> dict[str, Any]:
    """The balance and each bill's position on `on` (today by default)."""
    account = account_visible(request, Scope.PAYMENTS, number)
    return statement(account, on=on or timezone.now().astimezone(LONDON).date())
