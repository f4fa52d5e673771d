"""The NinjaAPI instance; area routers are added here."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Backhaul API",
    version="1",
    description="Accounts, subscriptions, invoices, payments, usage, tickets and abuse reports.",
    urls_namespace="api-v1",
)


@api.get("/health", auth=None, tags=["meta"])
def health(request) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Liveness check."""
    return {"status": "ok"}
