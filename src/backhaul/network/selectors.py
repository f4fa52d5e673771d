"""Reading the IP history."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from backhaul.network.models import IpAssignment


def ip_holders_at(*, ip: str, at: datetime, port: int | None = None) -> list[IpAssignment]:
    """The assignments of `ip` in force at instant `at` (start <= at < end).

    With a source port, only whole-address assignments and port ranges containing it
    match; without one, a CGNAT address may match several accounts, and the caller must
    treat that as unresolved. Static allocations come before sessions.
    """
    query = IpAssignment.objects.filter(ip=ip, start__lte=at).filter(
        Q(end__isnull=True) | Q(end__gt=at)
    )
    if port is not None:
        query = query.filter(
            Q(port_start__isnull=True) | Q(port_start__lte=port, port_end__gte=port)
        )
    return list(query.select_related("account").order_by("-source", "-start"))


def whois_ip(*, ip: str, at: datetime, port: int | None = None) -> dict[str, object]:
    """Who held `ip` (and `port`, behind CGNAT) at `at`, for the abuse desk."""
    import ipaddress

    from backhaul.core.errors import InvalidInput

    try:
        ip = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        raise InvalidInput(f"ip: not an IP address: {ip!r}") from None
    if port is not None and not 0 <= port < 65536:
        raise InvalidInput(f"port: {port} is not a port number")
    holders = ip_holders_at(ip=ip, at=at, port=port)
    accounts = {a.account_id for a in holders}
    return {
        "ip": ip,
        "at": at,
        "port": port,
        "resolved": len(accounts) == 1,
        "holders": [
            {
                "account": a.account.number,
                "name": a.account.name,
                "username": a.username,
                "source": a.source,
                "session_id": a.session_id,
                "start": a.start,
                "end": a.end,
                "ports": [a.port_start, a.port_end] if a.port_start is not None else None,
            }
            for a in holders
        ],
    }
