"""`backhaul api token create`: the command as typed, run in-process against the test DB."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.management import ManagementUtility

from backhaul.api.models import ApiToken
from backhaul.api.services import token_digest
from backhaul.customers.services import account_create
from tests.api.conftest import NOW

pytestmark = pytest.mark.django_db


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def backhaul(capsys, monkeypatch):  # type: ignore[no-untyped-def]
    # A command closes its connections when done; in-process that would close the test's.
    monkeypatch.setattr("backhaul.cli.connections.close_all", lambda: None)

    def run(*args: str) -> Ran:
        code = 0
        try:
            ManagementUtility(["backhaul", *args]).execute()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


@pytest.fixture
def account():  # type: ignore[no-untyped-def]
    return account_create(
        brand_key="plusnet-business",
        name="Penrose Print Ltd",
        email="office@penrose.example.com",
        now=NOW,
    )


def test_customer_token_printed_once_and_only_its_hash_kept(backhaul, account) -> None:  # type: ignore[no-untyped-def]
    result = backhaul("api", "token", "create", "--account", account.number.lower())
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("bh_") and len(secret) > 40
    assert "not shown again" in result.stderr
    stored = ApiToken.objects.get()
    assert stored.account == account
    assert stored.digest == token_digest(secret)
    assert secret not in (stored.prefix, stored.digest, stored.name)


def test_staff_token_json_names_owner_and_scopes(backhaul) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_user("reader", is_staff=True)
    result = backhaul("api", "token", "create", "--user", "reader", "--scope", "invoices", "--json")
    payload = json.loads(result.stdout)
    assert (payload["owner"], payload["scopes"]) == ("reader", ["invoices"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "NOPE"], "error: --account: no account 'NOPE'\n"),
        (["--user", "nobody"], "error: --user: no user 'nobody'\n"),
        (["--user", "customer"], "error: --user: 'customer' is not active staff\n"),
    ],
)
def test_bad_owner_is_a_one_line_error_and_writes_nothing(backhaul, args, message) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_user("customer")
    result = backhaul("api", "token", "create", *args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
    assert not ApiToken.objects.exists()


def test_an_owner_is_required(backhaul) -> None:  # type: ignore[no-untyped-def]
    result = backhaul("api", "token", "create")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr[-1] == "\n"
