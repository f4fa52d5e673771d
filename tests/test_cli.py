"""The `backhaul` command as people run it: real processes, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.catalogue.test_schema import MINIMAL
from tests.conftest import PLUGIN, PLUSNET, ROOT

BACKHAUL = [sys.executable, "-m", "backhaul"]


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Run `backhaul ...` against a migrated SQLite database of its own."""
    home = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home / 'cli.sqlite3'}",
        "BACKHAUL_HOME": str(ROOT),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*BACKHAUL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    assert run("migrate", "--no-input", "-v", "0").returncode == 0
    loaded = run("catalogue", "load", str(PLUSNET), str(PLUGIN), "--json")
    assert loaded.returncode == 0, loaded.stderr
    run.home = home  # type: ignore[attr-defined]
    return run


def assert_user_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_exit_quote_json(cli) -> None:
    result = cli(
        "quote",
        "exit",
        "--brand",
        "plusnet-business",
        "--product",
        "mps-option-2",
        "--term",
        "36",
        "--market",
        "3",
        "--start",
        "2025-01-15",
        "--notice",
        "2026-09-20",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    quote = json.loads(result.stdout)
    assert quote["termination_date"] == "2026-10-20"
    assert [
        (line["kind"], line["net"], line["vat"], line["gross"], line["clause"])
        for line in quote["lines"]
    ] == [
        (
            "early_termination",
            "393.23",
            "78.65",
            "471.88",
            "plusnet-business/broadband-schedule#4.8",
        ),
        ("cease", "20.83", "4.17", "25.00", "plusnet-business/broadband-charges#8"),
    ]
    assert (quote["net"], quote["vat"], quote["total"]) == ("414.06", "82.82", "496.88")


def test_accounts_subscriptions_and_subscription_quote(cli) -> None:
    created = cli(
        "accounts",
        "create",
        "--brand",
        "plusnet-business",
        "--name",
        "Foxley Print Ltd",
        "--email",
        "accounts@foxley.example.com",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    account = json.loads(created.stdout)
    assert account["number"].startswith("PB")
    subscribed = cli(
        "subscriptions",
        "create",
        "--account",
        account["number"],
        "--product",
        "mps-option-2",
        "--term",
        "36",
        "--market",
        "3",
        "--start",
        "2025-01-15",
        "--json",
    )
    assert subscribed.returncode == 0, subscribed.stderr
    subscription = json.loads(subscribed.stdout)
    assert (subscription["status"], subscription["minimum_period_end"], subscription["price"]) == (
        "active",
        "2028-01-15",
        "26.50",
    )
    quote = cli(
        "quote",
        "exit",
        "--subscription",
        str(subscription["id"]),
        "--notice",
        "2026-09-20",
        "--mac",
        "--json",
    )
    assert quote.returncode == 0, quote.stderr
    assert json.loads(quote.stdout)["total"] == "471.88"


def test_broken_catalogue_is_one_line_exit_2_and_writes_nothing(cli) -> None:
    broken = Path(cli.home) / "broken.toml"
    broken.write_text(MINIMAL.replace('amount = "25.00"', "amount = 25.0"), encoding="utf-8")
    result = cli("catalogue", "load", str(broken))
    assert_user_error(
        result,
        f"{broken}: products[0].prices[0].amount: amounts are written as strings, for example "
        '"28.00", not 25.0',
    )
    shown = cli("catalogue", "show", "acme")
    assert_user_error(shown, "unknown brand 'acme' (known: plugin, plusnet-business)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "--brand",
                "acme",
                "--product",
                "x",
                "--start",
                "2025-01-15",
                "--notice",
                "2026-01-01",
            ],
            "unknown brand 'acme' (known: plugin, plusnet-business)",
        ),
        (
            [
                "--brand",
                "plugin",
                "--product",
                "fibre",
                "--start",
                "2025-01-15",
                "--notice",
                "2026-01-01",
            ],
            None,
        ),
        (
            [
                "--brand",
                "plugin",
                "--product",
                "broadband",
                "--start",
                "2025-01-15",
                "--notice",
                "2026-02-30",
            ],
            "--notice: not a date (use YYYY-MM-DD): '2026-02-30'",
        ),
        (
            [
                "--brand",
                "plugin",
                "--product",
                "broadband",
                "--start",
                "2025-01-15",
                "--notice",
                "2024-12-01",
            ],
            "notice: 2024-12-01 is before the service start date 2025-01-15",
        ),
        (["--subscription", "999999", "--notice", "2026-01-01"], "unknown subscription 999999"),
        (["--notice", "2026-01-01"], "give --subscription, or --brand, --product, --start"),
        (["--brand", "plugin"], "the following arguments are required: --notice"),
    ],
)
def test_exit_quote_bad_input(cli, args: list[str], message: str | None) -> None:
    result = cli("quote", "exit", *args)
    if message is None:
        assert result.returncode == 2
        assert result.stderr.startswith("error: unknown product 'fibre' for plugin (known: ")
        assert result.stderr.count("\n") == 1
    else:
        assert_user_error(result, message)


def test_account_with_bad_email(cli) -> None:
    result = cli("accounts", "create", "--brand", "plugin", "--name", "X", "--email", "nope")
    assert_user_error(result, "email: not an email address: 'nope'")


def test_catalogue_show_json(cli) -> None:
    result = cli("catalogue", "show", "plugin", "--on", "2026-11-21", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["brand"] == "plugin"
    assert {p["key"] for p in summary["products"]} >= {
        "broadband",
        "broadband-unlimited",
        "email",
        "hosting",
        "domain-uk",
        "domain-com",
        "topup-10gb",
    }


def test_subscription_order_records_the_promised_date(cli) -> None:
    created = cli(
        "accounts", "create", "--brand", "plugin", "--name", "Ada Lane",
        "--email", "ada@lane.example.com", "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    number = json.loads(created.stdout)["number"]
    order = ["subscriptions", "create", "--account", number, "--product"]
    product = json.loads(cli("catalogue", "show", "plugin", "--json").stdout)["products"][0]["key"]
    ordered = cli(*order, product, "--start", "2099-03-10", "--promised", "2099-03-03", "--json")
    assert ordered.returncode == 0, ordered.stderr
    subscription = json.loads(ordered.stdout)
    assert (subscription["status"], subscription["promised_start_date"]) == (
        "ordered",
        "2099-03-03",
    )
    refused = cli(*order, product, "--start", "2099-03-10", "--promised", "2001-01-01")
    # The order date is today's, so only the fixed part of the message is compared.
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: promised: 2001-01-01 is before the order date 2")
    assert refused.stderr.count("\n") == 1
