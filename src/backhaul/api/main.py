"""The NinjaAPI instance; area routers are added here."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from backhaul.api.access import TokenAuth
from backhaul.api.routers import abuse, accounts, invoices, payments, subscriptions, tickets, usage
from backhaul.core.errors import BackhaulError, NotFound

api = NinjaAPI(
    title="Backhaul API",
    version="1",
    description=(
        "Accounts, subscriptions, invoices, payments, usage, tickets and abuse reports. "
        "Send `Authorization: Bearer <token>` (make one with `backhaul api token create`). "
        "A customer token sees its own account only; a staff token what its user may view."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
)


@api.exception_handler(BackhaulError)
def domain_error(request: HttpRequest, exc: BackhaulError) -> HttpResponse:
    """A domain error a router did not translate is the client's input, never a 500."""
    return api.create_response(
        request, {"detail": str(exc)}, status=404 if isinstance(exc, NotFound) else 422
    )


@api.get("/health", auth=None, tags=["meta"])
def health(request) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Liveness check."""
    return {"status": "ok"}


for module in (accounts, subscriptions, invoices, payments, usage, tickets, abuse):
    api.add_router("", module.router)
