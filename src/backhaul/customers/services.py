"""Creating and changing customer accounts."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from backhaul.catalogue.selectors import brand_get
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.customers.choices import AccountKind, ContactRole
from backhaul.customers.models import Account, AccountNumberSequence, Contact, Site

NAME_LIMIT = 200


def _checked_email(email: str, *, field: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{field}: not an email address: {email!r}") from None
    return email.lower()


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("name: must not be empty")
    if len(name) > NAME_LIMIT:
        raise InvalidInput(f"name: at most {NAME_LIMIT} characters")
    return name


def account_number_next(*, brand_id: int, prefix: str) -> str:
    """Take the brand's next account number under a row lock (call inside a transaction)."""
    sequence, _ = AccountNumberSequence.objects.select_for_update().get_or_create(brand_id=brand_id)
    number = f"{prefix}{sequence.next_value:06d}"
    sequence.next_value += 1
    sequence.save(update_fields=["next_value"])
    return number


@transaction.atomic
def account_create(
    *,
    brand_key: str,
    name: str,
    email: str,
    kind: str = AccountKind.BUSINESS,
    phone: str = "",
    bill_day: int = 1,
    now: datetime,
) -> Account:
    """Open an account with a unique number; the primary email receives notices and bills."""
    brand = brand_get(brand_key)
    if kind not in AccountKind.values:
        raise InvalidInput(f"kind: must be one of {', '.join(AccountKind.values)}, not {kind!r}")
    if not 1 <= bill_day <= 31:
        raise InvalidInput(f"bill_day: a day of the month from 1 to 31, not {bill_day}")
    account = Account.objects.create(
        number=account_number_next(brand_id=brand.pk, prefix=brand.account_prefix),
        brand=brand,
        name=_checked_name(name),
        kind=kind,
        primary_email=_checked_email(email, field="email"),
        phone=phone.strip(),
        bill_day=bill_day,
        created_at=now,
    )
    Contact.objects.create(
        account=account,
        name=account.name,
        email=account.primary_email,
        phone=account.phone,
        role=ContactRole.PRIMARY,
        nominated=True,
    )
    return account


def account_get(number: str) -> Account:
    try:
        return Account.objects.select_related("brand").get(number=number.strip().upper())
    except Account.DoesNotExist:
        raise NotFound(f"unknown account {number!r}") from None


@transaction.atomic
def site_add(
    *, account: Account, address_line1: str, town: str, postcode: str, label: str = ""
) -> Site:
    if not address_line1.strip() or not town.strip() or not postcode.strip():
        raise InvalidInput("site: address line, town and postcode are required")
    return Site.objects.create(
        account=account,
        label=label.strip(),
        address_line1=address_line1.strip(),
        town=town.strip(),
        postcode=postcode.strip().upper(),
    )
