"""Loading the billing events of many accounts at once, for drafts and bill runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, Q

from backhaul.billing import rules
from backhaul.billing.bulk import AnyOf
from backhaul.billing.models import Invoice, InvoiceLine, PendingCharge
from backhaul.catalogue.models import PriceVersion, RuleSection, VatRate
from backhaul.contracts.models import Subscription
from backhaul.customers.models import Account, Site


@dataclass(frozen=True)
class BillingAccount:
    """What a bill needs of an account: who it is, where it is, and when it is billed."""

    id: int
    number: str
    brand_id: int
    bill_day: int
    name: str
    email: str
    address: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True)
class AccountEvents:
    account: BillingAccount
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


def _price_facts(
    subscriptions: list[tuple[Any, ...]],
) -> dict[tuple[int, int, str], tuple[rules.PriceFact, ...]]:
    """Price versions per (product, term, market): the subscription's own term and market
    where the catalogue has them, generic ones (term 0, no market) otherwise."""
    product_ids = {row[2] for row in subscriptions}
    versions: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in PriceVersion.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "term", "market", "start", "amount", "vat_treatment", "clause__clause_id"
    ):
        versions[row[0]].append(row)
    out: dict[tuple[int, int, str], tuple[rules.PriceFact, ...]] = {}
    for _, _, product_id, term, market, *_ in subscriptions:
        key = (product_id, term, market)
        if key in out:
            continue
        best: dict[date, tuple[tuple[bool, bool], tuple[Any, ...]]] = {}
        for v in versions.get(product_id, []):
            if v[1] not in (term, 0) or v[2] not in (market, ""):
                continue
            rank = (v[1] == term, v[2] == market)
            current = best.get(v[3])
            if current is None or rank > current[0]:
                best[v[3]] = (rank, v)
        out[key] = tuple(
            rules.PriceFact(start=v[3], amount=v[4], vat=v[5], clause=v[6])
            for _, v in sorted(best.values(), key=lambda item: item[1][3])
        )
    return out


def _addresses(account_ids: list[int]) -> dict[int, str]:
    """Each account's first site (lowest id) as the address lines of a bill."""
    out: dict[int, str] = {}
    for account_id, *lines in (
        Site.objects.filter(AnyOf(F("account_id"), account_ids))
        .order_by("account_id", "id")
        .values_list("account_id", "address_line1", "address_line2", "town", "postcode")
    ):
        if account_id not in out:
            out[account_id] = "\n".join(line for line in lines if line)
    return out


def billing_accounts(account_ids: list[int]) -> dict[int, BillingAccount]:
    addresses = _addresses(account_ids)
    return {
        row[0]: BillingAccount(*row, address=addresses.get(row[0], ""))
        for row in Account.objects.filter(AnyOf(F("id"), account_ids)).values_list(
            "id", "number", "brand_id", "bill_day", "name", "primary_email"
        )
    }


def account_events(*, account_ids: list[int], on: date) -> list[AccountEvents]:
    """Everything the invoice rules need for these accounts, in a handful of queries.

    Rows are read as plain values, not model instances: a bill run reads many thousands.
    """
    accounts = billing_accounts(account_ids)
    subscriptions = list(
        Subscription.objects.filter(
            AnyOf(F("account_id"), account_ids), service_start_date__isnull=False
        )
        .order_by("id")
        .values_list(
            "id",
            "account_id",
            "product_id",
            "term_months",
            "market",
            "status",
            "service_start_date",
            "ends_on",
            "billed_until",
            "product__key",
            "product__name",
            "product__billing_period",
        )
    )
    prices = _price_facts(subscriptions)
    charges: dict[int, list[rules.ChargeFact]] = defaultdict(list)
    for row in PendingCharge.objects.filter(
        AnyOf(F("account_id"), account_ids), billed_on__isnull=True, tax_point__lte=on
    ).values_list(
        "account_id",
        "id",
        "kind",
        "description",
        "amount",
        "vat_treatment",
        "vat",
        "clause__clause_id",
        "tax_point",
        "quantity",
        "unit_amount",
    ):
        charges[row[0]].append(
            rules.ChargeFact(
                id=row[1],
                kind=row[2],
                description=row[3],
                amount=row[4],
                vat_treatment=row[5],
                vat=row[6],
                clause=row[7],
                tax_point=row[8],
                quantity=row[9],
                unit_amount=row[10],
            )
        )
    account_of = {row[0]: row[1] for row in subscriptions}
    billed: dict[int, list[rules.BilledPeriod]] = defaultdict(list)
    if account_of:
        for subscription_id, start, end, net in InvoiceLine.objects.filter(
            AnyOf(F("subscription_id"), list(account_of)),
            period_start__isnull=False,
            kind__in=["recurring", "refund"],
        ).values_list("subscription_id", "period_start", "period_end", "net"):
            billed[account_of[subscription_id]].append(
                rules.BilledPeriod(subscription_id=subscription_id, start=start, end=end, net=net)
            )
    facts: dict[int, list[rules.SubscriptionFact]] = defaultdict(list)
    for (
        subscription_id,
        account_id,
        product_id,
        term,
        market,
        status,
        service_start,
        ends_on,
        billed_until,
        product_key,
        product_name,
        billing_period,
    ) in subscriptions:
        facts[account_id].append(
            rules.SubscriptionFact(
                id=subscription_id,
                product=product_key,
                name=product_name,
                billing_period=billing_period,
                status=status,
                service_start=service_start,
                ends_on=ends_on,
                prices=prices[(product_id, term, market)],
                billed_until=billed_until,
            )
        )
    return [
        AccountEvents(
            account=accounts[account_id],
            subscriptions=tuple(facts.get(account_id, ())),
            charges=tuple(charges.get(account_id, ())),
            billed=tuple(billed.get(account_id, ())),
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


def draft_as_dict(
    account: Account | BillingAccount, draft: rules.InvoiceDraft, number: str = ""
) -> dict[str, Any]:
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
