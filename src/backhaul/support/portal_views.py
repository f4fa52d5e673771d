"""Member Centre pages for Help Assistant tickets and claims.

Every object is looked up through the signed-in customer's account, so another
customer's ticket, claim or attachment is simply not found.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backhaul.core.errors import BackhaulError, NotFound
from backhaul.core.money import format_amount
from backhaul.customers.models import Account
from backhaul.portal.access import customer_required
from backhaul.support import rules, selectors
from backhaul.support.choices import (
    AuthorKind,
    CancelledBy,
    ClaimKind,
    ClaimStatus,
    RaisedVia,
    TicketCategory,
    TicketState,
    VisitState,
)
from backhaul.support.forms import (
    PhoneClaimForm,
    RaiseTicketForm,
    ReopenForm,
    ReplyForm,
    uploads_from,
)
from backhaul.support.models import Claim, Ticket, TicketAttachment
from backhaul.support.presentation import clock_bars
from backhaul.support.services import (
    claim_make,
    claim_phone_compensation,
    ticket_confirm,
    ticket_raise,
    ticket_reopen,
    ticket_reply,
    visit_cancel,
)


def _author(request: HttpRequest, account: Account) -> str:
    user: Any = request.user
    return user.get_full_name() or user.get_username() or account.name


def _row_bars(row: selectors.QueueRow) -> list[Any]:
    return clock_bars(row.clocks, prefix=row.ticket.reference)


@customer_required
def ticket_list(request: HttpRequest, account: Account) -> HttpResponse:
    now = timezone.now()
    rows = selectors.queue_rows(selectors.account_tickets(account), at=now)
    tickets = [{"row": row, "bars": _row_bars(row)} for row in rows]
    return render(
        request,
        "support/ticket_list.html",
        {
            "account": account,
            "open": [t for t in tickets if t["row"].ticket.state != TicketState.CLOSED],
            "closed": [t for t in tickets if t["row"].ticket.state == TicketState.CLOSED],
        },
    )


@customer_required
def ticket_new(request: HttpRequest, account: Account) -> HttpResponse:
    form = RaiseTicketForm(request.POST or None, request.FILES or None, account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = ticket_raise(
                account=account,
                category=data["category"],
                subject=data["subject"],
                body=data["description"],
                now=timezone.now(),
                raised_via=RaisedVia.PORTAL,
                raised_by=_author(request, account),
                subscription=data.get("subscription"),
                contact=data.get("contact"),
                uploads=uploads_from(data["attachments"]),
            )
        except BackhaulError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, f"Ticket {ticket.reference} is raised. Quote it when you contact us."
            )
            return redirect("support:ticket", reference=ticket.reference)
    return render(request, "support/ticket_new.html", {"account": account, "form": form})


def _ticket_or_404(account: Account, reference: str) -> Ticket:
    try:
        return selectors.account_ticket(account, reference)
    except NotFound:
        raise Http404("No such ticket on your account.") from None


def _claim_offer(ticket: Ticket, sla: rules.SlaResult | None, now: datetime) -> dict[str, Any]:
    """Whether the customer can claim against this fault, and until when."""
    if ticket.category != TicketCategory.FAULT or sla is None or sla.resolved_at is None:
        return {}
    if ticket.claims.filter(
        kind__in=[ClaimKind.SERVICE_CREDIT, ClaimKind.UPTIME_GUARANTEE]
    ).exists():
        return {}
    brand = ticket.account.brand
    policy = selectors.ticket_policy(ticket)
    terms = policy.service_credit or policy.uptime_guarantee if policy is not None else None
    if terms is None:
        return {}
    calendar = selectors.working_time_for(brand)
    last: date = rules.claim_deadline(sla.resolved_at, terms.claim_working_days, calendar)
    return {
        "last_day": last,
        "open": timezone.localdate(now) <= last,
        "kind": "service credit" if policy and policy.service_credit else "Uptime Guarantee",
        "clause": terms.claim_clause,
        "missed": sla.credit > 0,
    }


def _phone_offer(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Whether the customer can claim compensation for a missed engineer appointment on
    this fault (plusnet-business/business-phone-schedule#2.2-2.4), and until when."""
    terms = selectors.phone_compensation_terms(ticket.account.brand)
    if terms is None or ticket.category != TicketCategory.FAULT:
        return {}
    product = ticket.subscription.product.key if ticket.subscription else None
    if terms.products and product not in terms.products:
        return {}
    if ticket.claims.filter(kind=ClaimKind.PHONE_COMPENSATION).exists():
        return {}
    visits = (
        selectors.ticket_visits(ticket)
        .filter(slot_start__lte=now)
        .exclude(state=VisitState.CANCELLED)
    )
    if not visits.exists():
        return {}
    last: date = rules.phone_claim_deadline(ticket.created_at, terms.claim_days)
    return {
        "open": timezone.localdate(now) <= last,
        "last_day": last,
        "visits": visits,
        "max": terms.max_per_line_per_year,
        "max_clause": terms.max_clause,
        "claim_clause": terms.claim_clause,
        "clause": terms.clause,
        "exclusions": [(key.replace("-", " "), clause) for key, clause in terms.exclusions.items()],
    }


def _visit_rows(ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for visit in selectors.ticket_visits(ticket):
        quote = (
            selectors.visit_cancellation_quote(visit, at=now)
            if visit.state == VisitState.BOOKED and visit.slot_start > now
            else None
        )
        rows.append({"visit": visit, "quote": quote})
    return rows


@customer_required
def ticket_detail(request: HttpRequest, account: Account, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(account, reference)
    return _render_detail(request, account, ticket)


def _render_detail(
    request: HttpRequest,
    account: Account,
    ticket: Ticket,
    *,
    form: ReplyForm | None = None,
    reopen_form: ReopenForm | None = None,
    phone_form: PhoneClaimForm | None = None,
) -> HttpResponse:
    now = timezone.now()
    (row,) = selectors.queue_rows([ticket], at=now)
    thread = (
        ticket.messages.filter(internal=False).prefetch_related("attachments").order_by("at", "id")
    )
    phone = _phone_offer(ticket, now)
    if phone and phone_form is None:
        phone_form = PhoneClaimForm(visits=phone["visits"])
    forms = [f for f in (form, reopen_form, phone_form) if f is not None]
    return render(
        request,
        "support/ticket_detail.html",
        {
            "account": account,
            "ticket": ticket,
            "row": row,
            "bars": _row_bars(row),
            "thread": thread,
            "form": form or ReplyForm(),
            "reopen_form": reopen_form or ReopenForm(),
            "claim": _claim_offer(ticket, row.sla, now),
            "phone": phone,
            "phone_form": phone_form,
            "claims": ticket.claims.order_by("-claimed_at"),
            "visits": _visit_rows(ticket, now),
            "can_reply": ticket.state != TicketState.CLOSED,
            "can_confirm": ticket.state == TicketState.RESOLVED,
        },
        status=400 if any(f.errors for f in forms) else 200,
    )


@customer_required
@require_POST
def ticket_reply_view(request: HttpRequest, account: Account, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(account, reference)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ticket_reply(
                ticket=ticket,
                author_kind=AuthorKind.CUSTOMER,
                author_name=_author(request, account),
                body=form.cleaned_data["body"],
                now=timezone.now(),
                uploads=uploads_from(form.cleaned_data["attachments"]),
            )
        except BackhaulError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Your message is added to the ticket.")
            return redirect("support:ticket", reference=ticket.reference)
    return _render_detail(request, account, ticket, form=form)


@customer_required
@require_POST
def ticket_confirm_view(request: HttpRequest, account: Account, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(account, reference)
    try:
        ticket_confirm(ticket=ticket, now=timezone.now(), by=_author(request, account))
    except BackhaulError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Thank you: ticket {ticket.reference} is closed.")
    return redirect("support:ticket", reference=ticket.reference)


@customer_required
@require_POST
def ticket_reopen_view(request: HttpRequest, account: Account, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(account, reference)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            ticket_reopen(
                ticket=ticket,
                now=timezone.now(),
                by=_author(request, account),
                author_kind=AuthorKind.CUSTOMER,
                reason=form.cleaned_data["reason"],
            )
        except BackhaulError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Ticket {ticket.reference} is reopened: we are on it.")
            return redirect("support:ticket", reference=ticket.reference)
    ticket = _ticket_or_404(account, reference)
    return _render_detail(request, account, ticket, reopen_form=form)


@customer_required
@require_POST
def ticket_phone_claim_view(request: HttpRequest, account: Account, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(account, reference)
    phone = _phone_offer(ticket, timezone.now())
    if not phone or not phone["open"]:
        messages.error(request, "There is no missed appointment to claim for on this ticket.")
        return redirect("support:ticket", reference=ticket.reference)
    form = PhoneClaimForm(request.POST, visits=phone["visits"])
    if form.is_valid():
        try:
            claim = claim_phone_compensation(
                visit=form.cleaned_data["visit"],
                now=timezone.now(),
                claimed_by=_author(request, account),
            )
        except BackhaulError as exc:
            form.add_service_error(exc)
        else:
            if claim.status == ClaimStatus.REJECTED:
                messages.error(request, "Your claim cannot be accepted: the reasons are below.")
            else:
                messages.success(request, "Your claim is made. We will tell you our decision.")
            return redirect("support:ticket", reference=ticket.reference)
    return _render_detail(request, account, ticket, phone_form=form)


@customer_required
def visit_cancel_view(
    request: HttpRequest, account: Account, reference: str, visit_id: int
) -> HttpResponse:
    """Cancel a booked engineer visit, after showing what it costs now."""
    try:
        visit = selectors.account_ticket_visit(account, reference, visit_id)
    except NotFound:
        raise Http404("No such appointment on your account.") from None
    now = timezone.now()
    quote = selectors.visit_cancellation_quote(visit, at=now)
    error = ""
    if request.method == "POST" and visit.state == VisitState.BOOKED:
        shown = request.POST.get("quoted", "")
        if shown != format_amount(quote.total.gross):
            error = (
                "The cost of cancelling has changed since the page was shown: "
                "please read it again before you confirm."
            )
        else:
            try:
                visit_cancel(
                    visit=visit, now=now, by=CancelledBy.CUSTOMER, actor=_author(request, account)
                )
            except BackhaulError as exc:
                error = str(exc)
            else:
                messages.success(request, "The engineer appointment is cancelled.")
                return redirect("support:ticket", reference=visit.ticket.reference)
    return render(
        request,
        "support/visit_cancel.html",
        {
            "account": account,
            "visit": visit,
            "ticket": visit.ticket,
            "quote": quote,
            "quoted": format_amount(quote.total.gross),
            "can_cancel": visit.state == VisitState.BOOKED and visit.slot_start > now,
            "error": error,
        },
        status=409 if error else 200,
    )


@customer_required
@require_POST
def ticket_claim_view(request: HttpRequest, account: Account, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(account, reference)
    try:
        claim = claim_make(ticket=ticket, now=timezone.now(), claimed_by=_author(request, account))
    except BackhaulError as exc:
        messages.error(request, str(exc))
        return redirect("support:ticket", reference=ticket.reference)
    if claim.status == "rejected":
        messages.error(request, "Your claim cannot be accepted: the reasons are listed below.")
    else:
        messages.success(request, "Your claim is made. We will tell you our decision.")
    return redirect("support:claims")


@customer_required
def claim_list(request: HttpRequest, account: Account) -> HttpResponse:
    claims = (
        Claim.objects.filter(account=account)
        .select_related("ticket", "visit", "site")
        .order_by("-claimed_at", "-id")
    )
    return render(request, "support/claim_list.html", {"account": account, "claims": claims})


@customer_required
def attachment_download(request: HttpRequest, account: Account, pk: int) -> HttpResponse:
    try:
        attachment = TicketAttachment.objects.get(
            pk=pk, message__ticket__account=account, message__internal=False
        )
    except TicketAttachment.DoesNotExist:
        raise Http404("No such attachment on your account.") from None
    response = HttpResponse(bytes(attachment.content), content_type="application/octet-stream")
    safe_name = attachment.filename.replace('"', "").replace("\n", " ")
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
