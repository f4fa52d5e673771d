"""Staff console for payments and credit control.

"Credit control accounts" is the working page: an account's balance, statement, interest,
ladder, disputes and services, with forms to record payments, failures, refunds and
set-offs, hold the ladder, log contact attempts, charge interest and record a service
leaving. The other pages list the records those actions keep; they are read-only, because
every change goes through a service that checks it against the terms.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.decorators import action

from backhaul.console.confirm import confirm_action
from backhaul.contracts.models import Subscription
from backhaul.core.errors import BackhaulError, InvalidInput
from backhaul.core.money import format_amount, parse_amount
from backhaul.payments import selectors
from backhaul.payments.forms import (
    ContactForm,
    DepartureForm,
    FailureForm,
    HoldForm,
    InterestForm,
    PaymentForm,
    RefundForm,
    ResolveForm,
    SetOffForm,
    show_error,
)
from backhaul.payments.models import (
    CardAuthority,
    CollectionCase,
    ContactAttempt,
    CreditControlAccount,
    Departure,
    Dispute,
    DunningState,
    DunningStep,
    EquipmentReturn,
    InterestCharge,
    Mandate,
    Payment,
    PaymentFailure,
    Refund,
    SetOff,
)
from backhaul.payments.services import (
    collection_open,
    collections_export,
    contact_attempt_record,
    departure_record,
    dispute_resolve,
    dunning_hold,
    dunning_release,
    dunning_review,
    equipment_package_received,
    equipment_returned,
    interest_charge,
    interest_summary,
    payment_failure_record,
    payment_record,
    reactivation_fee_charge,
    refund_record,
    setoff_apply,
)


class ReadOnlyAdmin(ModelAdmin):
    """Records kept as proof: listed and shown, changed only through the services."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


def _forms(account: Any, data: Any = None, which: str = "") -> dict[str, Any]:
    today = timezone.localdate()
    subscriptions = [
        (str(s.pk), f"S{s.pk} {s.product.name} ({s.get_status_display()})")
        for s in Subscription.objects.filter(account=account).select_related("product")
    ]
    initial = {"on": today}
    built = {
        "payment": PaymentForm,
        "failure": FailureForm,
        "refund": RefundForm,
        "setoff": SetOffForm,
        "hold": HoldForm,
        "contact": ContactForm,
        "interest": InterestForm,
    }
    forms = {
        name: cls(data if name == which else None, initial=initial, prefix=name)
        for name, cls in built.items()
    }
    forms["departure"] = DepartureForm(
        data if which == "departure" else None,
        initial=initial,
        prefix="departure",
        subscriptions=subscriptions,
    )
    return forms


@admin.register(CreditControlAccount)
class CreditControlAccountAdmin(ModelAdmin):
    list_display = ["number", "name", "brand", "balance", "overdue", "ladder"]
    list_filter = ["brand", "status"]
    search_fields = ["number", "name", "primary_email"]
    list_per_page = 50

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description="Balance")
    def balance(self, obj: Any) -> str:
        return f"£{format_amount(selectors.account_ledger(obj, on=timezone.localdate()).balance)}"

    @admin.display(description="Overdue")
    def overdue(self, obj: Any) -> str:
        today = timezone.localdate()
        book = selectors.account_ledger(obj, on=today)
        return f"£{format_amount(sum((v for _, v in book.overdue(on=today)), Decimal(0)))}"

    @admin.display(description="Ladder")
    def ladder(self, obj: Any) -> str:
        state = DunningState.objects.filter(account=obj).first()
        if state is None or (state.cycle_started_on is None and not state.held):
            return "clear"
        step = DunningStep.objects.filter(
            account=obj, cycle_started_on=state.cycle_started_on
        ).last()
        where = step.get_kind_display() if step else "in arrears"
        return f"{where} (held)" if state.held else where

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/act/<str:which>/",
                wrap(self.act_view),
                name="payments_creditcontrolaccount_act",
            ),
            *super().get_urls(),
        ]

    def _page(
        self, request: HttpRequest, account: Any, forms: dict[str, Any] | None = None
    ) -> TemplateResponse:
        today = timezone.localdate()
        try:
            interest = interest_summary(account_number=account.number, on=today)
        except BackhaulError as exc:
            interest = {"error": str(exc), "invoices": []}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Credit control: {account.number} {account.name}",
            "opts": self.model._meta,
            "account": account,
            "statement": selectors.statement(account, on=today),
            "payments": selectors.payment_rows(account, on=today),
            "interest": interest,
            "state": DunningState.objects.filter(account=account).first(),
            "steps": DunningStep.objects.filter(account=account).order_by("-on", "-id")[:20],
            "ladder": selectors.ladder(account.brand),
            "contacts": ContactAttempt.objects.filter(account=account)[:10],
            "disputes": Dispute.objects.filter(account=account).select_related("invoice"),
            "departures": Departure.objects.filter(account=account).select_related(
                "subscription__product"
            ),
            "failures": PaymentFailure.objects.filter(account=account)[:20],
            "forms": forms or _forms(account),
            "today": today,
        }
        return TemplateResponse(request, "admin/payments/account.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        account = get_object_or_404(
            CreditControlAccount.objects.select_related("brand"), pk=object_id
        )
        return self._page(request, account)

    @confirm_action("Credit control: {which}")
    def act_view(self, request: HttpRequest, object_id: int, which: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:payments_creditcontrolaccount_change", args=[object_id])
            )
        if not self.has_change_permission(request):
            raise PermissionDenied
        account = get_object_or_404(
            CreditControlAccount.objects.select_related("brand"), pk=object_id
        )
        forms = _forms(account, request.POST, which)
        simple = {
            "release": self._release,
            "review": self._review,
            "collection": self._collect,
            "reactivation": self._reactivation,
        }
        if which in simple:
            try:
                done = simple[which](account)
            except BackhaulError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, done)
            return HttpResponseRedirect(
                reverse("admin:payments_creditcontrolaccount_change", args=[object_id])
            )
        form = forms.get(which)
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                done = getattr(self, f"_{which}")(account, form.cleaned_data, request)
            except BackhaulError as exc:
                show_error(form, exc, aliases={"to": "to", "from": "to"})
            else:
                messages.success(request, done)
                return HttpResponseRedirect(
                    reverse("admin:payments_creditcontrolaccount_change", args=[object_id])
                )
        return self._page(request, account, forms)

    # --- actions: each calls one service and says what it did ---------------------------

    def _payment(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        payment = payment_record(
            account_number=account.number,
            amount=d["amount"],
            method=d["method"],
            on=d["on"],
            now=timezone.now(),
            reference=d["reference"],
            card_brand=d["card_brand"],
            by_agreement=d["by_agreement"],
            actor=request.user.get_username(),
        )
        return f"Recorded £{payment.amount} by {payment.get_method_display()} (P{payment.pk})."

    def _failure(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        failure = payment_failure_record(
            account_number=account.number,
            kind=d["kind"],
            on=d["on"],
            now=timezone.now(),
            reference=d["reference"],
            payment_id=d["payment"],
            incorrect=d["incorrect"],
            product_kind=d["product_kind"],
            actor=request.user.get_username(),
        )
        return f"{failure.get_kind_display()} recorded: {failure.explanation or 'no charge'}."

    def _refund(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        refund = refund_record(
            account_number=account.number,
            amount=d["amount"],
            on=d["on"],
            now=timezone.now(),
            method=d["method"],
            reason=d["reason"],
            actor=request.user.get_username(),
        )
        return f"Refund of £{refund.amount} recorded ({refund.clause})."

    def _setoff(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        done = setoff_apply(
            from_account_number=account.number,
            to_account_number=d["to"],
            on=d["on"],
            now=timezone.now(),
            amount=d["amount"] or None,
            reason=d["reason"],
            actor=request.user.get_username(),
        )
        return f"£{done.amount} set off against {done.to_account.number} ({done.clause})."

    def _hold(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        dunning_hold(
            account_number=account.number,
            reason=d["reason"],
            until=d["until"],
            now=timezone.now(),
            actor=request.user.get_username(),
        )
        return "The ladder is held" + (f" until {d['until']}." if d["until"] else ".")

    def _release(self, account: Any) -> str:
        dunning_release(account_number=account.number, now=timezone.now())
        return "The ladder is released."

    def _review(self, account: Any) -> str:
        counts = dunning_review(account=account, on=timezone.localdate(), now=timezone.now())
        return f"Ladder reviewed: {counts['steps']} step(s) taken, {counts['restored']} restored."

    def _collect(self, account: Any) -> str:
        case = collection_open(
            account_number=account.number, on=timezone.localdate(), now=timezone.now()
        )
        return f"Debt of £{case.debt} put up for hand-off to the agency."

    def _reactivation(self, account: Any) -> str:
        amount = reactivation_fee_charge(
            account_number=account.number, on=timezone.localdate(), now=timezone.now()
        )
        return f"Reactivation fee of £{amount} put on the next bill."

    def _contact(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        contact_attempt_record(
            account_number=account.number,
            on=d["on"],
            channel=d["channel"],
            outcome=d["outcome"],
            note=d["note"],
            now=timezone.now(),
            actor=request.user.get_username(),
        )
        return "Contact attempt recorded."

    def _interest(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        charges = interest_charge(account_number=account.number, on=d["on"], now=timezone.now())
        total = sum((c.amount for c in charges), Decimal("0.00"))
        return f"Interest of £{format_amount(total)} put on the next bill."

    def _departure(self, account: Any, d: dict[str, Any], request: HttpRequest) -> str:
        departure = departure_record(
            subscription_id=int(d["subscription"]),
            kind=d["kind"],
            on=d["on"],
            now=timezone.now(),
            mac=d["mac"],
            detrimental_change_notified=d["detrimental_change_notified"],
            cancellation_cost=d["cost"] or None,
            line_cannot_be_served=d["line_cannot_be_served"],
            equipment_sent_on=d["equipment_sent"],
            actor=request.user.get_username(),
        )
        return f"{departure.get_kind_display()}: ends {departure.ends_on}."


def _credit_lines(text: str) -> list[tuple[int, Decimal]] | None:
    lines = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        position, _, net = item.partition(":")
        try:
            lines.append((int(position), parse_amount(net)))
        except (ValueError, ArithmeticError, InvalidInput):
            raise InvalidInput(f"credit: write line:net such as 2:30.00, not {item!r}") from None
    return lines or None


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["raised_on", "account", "invoice", "amount", "percent", "outcome", "status"]
    list_filter = ["status", "outcome", "account__brand"]
    search_fields = ["account__number", "invoice__number", "reason"]

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:dispute_id>/resolve/",
                wrap(self.resolve_view),
                name="payments_dispute_resolve",
            ),
            *super().get_urls(),
        ]

    @confirm_action("Resolve the dispute")
    def resolve_view(self, request: HttpRequest, dispute_id: int) -> HttpResponse:
        if not request.user.has_perm("payments.change_dispute"):
            raise PermissionDenied
        dispute = get_object_or_404(
            Dispute.objects.select_related("invoice", "account"), pk=dispute_id
        )
        form = ResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                resolved = dispute_resolve(
                    dispute_id=dispute.pk,
                    now=timezone.now(),
                    note=form.cleaned_data["note"],
                    credit_lines=_credit_lines(form.cleaned_data["credit"]),
                    actor=request.user.get_username(),
                )
            except BackhaulError as exc:
                show_error(form, exc)
            else:
                messages.success(request, f"Dispute {resolved.pk}: {resolved.get_status_display()}")
                return HttpResponseRedirect(reverse("admin:payments_dispute_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Resolve dispute {dispute.pk} on {dispute.invoice.number}",
            "opts": self.model._meta,
            "dispute": dispute,
            "lines": dispute.invoice.lines.all(),
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/resolve.html", context)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "account", "amount", "method", "reference", "status"]
    list_filter = ["method", "status", "account__brand"]
    search_fields = ["account__number", "reference"]
    date_hierarchy = "received_on"


@admin.register(PaymentFailure)
class PaymentFailureAdmin(ReadOnlyAdmin):
    list_display = ["on", "account", "kind", "occurrence", "charge_amount", "explanation"]
    list_filter = ["kind", "account__brand"]
    search_fields = ["account__number", "reference"]


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ["reference", "account", "sort_code", "account_number_last4", "status"]
    list_filter = ["status"]
    search_fields = ["reference", "account__number"]


@admin.register(CardAuthority)
class CardAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["account", "card_brand", "last4", "granted_on", "ends_on", "clause"]
    search_fields = ["account__number"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["on", "account", "amount", "method", "reason"]
    search_fields = ["account__number", "reason"]


@admin.register(SetOff)
class SetOffAdmin(ReadOnlyAdmin):
    list_display = ["on", "from_account", "to_account", "amount", "clause"]


@admin.register(InterestCharge)
class InterestChargeAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "account", "from_on", "to_on", "amount", "model", "clause"]
    search_fields = ["account__number", "invoice__number"]


@admin.register(DunningState)
class DunningStateAdmin(ReadOnlyAdmin):
    list_display = ["account", "cycle_started_on", "held", "held_until", "last_reviewed_on"]
    list_filter = ["held", "account__brand"]
    search_fields = ["account__number"]
    actions = ["release_holds"]

    @action(description="Release the hold")
    @confirm_action
    def release_holds(self, request: Any, queryset: Any) -> None:
        for state in queryset[:100]:
            dunning_release(
                account_number=state.account.number,
                now=timezone.now(),
                actor=request.user.get_username(),
            )
        self.message_user(request, "Released.", messages.SUCCESS)


@admin.register(DunningStep)
class DunningStepAdmin(ReadOnlyAdmin):
    list_display = ["on", "account", "kind", "status", "clause", "detail", "restored_on"]
    list_filter = ["kind", "status", "account__brand"]
    search_fields = ["account__number"]


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdmin):
    list_display = ["on", "account", "channel", "outcome", "note", "actor"]
    search_fields = ["account__number"]


@admin.register(CollectionCase)
class CollectionCaseAdmin(ReadOnlyAdmin):
    list_display = ["opened_on", "account", "status", "debt", "agency_cost", "exported_on"]
    list_filter = ["status", "account__brand"]
    actions = ["export_pending"]

    @action(description="Export every pending hand-off as CSV (adds the agency cost)")
    @confirm_action
    def export_pending(self, request: Any, queryset: Any) -> HttpResponse:
        today = timezone.localdate()
        name = f"collections-{today.isoformat()}.csv"
        result = collections_export(on=today, now=timezone.now(), export_name=name)
        response = HttpResponse(result.csv, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(Departure)
class DepartureAdmin(ReadOnlyAdmin):
    list_display = ["notice_on", "account", "subscription", "kind", "ends_on", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["account__number"]


@admin.register(EquipmentReturn)
class EquipmentReturnAdmin(ReadOnlyAdmin):
    list_display = [
        "account",
        "subscription",
        "package_sent_on",
        "package_received_on",
        "returned_on",
        "status",
    ]
    list_filter = ["status"]
    actions = ["package_received_today", "returned_today"]

    @action(description="Prepaid package received today")
    @confirm_action
    def package_received_today(self, request: Any, queryset: Any) -> None:
        self._each(
            request,
            queryset,
            lambda item: equipment_package_received(
                return_id=item.pk, received_on=timezone.localdate()
            ),
        )

    @action(description="Equipment returned today")
    @confirm_action
    def returned_today(self, request: Any, queryset: Any) -> None:
        self._each(
            request,
            queryset,
            lambda item: equipment_returned(return_id=item.pk, returned_on=timezone.localdate()),
        )

    def _each(self, request: Any, queryset: Any, do: Any) -> None:
        for item in queryset[:100]:
            try:
                do(item)
            except BackhaulError as exc:
                self.message_user(request, f"{item}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"{item}: done", messages.SUCCESS)
