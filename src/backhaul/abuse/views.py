"""Member Centre pages: the public abuse report form, and a customer's own cases."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from backhaul.abuse.choices import Channel, ReportStatus
from backhaul.abuse.forms import AnswerForm, ReportForm
from backhaul.abuse.models import Report
from backhaul.abuse.selectors import case_of_account, cases_of_account
from backhaul.abuse.services import case_answer, report_submit
from backhaul.abuse.services.texts import category_label
from backhaul.core.errors import BackhaulError
from backhaul.customers.models import Account
from backhaul.notices.models import Notice
from backhaul.portal.access import customer_required


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    """Anyone may report abuse here, signed in or not; the answer is a reference only."""
    now = timezone.now()
    initial = {"brand": request.GET.get("brand", "")}
    form = ReportForm(request.POST or None, now=now, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = report_submit(
                channel=Channel.WEB_FORM,
                brand_key=data["brand"],
                reporter_email=data["reporter_email"],
                reporter_name=data["reporter_name"],
                category=data["category"],
                ip=data["ip"] or None,
                port=data["port"],
                incident_at=data["incident_at"],
                details=data["details"],
                headers=data["headers"],
                now=now,
            )
        except BackhaulError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "abuse/report_received.html", {"reference": message.reference})
    return render(request, "abuse/report_form.html", {"form": form})


@customer_required
def case_list(request: HttpRequest, account: Account) -> HttpResponse:
    cases = cases_of_account(account)
    return render(
        request,
        "abuse/case_list.html",
        {"account": account, "cases": [(case, category_label(case.category)) for case in cases]},
    )


@customer_required
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, account: Account, case_id: int) -> HttpResponse:
    case = case_of_account(account, case_id)
    if case is None:
        raise Http404("No such case.")
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case_answer(
                account=account,
                case_id=case.pk,
                text=form.cleaned_data["text"],
                now=timezone.now(),
                user_id=request.user.pk,
            )
        except BackhaulError as exc:
            form.add_error("text", str(exc))
        else:
            messages.success(request, "Thank you: your answer has reached the abuse team.")
            return redirect("abuse:case-detail", case_id=case.pk)
    reports = Report.objects.filter(case=case, status=ReportStatus.ACCEPTED).order_by(
        "incident_at", "id"
    )
    notices = Notice.objects.filter(
        account=account, key__startswith=f"abuse:case:{case.pk}:"
    ).order_by("created_at", "id")
    return render(
        request,
        "abuse/case_detail.html",
        {
            "account": account,
            "case": case,
            "label": category_label(case.category),
            "reports": reports,
            "notices": notices,
            "answers": case.answers.order_by("at", "id"),
            "form": form,
        },
    )
