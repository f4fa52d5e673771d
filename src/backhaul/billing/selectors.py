"""Loading the billing events of many accounts at once, for drafts and bill runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q

from backhaul.billing import rules
from backhaul.billing.models import Invoice, InvoiceLine, PendingCharge
from backhaul.catalogue.models import PriceVersion, RuleSection, VatRate
from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account


@dataclass(frozen=True)
class AccountEvents:
    account: Account
    subscriptions: tuple[rules.SubscriptionFact, ...]
    charges: tuple[rules.ChargeFact, ...]
    billed: tuple[rules.BilledPeriod, ...]


def accounts_due(*, on: date, brand_key: str | None = None) -> list[int]:
    """Ids of open accounts whose bill date is `on` (bill day, or month end for short months)."""
    last_day = (date(on.year + (on.month == 12), on.month % 12 + 1, 1) - on).days == 1
    days = Q(bill_day=on.day) | (Q(bill_day__gt=on.day) if last_day else Q(pk__in=[]))
    query = Account.objects.filter(days, status="open")
    if brand_key:
        query = query.filter(brand__key=brand_key)
    return list(query.order_by("number").values_list("id", flat=True))


def billing_terms(brand_id: int) -> rules.BillingTerms:
    """The brand's billing parameters: recurring-charge clause, refund rule and VAT rates."""
    sections = {
        s.key: s
        for s in RuleSection.objects.filter(
            brand_id=brand_id, key__in=["billing", "refunds"]
        ).select_related("clause")
    }
    billing = sections.get("billing")
    refunds = sections.get("refunds")
    recurring_clause = ""
    if billing is not None:
        recurring_clause = billing.params.get("recurring_clause") or billing.clause.clause_id
    refund_clause = None
    if refunds is not None and refunds.params.get("pro_rata"):
        refund_clause = refunds.clause.clause_id
    vat = tuple(VatRate.objects.filter(brand_id=brand_id).values_list("start", "rate"))
    return rules.BillingTerms(
        recurring_clause=recurring_clause, vat_rates=vat, refund_clause=refund_clause
    )


def _price_facts(subscriptions: list[Subscription]) -> dict[int, tuple[rules.PriceFact, ...]]:
    """Each subscription's price versions for its own term and market (or generic ones)."""
    product_ids = {s.product_id for s in subscriptions}
    versions: dict[int, list[PriceVersion]] = defaultdict(list)
    for version in PriceVersion.objects.filter(product_id__in=product_ids).select_related("clause"):
        versions[version.product_id].append(version)
    out = {}
    for subscription in subscriptions:
        candidates = versions.get(subscription.product_id, [])
        specific = [
            v
            for v in candidates
            if v.term in (subscription.term_months, 0) and v.market in (subscription.market, "")
        ]
        best: dict[date, PriceVersion] = {}
        for v in specific:
            rank = (v.term == subscription.term_months, v.market == subscription.market)
            current = best.get(v.start)
            if current is None or rank > (
                current.term == subscription.term_months,
                current.market == subscription.market,
            ):
                best[v.start] = v
        out[subscription.pk] = tuple(
            rules.PriceFact(
                start=v.start,
                amount=v.amount,
                vat=v.vat_treatment,
                clause=v.clause.clause_id,
            )
            for v in sorted(best.values(), key=lambda v: v.start)
        )
    return out


def account_events(*, account_ids: list[int], on: date) -> list[AccountEvents]:
    """Everything the invoice rules need for these accounts, in a handful of queries."""
    accounts = {
        a.pk: a
        for a in Account.objects.filter(pk__in=account_ids)
        .select_related("brand")
        .prefetch_related("sites")
    }
    subscriptions = list(
        Subscription.objects.filter(
            account_id__in=account_ids, service_start_date__isnull=False
        ).select_related("product")
    )
    prices = _price_facts(subscriptions)
    charges: dict[int, list[rules.ChargeFact]] = defaultdict(list)
    for charge in PendingCharge.objects.filter(
        account_id__in=account_ids, billed_on__isnull=True, tax_point__lte=on
    ).select_related("clause"):
        charges[charge.account_id].append(
            rules.ChargeFact(
                id=charge.pk,
                kind=charge.kind,
                description=charge.description,
                amount=charge.amount,
                vat_treatment=charge.vat_treatment,
                vat=charge.vat,
                clause=charge.clause.clause_id,
                tax_point=charge.tax_point,
                quantity=charge.quantity,
                unit_amount=charge.unit_amount,
            )
        )
    billed: dict[int, list[rules.BilledPeriod]] = defaultdict(list)
    for line in InvoiceLine.objects.filter(
        subscription_id__in=[s.pk for s in subscriptions],
        period_start__isnull=False,
        kind__in=["recurring", "refund"],
    ).values("subscription__account_id", "subscription_id", "period_start", "period_end", "net"):
        billed[line["subscription__account_id"]].append(
            rules.BilledPeriod(
                subscription_id=line["subscription_id"],
                start=line["period_start"],
                end=line["period_end"],
                net=line["net"],
            )
        )
    facts: dict[int, list[rules.SubscriptionFact]] = defaultdict(list)
    for s in subscriptions:
        facts[s.account_id].append(
            rules.SubscriptionFact(
                id=s.pk,
                product=s.product.key,
                name=s.product.name,
                billing_period=s.product.billing_period,
                status=s.status,
                service_start=s.service_start_date,
                ends_on=s.ends_on,
                prices=prices[s.pk],
                billed_until=s.billed_until,
            )
        )
    return [
        AccountEvents(
            account=accounts[account_id],
            subscriptions=tuple(facts.get(account_id, [])),
            charges=tuple(charges.get(account_id, [])),
            billed=tuple(billed.get(account_id, [])),
        )
        for account_id in account_ids
        if account_id in accounts
    ]


def draft_for(
    events: AccountEvents, *, on: date, terms: dict[int, rules.BillingTerms] | None = None
) -> rules.InvoiceDraft:
    """The invoice this account would get on `on`; `terms` caches brands' terms in a run."""
    cache = terms if terms is not None else {}
    brand_id = events.account.brand_id
    if brand_id not in cache:
        cache[brand_id] = billing_terms(brand_id)
    return rules.invoice_draft(
        bill_date=on,
        bill_day=events.account.bill_day,
        subscriptions=events.subscriptions,
        charges=events.charges,
        billed=events.billed,
        terms=cache[brand_id],
    )


def invoice_as_dict(invoice: Invoice) -> dict[str, Any]:
    return {
        "account": invoice.account_number,
        "number": invoice.number,
        "kind": invoice.kind,
        "bill_date": invoice.bill_date.isoformat(),
        "net": str(invoice.net),
        "vat": str(invoice.vat),
        "total": str(invoice.total),
        "lines": [
            {
                "description": line.description,
                "net": str(line.net),
                "vat": str(line.vat),
                "clause": line.clause_id,
            }
            for line in invoice.lines.all()
        ],
    }


def draft_as_dict(account: Account, draft: rules.InvoiceDraft, number: str = "") -> dict[str, Any]:
    total = draft.total
    return {
        "account": account.number,
        "number": number,
        "bill_date": draft.bill_date.isoformat(),
        "net": str(total.net),
        "vat": str(total.vat),
        "total": str(total.gross),
        "lines": [
            {
                "description": line.description,
                "net": str(line.amount.net),
                "vat": str(line.amount.vat),
                "clause": line.clause,
            }
            for line in draft.lines
        ],
    }
