"""`backhaul rate`: the command as run from the command line, JSON out, one-line errors.

The command runs in this process against the test database (argument parsing, error
reporting and exit status as `backhaul` runs them), so no second database is migrated.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from django.db import connections

from backhaul.customers.services import account_create
from backhaul.rating.management.commands.rate import Command
from backhaul.rating.services import number_assign
from tests.rating.conftest import write_cdrs

pytestmark = pytest.mark.django_db

ROWS = [
    # Weekend FM2, 4 minutes: 4 x 0.1735 + 0.05 = 0.744 -> 0.75; 0.90 with VAT.
    "s1,,01142000201,07400123456,2026-06-13T11:00:00+01:00,185,ANSWERED,false",
    # Wednesday 17:57:30 BST for 330 s: 3 daytime + 3 evening minutes: 0.125 -> 0.13; 0.16.
    "s2,,01142000201,01632960001,2026-06-10T17:57:30+01:00,330,ANSWERED,false",
    "s3,,01142000201,01632960001,2026-06-10T17:57:30+01:00,330,BUSY,false",
    "s4,,01142000201,01632960001,not-a-time,330,ANSWERED,false",
]


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.returncode, self.stdout, self.stderr = code, out, err


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    # The command closes its connections when done; here they are the test's own.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> Run:
        code = 0
        try:
            Command().run_from_argv(["backhaul", "rate", *args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    run.home = tmp_path  # type: ignore[attr-defined]
    return run


def test_a_what_if_prints_the_summary_and_writes_parquet(cli) -> None:
    home = Path(cli.home)
    path = write_cdrs(home / "whatif.csv", ROWS)
    out = home / "rated.parquet"
    result = cli(
        str(path),
        "--brand",
        "plusnet-business",
        "--plan",
        "business-phone-line",
        "--out",
        str(out),
        "--rejects",
        str(home / "rejects.csv"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["rated"], summary["rejected"]) == (4, 3, 1)
    assert (summary["total_ex_vat"], summary["total_inc_vat"]) == ("0.88", "1.06")
    assert summary["by_band"]["weekend"] == {"minutes": 4, "charged_minutes": 4}
    assert summary["by_destination"]["mobile-fm2"]["ex_vat"] == "0.75"
    rated = pl.read_parquet(out)
    assert {
        "call_id",
        "destination_class",
        "billed_minutes",
        "bands",
        "setup_fee",
        "charge_ex_vat",
        "charge_inc_vat",
        "inclusive",
        "clause",
    } <= set(rated.columns)
    assert (
        (home / "rejects.csv")
        .read_text()
        .splitlines()[1]
        .startswith("5,answered_at: not an ISO 8601 time with offset: 'not-a-time'")
    )


def test_an_import_bills_the_calls_once(cli, now) -> None:
    home = Path(cli.home)
    account = account_create(
        brand_key="plusnet-business", name="Harrow Surveyors", email="h@example.com", now=now
    )
    number_assign(
        account_number=account.number,
        number="01142000201",
        plan="business-phone-line",
        start=date(2026, 1, 1),
        now=now,
    )
    path = write_cdrs(home / "june.csv", ROWS)
    first = cli(str(path), "--brand", "plusnet-business", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["rated"], summary["charges"], summary["already_imported"]) == (3, 1, False)
    again = cli(str(path), "--brand", "plusnet-business")
    assert again.returncode == 0, again.stderr
    assert "was imported before" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "{home}/missing.csv: no such file"),
        (["empty.csv"], "{home}/empty.csv: the file is empty"),
        (
            ["empty.csv", "--brand", "acme"],
            "unknown brand 'acme' (known: plugin, plusnet-business)",
        ),
        (
            ["good.csv", "--format", "cisco"],
            "argument --format: invalid choice: 'cisco' (choose from 'canonical', 'asterisk')",
        ),
        (
            ["header.csv"],
            "{home}/header.csv: line 1: expected the header 'call_id,account,caller,callee,"
            "answered_at,billsec,disposition,operator_assisted', found 'a,b,c'",
        ),
        (
            ["good.csv", "--plan", "fibre"],
            "plan: 'fibre' is not a call plan of plusnet-business (known: "
            "broadband-phone-business, broadband-phone-business-extra, broadband-phone-payg, "
            "business-phone-anytime, business-phone-line)",
        ),
        (
            ["good.csv", "--out", "rated.xlsx"],
            "--out: name a .csv or .parquet file, not 'rated.xlsx'",
        ),
    ],
)
def test_user_errors_are_one_line_and_write_nothing(cli, args, message) -> None:
    home = Path(cli.home)
    (home / "empty.csv").write_bytes(b"")
    (home / "header.csv").write_text("a,b,c\n")
    write_cdrs(home / "good.csv", ROWS[:1])
    first, *rest = args
    if "--brand" not in rest:
        rest += ["--brand", "plusnet-business"]
    result = cli(str(home / first), *[str(home / a) if a.endswith(".xlsx") else a for a in rest])
    assert result.returncode == 2
    assert result.stdout == ""
    expected = message.format(home=home)
    if "--out" in rest:
        expected = message
    assert result.stderr == f"error: {expected}\n"
