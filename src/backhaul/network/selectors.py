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
