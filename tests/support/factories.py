"""Accounts, lines and tickets for support tests, built through the real services."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from backhaul.contracts.models import Subscription
from backhaul.contracts.services import subscription_create
from backhaul.customers.models import Account
from backhaul.customers.services import account_create
from backhaul.support.choices import RaisedVia, TicketCategory
from backhaul.support.models import Ticket
from backhaul.support.services import ticket_raise

LONDON = ZoneInfo("Europe/London")
SETUP = datetime(2026, 1, 5, 9, tzinfo=LONDON)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def plusnet_enhanced(name: str = "Calder Joinery Ltd") -> tuple[Account, Subscription]:
    """A Plusnet Business account on MPS Option 2 (36 months, market 3: £26.50 a month,
    broadband-charges#4-option-2) with Enhanced Care."""
    account = account_create(
        brand_key="plusnet-business",
        name=name,
        email=f"office@{name.split()[0].lower()}.example.com",
        now=SETUP,
    )
    line = subscription_create(
        account_number=account.number,
        product_key="mps-option-2",
        term=36,
        market="3",
        start=date(2025, 1, 15),
        now=SETUP,
    )
    subscription_create(
        account_number=account.number,
        product_key="care-enhanced",
        start=date(2025, 1, 15),
        now=SETUP,
    )
    return account, line


def plugin_line(
    kind: str = "residential", product: str = "broadband"
) -> tuple[Account, Subscription]:
    """A PlugIn account with PlugIn Broadband (£24.99 a month, an example price)."""
    account = account_create(
        brand_key="plugin",
        name="Juniper Cottage",
        email="juniper@example.com",
        kind=kind,
        now=SETUP,
    )
    line = subscription_create(
        account_number=account.number, product_key=product, start=date(2025, 1, 15), now=SETUP
    )
    return account, line


def fault(
    account: Account, line: Subscription, at: datetime, subject: str = "No sync light"
) -> Ticket:
    return ticket_raise(
        account=account,
        category=TicketCategory.FAULT,
        subject=subject,
        body="The broadband light is red since this morning.",
        now=at,
        raised_via=RaisedVia.PORTAL,
        raised_by="Pat Calder",
        subscription=line,
    )
