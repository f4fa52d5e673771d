"""Accounts with a broadband service and a RADIUS login, and detail files to import."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from backhaul.contracts.services import subscription_create
from backhaul.customers.services import account_create
from backhaul.network.services import login_create

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def broadband_account(
    *,
    brand: str = "plugin",
    product: str = "broadband",
    username: str = "amelia@plugin.example",
    start: date = date(2026, 10, 2),
    term: int | None = None,
    market: str | None = None,
):
    account = account_create(
        brand_key=brand, name=f"Customer {username}", email="owner@example.com", now=NOW
    )
    subscription = subscription_create(
        account_number=account.number,
        product_key=product,
        start=start,
        now=NOW,
        term=term,
        market=market,
    )
    login = login_create(
        account_number=account.number,
        username=username,
        password="s3cret",
        subscription_id=subscription.pk,
        now=NOW,
    )
    return account, subscription, login


def detail_record(
    *,
    when: datetime,
    username: str,
    session: str = "sess-1",
    status: str = "Interim-Update",
    octets_in: int = 0,
    octets_out: int = 0,
    gigawords_out: int | None = None,
    framed_ip: str = "198.51.100.7",
    session_time: int | None = None,
    total_out: int | None = None,
) -> str:
    if total_out is not None:
        octets_out, gigawords_out = total_out % 2**32, total_out // 2**32
    lines = [
        when.strftime("%a %b %d %H:%M:%S %Y"),
        f'\tAcct-Session-Id = "{session}"',
        f"\tAcct-Status-Type = {status}",
        f'\tUser-Name = "{username}"',
        "\tNAS-IP-Address = 192.0.2.1",
        f"\tFramed-IP-Address = {framed_ip}",
        f"\tAcct-Input-Octets = {octets_in}",
        f"\tAcct-Output-Octets = {octets_out}",
    ]
    if gigawords_out is not None:
        lines.append(f"\tAcct-Output-Gigawords = {gigawords_out}")
    if session_time is not None:
        lines.append(f"\tAcct-Session-Time = {session_time}")
    lines.append(f"\tTimestamp = {int(when.timestamp())}")
    return "\n".join(lines) + "\n\n"


def write_detail(path: Path, records: list[str]) -> Path:
    path.write_text("".join(records), encoding="utf-8")
    return path
