"""Reading the IP history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Q

from backhaul.customers.models import Account
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


class IpHolder(NamedTuple):
    """One assignment in force for a looked-up address: which row, whose, from where."""

    assignment_id: int
    account_id: int
    brand_id: int
    source: str


IpLookup = tuple[str, datetime, int | None]
LOOKUPS_PER_QUERY = 1000


def ip_holders_at_many(*, lookups: Iterable[IpLookup]) -> dict[IpLookup, list[IpHolder]]:
    """`ip_holders_at` for many (ip, at, port) lookups at once: for each, the assignments in
    force, in the same order, answered with one query per thousand lookups.

    Each lookup walks the history's (ip, start) index, so the cost follows the number of
    lookups, not the size of the history.
    """
    wanted = list(dict.fromkeys(lookups))
    found: dict[IpLookup, list[IpHolder]] = {lookup: [] for lookup in wanted}
    for first in range(0, len(wanted), LOOKUPS_PER_QUERY):
        chunk = wanted[first : first + LOOKUPS_PER_QUERY]
        sql, params = _holders_query(chunk)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for index, assignment_id, account_id, brand_id, source in cursor.fetchall():
                found[chunk[index]].append(IpHolder(assignment_id, account_id, brand_id, source))
    return found


def _holders_query(chunk: list[IpLookup]) -> tuple[str, list[Any]]:
    """The query for a chunk of lookups: the lookups as a numbered table, each probing the
    history's (ip, start) index for the rows with its address that started by then, kept
    if they had not ended and cover its port."""
    fields = IpAssignment._meta
    ip_field, start_field = fields.get_field("ip"), fields.get_field("start")
    quote = connection.ops.quote_name
    history = quote(IpAssignment._meta.db_table)
    accounts = quote(Account._meta.db_table)
    ips = [ip_field.get_prep_value(ip) for ip, _, _ in chunk]
    in_force = f"""
        a.ip = w.ip AND a.start <= w.at
        AND (a.{quote("end")} IS NULL OR a.{quote("end")} > w.at)
        AND (w.port IS NULL OR a.port_start IS NULL
             OR (a.port_start <= w.port AND a.port_end >= w.port))
    """
    order = "ORDER BY w.n, a.source DESC, a.start DESC, a.id DESC"
    if connection.vendor == "postgresql":
        # A lateral subquery kept apart (OFFSET 0 stops it being merged into a join) runs
        # once per lookup on the index, whatever the planner estimates for the history.
        params: list[Any] = [
            list(range(len(chunk))),
            ips,
            [start_field.get_prep_value(at) for _, at, _ in chunk],
            [port for _, _, port in chunk],
        ]
        sql = f"""
            SELECT w.n, a.id, a.account_id, c.brand_id, a.source
            FROM unnest(%s::integer[], %s::inet[], %s::timestamptz[], %s::integer[])
                AS w (n, ip, at, port)
            CROSS JOIN LATERAL (
                SELECT a.id, a.account_id, a.source, a.start FROM {history} a WHERE {in_force}
                OFFSET 0
            ) a
            JOIN {accounts} c ON c.id = a.account_id
            {order}
        """  # noqa: S608
        return sql, params
    params = []
    for index, ((_, at, port), ip) in enumerate(zip(chunk, ips, strict=True)):
        params += [index, ip, start_field.get_db_prep_value(at, connection), port]
    # SQLite keeps the join order written with CROSS JOIN: the lookups outside, so each
    # one probes the index rather than the history being scanned.
    values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
    sql = f"""
        WITH w (n, ip, at, port) AS (VALUES {values})
        SELECT w.n, a.id, a.account_id, c.brand_id, a.source
        FROM w
        CROSS JOIN {history} a ON {in_force}
        JOIN {accounts} c ON c.id = a.account_id
        {order}
    """  # noqa: S608
    return sql, params


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
