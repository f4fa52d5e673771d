"""Staff two-factor sign-in: enrolment with a QR code, the code at sign-in, the policy."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backhaul.customers.models import CustomerUser
from backhaul.customers.services import account_create
from backhaul.privacy.security_rules import ConsoleAccess, console_second_factor
from backhaul.privacy.two_factor import enrolment_key

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the staff member's app shows now (or `steps_ahead` 30-second steps later).

    A code is accepted once; a second sign-in in the same step uses the next step's code,
    which the one-step tolerance accepts.
    """
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def staff(username: str = "lee", **extra: object) -> User:
    return User.objects.create_user(username, password=PASSWORD, is_staff=True, **extra)


def sign_in(client: Client, username: str, otp_token: str = "") -> object:
    return client.post(
        "/console/login/?next=/console/",
        {"username": username, "password": PASSWORD, "otp_token": otp_token},
    )


@pytest.mark.parametrize(
    ("has_device", "verified", "required", "expected"),
    [
        (False, False, False, ConsoleAccess.ALLOWED),
        (False, False, True, ConsoleAccess.ENROL),
        (True, False, False, ConsoleAccess.VERIFY),
        (True, False, True, ConsoleAccess.VERIFY),
        (True, True, True, ConsoleAccess.ALLOWED),
        (True, True, False, ConsoleAccess.ALLOWED),
    ],
)
def test_console_second_factor_rule(
    has_device: bool, verified: bool, required: bool, expected: ConsoleAccess
) -> None:
    assert (
        console_second_factor(has_device=has_device, verified=verified, required=required)
        is expected
    )


@pytest.mark.staff_2fa
def test_staff_without_an_authenticator_enrol_then_reach_the_console() -> None:
    staff()
    client = Client()
    response = sign_in(client, "lee")
    # The password is right, but the console opens only the enrolment page for now.
    assert response.status_code == 302
    assert response["Location"].startswith("/console/two-factor/")
    assert client.get("/console/").status_code == 302
    page = client.get("/console/two-factor/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"path" in page.content
    device = TOTPDevice.objects.get(user__username="lee")
    assert not device.confirmed
    assert enrolment_key(device).encode() in page.content
    # The QR code holds the otpauth:// address with the issuer and the staff member.
    assert device.config_url.startswith("otpauth://totp/Backhaul%3Alee?secret=")

    wrong = client.post(
        "/console/two-factor/", {"code": "000000" if code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert b"does not match" in wrong.content
    device.refresh_from_db()
    assert not device.confirmed

    # Each wrong code doubles the wait before the next try (django-otp's throttle).
    hurried = client.post("/console/two-factor/", {"code": code(device)})
    assert b"wait a moment" in hurried.content
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()  # the wait has passed

    done = client.post(
        "/console/two-factor/?next=/console/customers/account/",
        {"code": code(device), "next": "/console/customers/account/"},
    )
    assert done.status_code == 302 and done["Location"] == "/console/customers/account/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/console/").status_code == 200
    # Confirmed, the page no longer shows the key.
    again = client.get("/console/two-factor/")
    assert b"Two-factor sign-in is on" in again.content
    assert enrolment_key(device).encode() not in again.content


@pytest.mark.staff_2fa
def test_staff_with_an_authenticator_give_its_code_at_sign_in() -> None:
    user = staff()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()

    missing = sign_in(client, "lee")
    assert missing.status_code == 200
    assert b"Enter the 6-digit code" in missing.content
    assert client.get("/console/").status_code == 302

    wrong = sign_in(client, "lee", "12345x")
    assert wrong.status_code == 200
    assert b"is not a current one" in wrong.content

    right = sign_in(client, "lee", code(device))
    assert right.status_code == 302 and right["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_an_authenticator_is_asked_for_even_when_two_factor_is_not_required() -> None:
    user = staff()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    assert sign_in(client, "lee").status_code == 200
    assert client.get("/console/").status_code == 302
    assert sign_in(client, "lee", code(device)).status_code == 302
    assert client.get("/console/").status_code == 200


def test_without_the_requirement_staff_sign_in_with_a_password_and_may_enrol() -> None:
    staff()
    client = Client()
    response = sign_in(client, "lee")
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    page = client.get("/console/two-factor/")
    assert page.status_code == 200 and b"Confirm and turn on" in page.content
    assert b"The console needs two-factor sign-in" not in page.content


@pytest.mark.staff_2fa
def test_a_wrong_code_counts_as_a_failed_sign_in_for_throttling() -> None:
    user = staff()
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    statuses = [sign_in(client, "lee", "999999x").status_code for _ in range(5)]
    assert statuses[:4] == [200] * 4
    assert statuses[4] == 429


@pytest.mark.staff_2fa
def test_customers_sign_in_to_the_member_centre_without_a_code(now) -> None:  # type: ignore[no-untyped-def]
    account = account_create(brand_key="plugin", name="Ivy House", email="ivy@example.com", now=now)
    user = User.objects.create_user("ivy@example.com", password=PASSWORD)
    CustomerUser.objects.create(user=user, account=account)
    client = Client()
    response = client.post("/member/login/", {"username": "ivy@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/member/").status_code == 200
    # ...and the console turns them away even with the right password.
    console = Client()
    refused = console.post("/console/login/", {"username": "ivy@example.com", "password": PASSWORD})
    assert refused.status_code == 200
    assert console.get("/console/").status_code == 302


@pytest.mark.staff_2fa
def test_reset_removes_the_authenticator_and_the_staff_member_enrols_again() -> None:
    user = staff()
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    call_command("privacy", "two-factor-reset", "--user", "lee")
    assert not TOTPDevice.objects.filter(user=user).exists()
    response = sign_in(Client(), "lee")
    assert response["Location"].startswith("/console/two-factor/")


def test_reset_of_an_unknown_user_is_a_clear_error(capsys) -> None:  # type: ignore[no-untyped-def]
    from backhaul.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["privacy", "two-factor-reset", "--user", "nobody"])
    assert exit_info.value.code == 2
    assert re.search(r"error: .*no user 'nobody'", capsys.readouterr().err)


@pytest.mark.staff_2fa
def test_the_user_menu_links_the_privacy_console_pages(console_login) -> None:  # type: ignore[no-untyped-def]
    from backhaul.demo.services import staff_users_ensure

    staff_users_ensure()
    support, abuse = Client(), Client()
    console_login(support, User.objects.get(username="support"))
    console_login(abuse, User.objects.get(username="abuse"))
    page = support.get("/console/").content
    for link in (
        b"/console/two-factor/",
        b"/console/privacy/analytics/",
        b"/console/privacy/verify-caller/",
    ):
        assert link in page
    # The abuse desk may not check callers, so it has no link to it.
    assert b"/console/privacy/verify-caller/" not in abuse.get("/console/").content
