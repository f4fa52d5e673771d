"""No token, no data; a customer token never reaches another account; staff tokens read
what the user's permissions allow."""

from __future__ import annotations

import pytest

from backhaul.api.services import api_token_create, api_token_revoke
from tests.api.conftest import NOW, Api, World

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/accounts",
    "/subscriptions",
    "/invoices",
    "/payments",
    "/tickets",
    "/abuse/cases",
    "/abuse/reports",
]


def test_no_token_is_401(anonymous: Api) -> None:
    for path in [*ENDPOINTS, "/accounts/PB000001", "/invoices/X/pdf"]:
        assert anonymous.get(path).status_code == 401, path


def test_wrong_token_is_401(client, world: World) -> None:  # type: ignore[no-untyped-def]
    assert Api(client, "bh_not-a-token").get("/accounts").status_code == 401


def test_revoked_token_is_401(client, world: World) -> None:  # type: ignore[no-untyped-def]
    api_token_revoke(prefix=world.mine_token[:10], now=NOW)
    assert Api(client, world.mine_token).get("/accounts").status_code == 401


def test_customer_cannot_reach_another_account(as_mine: Api, world: World) -> None:
    other = world.theirs.number
    for path in (
        f"/accounts/{other}",
        f"/accounts/{other}/statement",
        f"/accounts/{other}/usage",
        f"/invoices/{world.their_invoice.number}",
        f"/invoices/{world.their_invoice.number}/pdf",
        f"/tickets/{world.their_ticket.reference}",
        f"/subscriptions/{world.theirs.subscriptions.first().pk}",
        f"/subscriptions/{world.theirs.subscriptions.first().pk}/exit-quote",
    ):
        assert as_mine.get(path).status_code == 404, path


def test_customer_lists_filtered_by_other_account_are_empty(as_mine: Api, world: World) -> None:
    for path in ENDPOINTS:
        assert as_mine.get(path, account=world.theirs.number).json()["count"] == 0, path


def test_staff_without_the_permission_is_403(client, world: World) -> None:  # type: ignore[no-untyped-def]
    for path in [*ENDPOINTS, f"/accounts/{world.mine.number}/usage"]:
        assert Api(client, world.bare_staff_token).get(path).status_code == 403, path


def test_staff_with_permissions_sees_every_account(as_staff: Api, world: World) -> None:
    numbers = {i["account"] for i in as_staff.get("/invoices").json()["items"]}
    assert {world.mine.number, world.theirs.number} <= numbers
    assert as_staff.get(f"/invoices/{world.their_invoice.number}").status_code == 200


def test_token_limited_to_scopes(client, world: World) -> None:  # type: ignore[no-untyped-def]
    secret = api_token_create(account_number=world.mine.number, scopes=["invoices"], now=NOW)
    api = Api(client, secret.secret)
    assert api.get("/invoices").status_code == 200
    assert api.get("/tickets").status_code == 403


def test_staff_token_of_deactivated_user_is_401(client, world: World) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    User.objects.filter(username="reader").update(is_active=False)
    assert Api(client, world.staff_token).get("/accounts").status_code == 401
