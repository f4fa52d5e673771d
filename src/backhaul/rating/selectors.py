"""Reading what rating needs: a brand's tariff, its numbers and accounts, calls to show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from backhaul.catalogue.models import Brand, VatRate
from backhaul.catalogue.selectors import rule_params
from backhaul.customers.models import Account
from backhaul.rating.models import PhoneNumber, RatedCall
from backhaul.rating.rules import LineInfo, Subscribers
from backhaul.rating.tariff_rules import PhoneTariff, tariff_from_params

PHONE_RATING = "phone_rating"
NUMBER_LAPSE = "number_lapse"


def tariff_for_brand(brand: Brand) -> PhoneTariff:
    """The brand's ``[rules.phone_rating]`` with its VAT rates and timezone."""
    return tariff_from_params(
        rule_params(brand, PHONE_RATING),
        brand=brand.key,
        timezone=brand.timezone,
        vat_rates=list(VatRate.objects.filter(brand=brand).values_list("start", "rate")),
    )


def subscribers_for_brand(brand: Brand) -> Subscribers:
    """Every number held on the brand, and every account with its default call plan.

    An account's default plan (for records that name the account but come from another
    number) is the plan of its earliest number still in service, else of its earliest.
    """
    lines: dict[str, LineInfo] = {}
    defaults: dict[str, tuple[bool, Any, str]] = {}
    numbers = (
        PhoneNumber.objects.filter(brand=brand)
        .select_related("account", "plan")
        .order_by("started_at", "id")
    )
    for number in numbers:
        lines[number.number] = LineInfo(
            number=number.number,
            account=number.account.number,
            plan=number.plan.key,
            start=number.started_at,
            end=number.ended_at,
        )
        rank = (number.ended_at is not None, number.started_at, number.plan.key)
        current = defaults.get(number.account.number)
        if current is None or rank < current:
            defaults[number.account.number] = rank
    accounts = Account.objects.filter(brand=brand).values_list("number", flat=True)
    return Subscribers(
        lines=lines,
        account_plans={
            account: defaults[account][2] if account in defaults else None for account in accounts
        },
    )


def allowance_used(brand: Brand, tariff: PhoneTariff, account: str, plan: str, month: date) -> int:
    """Minutes of the plan's monthly allowance already drawn by calls rated before.

    Every answered call to an inclusive class draws its billed minutes
    (plusnet-business/broadband-phone-charges#6(b), 6(c)).
    """
    inclusive = tariff.plan(plan).inclusive_classes
    used = RatedCall.objects.filter(
        brand=brand,
        account__number=account,
        plan=plan,
        billing_month=month,
        answered=True,
        destination_class__in=inclusive,
    ).aggregate(minutes=Sum("billed_minutes"))["minutes"]
    return int(used or 0)


def rated_call_ids(brand: Brand, call_ids: list[str]) -> set[str]:
    """Those of `call_ids` already rated on this brand (nothing to ask if none ever were)."""
    calls = RatedCall.objects.filter(brand=brand)
    if not call_ids or not calls.exists():
        return set()
    size = min(5000, (connection.features.max_query_params or 5000) - 10)
    found: set[str] = set()
    for start in range(0, len(call_ids), size):
        found.update(
            calls.filter(call_id__in=call_ids[start : start + size]).values_list(
                "call_id", flat=True
            )
        )
    return found


def calls_for_account(account: Account, month: date) -> QuerySet[RatedCall]:
    """The account's rated calls of one billing month, in call order."""
    return RatedCall.objects.filter(account=account, billing_month=month).order_by(
        "answered_at", "id"
    )


def call_months(account: Account) -> list[dict[str, Any]]:
    """Each billing month with calls: counts, minutes and totals, newest first."""
    rows = (
        RatedCall.objects.filter(account=account)
        .values("billing_month")
        .annotate(
            calls=Count("id"),
            answered=Count("id", filter=Q(answered=True)),
            minutes=Sum("billed_minutes"),
            ex_vat=Sum("charge_ex_vat"),
            inc_vat=Sum("charge_inc_vat"),
        )
        .order_by("-billing_month")
    )
    return [
        {
            **row,
            "ex_vat": row["ex_vat"] or Decimal("0.00"),
            "inc_vat": row["inc_vat"] or Decimal("0.00"),
        }
        for row in rows
    ]
