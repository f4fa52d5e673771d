"""Billing services: the charge interface every area uses to put amounts on a bill."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from backhaul.billing.choices import ChargeKind
from backhaul.billing.models import PendingCharge
from backhaul.catalogue.choices import VatTreatment
from backhaul.catalogue.selectors import clause_get
from backhaul.core.errors import InvalidInput
from backhaul.core.money import is_penny_scale
from backhaul.customers.models import Account


def charge_add(
    *,
    account: Account,
    key: str,
    source: str,
    description: str,
    amount: Decimal,
    vat_treatment: str,
    clause_id: str,
    tax_point: date,
    now: datetime,
    kind: str = ChargeKind.ONE_OFF,
    quantity: Decimal = Decimal(1),
    unit_amount: Decimal | None = None,
    vat: Decimal | None = None,
    period: tuple[date, date] | None = None,
) -> PendingCharge:
    """Put a charge (positive) or credit (negative) on the account's next bill, once per key.

    Adding the same key again returns the charge already added and changes nothing, so
    importers and daily jobs can be replayed.
    """
    existing = PendingCharge.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if kind not in ChargeKind.values:
        raise InvalidInput(f"kind: must be one of {', '.join(ChargeKind.values)}, not {kind!r}")
    if vat_treatment not in VatTreatment.values:
        raise InvalidInput(f"vat_treatment: unknown {vat_treatment!r}")
    if not is_penny_scale(amount) or (vat is not None and not is_penny_scale(vat)):
        raise InvalidInput(f"{key}: charges are whole pennies, not {amount}")
    if kind == ChargeKind.CREDIT and amount > 0:
        raise InvalidInput(f"{key}: a credit is a negative amount, not {amount}")
    clause = clause_get(clause_id)
    try:
        with transaction.atomic():
            return PendingCharge.objects.create(
                key=key,
                account=account,
                kind=kind,
                source=source,
                description=description[:300],
                quantity=quantity,
                unit_amount=unit_amount,
                amount=amount,
                vat_treatment=vat_treatment,
                vat=vat,
                clause=clause,
                tax_point=tax_point,
                period_start=period[0] if period else None,
                period_end=period[1] if period else None,
                created_at=now,
            )
    except IntegrityError:
        return PendingCharge.objects.get(key=key)
