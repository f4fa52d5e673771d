"""Security questions: Argon2 hashes only, set in the Member Centre, checked by support."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.customers.models import Account, CallerCheck, CustomerUser, SecurityAnswer
from backhaul.customers.security_rules import answer_normalise, answer_problem
from backhaul.customers.services import (
    account_create,
    caller_check,
    security_answer_remove,
    security_answer_set,
)


@pytest.fixture
def account(db: None, now: datetime) -> Account:
    return account_create(brand_key="plugin", name="Ivy House", email="ivy@example.com", now=now)


@pytest.fixture
def member(account: Account) -> Client:
    user = User.objects.create_user("ivy@example.com", password="x" * 12)
    CustomerUser.objects.create(user=user, account=account)
    client = Client()
    client.force_login(user)
    return client


def test_answers_compare_without_case_or_spacing() -> None:
    assert answer_normalise("  Mr   Whiskers ") == "mr whiskers"
    assert answer_normalise("STRASSE") == answer_normalise("straße")
    assert answer_normalise("Ｂｅｒｔ") == "bert"  # full-width letters
    assert answer_normalise("St Ives") != answer_normalise("St. Ives")


@given(st.text(max_size=40))
def test_normalising_is_idempotent(answer: str) -> None:
    once = answer_normalise(answer)
    assert answer_normalise(once) == once
    assert answer_normalise(f"  {answer.upper()}\t") == answer_normalise(answer.upper())


def test_answer_problems() -> None:
    assert answer_problem("ab") is not None
    assert answer_problem("abc") is None
    assert answer_problem("x" * 101) is not None


def test_only_an_argon2_hash_is_kept(account: Account, now: datetime) -> None:
    stored = security_answer_set(
        account=account, prompt="first-pet", answer="Mr Whiskers", set_by="ivy", now=now
    )
    assert stored.answer_hash.startswith("argon2$")
    assert "whiskers" not in stored.answer_hash.lower()
    # A salt per answer: the same answer on another account hashes differently.
    other = account_create(brand_key="plugin", name="Oak Barn", email="oak@example.com", now=now)
    second = security_answer_set(
        account=other, prompt="first-pet", answer="Mr Whiskers", set_by="oak", now=now
    )
    assert second.answer_hash != stored.answer_hash


def test_a_caller_check_matches_the_answer_whatever_its_case(
    account: Account, now: datetime
) -> None:
    security_answer_set(
        account=account, prompt="first-pet", answer="Mr Whiskers", set_by="ivy", now=now
    )
    check = caller_check(
        account=account, prompt="first-pet", answer=" mr  WHISKERS", checked_by="sam", now=now
    )
    assert check.matched
    wrong = caller_check(
        account=account, prompt="first-pet", answer="Tiddles", checked_by="sam", now=now
    )
    assert not wrong.matched
    recorded = CallerCheck.objects.filter(account=account).order_by("pk")
    assert list(recorded.values_list("matched", "checked_by")) == [(True, "sam"), (False, "sam")]


def test_three_wrong_answers_stop_checks_for_a_day(account: Account, now: datetime) -> None:
    security_answer_set(
        account=account, prompt="birth-town", answer="Hebden Bridge", set_by="ivy", now=now
    )
    for minutes in range(3):
        assert not caller_check(
            account=account, prompt="birth-town", answer="Leeds", checked_by="sam",
            now=now + timedelta(minutes=minutes),
        ).matched  # fmt: skip
    with pytest.raises(InvalidInput, match="3 wrong answers in the last 24 hours"):
        caller_check(
            account=account, prompt="birth-town", answer="Hebden Bridge", checked_by="sam",
            now=now + timedelta(hours=1),
        )  # fmt: skip
    later = now + timedelta(hours=24, minutes=1)
    assert caller_check(
        account=account, prompt="birth-town", answer="hebden bridge", checked_by="sam", now=later
    ).matched


def test_setting_again_replaces_and_at_most_three_questions(
    account: Account, now: datetime
) -> None:
    for prompt in ("first-pet", "first-car", "birth-town"):
        security_answer_set(account=account, prompt=prompt, answer="answer", set_by="ivy", now=now)
    security_answer_set(account=account, prompt="first-pet", answer="Rex", set_by="ivy", now=now)
    assert caller_check(
        account=account, prompt="first-pet", answer="rex", checked_by="sam", now=now
    ).matched
    with pytest.raises(InvalidInput, match="at most 3 questions"):
        security_answer_set(
            account=account, prompt="memorable-word", answer="tulip", set_by="ivy", now=now
        )
    assert security_answer_remove(account=account, prompt="first-car") == 1
    security_answer_set(
        account=account, prompt="memorable-word", answer="tulip", set_by="ivy", now=now
    )
    assert SecurityAnswer.objects.filter(account=account).count() == 3


def test_bad_input_is_a_clear_error(account: Account, now: datetime) -> None:
    with pytest.raises(InvalidInput, match=r"^prompt: choose one of the listed questions"):
        security_answer_set(account=account, prompt="shoe-size", answer="nine", set_by="i", now=now)
    with pytest.raises(InvalidInput, match=r"^answer: at least 3 characters"):
        security_answer_set(account=account, prompt="first-pet", answer=" a ", set_by="i", now=now)
    with pytest.raises(InvalidInput, match="has no answer to 'The name of your first pet'"):
        caller_check(account=account, prompt="first-pet", answer="x", checked_by="s", now=now)
    assert not SecurityAnswer.objects.exists()


def test_member_centre_form_shows_field_errors_and_never_the_answer(
    member: Client, account: Account
) -> None:
    page = member.get("/member/customers/security-questions/")
    assert page.status_code == 200
    assert b"You have not set any security questions yet" in page.content

    different = member.post(
        "/member/customers/security-questions/",
        {"prompt": "first-pet", "answer": "Mr Whiskers", "answer_again": "Mr Whisker"},
    )
    assert different.status_code == 200
    assert b"The two answers are different" in different.content
    assert b"Whisker" not in different.content  # not sent back, even to its owner

    short = member.post(
        "/member/customers/security-questions/",
        {"prompt": "first-pet", "answer": "ab", "answer_again": "ab"},
    )
    assert b"at least 3 characters" in short.content
    assert not SecurityAnswer.objects.exists()

    saved = member.post(
        "/member/customers/security-questions/",
        {"prompt": "first-pet", "answer": "Mr Whiskers", "answer_again": "mr whiskers "},
        follow=True,
    )
    assert b"Answer saved" in saved.content
    stored = SecurityAnswer.objects.get(account=account)
    assert stored.set_by == "ivy@example.com"
    assert b"The name of your first pet" in saved.content
    assert b"whiskers" not in saved.content.lower()
    assert stored.answer_hash.encode() not in saved.content

    removed = member.post(
        "/member/customers/security-questions/remove/", {"prompt": "first-pet"}, follow=True
    )
    assert b"Removed" in removed.content
    assert not SecurityAnswer.objects.exists()


def test_a_customer_changes_only_their_own_questions(
    member: Client, account: Account, now: datetime
) -> None:
    other = account_create(brand_key="plugin", name="Oak Barn", email="oak@example.com", now=now)
    security_answer_set(account=other, prompt="first-pet", answer="Rover", set_by="oak", now=now)
    member.post("/member/customers/security-questions/remove/", {"prompt": "first-pet"})
    assert SecurityAnswer.objects.filter(account=other).exists()
    assert (
        member.post("/member/customers/security-questions/remove/", {"prompt": "bogus"}).status_code
        == 400
    )
