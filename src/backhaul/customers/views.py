"""Member Centre pages of the customers area: the account's security questions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backhaul.core.errors import BackhaulError
from backhaul.customers.forms import SecurityAnswerForm
from backhaul.customers.models import Account
from backhaul.customers.security_choices import SecurityPrompt
from backhaul.customers.security_rules import QUESTIONS_MAX
from backhaul.customers.selectors import security_answers_for
from backhaul.customers.services import security_answer_remove, security_answer_set
from backhaul.portal.access import customer_required


@customer_required
def security_questions(request: HttpRequest, account: Account) -> HttpResponse:
    form = SecurityAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security_answer_set(
                account=account,
                prompt=form.cleaned_data["prompt"],
                answer=form.cleaned_data["answer"],
                set_by=request.user.get_username(),
                now=timezone.now(),
            )
        except BackhaulError as exc:
            field, _, message = str(exc).partition(": ")
            form.add_error(field if field in form.fields else None, message or str(exc))
        else:
            label = SecurityPrompt(form.cleaned_data["prompt"]).label
            messages.success(request, f"Answer saved for “{label}”.")
            return redirect("customers-portal:security-questions")
    return render(
        request,
        "customers/security_questions.html",
        {
            "account": account,
            "form": form,
            "answers": security_answers_for(account),
            "limit": QUESTIONS_MAX,
        },
    )


@require_POST
@customer_required
def security_question_remove(request: HttpRequest, account: Account) -> HttpResponse:
    prompt = request.POST.get("prompt", "")
    try:
        removed = security_answer_remove(account=account, prompt=prompt)
    except BackhaulError as exc:
        return HttpResponseBadRequest(str(exc))
    if removed:
        messages.success(request, f"Removed “{SecurityPrompt(prompt).label}”.")
    return redirect("customers-portal:security-questions")
