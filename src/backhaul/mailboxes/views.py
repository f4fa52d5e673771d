"""Member Centre pages for mailboxes: looked up through the signed-in account only."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from backhaul.core.errors import NotFound
from backhaul.customers.models import Account
from backhaul.mailboxes.selectors import (
    housekeeping_for,
    mailbox_of,
    mailboxes_of,
    sending_limits_for,
    traffic_of,
)
from backhaul.portal.access import customer_required

TRAFFIC_SHOWN = 100


@customer_required
def mailbox_list(request: HttpRequest, account: Account) -> HttpResponse:
    return render(
        request,
        "mailboxes/list.html",
        {
            "account": account,
            "mailboxes": mailboxes_of(account),
            "housekeeping": housekeeping_for(account.brand),
            "limits": sending_limits_for(account.brand),
        },
    )


@customer_required
def mailbox_detail(request: HttpRequest, account: Account, mailbox_id: int) -> HttpResponse:
    try:
        mailbox = mailbox_of(account, mailbox_id)
    except NotFound:
        raise Http404("No such mailbox on your account") from None
    return render(
        request,
        "mailboxes/detail.html",
        {
            "account": account,
            "mailbox": mailbox,
            "traffic": traffic_of(mailbox, limit=TRAFFIC_SHOWN),
            "shown": TRAFFIC_SHOWN,
            "events": mailbox.events.select_related("clause").order_by("-on", "-id")[:50],
        },
    )
