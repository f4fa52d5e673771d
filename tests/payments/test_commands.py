"""`backhaul payments ...` and `backhaul interest`.

Most cases run the command in this process through `run_from_argv`, the path the `backhaul`
console script takes (so one-line errors and exit status 2 are what users see); one test
runs the real command in a subprocess against a database of its own.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import load_command_class
from django.db import connections

from backhaul.payments.models import CollectionCase, Payment
from tests.payments.conftest import NOW, bill, mps_customer, plugin_customer
from tests.test_cli import assert_user_error, cli  # noqa: F401  (module-scoped fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(monkeypatch, capsys):
    """Run `backhaul <command> <args>` in this process; (exit status, stdout, stderr)."""
    # The command closes database connections when it finishes, as a process would; here
    # that would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run_(command: str, *args: str) -> tuple[int, str, str]:
        app = "backhaul.payments"
        status = 0
        try:
            load_command_class(app, command).run_from_argv(["backhaul", command, *args])
        except SystemExit as exc:
            status = int(exc.code or 0)
        out = capsys.readouterr()
        return status, out.out, out.err

    return run_


@pytest.fixture
def billed():
    """A PlugIn customer billed £29.99 on 15 Nov 2026 (£24.99 + VAT £5.00)."""
    account = plugin_customer("Kestrel Print Ltd")
    bill(date(2026, 11, 15))
    return account


def test_record_statement_and_interest(run, billed) -> None:
    status, out, err = run(
        "payments",
        "record",
        "--account",
        billed.number,
        "--amount",
        "10.00",
        "--method",
        "card",
        "--on",
        "2026-11-19",
        "--json",
    )
    assert (status, err) == (0, "")
    assert json.loads(out)["balance"] == "19.99"
    status, out, _ = run(
        "payments", "statement", "--account", billed.number, "--on", "2026-11-30", "--json"
    )
    statement = json.loads(out)
    assert [(line["debit"], line["credit"], line["balance"]) for line in statement["lines"]] == [
        ("29.99", "", "29.99"),
        ("", "10.00", "19.99"),
    ]
    # £29.99 due 15 Nov, £10.00 paid 19 Nov: November 4 days on 29.99 and 12 on 19.99 at
    # 1/30 of 1% a day; December 31 days on 19.99 at 1/31:
    # 0.01 x (4 x 29.99 + 12 x 19.99) / 30 + 0.01 x 19.99 = 0.1199466... + 0.1999
    # = 0.3198466...: £0.32, rounded half-up once for the invoice.
    status, out, _ = run("interest", "--account", billed.number, "--on", "2027-01-01", "--json")
    summary = json.loads(out)
    [invoice] = summary["invoices"]
    assert [(p["from"], p["days"], p["principal"]) for p in invoice["periods"]] == [
        ("2026-11-15", 4, "29.99"),
        ("2026-11-19", 12, "19.99"),
        ("2026-12-01", 31, "19.99"),
    ]
    assert (invoice["interest"], summary["total"], summary["vat"]) == (
        "0.32",
        "0.32",
        "outside-scope",
    )
    status, out, _ = run("interest", "--account", billed.number, "--on", "2027-01-01")
    assert "PI-INV-0000001: £0.32" in out
    assert "4 days on £29.99 at 1% a month" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "PI999999"], "unknown account 'PI999999'"),
        (["--amount", "0"], "amount: must be more than zero, not 0"),
        (["--amount", "-5.00"], "amount: must be more than zero, not -5.00"),
        (["--amount", "12.3.4"], "amount: not an amount: '12.3.4'"),
        (
            ["--method", "cash"],
            "method: plugin does not accept cash (plugin/code-of-practice#charges: refused cash, "
            "visa-electron)",
        ),
        (["--on", "2026-02-30"], "--on: not a date (use YYYY-MM-DD): '2026-02-30'"),
        (["--method"], "argument --method: expected one argument"),
    ],
)
def test_bad_payments_are_one_line_errors_and_write_nothing(run, billed, args, message) -> None:
    options = [
        "--account",
        billed.number,
        "--amount",
        "5.00",
        "--method",
        "card",
        "--on",
        "2026-11-20",
    ]
    status, out, err = run("payments", "record", *options, *args, "--json")
    assert (status, out, err) == (2, "", f"error: {message}\n")
    assert not Payment.objects.exists()


def test_disputes_are_refused_where_the_terms_have_none(run, billed) -> None:
    status, _, err = run(
        "payments",
        "dispute",
        "--account",
        billed.number,
        "--invoice",
        "PI-INV-0000001",
        "--amount",
        "1.00",
        "--reason",
        "x",
        "--on",
        "2026-11-16",
    )
    assert (status, err) == (
        2,
        "error: PlugIn's terms have no disputed-bills clause: contact support@plugin.co.uk\n",
    )


def test_failures_hold_contact_and_leave(run, billed) -> None:
    for n, day in enumerate(["2026-01-10", "2026-03-05", "2026-06-01", "2026-11-20"]):
        status, out, err = run(
            "payments",
            "failure",
            "--account",
            billed.number,
            "--kind",
            "card-decline",
            "--on",
            day,
            "--reference",
            f"D{n}",
            "--json",
        )
        assert status == 0, err
    assert json.loads(out)["charged"] == "20.00"
    status, out, _ = run(
        "payments",
        "hold",
        "--account",
        billed.number,
        "--reason",
        "paying Friday",
        "--until",
        "2026-12-01",
        "--json",
    )
    assert json.loads(out) == {"account": billed.number, "held": True, "until": "2026-12-01"}
    status, out, _ = run(
        "payments",
        "contact",
        "--account",
        billed.number,
        "--on",
        "2026-11-21",
        "--channel",
        "phone",
        "--outcome",
        "no-response",
    )
    assert status == 0
    subscription = billed.subscriptions.get()
    status, out, err = run(
        "payments",
        "leave",
        "--subscription",
        str(subscription.pk),
        "--kind",
        "customer-notice",
        "--on",
        "2026-11-21",
        "--json",
    )
    assert status == 0, err
    # PlugIn broadband: 20 days' notice before the renewal date; notice on 21 Nov ends it
    # at the first renewal at least 20 days away, 15 Dec 2026; cease £32.00 + VAT.
    left = json.loads(out)
    assert left["ends_on"] == "2026-12-15"
    assert [(line["kind"], line["net"]) for line in left["lines"]] == [("cease", "32.00")]


def test_collections_export_writes_csv(run, tmp_path) -> None:
    account = mps_customer("Linden Print Ltd")
    bill(date(2026, 11, 15))
    from backhaul.payments.services import collection_open

    collection_open(account_number=account.number, on=date(2026, 11, 21), now=NOW)
    target = tmp_path / "agency.csv"
    status, out, err = run(
        "payments",
        "collections",
        "--on",
        "2026-11-21",
        "--agency-cost",
        "25.00",
        "--output",
        str(target),
        "--json",
    )
    assert status == 0, err
    assert json.loads(out) == {"read": 1, "exported": 1, "withdrawn": [], "file": str(target)}
    row = next(csv.DictReader(io.StringIO(target.read_text())))
    assert (row["debt"], row["agency_cost"], row["total"]) == ("76.91", "25.00", "101.91")
    assert CollectionCase.objects.get().status == "exported"


def test_the_real_command_in_a_process(cli) -> None:  # noqa: F811
    created = cli(
        "accounts",
        "create",
        "--brand",
        "plugin",
        "--name",
        "Marlow Print Ltd",
        "--email",
        "accounts@marlow.example.com",
        "--json",
    )
    number = json.loads(created.stdout)["number"]
    assert (
        cli(
            "subscriptions",
            "create",
            "--account",
            number,
            "--product",
            "broadband",
            "--start",
            "2025-06-01",
        ).returncode
        == 0
    )
    assert cli("billrun", "--on", "2025-06-01", "--brand", "plugin").returncode == 0
    paid = cli(
        "payments",
        "record",
        "--account",
        number,
        "--amount",
        "12.34",
        "--method",
        "card",
        "--on",
        "2025-06-05",
        "--reference",
        "AUTH 1",
        "--json",
    )
    assert paid.returncode == 0, paid.stderr
    assert json.loads(paid.stdout)["balance"] == "17.65"  # 29.99 - 12.34
    assert_user_error(
        cli(
            "payments",
            "record",
            "--account",
            number,
            "--amount",
            "0",
            "--method",
            "card",
            "--on",
            "2025-06-05",
        ),
        "amount: must be more than zero, not 0",
    )
