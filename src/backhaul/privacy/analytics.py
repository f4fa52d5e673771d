"""Anonymised analytics: counts and totals about groups of customers, never about one.

Every table is built from grouped database aggregates; no personal field is selected, and
the only labels are brand and product names, ticket categories and months. Each figure
comes with the number of distinct accounts behind it, and a figure describing fewer than
`K_ANONYMITY` accounts is suppressed (`security_rules.cell`). No totals are printed, so a
suppressed cell cannot be recovered by subtraction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth

from backhaul.core.calendar import LONDON
from backhaul.privacy.security_rules import K_ANONYMITY, Cell, cell

MONTHS_SHOWN = 12
GIGABYTE = 10**9


@dataclass(frozen=True)
class Table:
    title: str
    note: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]


def months_ending(on: date, count: int = MONTHS_SHOWN) -> list[date]:
    """The first days of the `count` months up to and including the month of `on`."""
    months = []
    year, month = on.year, on.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _month_key(value: date) -> date:
    return date(value.year, value.month, 1)


def customers_by_brand() -> Table:
    """Accounts per brand and status."""
    from backhaul.customers.choices import AccountStatus
    from backhaul.customers.models import Account

    statuses = list(AccountStatus)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in Account.objects.values("brand__name", "status").annotate(n=Count("pk")):
        counts[row["brand__name"]][row["status"]] = row["n"]
    rows = tuple(
        (brand, tuple(cell(by.get(s.value, 0), by.get(s.value, 0)) for s in statuses))
        for brand, by in sorted(counts.items())
    )
    return Table(
        "Customers by brand",
        "Accounts, open and closed.",
        tuple(s.label for s in statuses),
        rows,
    )


def customers_by_product() -> Table:
    """Accounts with an active subscription to each product."""
    from backhaul.contracts.choices import SubscriptionStatus
    from backhaul.contracts.models import Subscription

    found = (
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE)
        .values(brand=F("product__brand__name"), name=F("product__name"))
        .annotate(accounts=Count("account", distinct=True))
        .order_by("brand", "name")
    )
    rows = tuple(
        (f"{row['brand']}: {row['name']}", (cell(row["accounts"], row["accounts"]),))
        for row in found
    )
    return Table(
        "Customers by product",
        "Accounts with the product active now.",
        ("Accounts",),
        rows,
    )


def usage_by_month(*, on: date) -> Table:
    """Metered broadband use per brand and month, in whole gigabytes (10^9 bytes)."""
    from backhaul.usage.models import UsageDay

    months = months_ending(on)
    found = (
        UsageDay.objects.filter(day__gte=months[0], day__lte=on)
        .annotate(month=TruncMonth("day"))
        .values("month", brand=F("account__brand__name"))
        .annotate(
            octets=Sum(F("input_octets") + F("output_octets")),
            accounts=Count("account", distinct=True),
        )
    )
    return _by_month(
        "Broadband use by month",
        "Gigabytes downloaded and uploaded.",
        months,
        (
            (row["brand"], _month_key(row["month"]), _gigabytes(row["octets"]), row["accounts"])
            for row in found
        ),
    )


def tickets_by_month(*, on: date) -> Table:
    """Tickets raised per category and month (London time)."""
    from backhaul.support.choices import TicketCategory
    from backhaul.support.models import Ticket

    months = months_ending(on)
    found = (
        Ticket.objects.filter(created_at__date__gte=months[0], created_at__date__lte=on)
        .annotate(month=TruncMonth("created_at", tzinfo=LONDON))
        .values("category", "month")
        .annotate(tickets=Count("pk"), accounts=Count("account", distinct=True))
    )
    labels = dict(TicketCategory.choices)
    return _by_month(
        "Tickets by category and month",
        "Tickets raised.",
        months,
        (
            (str(labels.get(row["category"], row["category"])), _month_key(row["month"]),
             row["tickets"], row["accounts"])
            for row in found
        ),
    )  # fmt: skip


def _gigabytes(octets: int | None) -> int:
    return ((octets or 0) + GIGABYTE // 2) // GIGABYTE


def _by_month(
    title: str, note: str, months: list[date], found: Iterable[tuple[str, date, int, int]]
) -> Table:
    """Rows of (label, month, value, accounts) as a table with one column per month."""
    values: dict[str, dict[date, tuple[int, int]]] = defaultdict(dict)
    for label, month, value, people in found:
        values[label][month] = (value, people)
    rows = tuple(
        (label, tuple(cell(*by[m]) if m in by else Cell(0) for m in months))
        for label, by in sorted(values.items())
    )
    return Table(title, note, tuple(m.strftime("%b %Y") for m in months), rows)


def analytics_tables(*, on: date) -> list[Table]:
    """Every anonymised table for the console page, as of the London day `on`."""
    return [
        customers_by_brand(),
        customers_by_product(),
        usage_by_month(on=on),
        tickets_by_month(on=on),
    ]


__all__ = ["K_ANONYMITY", "Table", "analytics_tables"]
