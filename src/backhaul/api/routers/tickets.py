"""/tickets: Help Assistant tickets."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from backhaul.api.access import accounts_visible
from backhaul.api.choices import Scope
from backhaul.api.pagination import Pagination
from backhaul.api.schemas import TicketOut
from backhaul.support.models import Ticket

router = Router(tags=["tickets"])


def _tickets(request: HttpRequest) -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        account__in=accounts_visible(request, Scope.TICKETS)
    ).select_related("account")


@router.get("/tickets", response=list[TicketOut])
@paginate(Pagination)
def ticket_list(
    request: HttpRequest,
    account: str | None = None,
    state: str | None = None,
    category: str | None = None,
) -> QuerySet[Ticket]:
    """Tickets, newest first, filtered by account, state and category."""
    tickets = _tickets(request)
    if account:
        tickets = tickets.filter(account__number=account.strip().upper())
    if state:
        tickets = tickets.filter(state=state)
    if category:
        tickets = tickets.filter(category=category)
    return tickets.order_by("-created_at", "-id")


@router.get("/tickets/{reference}", response=TicketOut)
def ticket_detail(request: HttpRequest, reference: str) -> Ticket:
    found = _tickets(request).filter(reference=reference.strip().upper()).first()
    if found is None:
        raise HttpError(404, f"no ticket {reference!r}")
    return found
