"""Member Centre privacy pages: consents, referrals and the download, own account only."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client

from backhaul.customers.choices import AccountStatus
from backhaul.customers.models import Account
from backhaul.privacy.models import ConsentChange, Referral
from backhaul.privacy.selectors import consents_current

pytestmark = pytest.mark.django_db


def signed_in(account: Account) -> Client:
    client = Client()
    client.force_login(account.users.first().user)
    return client


def with_login(demo: list[Account]) -> list[Account]:
    return [a for a in demo if a.users.exists()]


def test_page_shows_starting_choices(demo: list[Account]) -> None:
    account = next(a for a in with_login(demo) if a.brand.key == "plusnet-business")
    response = signed_in(account).get("/member/privacy/")
    assert response.status_code == 200
    # Plusnet: recommendations and research start on, marketing off (catalogue consents).
    assert consents_current(account) == {
        "recommendations": True, "research": True, "marketing": False,
    }  # fmt: skip
    assert b"Personalised recommendations" in response.content


def test_opting_out_is_recorded_with_history(demo: list[Account], now) -> None:  # type: ignore[no-untyped-def]
    account = with_login(demo)[0]
    client = signed_in(account)
    for granted in ("off", "on", "on"):
        response = client.post(
            "/member/privacy/consents/", {"kind": "recommendations", "granted": granted}
        )
        assert response.status_code == 302
    changes = ConsentChange.objects.filter(account=account, kind="recommendations")
    assert list(changes.values_list("granted", flat=True)) == [False, True]
    assert consents_current(account)["recommendations"] is True


def test_bad_consent_change_is_refused(demo: list[Account]) -> None:
    account = with_login(demo)[0]
    client = signed_in(account)
    response = client.post("/member/privacy/consents/", {"kind": "everything", "granted": "on"})
    assert response.status_code == 400
    assert b"unknown kind" in response.content
    assert not ConsentChange.objects.exists()


def test_consent_change_cannot_name_another_account(demo: list[Account]) -> None:
    mine, other = with_login(demo)[:2]
    signed_in(mine).post(
        "/member/privacy/consents/",
        {"kind": "marketing", "granted": "on", "account": other.number},
    )
    assert not ConsentChange.objects.filter(account=other).exists()
    assert ConsentChange.objects.filter(account=mine).count() == 1


def test_referral_shows_eligibility_never_the_reason(demo: list[Account], now) -> None:  # type: ignore[no-untyped-def]
    referrer = with_login(demo)[0]
    kept, lapsed = [a for a in demo if a != referrer][:2]
    Referral.objects.create(referrer=referrer, referred=kept, referred_at=now)
    Referral.objects.create(referrer=referrer, referred=lapsed, referred_at=now)
    Account.objects.filter(pk=lapsed.pk).update(status=AccountStatus.CLOSED)
    page = signed_in(referrer).get("/member/privacy/").content.decode()
    assert page.count("Still eligible") == 1
    assert page.count("No longer eligible") == 1
    for leak in ("closed", "Closed", "arrears", lapsed.name, lapsed.number):
        assert leak not in page


def test_download_is_the_signed_in_customers_own(demo: list[Account]) -> None:
    mine, other = with_login(demo)[:2]
    response = signed_in(mine).post("/member/privacy/export/", {"account": other.number})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        summary = json.loads(archive.read("account.json"))
        blob = b"".join(archive.read(n) for n in archive.namelist())
    assert summary["account"] == mine.number
    assert other.primary_email.encode() not in blob


def test_download_needs_a_customer(demo: list[Account]) -> None:
    assert Client().post("/member/privacy/export/").status_code == 302
    assert Client().get("/member/privacy/export/").status_code in (302, 405)
