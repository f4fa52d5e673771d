"""Reading support: the brand's service levels and compensation terms from its catalogue,
a ticket's SLA clocks, the staff queue and a customer's tickets and claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from backhaul.catalogue.choices import VatTreatment
from backhaul.catalogue.models import Brand, Product
from backhaul.catalogue.selectors import (
    charge_in_force,
    price_in_force,
    rule_params,
    vat_rate_value,
)
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.core.calendar import WorkingTime
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import Rounding, Taxed, quantize
from backhaul.customers.models import Account
from backhaul.support import rules
from backhaul.support.choices import (
    LATE_CANCELLATION,
    ClaimKind,
    ClaimStatus,
    TicketCategory,
    TicketState,
    VisitState,
)
from backhaul.support.models import Claim, Complaint, EngineerVisit, Ticket, TicketEvent

HOUR = timedelta(hours=1)


def _section(brand: Brand, key: str) -> dict[str, Any] | None:
    params = rule_params(brand, key, default={})
    return params or None


def _clause(params: Mapping[str, Any], name: str) -> str:
    return str(params.get(f"{name}_clause") or params["clause"])


def working_time_for(brand: Brand) -> WorkingTime:
    """The brand's working hours and bank holidays ([rules.working_time], brand region)."""
    params = rule_params(brand, "working_time", default={})
    return rules.working_time_from_params(params, region=brand.bank_holidays)


def working_time_clause(brand: Brand) -> str:
    params = _section(brand, "working_time")
    return str(params["clause"]) if params else ""


def care_levels(brand: Brand) -> dict[str, dict[str, Any]]:
    """The brand's care levels (nested tables of [rules.care_levels]) by key."""
    params = rule_params(brand, "care_levels", default={})
    # Sorted by key: the database may not keep the catalogue's order (PostgreSQL JSONB).
    return {key: params[key] for key in sorted(params) if isinstance(params[key], dict)}


def care_level_of(account: Account, *, on: date) -> str:
    """The care level the account has on ``on``: the level whose care product it subscribes
    to, else the level without a product (or ``standard``)."""
    levels = care_levels(account.brand)
    subscribed = set(
        Subscription.objects.filter(
            account=account,
            product__kind="care",
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED],
            service_start_date__lte=on,
        ).values_list("product__key", flat=True)
    )
    for key, level in levels.items():
        if level.get("product") and level["product"] in subscribed and level.get("guaranteed"):
            return key
    for key, level in levels.items():
        if level.get("product") and level["product"] in subscribed:
            return key
    if "standard" in levels or not levels:
        return "standard"
    return next(iter(levels))


def service_credit_terms(brand: Brand) -> rules.ServiceCreditTerms | None:
    params = _section(brand, "service_credit")
    if params is None:
        return None
    return rules.ServiceCreditTerms(
        max_per_fault=rules.parse_money(params["max_per_fault"], "service_credit.max_per_fault"),
        clause=params["clause"],
        monthly_cap_clause=_clause(params, "monthly_cap"),
        claim_working_days=int(params["claim_working_days"]),
        claim_clause=_clause(params, "claim_working_days"),
        one_claim_clause=_clause(params, "one_claim_per_fault"),
        discretionary_clause=_clause(params, "discretionary"),
        exclusions={
            key: params.get("exclusion_clauses", {}).get(key, "")
            for key in params.get("exclusions", [])
        },
        exclusions_clause=_clause(params, "exclusions"),
    )


def uptime_guarantee_terms(brand: Brand) -> rules.UptimeGuaranteeTerms | None:
    params = _section(brand, "uptime_guarantee")
    if params is None:
        return None
    return rules.UptimeGuaranteeTerms(
        fraction=str(params["fraction_per_day"]),
        period=timedelta(hours=int(params["period_hours"])),
        clause=params["clause"],
        circumstances={c["key"]: c["clause"] for c in params.get("circumstances", [])},
        exclusions={e["key"]: e["clause"] for e in params.get("exclusions", [])},
        exclusions_clause=_clause(params, "exclusions"),
        claim_working_days=int(params["claim_working_days"]),
        claim_clause=_clause(params, "claim_working_days"),
    )


def phone_compensation_terms(brand: Brand) -> rules.PhoneCompensationTerms | None:
    params = _section(brand, "phone_compensation")
    if params is None:
        return None
    return rules.PhoneCompensationTerms(
        clause=params["clause"],
        max_per_line_per_year=rules.parse_money(
            params["max_per_line_per_year"], "phone_compensation.max_per_line_per_year"
        ),
        max_clause=_clause(params, "max_per_line_per_year"),
        claim_days=int(params["claim_days"]),
        claim_clause=_clause(params, "claim_days"),
        exclusions={
            key: params.get("exclusion_clauses", {}).get(key, "")
            for key in params.get("exclusions", [])
        },
        exclusions_clause=_clause(params, "exclusions"),
        products=tuple(str(p) for p in params.get("products", [])),
    )


def hosting_uptime_terms(brand: Brand) -> rules.HostingUptimeTerms | None:
    params = _section(brand, "hosting_uptime")
    if params is None:
        return None
    return rules.HostingUptimeTerms(
        clause=params["clause"],
        target_percent=Decimal(str(params.get("target_percent", "99"))),
        threshold=timedelta(minutes=int(params["downtime_threshold_minutes"])),
        min_days=int(params.get("min_days", 1)),
    )


def ofcom_terms(brand: Brand) -> rules.OfcomTerms | None:
    params = _section(brand, "ofcom_auto_compensation")
    if params is None:
        return None
    amounts = tuple(
        rules.OfcomAmounts(
            start=date.fromisoformat(str(row["start"])),
            late_repair_per_day=rules.parse_money(row["late_repair_per_day"], "late_repair"),
            late_provision_per_day=rules.parse_money(
                row["late_provision_per_day"], "late_provision"
            ),
            missed_appointment=rules.parse_money(row["missed_appointment"], "missed_appointment"),
        )
        for row in params.get("amounts", [])
    )
    return rules.OfcomTerms(
        enabled=bool(params.get("enabled")),
        account_kinds=tuple(params.get("account_kinds", ["residential"])),
        repair_grace_working_days=int(params.get("late_repair_after_full_working_days", 2)),
        amounts=amounts,
        clause=params["clause"],
        late_repair_clause=_clause(params, "late_repair"),
        late_provision_clause=_clause(params, "late_provision"),
        missed_appointment_clause=_clause(params, "missed_appointment"),
        missed_appointment_cancellation_hours=int(
            params.get("missed_appointment_cancellation_hours", 24)
        ),
    )


def visit_terms(brand: Brand) -> rules.VisitChargeTerms | None:
    params = _section(brand, "engineer_visits")
    if params is None:
        return None
    charged = params.get("customer_pays_when", [])
    per_outcome = params.get("customer_pays_when_clauses", {})
    fallback = params.get("customer_pays_when_clause") or params["clause"]
    cutoff = params.get("late_cancellation_cutoff")
    return rules.VisitChargeTerms(
        model=str(params.get("charge_model", "per-visit")),
        clause=params["clause"],
        charged_outcomes={key: per_outcome.get(key, fallback) for key in charged},
        visit_charge=str(params.get("visit_charge", "")),
        call_out_charge=str(params.get("call_out_charge", "")),
        hourly_charge=str(params.get("hourly_charge", "")),
        call_out_covers=timedelta(minutes=int(params.get("call_out_covers_minutes", 60))),
        late_cancellation_hours=(
            int(params["late_cancellation_hours"]) if "late_cancellation_hours" in params else None
        ),
        late_cancellation_cutoff=time.fromisoformat(cutoff) if cutoff else None,
        late_cancellation_days_before=int(params.get("late_cancellation_days_before", 1)),
        late_cancellation_clause=str(
            per_outcome.get("late-cancellation")
            or params.get("late_cancellation_hours_clause")
            or fallback
        ),
        appointment_windows=_appointment_windows(params),
        appointment_weekdays=rules.weekday_numbers(
            params.get("appointment_days", list(_ALL_DAYS)), "engineer_visits.appointment_days"
        ),
        appointment_windows_clause=str(params.get("appointment_windows_clause", "")),
    )


_ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _appointment_windows(params: Mapping[str, Any]) -> tuple[tuple[time, time], ...]:
    """``appointment_windows = [["08:00", "13:00"], ...]`` as times, checked."""
    windows = []
    for raw in params.get("appointment_windows", []):
        try:
            start, end = (time.fromisoformat(str(value)) for value in raw)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"engineer_visits.appointment_windows: {raw!r} is not [from, until] as HH:MM"
            ) from None
        if end <= start:
            raise InvalidInput(
                f"engineer_visits.appointment_windows: {raw!r} ends before it starts"
            )
        windows.append((start, end))
    return tuple(windows)


def _complaint_target(params: Mapping[str, Any], name: str, unit: str) -> rules.Target | None:
    key = f"{name}_{unit}"
    if key not in params:
        return None
    amount = int(params[key])
    kind = str(
        params.get(f"{name}_clock")
        or (rules.CLOCK_CALENDAR_DAYS if unit == "days" else rules.CLOCK_ELAPSED)
    )
    span = timedelta(days=amount) if unit == "days" else timedelta(hours=amount)
    label = name.replace("_", " ")
    return rules.Target(label, span, kind, str(params.get(f"{key}_clause") or params["clause"]))


def complaint_terms(brand: Brand) -> rules.ComplaintTerms:
    params = rule_params(brand, "complaints", default={})
    if not params:
        return rules.ComplaintTerms("", None, None, None, None, False, "")
    weeks = params.get("adr_after_weeks")
    return rules.ComplaintTerms(
        clause=params["clause"],
        first_response=_complaint_target(params, "first_response", "hours"),
        escalated_answer=_complaint_target(params, "escalated_answer", "hours"),
        escalated_resolve=_complaint_target(params, "escalated_resolve", "days"),
        adr_after=timedelta(weeks=int(weeks)) if weeks else None,
        adr_on_deadlock=bool(params.get("adr_on_deadlock")),
        adr_clause=_clause(params, "adr_after_weeks"),
    )


def _target(name: str, hours: Any, kind: str, clause: str, guaranteed: bool) -> rules.Target:
    return rules.Target(name, timedelta(hours=int(hours)), kind, clause, guaranteed)


def sla_policy_for(brand: Brand, *, care: str, product: Product | None) -> rules.SlaPolicy:
    """The service levels of a care level for a fault on ``product``, from the catalogue.

    Plusnet: Standard aims to respond within 8 working hours (broadband-schedule#6.1, no
    guarantee); Enhanced Care guarantees a 1 working-hour response and a 24 working-hour
    resolution (7.1, 7.2, 7.8) on broadband only (7.9, 7.10). PlugIn: the Uptime
    Guarantee's 2-hour response and 24-hour Openreach fix (plugin/uptime-guarantee#terms).
    """
    levels = care_levels(brand)
    if levels and care not in levels:
        raise InvalidInput(f"care: {brand.key} has care levels {', '.join(levels)}, not {care!r}")
    level = levels.get(care, {})
    sla = rule_params(brand, "sla", default={})
    pause_clauses = sla.get("pause_reason_clauses", {})
    pause_reasons = {
        reason: str(pause_clauses.get(reason) or sla.get("pause_reasons_clause") or sla["clause"])
        for reason in sla.get("pause_reasons", [])
    }
    guaranteed = bool(level.get("guaranteed"))
    response = resolution = None
    uptime: rules.UptimeGuaranteeTerms | None = None
    covered_kinds: list[str] | None = None
    covered_products: list[str] | None = None
    if level.get("guarantee") == "uptime_guarantee":
        ug = rule_params(brand, "uptime_guarantee")
        response = _target(
            "response",
            ug["response_hours"],
            str(ug.get("response_hours_measured_in", rules.CLOCK_ELAPSED)),
            _clause(ug, "response_hours"),
            guaranteed,
        )
        resolution = _target(
            "resolution",
            ug["openreach_fix_hours"],
            str(ug.get("openreach_fix_hours_measured_in", rules.CLOCK_ELAPSED)),
            _clause(ug, "openreach_fix_hours"),
            guaranteed,
        )
        uptime = uptime_guarantee_terms(brand)
        covered_products = list(ug.get("products", []))
    else:
        if "response_working_hours" in level:
            response = _target(
                "response",
                level["response_working_hours"],
                rules.CLOCK_WORKING,
                str(level["clause"]),
                guaranteed,
            )
        if "resolution_working_hours" in level:
            resolution = _target(
                "resolution",
                level["resolution_working_hours"],
                rules.CLOCK_WORKING,
                _clause(level, "resolution_working_hours"),
                guaranteed,
            )
        if "applies_to" in level:
            covered_kinds = list(level["applies_to"])
    not_covered = ""
    if product is not None and guaranteed:
        if covered_kinds is not None and product.kind not in covered_kinds:
            not_covered = f"{care} care covers {', '.join(covered_kinds)} only, not {product.name}"
        if covered_products is not None and product.key not in covered_products:
            not_covered = f"the Uptime Guarantee does not cover {product.name}"
    credit_terms = service_credit_terms(brand) if guaranteed else None
    if credit_terms is not None:
        credit_levels = rule_params(brand, "service_credit").get("care_levels", [])
        if care not in credit_levels:
            credit_terms = None
    return rules.SlaPolicy(
        care=care,
        response=response,
        resolution=resolution,
        pause_reasons=pause_reasons,
        clauses=tuple(
            str(c)
            for c in (working_time_clause(brand), sla.get("clause"), sla.get("clock_starts_clause"))
            if c
        ),
        auto_close_working_days=(
            int(sla["auto_close_working_days"]) if "auto_close_working_days" in sla else None
        ),
        auto_close_clause=str(sla.get("auto_close_working_days_clause") or sla.get("clause", "")),
        service_credit=credit_terms,
        uptime_guarantee=uptime,
        not_covered=not_covered,
    )


def general_policy_for(brand: Brand) -> rules.SlaPolicy:
    """Clocks for billing and general tickets: the brand's aim to answer support emails
    (plugin/code-of-practice#customer-service-1), never a guarantee."""
    service = rule_params(brand, "customer_service", default={})
    sla = rule_params(brand, "sla", default={})
    response = None
    if "email_answer_hours" in service:
        kind = rules.CLOCK_WORKING if service.get("within_support_hours") else rules.CLOCK_ELAPSED
        response = _target(
            "response", service["email_answer_hours"], kind, service["clause"], False
        )
    return rules.SlaPolicy(
        care="",
        response=response,
        resolution=None,
        pause_reasons={
            reason: str(sla.get("pause_reasons_clause") or sla.get("clause", ""))
            for reason in sla.get("pause_reasons", [])
        },
        clauses=tuple(c for c in (working_time_clause(brand),) if c),
        auto_close_working_days=(
            int(sla["auto_close_working_days"]) if "auto_close_working_days" in sla else None
        ),
        auto_close_clause=str(sla.get("auto_close_working_days_clause") or sla.get("clause", "")),
    )


def credit_vat(brand: Brand, section: str) -> str:
    """How a credit under ``section`` is taxed: as the price it reduces (default exclusive)."""
    return str(rule_params(brand, section, default={}).get("credit_vat", "exclusive"))


# Tickets ---------------------------------------------------------------------------------


def monthly_subscription_of(subscription: Subscription | None, *, on: date) -> Decimal:
    """The monthly fee of the affected line in force on ``on`` (0 without a line)."""
    if subscription is None:
        return Decimal("0.00")
    try:
        version = price_in_force(
            subscription.product, on=on, term=subscription.term_months, market=subscription.market
        )
    except NotFound:
        version = subscription.price_version
    return version.amount.quantize(Decimal("0.01"))


def ticket_policy(ticket: Ticket) -> rules.SlaPolicy | None:
    """The clocks that apply to a ticket: fault service levels, or the answer aim."""
    brand = ticket.account.brand
    if ticket.category == TicketCategory.FAULT:
        product = ticket.subscription.product if ticket.subscription else None
        return sla_policy_for(brand, care=ticket.care_level or "standard", product=product)
    if ticket.category == TicketCategory.COMPLAINT:
        return None
    return general_policy_for(brand)


def reopen_clause(ticket: Ticket) -> str:
    """The clause behind giving back the time a reopened ticket spent resolved: the fault
    was passed back for retest (plusnet-business/broadband-schedule#7.5(a))."""
    policy = ticket_policy(ticket) or general_policy_for(ticket.account.brand)
    return policy.pause_reasons.get(rules.RETEST, "") or policy.auto_close_clause


def ticket_events(ticket: Ticket) -> list[rules.TicketEvent]:
    events = ticket.events.all()
    return [
        rules.TicketEvent(at=e.at, type=e.type, reason=e.reason, index=index)
        for index, e in enumerate(sorted(events, key=lambda e: (e.at, e.pk)))
    ]


def ticket_sla(
    ticket: Ticket, *, at: datetime, memo: dict[tuple[Any, ...], Any] | None = None
) -> rules.SlaResult | None:
    """A ticket's clocks read from its event log at ``at`` (None for complaints).

    ``memo`` lets a page of tickets read each brand's terms from the catalogue once.
    """
    memo = {} if memo is None else memo
    brand = ticket.account.brand
    product_id = ticket.subscription.product_id if ticket.subscription else None
    key = ("policy", brand.pk, ticket.category, ticket.care_level, product_id)
    if key not in memo:
        memo[key] = ticket_policy(ticket)
    policy = memo[key]
    if policy is None:
        return None
    if ("calendar", brand.pk) not in memo:
        memo[("calendar", brand.pk)] = working_time_for(brand)
    day = timezone.localdate(ticket.created_at)
    price_key = ("price", ticket.subscription_id, day)
    if price_key not in memo:
        memo[price_key] = monthly_subscription_of(ticket.subscription, on=day)
    events = ticket_events(ticket)
    when = max(at, events[-1].at) if events else at
    return rules.sla_evaluate(
        events,
        policy=policy,
        calendar=memo[("calendar", brand.pk)],
        monthly_subscription=memo[price_key],
        at=when,
    )


def tickets_with_events() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "account__brand", "subscription__product", "subscription__price_version", "contact"
    ).prefetch_related(Prefetch("events", queryset=TicketEvent.objects.order_by("at", "id")))


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    sla: rules.SlaResult | None
    complaint: rules.ComplaintClocks | None

    @property
    def clocks(self) -> tuple[rules.ClockReading, ...]:
        if self.sla is not None:
            return tuple(c for c in (self.sla.response, self.sla.resolution) if c is not None)
        if self.complaint is not None:
            return self.complaint.clocks
        return ()

    @property
    def breached(self) -> bool:
        return any(c.breached for c in self.clocks)

    @property
    def next_due(self) -> datetime | None:
        open_dues = [c.due for c in self.clocks if c.due and c.stopped_at is None]
        return min(open_dues) if open_dues else None


def complaint_clocks_of(complaint: Complaint, *, at: datetime) -> rules.ComplaintClocks:
    brand = complaint.account.brand
    return rules.complaint_clocks(
        complaint_terms(brand),
        calendar=working_time_for(brand),
        received_at=complaint.received_at,
        at=max(at, complaint.received_at),
        first_response_at=complaint.first_response_at,
        escalated_at=complaint.escalated_at,
        escalated_answered_at=complaint.escalated_answered_at,
        resolved_at=complaint.resolved_at,
        deadlock_at=complaint.deadlock_at,
    )


def queue_rows(
    tickets: Iterable[Ticket], *, at: datetime, memo: dict[tuple[Any, ...], Any] | None = None
) -> list[QueueRow]:
    """Tickets with their clocks read at ``at``, for the console queue and the portal."""
    memo = {} if memo is None else memo
    rows = []
    for ticket in tickets:
        complaint = getattr(ticket, "complaint", None) if ticket.category == "complaint" else None
        rows.append(
            QueueRow(
                ticket=ticket,
                sla=ticket_sla(ticket, at=at, memo=memo),
                complaint=complaint_clocks_of(complaint, at=at) if complaint else None,
            )
        )
    return rows


def open_queue(*, at: datetime) -> list[QueueRow]:
    """Open tickets, breached first, then by the nearest due time."""
    tickets = tickets_with_events().select_related("complaint").exclude(state=TicketState.CLOSED)
    rows = queue_rows(tickets, at=at)
    far = datetime.max.replace(tzinfo=at.tzinfo)
    return sorted(rows, key=lambda r: (not r.breached, r.next_due or far, r.ticket.created_at))


def account_tickets(account: Account) -> QuerySet[Ticket]:
    return tickets_with_events().filter(account=account).select_related("complaint")


def account_ticket(account: Account, reference: str) -> Ticket:
    """A ticket of this account only: another customer's reference is simply not found."""
    try:
        return account_tickets(account).get(reference=reference.strip().upper())
    except Ticket.DoesNotExist:
        raise NotFound(f"no ticket {reference!r} on this account") from None


def credited_in_month(subscription: Subscription, *, month: date, exclude: Claim | None) -> Decimal:
    """Service credits accepted for faults on this line registered in ``month``."""
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    claims = Claim.objects.filter(
        kind=ClaimKind.SERVICE_CREDIT,
        status=ClaimStatus.ACCEPTED,
        ticket__subscription=subscription,
        ticket__created_at__date__gte=start,
        ticket__created_at__date__lt=end,
    )
    if exclude is not None:
        claims = claims.exclude(pk=exclude.pk)
    total = claims.aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


# Engineer visits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeQuote:
    """A charge the customer would pay, with VAT worked out as the bill will."""

    description: str
    amount: Taxed
    vat_treatment: str
    clause: str


@dataclass(frozen=True)
class CancellationQuote:
    """What cancelling a booked visit at ``at`` would cost the customer, and until when it
    is free (plugin/broadband-terms#5, plusnet-business/business-phone-charges#15(g))."""

    at: datetime
    free_until: datetime | None
    late: bool
    lines: tuple[ChargeQuote, ...]
    clause: str

    @property
    def total(self) -> Taxed:
        return Taxed.sum_taxed(line.amount for line in self.lines)


def visit_charge_quote(visit: EngineerVisit, *, outcome: str) -> tuple[ChargeQuote, ...]:
    """The charges a visit outcome (or a late cancellation) puts on the bill, as quotes."""
    brand = visit.account.brand
    terms = visit_terms(brand)
    if terms is None:
        return ()
    time_on_site = visit.time_on_site or timedelta(0)
    day = timezone.localdate(visit.slot_start)
    quotes = []
    for line in rules.visit_charges(terms, outcome=outcome, time_on_site=time_on_site):
        charge = charge_in_force(brand, line.charge, on=day)
        amount = quantize(charge.amount * line.quantity)
        if charge.vat_treatment == VatTreatment.EXCLUSIVE:
            taxed = Taxed.from_net(amount, vat_rate_value(brand, day), Rounding.HALF_UP)
        elif charge.vat_treatment == VatTreatment.INCLUSIVE:
            taxed = Taxed.from_gross(amount, vat_rate_value(brand, day), Rounding.HALF_UP)
        else:
            taxed = Taxed(net=amount, vat=Decimal("0.00"), gross=amount)
        label = charge.name if line.quantity == 1 else f"{charge.name} x {line.quantity}"
        quotes.append(ChargeQuote(label, taxed, charge.vat_treatment, line.clause))
    return tuple(quotes)


def visit_cancellation_quote(visit: EngineerVisit, *, at: datetime) -> CancellationQuote:
    """What the customer would pay to cancel this booked visit at ``at``."""
    terms = visit_terms(visit.account.brand)
    if terms is None:
        return CancellationQuote(at, None, False, (), "")
    free_until = rules.free_cancellation_until(terms, slot_start=visit.slot_start)
    late = rules.late_cancellation(terms, slot_start=visit.slot_start, cancelled_at=at)
    lines = visit_charge_quote(visit, outcome=LATE_CANCELLATION) if late else ()
    return CancellationQuote(at, free_until, late, lines, terms.late_cancellation_clause)


def ticket_visits(ticket: Ticket) -> QuerySet[EngineerVisit]:
    return ticket.visits.select_related("account__brand").order_by("slot_start", "id")


def ticket_booked_visits(ticket: Ticket) -> QuerySet[EngineerVisit]:
    return ticket_visits(ticket).filter(state=VisitState.BOOKED)


def account_ticket_visit(account: Account, reference: str, visit_id: int) -> EngineerVisit:
    """A visit on one of this account's tickets only."""
    try:
        return EngineerVisit.objects.select_related("account__brand", "ticket").get(
            pk=visit_id, account=account, ticket__reference=reference.strip().upper()
        )
    except EngineerVisit.DoesNotExist:
        raise NotFound(f"no engineer visit {visit_id} on ticket {reference!r}") from None
