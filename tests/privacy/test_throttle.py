"""Sign-in throttling (django-axes): 5 failures lock a username at one address for 15 minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from backhaul.privacy.security_rules import client_address

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def member() -> User:
    return User.objects.create_user("ivy@example.com", password=PASSWORD)


def attempt(password: str, *, username: str = "ivy@example.com", ip: str = "192.0.2.10") -> int:
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/member/login/", {"username": username, "password": password})
    return response.status_code


def fail(times: int, **where: str) -> list[int]:
    return [attempt("wrong-password", **where) for _ in range(times)]


def test_the_fifth_failure_locks_the_username_at_that_address(member: User) -> None:
    assert fail(4) == [200] * 4
    assert fail(1) == [429]
    # Locked: even the right password is refused, with the lockout page.
    client = Client(REMOTE_ADDR="192.0.2.10")
    response = client.post("/member/login/", {"username": member.username, "password": PASSWORD})
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many sign-in attempts" in text
    assert "paused for 15 minutes" in text
    assert "_auth_user_id" not in client.session


def test_the_lock_is_for_the_username_and_address_together(member: User) -> None:
    fail(5)
    assert attempt(PASSWORD, ip="198.51.100.7") == 302  # the same user elsewhere
    User.objects.create_user("oak@example.com", password=PASSWORD)
    assert attempt(PASSWORD, username="oak@example.com") == 302  # someone else, same address


def test_a_successful_sign_in_clears_the_count(member: User) -> None:
    fail(4)
    assert attempt(PASSWORD) == 302
    assert fail(4) == [200] * 4


def test_the_lock_lifts_after_fifteen_minutes(member: User) -> None:
    fail(5)
    assert attempt(PASSWORD) == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert attempt(PASSWORD) == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        # Each try during the lock starts the 15 minutes again; after that it lifts.
        assert attempt(PASSWORD) == 302


def test_staff_lift_a_lock_with_the_reset_command(member: User) -> None:
    fail(5)
    assert AccessAttempt.objects.filter(username=member.username).exists()
    call_command("axes_reset_username", member.username)
    assert attempt(PASSWORD) == 302


def test_the_console_sign_in_is_throttled_too() -> None:
    User.objects.create_user("lee", password=PASSWORD, is_staff=True)
    client = Client(REMOTE_ADDR="192.0.2.20")
    statuses = [
        client.post("/console/login/", {"username": "lee", "password": "nope"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]


def test_failed_attempts_keep_no_password(member: User) -> None:
    fail(2)
    row = AccessAttempt.objects.get(username=member.username)
    assert "wrong-password" not in row.post_data
    assert row.failures_since_start == 2


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("192.0.2.1", "", 0, "192.0.2.1"),
        ("192.0.2.1", "203.0.113.9", 0, "192.0.2.1"),  # no proxy: the header is ignored
        ("10.0.0.2", "203.0.113.9", 1, "203.0.113.9"),
        ("10.0.0.2", "6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # the client wrote 6.6.6.6
        ("10.0.0.3", "203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),
        ("10.0.0.2", "", 1, "10.0.0.2"),  # header missing: the proxy's own address
        ("10.0.0.2", "not-an-address", 1, None),
        ("2001:db8::1", "", 0, "2001:db8::1"),
    ],
)
def test_client_address(remote: str, forwarded: str, proxies: int, expected: str | None) -> None:
    assert (
        client_address(remote_addr=remote, forwarded_for=forwarded, proxy_count=proxies) == expected
    )


@given(
    spoofed=st.lists(st.ip_addresses(v=4).map(str), max_size=4),
    client=st.ip_addresses(v=4).map(str),
    proxies=st.integers(min_value=1, max_value=3),
)
def test_what_the_client_writes_in_the_header_never_counts(
    spoofed: list[str], client: str, proxies: int
) -> None:
    # Each of the `proxies` trusted proxies appends the address it saw; the first one saw
    # the client.
    hops = [*spoofed, client] + [f"10.0.0.{n}" for n in range(1, proxies)]
    found = client_address(
        remote_addr=f"10.0.0.{proxies}", forwarded_for=", ".join(hops), proxy_count=proxies
    )
    assert found == client
