"""Staff console pages for support: the ticket queue with SLA clocks, raising a ticket from
a phone call, working a ticket, deciding claims, engineer visits, complaints and the
hosting monitor. Every change goes through the support services."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action

from backhaul.console.confirm import confirm_action
from backhaul.contracts.models import Subscription
from backhaul.core.errors import BackhaulError
from backhaul.customers.services import account_get
from backhaul.support import selectors
from backhaul.support.choices import (
    AuthorKind,
    ClaimStatus,
    ComplaintOutcome,
    EventType,
    PauseReason,
    RaisedVia,
    TicketCategory,
)
from backhaul.support.forms import ServiceErrorsMixin
from backhaul.support.models import (
    Claim,
    Complaint,
    MonitoredSite,
    SiteCheck,
    SiteOutage,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from backhaul.support.presentation import duration_text
from backhaul.support.services import (
    claim_decide,
    complaint_answer_escalation,
    complaint_escalate,
    complaint_resolve,
    complaint_respond,
    ticket_event_add,
    ticket_raise,
    ticket_reopen,
    ticket_reply,
)

_local = threading.local()


@contextmanager
def _clock_cache() -> Iterator[None]:
    """Read each ticket's clocks once per page (list columns are called per cell)."""
    _local.rows, _local.memo = {}, {}
    try:
        yield
    finally:
        _local.rows, _local.memo = None, None


def _row(ticket: Ticket) -> selectors.QueueRow:
    cache = getattr(_local, "rows", None)
    if cache is not None and ticket.pk in cache:
        return cache[ticket.pk]
    (row,) = selectors.queue_rows([ticket], at=timezone.now(), memo=getattr(_local, "memo", None))
    if cache is not None:
        cache[ticket.pk] = row
    return row


def clock_cell(row: selectors.QueueRow, name: str) -> str:
    clock = next((c for c in row.clocks if c.name == name), None)
    if clock is None:
        return "—"
    if clock.breached:
        return format_html(
            '<strong style="color:#cf222e">breached</strong> by {}',
            duration_text(clock.used - clock.target),
        )
    if clock.stopped_at is not None:
        return format_html(
            '<span style="color:#1a7f37">met</span> ({} used)', duration_text(clock.used)
        )
    left = duration_text(clock.remaining)
    if clock.paused:
        return format_html("paused, {} left", left)
    due = timezone.localtime(clock.due) if clock.due else None
    return format_html("{} left{}", left, f" (due {due:%a %d %b %H:%M})" if due else "")


class TicketEventInline(TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["at", "type", "reason", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class TicketMessageInline(TabularInline):
    model = TicketMessage
    extra = 0
    can_delete = False
    fields = ["at", "author_kind", "author_name", "internal", "body"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class StaffRaiseForm(forms.Form):
    account = forms.CharField(label="Account number")
    category = forms.ChoiceField(choices=TicketCategory.choices)
    subscription = forms.IntegerField(
        label="Service (subscription id)", required=False, help_text="Required for a fault"
    )
    subject = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))


class TicketActionForm(ServiceErrorsMixin, forms.Form):
    FIELD_OF_PREFIX = {"message": "body", "reason": "reason"}
    ACTIONS = [
        ("reply", "Reply to the customer"),
        ("note", "Internal note"),
        ("pause", "Pause the clock"),
        ("resume", "Resume the clock"),
        ("resolve", "Resolve"),
        ("reopen", "Reopen: the fault is still there (say why in the message)"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.ChoiceField(choices=[("", "—"), *PauseReason.choices], required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)


@admin.register(Ticket)
class TicketAdmin(ModelAdmin):
    list_display = [
        "reference",
        "account",
        "category",
        "state",
        "care_level",
        "created_at",
        "response_clock",
        "resolution_clock",
    ]
    list_filter = ["state", "category", "care_level", "raised_via", "account__brand"]
    search_fields = ["reference", "subject", "account__number", "account__name"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference",
        "account",
        "subscription",
        "contact",
        "category",
        "subject",
        "care_level",
        "raised_via",
        "raised_by",
        "state",
        "pending_reason",
        "created_at",
        "first_response_at",
        "resolved_at",
        "auto_close_at",
        "closed_at",
        "close_reason",
        "clocks",
    ]
    inlines = [TicketEventInline, TicketMessageInline]
    actions_list = ["open_queue", "raise_from_call"]
    actions_detail = ["work_ticket"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.tickets_with_events().select_related("complaint")

    @action(description="Queue with SLA clocks", url_path="go-queue", permissions=["view"])
    def open_queue(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:support_ticket_queue"))

    @action(description="Raise from a call", url_path="go-raise", permissions=["change"])
    def raise_from_call(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:support_ticket_raise"))

    @action(description="Work this ticket", url_path="go-act", permissions=["change"])
    def work_ticket(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:support_ticket_act", args=[object_id]))

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        # Tickets are raised through the ticket service ("Raise from a call"), which takes
        # the reference, starts the clock and notifies the nominated contact.
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        with _clock_cache():
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response

    @admin.display(description="Response")
    def response_clock(self, obj: Ticket) -> str:
        return clock_cell(_row(obj), "response")

    @admin.display(description="Resolution")
    def resolution_clock(self, obj: Ticket) -> str:
        row = _row(obj)
        return clock_cell(row, "resolution") if row.sla else clock_cell(row, "first response")

    @admin.display(description="SLA clocks")
    def clocks(self, obj: Ticket) -> str:
        row = _row(obj)
        if not row.clocks:
            return "No clock applies."
        return format_html_join(
            "",
            "<p><strong>{}</strong>: {}</p>",
            ((c.name, clock_cell(row, c.name)) for c in row.clocks),
        )

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("queue/", wrap(self.queue_view), name="support_ticket_queue"),
            path("raise/", wrap(self.raise_view), name="support_ticket_raise"),
            path("<int:pk>/act/", wrap(self.act_view), name="support_ticket_act"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta}

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        rows = selectors.open_queue(at=now)
        lines = [
            {
                "row": row,
                "response": clock_cell(row, "response")
                if row.sla
                else clock_cell(row, "first response"),
                "resolution": clock_cell(row, "resolution")
                if row.sla
                else clock_cell(row, "escalated answer"),
            }
            for row in rows
        ]
        return render(
            request,
            "admin/support/queue.html",
            {**self._context(request, "Support queue"), "lines": lines, "now": now},
        )

    @confirm_action("Raise a ticket from a call")
    def raise_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = StaffRaiseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                account = account_get(data["account"])
                subscription = None
                if data["subscription"]:
                    subscription = Subscription.objects.filter(
                        pk=data["subscription"], account=account
                    ).first()
                    if subscription is None:
                        raise BackhaulError("service: not a service of this account")
                ticket = ticket_raise(
                    account=account,
                    category=data["category"],
                    subject=data["subject"],
                    body=data["description"],
                    now=timezone.now(),
                    raised_via=RaisedVia.PHONE,
                    raised_by=request.user.get_username(),
                    subscription=subscription,
                )
            except BackhaulError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"Ticket {ticket.reference} raised; read it to the caller."
                )
                return HttpResponseRedirect(reverse("admin:support_ticket_act", args=[ticket.pk]))
        return render(
            request,
            "admin/support/form.html",
            {**self._context(request, "Raise a ticket from a call"), "form": form},
        )

    @confirm_action("Act on the ticket")
    def act_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        ticket = get_object_or_404(selectors.tickets_with_events(), pk=pk)
        form = TicketActionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            user = request.user.get_username()
            now = timezone.now()
            try:
                if data["action"] == "reopen":
                    ticket_reopen(
                        ticket=ticket,
                        now=now,
                        by=user,
                        author_kind=AuthorKind.STAFF,
                        reason=data["body"],
                    )
                elif data["action"] in ("reply", "note"):
                    ticket_reply(
                        ticket=ticket,
                        author_kind=AuthorKind.STAFF,
                        author_name=user,
                        body=data["body"],
                        now=now,
                        internal=data["action"] == "note",
                    )
                else:
                    kind = {
                        "pause": EventType.PAUSED,
                        "resume": EventType.RESUMED,
                        "resolve": EventType.RESOLVED,
                    }[data["action"]]
                    if data["body"].strip():
                        ticket_reply(
                            ticket=ticket,
                            author_kind=AuthorKind.STAFF,
                            author_name=user,
                            body=data["body"],
                            now=now,
                        )
                        ticket.refresh_from_db()
                    ticket_event_add(
                        ticket=ticket, type=kind, at=now, actor=user, reason=data["reason"]
                    )
            except BackhaulError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, f"{ticket.reference}: done.")
                return HttpResponseRedirect(reverse("admin:support_ticket_act", args=[ticket.pk]))
        ticket = get_object_or_404(selectors.tickets_with_events(), pk=pk)
        (row,) = selectors.queue_rows([ticket], at=timezone.now())
        return render(
            request,
            "admin/support/ticket_act.html",
            {
                **self._context(request, f"Ticket {ticket.reference}"),
                "ticket": ticket,
                "form": form,
                "clocks": [(c.name, clock_cell(row, c.name)) for c in row.clocks],
                "thread": ticket.messages.order_by("at", "id"),
                "visits": selectors.ticket_visits(ticket),
            },
        )


class ClaimDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", "Accept (the rules work out the amount)"), ("0", "Decline")],
        coerce=lambda v: v == "1",
    )
    exclusions = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    circumstances = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Claim)
class ClaimAdmin(ModelAdmin):
    list_display = ["claimed_at", "account", "kind", "ticket", "status", "amount", "decided_by"]
    list_filter = ["status", "kind", "account__brand"]
    search_fields = ["account__number", "ticket__reference"]
    date_hierarchy = "claimed_at"
    readonly_fields = [
        "account",
        "kind",
        "ticket",
        "visit",
        "subscription",
        "site",
        "period_start",
        "claimed_at",
        "status",
        "amount",
        "vat_treatment",
        "clause_id",
        "decision_reasons",
        "exclusions",
        "circumstances",
        "decided_at",
        "decided_by",
        "charge_key",
    ]
    exclude = ["reasons"]
    actions_detail = ["decide_claim"]

    @action(description="Decide", url_path="go-decide", permissions=["change"])
    def decide_claim(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:support_claim_decide", args=[object_id]))

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description="Reasons")
    def decision_reasons(self, obj: Claim) -> str:
        return format_html_join(
            "", "<p>{} <small>({})</small></p>", ((r["text"], r["clause"]) for r in obj.reasons)
        )

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", wrap(self.decide_view), name="support_claim_decide"),
            *super().get_urls(),
        ]

    @confirm_action("Decide the claim")
    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(Claim.objects.select_related("account__brand"), pk=pk)
        brand = claim.account.brand
        terms: Any = selectors.service_credit_terms(brand) or selectors.uptime_guarantee_terms(
            brand
        )
        if claim.kind == "phone-compensation":
            terms = selectors.phone_compensation_terms(brand)
        form = ClaimDecisionForm(request.POST or None)
        form.fields["exclusions"].choices = [(k, k) for k in (terms.exclusions if terms else {})]
        form.fields["circumstances"].choices = [
            (k, k) for k in getattr(terms, "circumstances", {}) or {}
        ]
        if request.method == "POST" and form.is_valid():
            try:
                claim = claim_decide(
                    claim=claim,
                    now=timezone.now(),
                    decided_by=request.user.get_username(),
                    accept=form.cleaned_data["accept"],
                    exclusions=form.cleaned_data["exclusions"],
                    circumstances=form.cleaned_data["circumstances"],
                    note=form.cleaned_data["note"],
                )
            except BackhaulError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Claim {claim.pk} {claim.status}: £{claim.amount}.")
                return HttpResponseRedirect(reverse("admin:support_claim_change", args=[claim.pk]))
        return render(
            request,
            "admin/support/form.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Decide claim {claim.pk}: {claim.get_kind_display()}",
                "opts": self.model._meta,
                "form": form,
                "intro": [f"{r['text']} ({r['clause']})" for r in claim.reasons],
                "pending": claim.status == ClaimStatus.PENDING,
            },
        )


class ComplaintForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("respond", "First response"),
            ("escalate", "Escalate to management"),
            ("answer", "Answer the escalation"),
            ("resolve", "Resolve with an outcome"),
            ("deadlock", "Resolve with a deadlock letter"),
        ]
    )
    manager = forms.CharField(required=False)
    outcome = forms.ChoiceField(choices=[("", "—"), *ComplaintOutcome.choices], required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))


@admin.register(Complaint)
class ComplaintAdmin(ModelAdmin):
    list_display = ["ticket", "account", "stage", "received_at", "clocks", "adr_from"]
    list_filter = ["stage", "outcome", "account__brand"]
    search_fields = ["ticket__reference", "account__number"]
    readonly_fields = [
        "ticket",
        "account",
        "stage",
        "received_at",
        "handler",
        "first_response_at",
        "escalated_at",
        "escalated_to",
        "escalated_answered_at",
        "resolved_at",
        "outcome",
        "outcome_summary",
        "deadlock_at",
        "adr_notified_at",
    ]
    actions_detail = ["work_complaint"]

    @action(description="Respond, escalate or resolve", url_path="go-act", permissions=["change"])
    def work_complaint(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:support_complaint_act", args=[object_id]))

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("ticket", "account__brand")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description="Clocks")
    def clocks(self, obj: Complaint) -> str:
        clocks = selectors.complaint_clocks_of(obj, at=timezone.now())
        if not clocks.clocks:
            return "—"
        row = selectors.QueueRow(ticket=obj.ticket, sla=None, complaint=clocks)
        return format_html_join(
            "", "<div>{}: {}</div>", ((c.name, clock_cell(row, c.name)) for c in clocks.clocks)
        )

    @admin.display(description="ADR from")
    def adr_from(self, obj: Complaint) -> datetime | None:
        return selectors.complaint_clocks_of(obj, at=timezone.now()).adr_available_from

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/act/", wrap(self.act_view), name="support_complaint_act"),
            *super().get_urls(),
        ]

    @confirm_action("Act on the complaint")
    def act_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        complaint = get_object_or_404(Complaint.objects.select_related("ticket"), pk=pk)
        form = ComplaintForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            user = request.user.get_username()
            now = timezone.now()
            try:
                action = data["action"]
                if action == "respond":
                    complaint_respond(complaint=complaint, now=now, by=user, body=data["body"])
                elif action == "escalate":
                    complaint_escalate(
                        complaint=complaint,
                        now=now,
                        by=user,
                        manager=data["manager"],
                        history=data["body"],
                    )
                elif action == "answer":
                    complaint_answer_escalation(
                        complaint=complaint, now=now, by=user, body=data["body"]
                    )
                else:
                    complaint_resolve(
                        complaint=complaint,
                        now=now,
                        by=user,
                        outcome=data["outcome"],
                        summary=data["body"],
                        deadlock=action == "deadlock",
                    )
            except BackhaulError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Complaint {complaint.ticket.reference} updated.")
                return HttpResponseRedirect(
                    reverse("admin:support_complaint_change", args=[complaint.pk])
                )
        return render(
            request,
            "admin/support/form.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Complaint {complaint.ticket.reference}",
                "opts": self.model._meta,
                "form": form,
                "pending": complaint.resolved_at is None,
            },
        )


class SiteOutageInline(TabularInline):
    model = SiteOutage
    extra = 0
    can_delete = False
    fields = ["started_at", "ended_at", "first_error"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(MonitoredSite)
class MonitoredSiteAdmin(ModelAdmin):
    list_display = ["url", "account", "active", "last_checked_at", "last_up"]
    list_filter = ["active", "last_up"]
    search_fields = ["url", "account__number"]
    readonly_fields = ["account", "subscription", "url", "created_at", "last_checked_at", "last_up"]
    fields = [
        "account",
        "subscription",
        "url",
        "active",
        "created_at",
        "last_checked_at",
        "last_up",
    ]
    inlines = [SiteOutageInline]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        # Sites are added with `backhaul monitor add`, which checks the URL and account.
        return False


@admin.register(SiteCheck)
class SiteCheckAdmin(ModelAdmin):
    list_display = ["at", "site", "up", "status_code", "error", "elapsed_ms"]
    list_filter = ["up"]
    search_fields = ["site__url"]
    date_hierarchy = "at"

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


# Engineer visits are registered from their own module (booking, outcome, cancel, move).
from backhaul.support import visit_admin  # noqa: E402, F401
