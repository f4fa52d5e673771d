"""Leaving: what a customer pays or gets back when a service ends, and equipment returns.

Staff record a departure from the console (or `backhaul payments leave`); the charges go
on the next bill through `billing.services.charge_add`, each with its clause:

- the customer gives notice: the exit quote's early termination and cease charges
  (`contracts.services.exit_quote_for_subscription`), due on the termination date;
- the provider asks the customer to move: no early termination or cease charge
  (plusnet-business/general-terms#6.3(c)); full months paid in advance are refunded
  (plugin/hosting-terms#8, plugin/email-terms#9) unless the bill run's pro-rata refund
  already gives at least that;
- termination for spam or illegal use: immediate and "with no refunds"
  (plugin/broadband-terms#11): the bill run's pro-rata refund is cancelled by a line
  quoting the clause;
- termination for non-payment (the dunning ladder): immediate, exit charges as quoted
  from that day (plugin/broadband-terms#12 counts a cease "for non-payment");
- an order cancelled before service: the brand's order cancellation charge, or the
  costs staff enter where the terms charge the work done (plusnet-business/broadband-
  schedule#4.7), nothing when the line cannot be served.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from backhaul.billing import selectors as billing_selectors
from backhaul.billing.models import InvoiceLine
from backhaul.billing.rules import next_bill_date
from backhaul.billing.services import charge_add
from backhaul.catalogue.selectors import charge_in_force, price_in_force, rule_params
from backhaul.contracts import rules as contract_rules
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import (
    exit_quote_as_dict,
    exit_quote_for_subscription,
    exit_terms,
    subscription_get,
    subscription_transition,
)
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import format_amount, quantize
from backhaul.notices.services import notice_send
from backhaul.payments import rules
from backhaul.payments.choices import (
    DepartureKind,
    DepartureStatus,
    EquipmentReturnStatus,
)
from backhaul.payments.models import Departure, EquipmentReturn
from backhaul.payments.services.money import amount_from, card_authority_end, noon

SOURCE = "payments"
LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)
ORDERS = (SubscriptionStatus.ORDERED, SubscriptionStatus.LINE_TEST)


def _line_charge(
    subscription: Subscription, line: dict[str, Any], *, tax_point: date, now: datetime
) -> dict[str, Any]:
    """Put one exit quote line on the bill with the VAT the quote worked out."""
    net, vat = Decimal(line["net"]), Decimal(line["vat"])
    charge_add(
        account=subscription.account,
        key=f"departure:S{subscription.pk}:{line['kind']}",
        source=SOURCE,
        description=line["description"],
        amount=net,
        vat_treatment="exclusive" if vat else "outside-scope",
        vat=vat,
        clause_id=line["clause"],
        tax_point=tax_point,
        now=now,
    )
    return {k: line[k] for k in ("kind", "description", "net", "vat", "clause")}


def _exit_lines(subscription: Subscription, quote: dict[str, Any], notes: list[str]) -> list[Any]:
    """The quote's lines that apply to this product: where the brand's early termination
    rule names its products (plugin/broadband-terms#2: only Unlimited packages have a
    minimum period longer than the month paid for), other products pay none."""
    rule = rule_params(subscription.account.brand, "early_termination", default={})
    products = rule.get("products")
    lines = []
    for line in quote["lines"]:
        if (
            line["kind"] == "early_termination"
            and products
            and (subscription.product.key not in products)
        ):
            notes.append(
                f"no early termination charge: {subscription.product.name} has no minimum "
                f"period beyond the month paid for ({rule['clause']})"
            )
            continue
        lines.append(line)
    return lines


def _immediate_quote(subscription: Subscription, *, on: date, mac: bool) -> dict[str, Any]:
    """The exit charges of a contract the provider ends on `on` without notice."""
    assert subscription.service_start_date is not None
    terms = exit_terms(
        product=subscription.product,
        term=subscription.term_months,
        market=subscription.market,
        service_start=subscription.service_start_date,
        notice_given=on,
    )
    terms = contract_rules.ExitTerms(
        **{**terms.__dict__, "notice_days": 0, "notice_before_renewal": False}
    )
    quote = contract_rules.exit_quote(
        terms, service_start=subscription.service_start_date, notice_given=on, mac=mac
    )
    return exit_quote_as_dict(quote, context={"subscription": subscription.pk})


def _refund_lines_of_next_bill(subscription: Subscription, *, on: date) -> list[Any]:
    """The pro-rata refund lines the bill run will make for this ended subscription."""
    account = subscription.account
    bill_on = next_bill_date(on, account.bill_day)
    events = billing_selectors.account_events(account_ids=[account.pk], on=bill_on)
    if not events:
        return []
    draft = billing_selectors.draft_for(events[0], on=bill_on)
    return [
        line
        for line in draft.lines
        if line.kind == "refund" and line.subscription_id == subscription.pk
    ]


def _paid_periods(subscription: Subscription) -> list[rules.PaidPeriod]:
    return [
        rules.PaidPeriod(start=start, end=end, net=net)
        for start, end, net in InvoiceLine.objects.filter(
            subscription=subscription, kind="recurring", period_start__isnull=False
        ).values_list("period_start", "period_end", "net")
    ]


@transaction.atomic
def departure_record(
    *,
    subscription_id: int,
    kind: str,
    on: date,
    now: datetime,
    mac: bool = False,
    detrimental_change_notified: date | None = None,
    cancellation_cost: Decimal | str | None = None,
    line_cannot_be_served: bool = False,
    equipment_sent_on: date | None = None,
    actor: str = "",
) -> Departure:
    """Record a subscription leaving for `kind` on `on`, and bill what that costs or credits.

    Immediate departures (abuse, non-payment, cancelled orders) end the subscription now;
    the others end on their termination date, when the daily job ends them. A departure
    is recorded once per subscription.
    """
    subscription = subscription_get(subscription_id)
    if kind not in DepartureKind.values:
        raise InvalidInput(f"kind: one of {', '.join(DepartureKind.values)}, not {kind!r}")
    existing = Departure.objects.filter(subscription=subscription).first()
    if existing is not None:
        raise InvalidInput(
            f"subscription {subscription.pk} is already leaving ({existing.get_kind_display()}, "
            f"ends {existing.ends_on})"
        )
    if kind == DepartureKind.ORDER_CANCELLED:
        departure = _cancel_order(
            subscription,
            on=on,
            now=now,
            cost=cancellation_cost,
            line_cannot_be_served=line_cannot_be_served,
            actor=actor,
        )
    else:
        if subscription.status not in LIVE:
            raise InvalidInput(
                f"subscription {subscription.pk} is {subscription.status}: only a live service "
                "can leave (an order is cancelled instead)"
            )
        departure = _leave(
            subscription,
            kind=kind,
            on=on,
            now=now,
            mac=mac,
            detrimental_change_notified=detrimental_change_notified,
            actor=actor,
        )
    if equipment_sent_on is not None:
        equipment_return_open(
            subscription_id=subscription.pk,
            package_sent_on=equipment_sent_on,
            reason=departure.get_kind_display(),
            now=now,
        )
    return departure


def _leave(
    subscription: Subscription,
    *,
    kind: str,
    on: date,
    now: datetime,
    mac: bool,
    detrimental_change_notified: date | None,
    actor: str,
) -> Departure:
    brand = subscription.account.brand
    refunds = rule_params(brand, "refunds", default={"clause": ""})
    lines: list[dict[str, Any]] = []
    notes: list[str] = []
    clause = ""
    if kind == DepartureKind.CUSTOMER_NOTICE:
        quote = exit_quote_for_subscription(
            subscription_id=subscription.pk,
            notice=on,
            mac=mac,
            detrimental_change_notified=detrimental_change_notified,
        )
        ends_on = date.fromisoformat(quote["termination_date"])
        clause = quote["notice_clause"]
        lines = [
            _line_charge(subscription, line, tax_point=ends_on, now=now)
            for line in _exit_lines(subscription, quote, notes)
        ]
        notes += [f"waived: {w['kind']}, {w['reason']} ({w['clause']})" for w in quote["waived"]]
    elif kind == DepartureKind.PROVIDER_ASKED:
        rule = next(
            (
                r
                for r in refunds.get("provider_asks_to_leave", [])
                if r.get("product_kind") == subscription.product.kind
            ),
            None,
        )
        notice_days = int(rule["notice_days"]) if rule else subscription.notice_days
        ends_on = on + timedelta(days=notice_days)
        clause = rule["clause"] if rule else refunds["clause"]
        early = rule_params(brand, "early_termination", default={})
        waiver = (early.get("waived_when_clauses") or {}).get("provider-ends-for-convenience")
        notes.append(
            "no early termination or cease charge: the provider ended the contract"
            + (f" ({waiver})" if waiver else "")
        )
        if rule and rule.get("refund", "").startswith("full-months"):
            lines += _full_months(
                subscription,
                ends_on=ends_on,
                clause=rule["clause"],
                now=now,
                pro_rata=bool(refunds.get("pro_rata")),
                notes=notes,
            )
        elif rule:
            notes.append(f"overpayments refunded pro rata by the bill run ({rule['clause']})")
    elif kind in (DepartureKind.ABUSE, DepartureKind.NON_PAYMENT):
        ends_on = on
        quote = _immediate_quote(subscription, on=on, mac=mac)
        lines = [
            _line_charge(subscription, line, tax_point=on, now=now)
            for line in _exit_lines(subscription, quote, notes)
        ]
        clause = lines[0]["clause"] if lines else ""
    else:  # pragma: no cover - kinds are checked by the caller
        raise InvalidInput(f"kind: {kind!r}")
    departure = Departure.objects.create(
        subscription=subscription,
        account=subscription.account,
        kind=kind,
        notice_on=on,
        ends_on=ends_on,
        status=DepartureStatus.SCHEDULED,
        lines=lines,
        explanation="",
        clause=clause,
        actor=actor,
        created_at=now,
    )
    if ends_on <= on:
        _end(departure, now=now)
        if kind == DepartureKind.ABUSE:
            if any(line["kind"] == "early_termination" for line in lines):
                # The early termination charge already bills every remaining day of the
                # minimum period, the unused days paid in advance among them: withholding
                # their refund as well would charge those days twice.
                notes.append(
                    "the refund of unused days is set against the early termination charge, "
                    "which bills the same days"
                )
            else:
                lines += _withhold_refund(
                    subscription, on=on, refunds=refunds, now=now, notes=notes
                )
            departure.clause = (
                refunds.get("none_on_termination_for_abuse_clause") or departure.clause
            )
    departure.lines = lines
    departure.explanation = "; ".join(notes)[:2000]
    departure.save(update_fields=["lines", "explanation", "clause"])
    _notify(departure, now=now)
    return departure


def _full_months(
    subscription: Subscription,
    *,
    ends_on: date,
    clause: str,
    now: datetime,
    pro_rata: bool,
    notes: list[str],
) -> list[dict[str, Any]]:
    price = price_in_force(
        subscription.product, on=ends_on, term=subscription.term_months, market=subscription.market
    )
    refund = rules.full_months_refund(
        _paid_periods(subscription), ends_on=ends_on, monthly_price=price.amount, clause=clause
    )
    if refund.months == 0:
        notes.append(f"no full months paid in advance after {ends_on} ({clause})")
        return []
    if pro_rata:
        notes.append(
            f"{refund.explanation}: covered by the bill run's pro-rata refund of the unused days, "
            "which is never less"
        )
        return []
    charge_add(
        account=subscription.account,
        key=f"departure:S{subscription.pk}:full-months-refund",
        source=SOURCE,
        kind="credit",
        description=f"Refund: {subscription.product.name}, {refund.explanation}",
        amount=-refund.net,
        vat_treatment=price.vat_treatment,
        clause_id=clause,
        tax_point=ends_on,
        now=now,
    )
    return [
        {
            "kind": "full-months-refund",
            "description": refund.explanation,
            "net": format_amount(-refund.net),
            "vat": "",
            "clause": clause,
        }
    ]


def _withhold_refund(
    subscription: Subscription,
    *,
    on: date,
    refunds: dict[str, Any],
    now: datetime,
    notes: list[str],
) -> list[dict[str, Any]]:
    """Cancel the bill run's pro-rata refund of an account terminated for spam or illegal
    use: "We will also terminate accounts without notice and with no refunds"
    (plugin/broadband-terms#11)."""
    if not refunds.get("none_on_termination_for_abuse"):
        return []
    clause = refunds.get("none_on_termination_for_abuse_clause") or refunds["clause"]
    out = []
    for line in _refund_lines_of_next_bill(subscription, on=on):
        charge_add(
            account=subscription.account,
            key=f"departure:S{subscription.pk}:no-refund:{line.period_start}",
            source=SOURCE,
            description=f"No refund on termination for spam or illegal use ({line.description})",
            amount=-line.amount.net,
            vat_treatment="exclusive" if line.amount.vat else "outside-scope",
            vat=-line.amount.vat,
            clause_id=clause,
            tax_point=on,
            now=now,
        )
        out.append(
            {
                "kind": "no-refund",
                "description": f"pro-rata refund withheld: {line.description}",
                "net": format_amount(-line.amount.net),
                "vat": format_amount(-line.amount.vat),
                "clause": clause,
            }
        )
    notes.append(f"no refund on termination for spam or illegal use ({clause})")
    return out


def _cancel_order(
    subscription: Subscription,
    *,
    on: date,
    now: datetime,
    cost: Decimal | str | None,
    line_cannot_be_served: bool,
    actor: str,
) -> Departure:
    if subscription.status not in ORDERS:
        raise InvalidInput(
            f"subscription {subscription.pk} is {subscription.status}: only an order in "
            "progress can be cancelled"
        )
    account = subscription.account
    rule = rule_params(account.brand, "order_cancellation", default={})
    lines: list[dict[str, Any]] = []
    notes: list[str] = []
    clause = rule.get("clause", "")
    if line_cannot_be_served:
        if not rule.get("without_liability_if_line_cannot_be_served"):
            raise InvalidInput(
                f"{account.brand.name}'s terms do not cancel without liability when the line "
                "cannot be served"
            )
        clause = rule.get("without_liability_if_line_cannot_be_served_clause") or clause
        notes.append(f"cancelled without liability: the line cannot be served ({clause})")
    elif rule.get("charge"):
        charge = charge_in_force(account.brand, rule["charge"], on=on)
        if not charge.products or subscription.product.key in charge.products:
            amount = quantize(charge.amount)
            charge_add(
                account=account,
                key=f"departure:S{subscription.pk}:order-cancellation",
                source=SOURCE,
                description=f"{charge.name}: {subscription.product.name}",
                amount=amount,
                vat_treatment=charge.vat_treatment,
                clause_id=charge.clause.clause_id,
                tax_point=on,
                now=now,
            )
            lines.append(
                {
                    "kind": "order-cancellation",
                    "description": charge.name,
                    "net": format_amount(amount),
                    "vat": charge.vat_treatment,
                    "clause": charge.clause.clause_id,
                }
            )
    elif rule.get("basis") == "work-done-and-money-spent":
        if cost in (None, ""):
            raise InvalidInput(
                "cost: enter the cost of the work done and money spent getting ready to "
                f"provide the service ({rule.get('basis_clause') or clause})"
            )
        value = (
            Decimal("0.00")
            if str(cost).strip() in ("0", "0.00")
            else amount_from(cost, field="cost")
        )
        clause = rule.get("basis_clause") or clause
        if value:
            charge_add(
                account=account,
                key=f"departure:S{subscription.pk}:order-cancellation",
                source=SOURCE,
                description=f"Order cancelled before service: work done and money spent on "
                f"{subscription.product.name}",
                amount=value,
                vat_treatment="exclusive",
                clause_id=clause,
                tax_point=on,
                now=now,
            )
            lines.append(
                {
                    "kind": "order-cancellation",
                    "description": "work done and money spent",
                    "net": format_amount(value),
                    "vat": "exclusive",
                    "clause": clause,
                }
            )
    subscription_transition(
        subscription_id=subscription.pk,
        to=SubscriptionStatus.CANCELLED,
        at=noon(on),
        reason="order cancelled" + (": line cannot be served" if line_cannot_be_served else ""),
        actor=actor,
    )
    departure = Departure.objects.create(
        subscription=subscription,
        account=account,
        kind=DepartureKind.ORDER_CANCELLED,
        notice_on=on,
        ends_on=on,
        status=DepartureStatus.DONE,
        lines=lines,
        explanation="; ".join(notes),
        clause=clause,
        actor=actor,
        created_at=now,
    )
    _notify(departure, now=now)
    return departure


def _end(departure: Departure, *, now: datetime) -> None:
    subscription = departure.subscription
    if subscription.status in LIVE:
        subscription_transition(
            subscription_id=subscription.pk,
            to=SubscriptionStatus.CEASED,
            at=noon(departure.ends_on),
            reason=departure.get_kind_display(),
            actor=departure.actor or "payments",
        )
    departure.status = DepartureStatus.DONE
    departure.save(update_fields=["status"])
    account = departure.account
    if not Subscription.objects.filter(account=account, status__in=(*LIVE, *ORDERS)).exists():
        card_authority_end(
            account=account,
            on=departure.ends_on,
            reason=f"all services ended ({departure.get_kind_display().lower()})",
        )


def _notify(departure: Departure, *, now: datetime) -> None:
    subscription = departure.subscription
    lines = "\n".join(
        f"- {line['description']}: £{line['net']} ({line['clause']})" for line in departure.lines
    )
    body = (
        f"Dear {departure.account.name},\n\n{subscription.product.name} "
        f"({departure.get_kind_display().lower()}) ends on {departure.ends_on}.\n"
        + (f"\nOn your next bill:\n{lines}\n" if lines else "")
        + (f"\n{departure.explanation}\n" if departure.explanation else "")
    )
    notice_send(
        key=f"departure:S{subscription.pk}",
        kind=f"payments.departure.{departure.kind}",
        subject=f"{departure.account.brand.name}: {subscription.product.name} is ending",
        body=body,
        now=now,
        account=departure.account,
        clause_id=departure.clause or None,
    )


def departures_run_day(*, on: date, now: datetime) -> dict[str, int]:
    """The daily job: end the subscriptions whose termination date has come."""
    ended = 0
    for departure in Departure.objects.filter(
        status=DepartureStatus.SCHEDULED, ends_on__lte=on
    ).select_related("subscription", "account"):
        with transaction.atomic():
            _end(departure, now=now)
        ended += 1
    return {"ended": ended}


# --- Equipment returns -----------------------------------------------------------------


def _return_rule(subscription: Subscription) -> dict[str, Any]:
    rule = rule_params(subscription.account.brand, "equipment_return", default={})
    if not rule:
        raise InvalidInput(f"{subscription.account.brand.name}'s terms ask for no equipment back")
    return rule


@transaction.atomic
def equipment_return_open(
    *, subscription_id: int, package_sent_on: date, reason: str, now: datetime
) -> EquipmentReturn:
    """Ask for equipment back: the prepaid postage package was sent on `package_sent_on`
    (plusnet-business/broadband-schedule#5.2)."""
    subscription = subscription_get(subscription_id)
    rule = _return_rule(subscription)
    existing = EquipmentReturn.objects.filter(
        subscription=subscription, status=EquipmentReturnStatus.AWAITING
    ).first()
    if existing is not None:
        return existing
    return EquipmentReturn.objects.create(
        subscription=subscription,
        account=subscription.account,
        reason=reason[:200],
        package_sent_on=package_sent_on,
        clause=rule["clause"],
        created_at=now,
    )


def _return_get(return_id: int) -> EquipmentReturn:
    try:
        return EquipmentReturn.objects.select_for_update().get(pk=return_id)
    except EquipmentReturn.DoesNotExist:
        raise NotFound(f"unknown equipment return {return_id}") from None


@transaction.atomic
def equipment_package_received(*, return_id: int, received_on: date) -> EquipmentReturn:
    item = _return_get(return_id)
    if received_on < item.package_sent_on:
        raise InvalidInput(f"received_on: {received_on} is before the package was sent")
    item.package_received_on = received_on
    item.save(update_fields=["package_received_on"])
    return item


@transaction.atomic
def equipment_returned(*, return_id: int, returned_on: date) -> EquipmentReturn:
    item = _return_get(return_id)
    if item.status == EquipmentReturnStatus.CHARGED:
        raise InvalidInput(
            f"equipment return {item.pk} was charged on {item.charged_on}; credit it if the "
            "equipment has now come back"
        )
    item.returned_on, item.status = returned_on, EquipmentReturnStatus.RETURNED
    item.save(update_fields=["returned_on", "status"])
    return item


def equipment_overdue_run(*, on: date, now: datetime) -> dict[str, int]:
    """The daily job: charge for equipment not back within the return days of the prepaid
    package arriving: "the retail price of the equipment, postal charges for both initial
    despatch and the prepaid return package and a reasonable administration charge"
    (plusnet-business/broadband-schedule#5.2)."""
    charged = 0
    for item in EquipmentReturn.objects.filter(
        status=EquipmentReturnStatus.AWAITING, package_received_on__isnull=False
    ).select_related("subscription__product", "account__brand"):
        rule = _return_rule(item.subscription)
        assert item.package_received_on is not None
        deadline = rules.equipment_return_deadline(
            item.package_received_on, return_days=int(rule["return_days"])
        )
        if on <= deadline:
            continue
        with transaction.atomic():
            _charge_equipment(item, rule=rule, deadline=deadline, on=on, now=now)
        charged += 1
    return {"charged": charged}


def _charge_equipment(
    item: EquipmentReturn, *, rule: dict[str, Any], deadline: date, on: date, now: datetime
) -> None:
    brand = item.account.brand
    lines = []
    for key in rule.get("charge_includes", []):
        try:
            charge = charge_in_force(brand, key, on=deadline)
        except NotFound:
            continue
        if charge.products and item.subscription.product.key not in charge.products:
            continue
        amount = quantize(charge.amount)
        charge_add(
            account=item.account,
            key=f"equipment:{item.pk}:{key}",
            source=SOURCE,
            description=f"{charge.name}: equipment not returned by {deadline}",
            amount=amount,
            vat_treatment=charge.vat_treatment,
            clause_id=rule["clause"],
            tax_point=deadline + timedelta(days=1),
            now=now,
        )
        lines.append({"key": key, "name": charge.name, "net": format_amount(amount)})
    item.status, item.charged_on, item.charges = EquipmentReturnStatus.CHARGED, on, lines
    item.save(update_fields=["status", "charged_on", "charges"])
    listed = "\n".join(f"- {line['name']}: £{line['net']} + VAT" for line in lines)
    notice_send(
        key=f"equipment:{item.pk}:charged",
        kind="payments.equipment.charged",
        subject=f"{brand.name}: equipment not returned",
        body=(
            f"Dear {item.account.name},\n\nThe equipment for {item.subscription.product.name} "
            f"was not returned within {rule['return_days']} days of the prepaid package "
            f"reaching you on {item.package_received_on}, so these are on your next bill:\n"
            f"{listed}"
        ),
        now=now,
        account=item.account,
        clause_id=rule["clause"],
    )
