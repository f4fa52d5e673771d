"""Console actions ask for confirmation first: unconfirmed, nothing changes and the
confirmation page shows; confirmed, the action is done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.urls import URLPattern, reverse

from backhaul.api.models import ApiToken
from backhaul.api.services import api_token_create
from backhaul.billing.models import Invoice
from backhaul.billing.services import billrun_run
from backhaul.console.confirm import CONFIRM_FIELD, CONFIRMED
from backhaul.payments.models import DunningState
from backhaul.support.choices import RaisedVia, TicketCategory
from backhaul.support.models import Ticket
from backhaul.support.services.tickets import ticket_raise
from tests.billing.test_services import NOW, new_mps_customer

pytestmark = pytest.mark.django_db
YES = {CONFIRM_FIELD: CONFIRMED}

# Console buttons and pages that only show something or lead to a form; they change nothing.
SHOW_ONLY = {
    "billing.invoice.pdf_view",
    "contracts.subscription.quote_exit_today",
    "customers.account.overview_view",
    "customers.account.open_overview",
    "abuse.case.statistics",
    "support.ticket.queue_view",
    "support.ticket.open_queue",
    "support.ticket.raise_from_call",
    "support.ticket.work_ticket",
    "support.claim.decide_claim",
    "support.engineervisit.book_visit",
    "support.engineervisit.update_visit",
    "support.complaint.work_complaint",
}
# Django's own pages: the add and change forms save what staff typed, and deleting has its
# own confirmation page.
DJANGO_PAGES = {"changelist_view", "add_view", "change_view", "delete_view", "history_view",
                "delete_selected", "user_change_password"}  # fmt: skip


def _confirms(view: Any) -> bool:
    while view is not None:
        if getattr(view, "confirms", False) or getattr(
            getattr(view, "__func__", None), "confirms", False
        ):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _action_names(entries: Any) -> Iterator[str]:
    for entry in entries or []:
        if isinstance(entry, dict):
            yield from _action_names(entry.get("items"))
        else:
            yield entry if isinstance(entry, str) else entry.__name__


def console_actions() -> Iterator[tuple[str, Any]]:
    """Every action and custom page of every console model: (app.model.name, callable)."""
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        kinds = ("actions", "actions_list", "actions_detail", "actions_row", "actions_submit_line")
        for kind in kinds:
            for name in _action_names(getattr(model_admin, kind, None)):
                yield f"{label}.{name}", getattr(type(model_admin), name, None)
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern):
                continue
            view: Any = pattern.callback
            while getattr(view, "__wrapped__", None) is not None and not hasattr(view, "__self__"):
                view = view.__wrapped__
            if getattr(view, "__self__", None) is model_admin:
                yield f"{label}.{view.__name__}", pattern.callback


def test_every_console_action_that_changes_data_asks_first() -> None:
    unconfirmed = sorted(
        name
        for name, view in console_actions()
        if name.rsplit(".", 1)[1] not in DJANGO_PAGES
        and name not in SHOW_ONLY
        and not _confirms(view)
    )
    assert unconfirmed == []


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser(username="root", password="x" * 12, email="r@x.test")
    client.force_login(user)
    return user


def test_credit_in_full_asks_then_credits(client, superuser) -> None:
    account = new_mps_customer("Osprey Glazing Ltd")
    billrun_run(on=date(2026, 11, 15), now=NOW)
    invoice = Invoice.objects.get(account=account)
    changelist = reverse("admin:billing_invoice_changelist")
    data = {"action": "credit_in_full", ACTION_CHECKBOX_NAME: [invoice.pk], "index": "0"}
    asked = client.post(changelist, data)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Credit in full with a credit note" in page
    assert "Nothing has been changed yet" in page
    assert invoice.number in page
    assert f'name="{CONFIRM_FIELD}" value="{CONFIRMED}"' in page
    assert not Invoice.objects.filter(kind="credit-note").exists()

    done = client.post(changelist, {**data, **YES}, follow=True)
    assert done.status_code == 200
    note = Invoice.objects.get(credits_invoice=invoice)
    assert note.total == -invoice.total or note.total == invoice.total


def test_holding_the_ladder_asks_then_holds(client, superuser) -> None:
    account = new_mps_customer("Heron Bakery Ltd")
    act = reverse("admin:payments_creditcontrolaccount_act", args=[account.pk, "hold"])
    data = {"hold-reason": "explained on the phone"}
    asked = client.post(act, data, HTTP_REFERER=f"http://testserver/console/x/{account.pk}/")
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Credit control: hold" in page
    assert "explained on the phone" in page and "Reason" in page
    assert account.number in page
    assert f'href="http://testserver/console/x/{account.pk}/"' in page  # "No, go back"
    assert not DunningState.objects.filter(account=account, held=True).exists()

    client.post(act, {**data, **YES})
    assert DunningState.objects.get(account=account).held


def test_resolving_a_ticket_asks_then_resolves(client, superuser) -> None:
    account = new_mps_customer("Wren Dental Ltd")
    ticket = ticket_raise(
        account=account,
        category=TicketCategory.FAULT,
        subject="Line dropping",
        body="Drops every hour.",
        now=NOW,
        raised_via=RaisedVia.PHONE,
        subscription=account.subscriptions.get(),
    )
    act = reverse("admin:support_ticket_act", args=[ticket.pk])
    data = {"action": "resolve", "reason": "", "body": "Fixed at the exchange."}
    with time_machine.travel(NOW, tick=False):
        assert client.get(act).status_code == 200  # the form shows as before
        asked = client.post(act, data)
        assert "Fixed at the exchange." in asked.content.decode()
        assert Ticket.objects.get(pk=ticket.pk).state != "resolved"
        client.post(act, {**data, **YES})
    assert Ticket.objects.get(pk=ticket.pk).state == "resolved"


def test_bad_input_still_shows_its_error_in_place_once_confirmed(client, superuser) -> None:
    account = new_mps_customer("Linnet Cafe Ltd")
    act = reverse("admin:payments_creditcontrolaccount_act", args=[account.pk, "payment"])
    bad = {"payment-amount": "-1", "payment-method": "card", "payment-on": "2026-11-20"}
    answered = client.post(act, {**bad, **YES})
    assert answered.status_code == 200
    assert "must be more than zero, not -1" in answered.content.decode()


def test_revoking_tokens_asks_for_all_selected_then_revokes(client, superuser) -> None:
    account = new_mps_customer("Plover Yachts Ltd")
    for _ in range(2):
        api_token_create(account_number=account.number, now=NOW)
    tokens = list(ApiToken.objects.all())
    changelist = reverse("admin:api_apitoken_changelist")
    data = {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [t.pk for t in tokens]}
    asked = client.post(changelist + "?revoked_at__isnull=True", {**data, "index": "0"})
    page = asked.content.decode()
    assert "2 API tokens selected" in page.replace("api tokens", "API tokens")
    assert 'action="/console/api/apitoken/?revoked_at__isnull=True"' in page
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2
    done = client.post(changelist, {**data, **YES}, follow=True)
    assert "2 token(s) revoked." in done.content.decode()
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_staff_who_cannot_see_the_model_get_no_confirmation_page(client) -> None:
    account = new_mps_customer("Dunlin Audio Ltd")
    clerk = User.objects.create_user(username="clerk", password="x" * 12, is_staff=True)
    client.force_login(clerk)
    act = reverse("admin:payments_creditcontrolaccount_act", args=[account.pk, "hold"])
    assert client.post(act, {"hold-reason": "x"}).status_code == 403
