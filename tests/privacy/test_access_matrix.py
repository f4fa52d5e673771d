"""The access matrix: every URL of backhaul.urls as anonymous, customers A and B and staff.

URL patterns are discovered from the resolver, so pages other areas add are covered as
they land. Path parameters are filled with real objects of customer A (their own) and of
customer B (someone else's), found from the parameter's name among the models of the
page's area. The classes:

- Member Centre (`member/...`): anonymous visitors are sent to sign in, staff are refused,
  a customer never gets another customer's object (404/403, never 200).
- Staff console (`console/...`): anonymous visitors and customers are sent to the console
  sign-in; each staff role sees a model's list only with that model's view permission.
  Staff sign in with two-factor (the production setting); a staff session that has not
  given its authenticator's code opens nothing but the sign-in and enrolment pages.
- API (`api/v1/...`): nothing but the public documents without a token, not even for a
  signed-in session; a customer token never reads another customer's account.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from backhaul.api.services import api_token_create
from backhaul.customers.models import Account
from backhaul.demo.services import staff_users_ensure
from backhaul.privacy.register import REGISTER
from backhaul.support.services.tickets import Upload, ticket_raise

pytestmark = [pytest.mark.django_db, pytest.mark.staff_2fa]

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
CONSOLE_OPEN = {"console/login/", "console/logout/", "console/two-factor/"}
API_PUBLIC = {"api/v1/openapi.json", "api/v1/docs", "api/v1/health", "api/v1/"}
OWNER_PATHS = ("account", "ticket__account", "message__ticket__account", "mailbox__account",
               "case__account", "package__account", "subscription__account")  # fmt: skip


def routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def owner_path(model: type[models.Model]) -> str | None:
    label = model._meta.label
    if label in REGISTER and REGISTER[label].owner:
        return REGISTER[label].owner
    names = {f.name for f in model._meta.get_fields()}
    return next((p for p in OWNER_PATHS if p.split("__")[0] in names), None)


def area_models(route: str) -> list[type[models.Model]]:
    parts = route.split("/")
    label = parts[1] if parts[0] == "member" else ""
    if parts[0] == "api":
        return [m for m in apps.get_models() if owner_path(m) is not None]
    try:
        return list(apps.get_app_config(label).get_models())
    except LookupError:
        return []


def param_value(route: str, name: str, conv: str, account: Account) -> str | None:
    """A value for the parameter from an object of this account, or None if it has none."""
    if name in ("year", "month"):
        return None
    for model in area_models(route):
        path = owner_path(model)
        if path is None:
            continue
        fields = {f.name for f in model._meta.get_fields() if f.concrete}
        stem = name.removesuffix("_id")
        if name == "pk" or name.endswith("_id"):
            if name != "pk" and model.__name__.lower() != stem:
                continue
            if name == "pk" and model.__name__.lower() not in route.replace("s/<", "/<"):
                continue
            field = "pk"
        elif name in fields:
            field = name
        else:
            continue
        rows = model.objects.filter(**{path or "pk": account.pk}) if path else None
        if name == "number" and route.startswith("api/v1/accounts"):
            rows = Account.objects.filter(pk=account.pk)
        value = rows.values_list(field, flat=True).first() if rows is not None else None
        if value is not None:
            return str(value)
    return None


def fill(route: str, account: Account, now: datetime) -> tuple[str, bool]:
    """The URL with parameters from the account's objects; False if any had no object."""
    complete = True

    def value(match: re.Match[str]) -> str:
        nonlocal complete
        name, conv = match["name"], match["conv"] or "str"
        if name == "year":
            return str(now.year)
        if name == "month":
            return str(now.month)
        found = param_value(route, name, conv, account)
        if found is None:
            complete = False
            return "0" if conv == "int" else "none-such"
        return found

    return "/" + PARAM.sub(value, route), complete


def assert_no_customer_data(content: bytes, world: dict[str, Any], route: str) -> None:
    for account in (world["A"], world["B"]):
        for value in (account.number, account.primary_email, account.name):
            assert value.encode() not in content, (route, value)


@pytest.fixture
def world(demo: list[Account], now: datetime, console_login: Any) -> dict[str, Any]:
    customers = [a for a in demo if a.users.exists()]
    a, b = customers[0], customers[1]
    for account in (a, b):
        ticket_raise(
            account=account, category="general", subject="Help", body="Please", now=now,
            raised_via="portal", raised_by="me",
            uploads=[Upload(filename="n.txt", content_type="text/plain", content=b"x")],
        )  # fmt: skip
    clients: dict[str, Client] = {"anonymous": Client()}
    for name, account in (("A", a), ("B", b)):
        clients[name] = Client()
        clients[name].force_login(account.users.first().user)
    staff = {}
    for username, _password, role in staff_users_ensure():
        user = User.objects.get(username=username)
        clients[role] = Client()
        console_login(clients[role], user)
        staff[role] = user
    return {"A": a, "B": b, "clients": clients, "staff": staff}


def test_member_centre_pages(world: dict[str, Any], now: datetime) -> None:
    clients = world["clients"]
    checked = crossed = 0
    for route in routes():
        if not route.startswith("member/") or route in ("member/login/", "member/logout/"):
            continue
        own, own_complete = fill(route, world["A"], now)
        others, others_complete = fill(route, world["B"], now)
        anonymous = clients["anonymous"].get(own)
        if anonymous.status_code == 200:
            # A published page (average speeds, the abuse form): it holds nobody's data.
            assert_no_customer_data(anonymous.content, world, route)
            continue
        assert anonymous.status_code in (302, 405), (route, anonymous.status_code)
        if anonymous.status_code == 302:
            assert "/member/login/" in anonymous["Location"], route
        for role in world["staff"]:
            assert clients[role].get(own).status_code in (403, 405), (route, role)
        mine = clients["A"].get(own)
        assert mine.status_code < 500, (route, mine.status_code)
        if own_complete:
            assert mine.status_code not in (403, 302) or "login" not in mine.get("Location", "")
        if PARAM.search(route) and others_complete and others != own:
            theirs = clients["A"].get(others)
            assert theirs.status_code in (403, 404, 405), (route, others, theirs.status_code)
            posted = clients["A"].post(others, {})
            assert posted.status_code in (403, 404, 405), (route, others, posted.status_code)
            crossed += 1
        checked += 1
    assert checked >= 3
    # Customer B's own objects were tried on A's behalf for the pages that take one.
    assert crossed >= 3


def test_console_is_for_staff_with_the_view_permission(world: dict[str, Any]) -> None:
    clients = world["clients"]
    for name in ("anonymous", "A"):
        response = clients[name].get("/console/")
        assert response.status_code == 302 and "/console/login/" in response["Location"]
    checked = 0
    for route in routes():
        match = re.fullmatch(r"console/(\w+)/(\w+)/", route)
        if match is None:
            continue
        label = f"{match[1]}.{match[2]}"
        model = next((m for m in apps.get_models() if m._meta.label_lower == label), None)
        if model is None or model._meta.label not in REGISTER:
            continue
        for name in ("anonymous", "A"):
            response = clients[name].get("/" + route)
            assert response.status_code == 302, (route, name)
            assert "/console/login/" in response["Location"]
        for role, user in world["staff"].items():
            allowed = user.has_perm(f"{match[1]}.view_{match[2]}") or user.has_perm(
                f"{match[1]}.change_{match[2]}"
            )
            status = clients[role].get("/" + route).status_code
            assert status == (200 if allowed else 403), (route, role, status)
        checked += 1
    assert checked >= 10


def test_console_needs_the_second_factor(world: dict[str, Any]) -> None:
    """Password alone (a session never verified by a code) opens no console page."""
    with_device = Client()
    with_device.force_login(world["staff"]["admin"])  # has an authenticator, gave no code
    without = Client()
    without.force_login(User.objects.create_user("newstaff", password="x" * 12, is_staff=True))
    checked = 0
    for route in routes():
        if not re.fullmatch(r"console/(\w+/){1,2}", route) or route in CONSOLE_OPEN:
            continue
        response = with_device.get("/" + route)
        assert response.status_code == 302, (route, response.status_code)
        assert "/console/login/" in response["Location"], route
        response = without.get("/" + route)
        assert response.status_code == 302 and "/console/login/" in response["Location"], route
        checked += 1
    assert checked >= 10
    # Sent to sign in, the staff member without an authenticator is sent on to enrol.
    response = without.get("/console/login/?next=/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/two-factor/")
    assert without.get("/console/two-factor/").status_code == 200


def test_api_needs_a_token_and_shows_only_the_tokens_account(
    world: dict[str, Any], now: datetime
) -> None:
    clients = world["clients"]
    api_routes = [r for r in routes() if r.startswith("api/v1/") and r not in API_PUBLIC]
    assert api_routes
    for route in api_routes:
        url, _ = fill(route, world["A"], now)
        for name, client in clients.items():
            status = client.get(url).status_code
            assert status in (401, 403), (route, name, status)
    a, b = world["A"], world["B"]
    secret = api_token_create(account_number=a.number, now=now).secret
    token = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert token.get(f"/api/v1/accounts/{a.number}").status_code == 200
    for route in api_routes:
        if not PARAM.search(route):
            continue
        url, complete = fill(route, b, now)
        if complete:
            status = token.get(url).status_code
            assert status in (403, 404), (route, url, status)
