"""Reading mailboxes and each brand's mailbox rules from its catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import rule_params
from backhaul.core.errors import NotFound
from backhaul.customers.models import Account
from backhaul.mailboxes.choices import MailboxStatus
from backhaul.mailboxes.models import Mailbox, MailTraffic
from backhaul.mailboxes.rules import SendingLimits


@dataclass(frozen=True)
class Housekeeping:
    """The archive / delete / unread numbers a brand's terms give; None where they give none."""

    archive_after_months: int | None
    delete_after_notice_months: int | None
    archive_clause: str
    unread_limit_mb: int | None
    unread_days: int | None
    bytes_per_mb: int
    unread_clause: str
    postmaster_pattern: str | None
    postmaster_clause: str

    @property
    def anything(self) -> bool:
        return self.archive_after_months is not None or self.unread_limit_mb is not None


def mailbox_rules(brand: Brand) -> dict[str, Any]:
    return rule_params(brand, "mailboxes", default={})


def _int_or_none(params: dict[str, Any], key: str) -> int | None:
    return int(params[key]) if params.get(key) is not None else None


def housekeeping_for(brand: Brand) -> Housekeeping:
    params = mailbox_rules(brand)
    clause = params.get("clause", "")
    unread_limit = _int_or_none(params, "unread_limit_mb")
    return Housekeeping(
        archive_after_months=_int_or_none(params, "archive_after_months"),
        delete_after_notice_months=_int_or_none(params, "delete_after_notice_months"),
        archive_clause=params.get("archive_after_months_clause") or clause,
        unread_limit_mb=unread_limit if params.get("unread_days") is not None else None,
        unread_days=_int_or_none(params, "unread_days"),
        bytes_per_mb=int(params.get("bytes_per_mb", 1_048_576)),
        unread_clause=params.get("unread_limit_clause") or clause,
        postmaster_pattern=params.get("postmaster_mailbox"),
        postmaster_clause=params.get("postmaster_mailbox_clause") or clause,
    )


def sending_limits_for(brand: Brand) -> SendingLimits | None:
    """The brand's sending limits, or None when its terms set none."""
    params = mailbox_rules(brand)
    daily = _int_or_none(params, "daily_send_limit")
    cap = _int_or_none(params, "recipient_cap")
    if daily is None and cap is None:
        return None
    return SendingLimits(
        daily_send_limit=daily,
        recipient_cap=cap,
        limit_clause=params.get("daily_send_limit_clause") or params["clause"],
        suspend_clause=params.get("suspend_on_spam_like_activity_clause") or params["clause"],
    )


def mailboxes_of(account: Account) -> list[Mailbox]:
    return list(Mailbox.objects.filter(account=account).order_by("-is_postmaster", "address"))


def mailbox_of(account: Account, mailbox_id: int) -> Mailbox:
    """One of the account's mailboxes; another account's are simply not found."""
    mailbox = Mailbox.objects.filter(account=account, pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound(f"no mailbox {mailbox_id} on account {account.number}")
    return mailbox


def mailbox_get(address: str) -> Mailbox:
    mailbox = (
        Mailbox.objects.select_related("account__brand")
        .filter(address=address.strip().lower())
        .first()
    )
    if mailbox is None:
        raise NotFound(f"unknown mailbox {address!r}")
    return mailbox


def traffic_of(mailbox: Mailbox, *, limit: int = 100) -> list[MailTraffic]:
    return list(MailTraffic.objects.filter(mailbox=mailbox).order_by("-at", "-id")[:limit])


def suspended_addresses() -> list[str]:
    """The addresses whose mailboxes are suspended: the mail server must refuse them."""
    return list(
        Mailbox.objects.filter(status=MailboxStatus.SUSPENDED)
        .order_by("address")
        .values_list("address", flat=True)
    )
