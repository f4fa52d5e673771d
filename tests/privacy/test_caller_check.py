"""The console's caller check: support types the caller's answer and sees match or no match."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from backhaul.customers.models import Account, CallerCheck, SecurityAnswer
from backhaul.customers.services import account_create, security_answer_set
from backhaul.demo.services import staff_users_ensure
from backhaul.privacy.choices import AuditAction
from backhaul.privacy.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.staff_2fa]
URL = "/console/privacy/verify-caller/"


@pytest.fixture
def account(db: None, now: datetime) -> Account:
    account = account_create(
        brand_key="plusnet-business", name="Kestrel Signs Ltd", email="k@example.com", now=now
    )
    security_answer_set(
        account=account, prompt="first-pet", answer="Mr Whiskers", set_by="k", now=now
    )
    return account


@pytest.fixture
def desk(console_login: Any) -> dict[str, Client]:
    staff_users_ensure()
    clients = {}
    for role in ("support", "abuse", "billing"):
        clients[role] = Client()
        console_login(clients[role], User.objects.get(username=role))
    return clients


def test_support_checks_an_answer_and_the_check_is_audited(
    desk: dict[str, Client], account: Account
) -> None:
    support = desk["support"]
    found = support.get(URL, {"account": account.number.lower()})
    assert found.status_code == 200
    page = found.content.decode()
    assert "The name of your first pet" in page
    assert "The make of your first car" not in page  # only the questions the customer set

    right = support.post(
        URL, {"account": account.number, "prompt": "first-pet", "answer": "mr  whiskers"}
    )
    assert "Match: the answer is right." in right.content.decode()
    wrong = support.post(URL, {"account": account.number, "prompt": "first-pet", "answer": "Rex"})
    text = wrong.content.decode()
    assert "No match" in text
    # Neither what the caller said nor what is held appears on the page.
    stored = SecurityAnswer.objects.get(account=account)
    for secret in ("Rex", "whiskers", "Whiskers", stored.answer_hash, stored.answer_hash[-20:]):
        assert secret not in text
    assert list(CallerCheck.objects.order_by("pk").values_list("matched", flat=True)) == [
        True,
        False,
    ]
    events = AuditEvent.objects.filter(account_number=account.number).order_by("pk")
    assert [(e.username, e.action, e.status_code) for e in events] == [
        ("support", AuditAction.VIEW, 200),
        ("support", AuditAction.VERIFY, 200),
        ("support", AuditAction.VERIFY, 200),
    ]
    assert all(e.model_label == "customers.SecurityAnswer" for e in events)


def test_after_three_wrong_answers_support_is_told_to_check_another_way(
    desk: dict[str, Client], account: Account
) -> None:
    for _ in range(3):
        desk["billing"].post(
            URL, {"account": account.number, "prompt": "first-pet", "answer": "x1"}
        )
    refused = desk["billing"].post(
        URL, {"account": account.number, "prompt": "first-pet", "answer": "Mr Whiskers"}
    )
    text = refused.content.decode()
    assert "3 wrong answers in the last 24 hours" in text
    assert "Match: the answer is right." not in text
    assert CallerCheck.objects.count() == 3
    assert AuditEvent.objects.filter(action=AuditAction.VERIFY, status_code=409).count() == 1


def test_unknown_account_and_roles_without_the_permission(
    desk: dict[str, Client], account: Account
) -> None:
    missing = desk["support"].get(URL, {"account": "PB999999"})
    assert "No account PB999999." in missing.content.decode()
    # The abuse desk reads customers but may not check callers.
    assert desk["abuse"].get(URL, {"account": account.number}).status_code == 403
    assert (
        desk["abuse"]
        .post(URL, {"account": account.number, "prompt": "first-pet", "answer": "Mr Whiskers"})
        .status_code
        == 403
    )
    assert not CallerCheck.objects.exists()
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/console/login/" in anonymous["Location"]


def test_an_account_with_no_questions_says_so(desk: dict[str, Client], now: datetime) -> None:
    other = account_create(brand_key="plugin", name="Oak Barn", email="oak@example.com", now=now)
    page = desk["support"].get(URL, {"account": other.number}).content.decode()
    assert "has not set any security questions" in page
