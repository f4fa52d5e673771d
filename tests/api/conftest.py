"""Two customers with a bill each, a payment, a ticket and an abuse case; tokens for both
customers and for staff users with and without the permissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from backhaul.abuse.choices import Channel, Format, MessageStatus, ReportStatus
from backhaul.abuse.models import Case, IntakeMessage, Report
from backhaul.api.services import api_token_create
from backhaul.billing.models import Invoice
from backhaul.billing.services import billrun_run
from backhaul.customers.models import Account
from backhaul.payments.services.money import payment_record
from backhaul.support.choices import RaisedVia, TicketCategory
from backhaul.support.models import Ticket
from backhaul.support.services.tickets import ticket_raise
from tests.billing.test_services import NOW, new_mps_customer


@dataclass
class World:
    mine: Account
    theirs: Account
    my_invoice: Invoice
    their_invoice: Invoice
    my_ticket: Ticket
    their_ticket: Ticket
    my_case: Case
    their_case: Case
    mine_token: str
    theirs_token: str
    staff_token: str
    bare_staff_token: str


class Api:
    """A test client that sends a bearer token."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def get(self, path: str, **params: object):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.get(f"/api/v1{path}", params, headers=headers)


def _abuse_case(account: Account, *, n: int, released: bool) -> Case:
    message = IntakeMessage.objects.create(
        reference=f"AB-T{n}",
        sha256=f"{n:064d}",
        channel=Channel.IMPORT,
        format=Format.CSV,
        status=MessageStatus.ACCEPTED,
        raw=b"",
        raw_size=0,
        reporter_email=f"reporter{n}@example.net",
        received_at=NOW,
    )
    case = Case.objects.create(
        account=account, category="spam", opened_at=NOW, reports_count=1, last_report_at=NOW
    )
    Report.objects.create(
        message=message,
        position=1,
        status=ReportStatus.ACCEPTED,
        format=Format.CSV,
        category="spam",
        ip=f"192.0.2.{n}",
        incident_at=NOW,
        account=account,
        case=case,
        reporter_email=f"reporter{n}@example.net",
        reporter_released=released,
        received_at=NOW,
    )
    return case


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    mine = new_mps_customer("Penrose Print Ltd")
    theirs = new_mps_customer("Quarry Motors Ltd")
    billrun_run(on=date(2026, 11, 15), now=NOW)
    payment_record(
        account_number=mine.number,
        amount="20.00",
        method="bacs",
        on=date(2026, 11, 18),
        now=NOW,
        by_agreement=True,
    )
    payment_record(
        account_number=theirs.number,
        amount="5.00",
        method="bacs",
        on=date(2026, 11, 18),
        now=NOW,
        by_agreement=True,
    )
    tickets = [
        ticket_raise(
            account=account,
            category=TicketCategory.FAULT,
            subject=f"No sync at {account.name}",
            body="The router shows no DSL light.",
            now=NOW,
            raised_via=RaisedVia.PORTAL,
            subscription=account.subscriptions.get(product__key="mps-option-1"),
        )
        for account in (mine, theirs)
    ]
    staff = User.objects.create_user("reader", password="pw-123456", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "view_account",
                "view_subscription",
                "view_invoice",
                "view_payment",
                "view_allowancestate",
                "view_ticket",
                "view_report",
            ]
        )
    )
    User.objects.create_user("bare", password="pw-123456", is_staff=True)
    return World(
        mine=mine,
        theirs=theirs,
        my_invoice=Invoice.objects.get(account=mine),
        their_invoice=Invoice.objects.get(account=theirs),
        my_ticket=tickets[0],
        their_ticket=tickets[1],
        my_case=_abuse_case(mine, n=1, released=False),
        their_case=_abuse_case(theirs, n=2, released=True),
        mine_token=api_token_create(account_number=mine.number, now=NOW).secret,
        theirs_token=api_token_create(account_number=theirs.number, now=NOW).secret,
        staff_token=api_token_create(username="reader", now=NOW).secret,
        bare_staff_token=api_token_create(username="bare", now=NOW).secret,
    )


@pytest.fixture
def as_mine(client: Client, world: World) -> Api:
    return Api(client, world.mine_token)


@pytest.fixture
def as_staff(client: Client, world: World) -> Api:
    return Api(client, world.staff_token)


@pytest.fixture
def anonymous(client: Client) -> Api:
    return Api(client, None)
