"""/accounts: the accounts the token may read."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from backhaul.api.access import account_visible, accounts_visible
from backhaul.api.choices import Scope
from backhaul.api.pagination import Pagination
from backhaul.api.schemas import AccountOut
from backhaul.customers.models import Account

router = Router(tags=["accounts"])


@router.get("/accounts", response=list[AccountOut])
@paginate(Pagination)
def account_list(
    request: HttpRequest,
    account: str | None = None,
    brand: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    name: str | None = None,
) -> QuerySet[Account]:
    """Accounts, filtered by number, brand key, status, kind or part of the name."""
    accounts = accounts_visible(request, Scope.ACCOUNTS)
    if account:
        accounts = accounts.filter(number=account.strip().upper())
    if brand:
        accounts = accounts.filter(brand__key=brand)
    if status:
        accounts = accounts.filter(status=status)
    if kind:
        accounts = accounts.filter(kind=kind)
    if name:
        accounts = accounts.filter(name__icontains=name)
    return accounts.order_by("number")


@router.get("/accounts/{number}", response=AccountOut)
def account_detail(request: HttpRequest, number: str) -> Account:
    return account_visible(request, Scope.ACCOUNTS, number)
