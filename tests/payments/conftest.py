"""Customers with real bills, made through the same services staff and the bill run use."""

from __future__ import annotations

from datetime import UTC, date, datetime

from backhaul.billing.models import Invoice
from backhaul.billing.services import billrun_run
from backhaul.contracts.services import subscription_create
from backhaul.customers.services import account_create, site_add

NOW = datetime(2026, 11, 21, 10, tzinfo=UTC)


def customer(
    brand: str,
    name: str,
    *,
    products: tuple[str, ...] = (),
    start: date = date(2026, 11, 15),
    bill_day: int = 15,
    term: int | None = None,
    market: str | None = None,
):
    account = account_create(
        brand_key=brand,
        name=name,
        email=f"{name.split()[0].lower()}@example.com",
        bill_day=bill_day,
        now=NOW,
    )
    site_add(account=account, address_line1="1 High Street", town="Leeds", postcode="LS1 4AB")
    for product in products:
        subscription_create(
            account_number=account.number,
            product_key=product,
            term=term,
            market=market,
            start=start,
            now=NOW,
        )
    return account


def mps_customer(name: str, **kwargs):
    """Plusnet MPS Option 1, 24 months, market 1-2 from 15 Nov 2026: the first bill on
    15 Nov is £30.00 activation + £6.09 P&P + £28.00 rental = £64.09 + VAT £12.82 = £76.91;
    each later month is £28.00 + VAT £5.60 = £33.60."""
    return customer(
        "plusnet-business", name, products=("mps-option-1",), term=24, market="1-2", **kwargs
    )


def plugin_customer(name: str, products: tuple[str, ...] = ("broadband",), **kwargs):
    """PlugIn Broadband from 15 Nov 2026: £24.99 + VAT £5.00 = £29.99 a month."""
    return customer("plugin", name, products=products, **kwargs)


def bill(on: date) -> list[Invoice]:
    _, result = billrun_run(on=on, now=NOW)
    return list(Invoice.objects.filter(number__in=result.issued).order_by("number"))


def invoice_of(account, on: date) -> Invoice:
    return Invoice.objects.get(account=account, bill_date=on, kind="invoice")


def hundred_pound_bill(name: str, brand: str = "plusnet-business"):
    """An account whose bill of 15 Nov 2026 is exactly £100.00: £83.33 + VAT £16.67
    (83.33 x 20% = 16.666, half-up to the penny)."""
    from decimal import Decimal

    from backhaul.billing.services import charge_add

    account = customer(brand, name)
    charge_add(
        account=account,
        key=f"test:{account.number}:100",
        source="test",
        description="Network survey",
        amount=Decimal("83.33"),
        vat_treatment="exclusive",
        clause_id=f"{brand}/general-terms#4.1"
        if brand == "plusnet-business"
        else "plugin/general-terms#rule-6",
        tax_point=date(2026, 11, 10),
        now=NOW,
    )
    bill(date(2026, 11, 15))
    return account, invoice_of(account, date(2026, 11, 15))
