"""The NinjaAPI instance; area routers are added here."""

from ninja import NinjaAPI

from backhaul.api.access import TokenAuth
from backhaul.api.routers import abuse, accounts, invoices, payments, subscriptions, tickets, usage

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


@api.get("/health", auth=None, tags=["meta"])
def health(request) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Liveness check."""
    return {"status": "ok"}


for module in (accounts, subscriptions, invoices, payments, usage, tickets, abuse):
    api.add_router("", module.router)
