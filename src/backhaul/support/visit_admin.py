"""Staff console pages for engineer visits: booking one on a ticket, recording what
happened, cancelling or moving it. Every change goes through the visit services, whose
errors are shown next to the field they name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.decorators import action

from backhaul.console.confirm import confirm_action
from backhaul.core.errors import BackhaulError
from backhaul.core.money import format_amount
from backhaul.support import selectors
from backhaul.support.choices import CancelledBy, VisitState
from backhaul.support.forms import VisitBookForm, VisitUpdateForm, visit_label
from backhaul.support.models import EngineerVisit
from backhaul.support.services import (
    visit_book,
    visit_cancel,
    visit_complete,
    visit_reschedule,
)


def cancellation_text(visit: EngineerVisit, *, at: Any) -> str:
    """What a customer cancellation would cost now, in words, for staff and customers."""
    quote = selectors.visit_cancellation_quote(visit, at=at)
    if quote.free_until is None:
        return "The customer may cancel or move it without charge."
    until = timezone.localtime(quote.free_until)
    if not quote.late:
        return f"The customer may cancel or move it without charge until {until:%H:%M on %A %d %B}."
    total = quote.total
    return (
        f"Free cancellation ended at {until:%H:%M on %A %d %B}: a customer cancellation now "
        f"costs £{format_amount(total.net)} + £{format_amount(total.vat)} VAT = "
        f"£{format_amount(total.gross)} ({quote.clause})."
    )


@admin.register(EngineerVisit)
class EngineerVisitAdmin(ModelAdmin):
    list_display = ["slot_start", "account", "ticket", "purpose", "state", "outcome"]
    list_filter = ["state", "purpose", "outcome", "account__brand"]
    search_fields = ["account__number", "ticket__reference"]
    date_hierarchy = "slot_start"
    readonly_fields = [
        "account",
        "ticket",
        "subscription",
        "purpose",
        "slot_start",
        "slot_end",
        "booked_at",
        "booked_by",
        "rescheduled_from",
        "state",
        "cancelled_at",
        "cancelled_by",
        "outcome",
        "time_on_site",
        "completed_at",
        "charges",
    ]
    actions_list = ["book_visit"]
    actions_detail = ["update_visit"]

    @action(description="Book a visit", url_path="go-book", permissions=["change"])
    def book_visit(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:support_engineervisit_book"))

    @action(
        description="Record outcome, cancel or move", url_path="go-update", permissions=["change"]
    )
    def update_visit(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:support_engineervisit_update", args=[object_id]))

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        # Visits are booked through the visit service ("Book a visit"), which checks the
        # slot, pauses the fault clock and tells the customer.
        return False

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("book/", wrap(self.book_view), name="support_engineervisit_book"),
            path("<int:pk>/update/", wrap(self.update_view), name="support_engineervisit_update"),
            *super().get_urls(),
        ]

    def _page(
        self, request: HttpRequest, *, title: str, form: Any, intro: list[str], pending: bool
    ) -> HttpResponse:
        return render(
            request,
            "admin/support/form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "form": form,
                "intro": intro,
                "pending": pending,
            },
        )

    @confirm_action("Book an engineer visit")
    def book_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = VisitBookForm(
            request.POST or None, initial={"ticket": request.GET.get("ticket", "")}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            ticket = data["ticket"]
            try:
                visit = visit_book(
                    account=ticket.account,
                    ticket=ticket,
                    slot_start=data["slot_start"],
                    slot_end=data["slot_end"],
                    purpose=data["purpose"],
                    now=timezone.now(),
                    booked_by=request.user.get_username(),
                )
            except BackhaulError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request, f"Visit {visit.pk} booked on {ticket.reference}: {visit_label(visit)}."
                )
                return HttpResponseRedirect(reverse("admin:support_ticket_act", args=[ticket.pk]))
        return self._page(
            request,
            title="Book an engineer visit",
            form=form,
            intro=["Times are London time."],
            pending=True,
        )

    @confirm_action("Record the visit: outcome, cancellation or move")
    def update_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        visit = get_object_or_404(
            EngineerVisit.objects.select_related("account__brand", "ticket"), pk=pk
        )
        form = VisitUpdateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            user = request.user.get_username()
            now = timezone.now()
            act = data["action"]
            by = CancelledBy.CUSTOMER if act.endswith("customer") else CancelledBy.PROVIDER
            try:
                if act == "complete":
                    minutes = data["minutes_on_site"]
                    visit_complete(
                        visit=visit,
                        outcome=data["outcome"],
                        now=now,
                        actor=user,
                        time_on_site=timedelta(minutes=minutes) if minutes is not None else None,
                    )
                elif act.startswith("cancel"):
                    visit_cancel(visit=visit, now=now, by=by, actor=user)
                else:
                    visit = visit_reschedule(
                        visit=visit,
                        slot_start=data["slot_start"],
                        slot_end=data["slot_end"],
                        now=now,
                        by=by,
                        actor=user,
                    )
            except BackhaulError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, f"Visit {visit.pk} updated.")
                return HttpResponseRedirect(
                    reverse("admin:support_engineervisit_change", args=[visit.pk])
                )
        intro = [f"{visit.get_purpose_display()}: {visit_label(visit)}."]
        if visit.ticket is not None:
            intro.append(f"Ticket {visit.ticket.reference}: {visit.ticket.subject}.")
        if visit.state == VisitState.BOOKED:
            intro.append(cancellation_text(visit, at=timezone.now()))
        return self._page(
            request,
            title=f"Engineer visit {visit.pk}",
            form=form,
            intro=intro,
            pending=visit.state == VisitState.BOOKED,
        )
