"""The abuse desk in the staff console: intake, the queues, cases, actions and statistics.

Every change goes through the abuse services; the console pages only collect input.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from backhaul.abuse import rules
from backhaul.abuse.choices import CaseStatus, Channel, Step
from backhaul.abuse.forms import DisclosureForm, StaffReportForm, StepForm
from backhaul.abuse.models import Case, CaseAction, CaseNote, CustomerAnswer, IntakeMessage, Report
from backhaul.abuse.selectors import abuse_terms_for, desk_statistics
from backhaul.abuse.services import (
    case_disclose,
    case_merge,
    case_note_add,
    case_take_step,
    cases_set_status,
    report_accept,
    report_assign,
    report_classify,
    report_release_reporter,
    report_submit,
    reports_resolve_again,
)
from backhaul.abuse.services.texts import category_label
from backhaul.console.confirm import confirm_action
from backhaul.core.errors import BackhaulError

RAW_SHOWN = 20000
STATISTICS_DAYS = 30


def _actor(request: HttpRequest) -> str:
    return str(request.user.get_username())


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(IntakeMessage)
class IntakeMessageAdmin(ModelAdmin):
    list_display = [
        "received_at",
        "reference",
        "channel",
        "format",
        "status",
        "reason",
        "reporter_email",
        "brand",
        "records",
    ]
    list_filter = ["status", "format", "channel", "brand"]
    search_fields = ["reference", "reporter_email", "subject", "message_id", "source"]
    date_hierarchy = "received_at"
    exclude = ["raw"]
    readonly_fields = ["raw_preview"]

    @display(description="Raw message as received")
    def raw_preview(self, obj: IntakeMessage) -> str:
        text = bytes(obj.raw).decode("utf-8", "replace")
        more = (
            f"\n[... shown {RAW_SHOWN} of {len(text)} characters]" if len(text) > RAW_SHOWN else ""
        )
        cut = " (stored truncated)" if obj.raw_truncated else ""
        return format_html(
            "<p>{} bytes received{}</p><pre style='white-space:pre-wrap'>{}{}</pre>",
            obj.raw_size,
            cut,
            text[:RAW_SHOWN],
            more,
        )

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReportStaffForm(forms.ModelForm):
    """Staff work on one report: name the account, give the category."""

    assign_account = forms.CharField(
        label="Assign to account",
        max_length=16,
        required=False,
        help_text="For an unresolved report: the account number it is about.",
    )
    set_category = forms.CharField(
        label="Set category",
        max_length=64,
        required=False,
        help_text="One of the brand's categories (spam, port-scan, ...).",
    )

    class Meta:
        model = Report
        fields: list[str] = []


@admin.register(Report)
class ReportAdmin(ModelAdmin):
    form = ReportStaffForm
    list_display = [
        "id",
        "received_at",
        "category",
        "ip",
        "port",
        "incident_at",
        "evidence_status",
        "resolution",
        "account",
        "case",
        "status",
    ]
    list_filter = ["status", "evidence_status", "resolution", "category", "format"]
    search_fields = ["ip", "account__number", "reporter_email", "message__reference"]
    date_hierarchy = "received_at"
    list_select_related = ["account", "case"]
    readonly_fields = [
        "message",
        "position",
        "status",
        "reason",
        "format",
        "category",
        "ip",
        "port",
        "incident_at",
        "time_source",
        "full_headers",
        "log_lines",
        "evidence_status",
        "evidence_reason",
        "resolution",
        "account",
        "case",
        "reporter_email",
        "reporter_name",
        "reporter_released",
        "details",
        "received_at",
        "evidence_text",
    ]
    fieldsets = [
        (None, {"fields": ["assign_account", "set_category"]}),
        ("Report", {"fields": readonly_fields}),
    ]
    actions = ["accept_evidence", "resolve_again", "release_reporter"]

    @display(description="Evidence")
    def evidence_text(self, obj: Report) -> str:
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", obj.evidence[:RAW_SHOWN])

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Staff entry of a report (from a phone call or the Help Assistant)."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:abuse_report_changelist"))
        now = timezone.now()
        form = StaffReportForm(request.POST or None, now=now)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                message = report_submit(
                    channel=Channel.STAFF,
                    brand_key=data["brand"],
                    reporter_email=data["reporter_email"],
                    reporter_name=data["reporter_name"],
                    category=data["category"],
                    ip=data["ip"] or None,
                    port=data["port"],
                    incident_at=data["incident_at"],
                    details=data["details"],
                    headers=data["headers"],
                    account_number=data["account"] or None,
                    acknowledge=data["acknowledge"],
                    actor=_actor(request),
                    now=now,
                )
            except BackhaulError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, f"Report taken as {message.reference}.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:abuse_report_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Enter an abuse report",
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/abuse/form_page.html", context)

    def save_model(self, request: HttpRequest, obj: Report, form: Any, change: bool) -> None:
        data, now, actor = form.cleaned_data, timezone.now(), _actor(request)
        try:
            if data.get("set_category"):
                report_classify(
                    report_id=obj.pk, category=data["set_category"].strip(), now=now, actor=actor
                )
            if data.get("assign_account"):
                report_assign(
                    report_id=obj.pk, account_number=data["assign_account"], now=now, actor=actor
                )
        except BackhaulError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    @action(description="Accept the evidence and attach to the case", permissions=["change"])
    @confirm_action
    def accept_evidence(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report in queryset[:200]:
            try:
                report_accept(report_id=report.pk, now=timezone.now(), actor=_actor(request))
            except BackhaulError as exc:
                self.message_user(request, f"R{report.pk}: {exc}", messages.WARNING)

    @action(description="Look up in the IP history again", permissions=["change"])
    @confirm_action
    def resolve_again(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        found = reports_resolve_again(
            report_ids=list(queryset.values_list("pk", flat=True)[:1000]),
            now=timezone.now(),
            actor=_actor(request),
        )
        self.message_user(request, f"{found} report(s) now resolve to an account.")

    @action(description="Release the reporter's identity to the customer", permissions=["change"])
    @confirm_action
    def release_reporter(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report in queryset[:200]:
            try:
                report_release_reporter(
                    report_id=report.pk, now=timezone.now(), actor=_actor(request)
                )
            except BackhaulError as exc:
                self.message_user(request, f"R{report.pk}: {exc}", messages.WARNING)


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"
    BUCKETS = {"1": (0, 1), "7": (1, 7), "30": (7, 30), "older": (30, None)}

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("1", "Opened today"),
            ("7", "1 to 7 days"),
            ("30", "7 to 30 days"),
            ("older", "Older than 30 days"),
        ]

    def queryset(self, request: Any, queryset: QuerySet[Case]) -> QuerySet[Case]:
        bucket = self.BUCKETS.get(self.value() or "")
        if bucket is None:
            return queryset
        now = timezone.now()
        low, high = bucket
        queryset = queryset.filter(opened_at__lte=now - timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(opened_at__gt=now - timedelta(days=high))
        return queryset


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ["incident_at", "ip", "port", "format", "reporter_email", "reporter_released"]
    readonly_fields = fields


class CaseActionInline(ReadOnlyInline):
    model = CaseAction
    fields = ["at", "kind", "clause", "detail", "deadline", "actor", "notice", "legal_basis"]
    readonly_fields = fields
    show_change_link = False


class CaseNoteInline(TabularInline):
    model = CaseNote
    extra = 1
    can_delete = False
    fields = ["text", "actor", "at"]
    readonly_fields = ["actor", "at"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class CustomerAnswerInline(ReadOnlyInline):
    model = CustomerAnswer
    fields = ["at", "text"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Case)
class CaseAdmin(ModelAdmin):
    list_display = [
        "reference_link",
        "account",
        "category",
        "status",
        "step",
        "deadline",
        "reports_count",
        "opened_at",
        "first_action_at",
        "repeat_offender",
    ]
    list_display_links = None
    list_filter = ["status", "category", "step", AgeFilter, "repeat_offender", "account__brand"]
    search_fields = ["account__number", "account__name"]
    date_hierarchy = "opened_at"
    list_select_related = ["account"]
    ordering = ["opened_at", "id"]
    readonly_fields = [
        "account",
        "category",
        "status",
        "step",
        "steps_taken",
        "deadline",
        "repeat_offender",
        "reports_count",
        "opened_at",
        "last_report_at",
        "first_action_at",
        "resolved_at",
        "merged_into",
    ]
    inlines = [CaseActionInline, CustomerAnswerInline, CaseNoteInline, ReportInline]
    actions = ["take_next_step", "mark_resolved", "reopen", "merge_selected"]
    actions_list = ["statistics"]
    actions_detail = ["choose_step", "disclose"]

    @display(description="Case", ordering="id")
    def reference_link(self, obj: Case) -> str:
        url = reverse("admin:abuse_case_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.reference)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not CaseNote:
            return
        for note_form in formset.forms:
            text = note_form.cleaned_data.get("text") if note_form.has_changed() else None
            if text:
                case_note_add(
                    case_id=form.instance.pk, text=text, now=timezone.now(), actor=_actor(request)
                )

    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        """The case itself changes only through its actions; notes are saved with it."""

    @action(description="Take the next ladder step", permissions=["change"])
    @confirm_action
    def take_next_step(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        taken = 0
        for case in queryset[:200]:
            try:
                case_take_step(case_id=case.pk, now=timezone.now(), actor=_actor(request))
            except BackhaulError as exc:
                self.message_user(request, f"{case.reference}: {exc}", messages.WARNING)
                continue
            taken += 1
        self.message_user(request, f"Ladder step taken on {taken} case(s).")

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Case], status: str) -> None:
        changed, refused = cases_set_status(
            case_ids=list(queryset.values_list("pk", flat=True)[:500]),
            status=status,
            now=timezone.now(),
            actor=_actor(request),
        )
        self.message_user(request, f"{changed} case(s) now {status}.")
        for reason in refused[:20]:
            self.message_user(request, reason, messages.WARNING)

    @action(description="Mark resolved (reinstating suspended services)", permissions=["change"])
    @confirm_action
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._set_status(request, queryset, CaseStatus.RESOLVED)

    @action(description="Reopen", permissions=["change"])
    @confirm_action
    def reopen(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._set_status(request, queryset, CaseStatus.OPEN)

    @action(description="Merge the selected cases into the oldest open one", permissions=["change"])
    @confirm_action
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        cases = list(queryset.order_by("opened_at", "id"))
        target = next(
            (c for c in cases if c.status == CaseStatus.OPEN), cases[0] if cases else None
        )
        if target is None:
            return
        try:
            merged = case_merge(
                case_ids=[c.pk for c in cases],
                into_id=target.pk,
                now=timezone.now(),
                actor=_actor(request),
            )
        except BackhaulError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Merged into {merged.reference}.", messages.SUCCESS)

    def _page(self, request: HttpRequest, title: str, **context: Any) -> HttpResponse:
        return render(
            request,
            "admin/abuse/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                **context,
            },
        )

    @action(description="Statistics", url_path="statistics", permissions=["view"])
    def statistics(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        end = timezone.localdate(now)
        stats = desk_statistics(start=end - timedelta(days=STATISTICS_DAYS - 1), end=end, now=now)
        categories = sorted({c for row in stats["reports_per_day"] for c in row["categories"]})
        peak = max((row["total"] for row in stats["reports_per_day"]), default=0) or 1
        days = [
            {
                **row,
                "cells": [row["categories"].get(c, 0) for c in categories],
                "width": round(100 * row["total"] / peak),
            }
            for row in stats["reports_per_day"]
        ]
        return render(
            request,
            "admin/abuse/statistics.html",
            {
                **self.admin_site.each_context(request),
                "title": "Abuse desk statistics",
                "opts": self.model._meta,
                "stats": stats,
                "categories": [(c, category_label(c)) for c in categories],
                "days": days,
            },
        )

    @action(description="Take a ladder step", url_path="step", permissions=["change"])
    @confirm_action("Take a ladder step")
    def choose_step(self, request: HttpRequest, object_id: str) -> HttpResponse:
        case = get_object_or_404(Case.objects.select_related("account__brand"), pk=object_id)
        terms = abuse_terms_for(case.account.brand)
        upcoming = [
            (rung.step, f"{Step(rung.step).label} ({rung.clause})")
            for index, rung in enumerate(terms.ladder)
            if index >= case.steps_taken
        ]
        natural = rules.next_step(
            terms, taken=case.steps_taken, repeat_offender=case.repeat_offender
        )
        form = StepForm(
            request.POST or None,
            steps=upcoming,
            initial={"step": natural.step if natural else None},
        )
        if request.method == "POST" and form.is_valid():
            try:
                case_take_step(
                    case_id=case.pk,
                    step=form.cleaned_data["step"],
                    now=timezone.now(),
                    actor=_actor(request),
                )
            except BackhaulError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, "Step taken; the customer has been notified.")
                return HttpResponseRedirect(reverse("admin:abuse_case_change", args=[case.pk]))
        return self._page(request, f"{case.reference}: take a ladder step", form=form, case=case)

    @action(description="Record a disclosure", url_path="disclose", permissions=["change"])
    @confirm_action("Record a disclosure to an authority")
    def disclose(self, request: HttpRequest, object_id: str) -> HttpResponse:
        case = get_object_or_404(Case.objects.select_related("account__brand"), pk=object_id)
        terms = abuse_terms_for(case.account.brand)
        form = DisclosureForm(request.POST or None, legal_bases=terms.disclosure_legal_bases)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                case_disclose(
                    case_id=case.pk,
                    authority=data["authority"],
                    legal_basis=data["legal_basis"],
                    reference=data["reference"],
                    detail=data["detail"],
                    now=timezone.now(),
                    actor=_actor(request),
                )
            except BackhaulError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, "Disclosure recorded.")
                return HttpResponseRedirect(reverse("admin:abuse_case_change", args=[case.pk]))
        return self._page(
            request, f"{case.reference}: record a disclosure to an authority", form=form, case=case
        )
