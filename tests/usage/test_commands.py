"""`backhaul usage import|state|simulate|topup|speeds`: JSON out, one-line errors, exit 2.

The command runs in this process against the test database (argument parsing, error
reporting and exit status as `backhaul` runs them), so no second database is migrated.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connections

from backhaul.billing.models import PendingCharge
from backhaul.network.models import RadAcct
from backhaul.usage.management.commands.usage import Command
from backhaul.usage.models import AccountingRecord, AllowanceState, ImportRun, TopUp, UsageDay
from tests.usage.factories import broadband_account, detail_record, write_detail

pytestmark = pytest.mark.django_db
GB = 10**9
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.returncode, self.stdout, self.stderr = code, out, err

    def json(self) -> dict:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys, monkeypatch):
    # The command closes its connections when done; here they are the test's own.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> Run:
        code = 0
        with time_machine.travel(NOW, tick=False):
            try:
                Command().run_from_argv(["backhaul", "usage", *args])
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def assert_user_error(result: Run, message: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def utc(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def plugin(tmp_path):
    account, _, login = broadband_account()
    return account, login


# --- import ------------------------------------------------------------------------------


def test_import_a_detail_file_counts_rejects_and_replays_as_nothing(cli, plugin, tmp_path) -> None:
    account, login = plugin
    good = [
        detail_record(when=utc(5), username=login.username, total_out=30 * GB),
        detail_record(when=utc(10), username=login.username, total_out=50 * GB),
    ]
    bad = detail_record(when=utc(11), username=login.username).replace(
        "Acct-Output-Octets = 0", "Acct-Output-Octets = many"
    )
    path = write_detail(tmp_path / "detail-20261110", [*good, bad])
    result = cli("import", "--detail", str(path), "--json").json()
    assert (result["source"], result["records_read"], result["records_accepted"]) == (
        "detail",
        3,
        2,
    )
    assert (result["records_rejected"], result["metered"], result["accounts_updated"]) == (1, 2, 1)
    # Each good record is 10 lines (with Gigawords) and a blank: the bad one starts on
    # line 23, and its output counter is its eighth line, 30.
    assert result["rejected"] == [
        {
            "origin": f"{path}:23",
            "line": 23,
            "reason": "line 30: Acct-Output-Octets is not a whole number: 'many'",
        }
    ]
    assert AllowanceState.objects.get(account=account).used_bytes == 50 * GB
    again = cli("import", "--detail", str(path), "--json").json()
    assert (again["metered"], again["duplicates"], again["records_rejected"]) == (0, 2, 1)
    assert AllowanceState.objects.get(account=account).used_bytes == 50 * GB
    assert sum(UsageDay.objects.values_list("output_octets", flat=True)) == 50 * GB


def test_import_polls_radacct(cli, plugin) -> None:
    account, login = plugin
    RadAcct.objects.create(
        acctsessionid="s1",
        acctuniqueid="u1",
        username=login.username,
        nasipaddress="192.0.2.1",
        acctstarttime=utc(10, 8),
        acctupdatetime=utc(10, 9),
        acctinputoctets=1_000,
        acctoutputoctets=3 * GB,
        framedipaddress="198.51.100.20",
    )
    RadAcct.objects.create(
        acctsessionid="s2",
        acctuniqueid="u2",
        username=None,
        nasipaddress="192.0.2.1",
        acctstarttime=utc(10, 8),
    )
    result = cli("import", "--json").json()
    assert (result["source"], result["records_read"], result["records_accepted"]) == (
        "radacct",
        2,
        1,
    )
    assert result["rejected"][0]["reason"] == "no UserName"
    assert AllowanceState.objects.get(account=account).used_bytes == 3 * GB + 1_000
    # The next poll reads the session again (it may have moved since): nothing new counts.
    text = cli("import")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert {"records_read: 1", "metered: 0", "duplicates: 1"} <= set(lines)
    assert AllowanceState.objects.get(account=account).used_bytes == 3 * GB + 1_000


def test_import_bad_input_is_one_line_and_writes_nothing(cli, plugin, tmp_path) -> None:
    assert_user_error(
        cli("import", "--detail", str(tmp_path / "missing")),
        f"{tmp_path / 'missing'}: no such file",
    )
    assert_user_error(
        cli("import", "--since", "yesterday"),
        "--since: not a date and time (use e.g. 2026-11-20T10:00:00Z): 'yesterday'",
    )
    assert_user_error(cli("import", "--frobnicate"), "unrecognized arguments: --frobnicate")
    assert not ImportRun.objects.exists()
    assert not AccountingRecord.objects.exists()


# --- state -------------------------------------------------------------------------------


def test_state_at_an_instant(cli, plugin, tmp_path) -> None:
    account, login = plugin
    path = write_detail(
        tmp_path / "d",
        [
            detail_record(when=utc(5), username=login.username, total_out=60 * GB),
            detail_record(when=utc(8), username=login.username, total_out=100_500_000_000),
        ],
    )
    cli("import", "--detail", str(path))
    before = cli("state", "--account", account.number, "--at", "2026-11-06T12:00:00Z", "--json")
    assert before.json()["state"] == "normal"
    after = cli("state", "--account", account.number, "--at", "2026-11-09T12:00:00Z", "--json")
    state = after.json()
    # 100.5 GB against 100 GB: the allowance is gone and 0.5 GB of the 1 GB at 128 kbit/s.
    assert {k: state[k] for k in ("state", "period_start", "period_end", "used_gb")} == {
        "state": "throttled",
        "period_start": "2026-11-02",
        "period_end": "2026-12-02",
        "used_gb": "100.50",
    }
    assert (state["allowance_left_bytes"], state["throttle_left_bytes"]) == (0, 500_000_000)
    assert [(t["from"], t["to"], t["clause"]) for t in state["transitions"]] == [
        ("normal", "throttled", "plugin/broadband-terms#8")
    ]
    # Without --at: now (21 November), in London time without a zone.
    assert cli("state", "--account", account.number, "--json").json()["at"] == NOW.isoformat()
    local = cli("state", "--account", account.number, "--at", "2026-11-09T12:00", "--json")
    assert local.json()["at"] == "2026-11-09T12:00:00+00:00"


def test_state_bad_input(cli, plugin) -> None:
    account, _ = plugin
    result = cli("state", "--account", "PI999999", "--json")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "PI999999" in result.stderr
    assert result.stderr.count("\n") == 1
    assert_user_error(
        cli("state", "--account", account.number, "--at", "2026-11-31T10:00"),
        "--at: not a date and time (use e.g. 2026-11-20T10:00:00Z): '2026-11-31T10:00'",
    )
    assert_user_error(
        cli("state", "--at", "2026-11-20T10:00"), "the following arguments are required: --account"
    )


# --- simulate ----------------------------------------------------------------------------


def usage_file(tmp_path, rows: list[str], name: str = "usage.csv"):
    path = tmp_path / name
    path.write_text("at,bytes\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_simulate_plugin_blocked_then_a_top_up(cli, tmp_path) -> None:
    path = usage_file(
        tmp_path,
        [
            "2026-11-05T10:00:00Z,60000000000",
            "2026-11-10T10:00:00Z,40000000000",
            "2026-11-12T10:00:00Z,1000000000",
            "2026-11-20T10:00:00Z,500000000",
        ],
    )
    result = cli(
        "simulate",
        "--brand",
        "plugin",
        "--plan",
        "broadband",
        "--period-start",
        "2026-11-02",
        "--topup-at",
        "2026-11-15T09:00:00Z",
        "--usage",
        str(path),
        "--json",
    ).json()
    clause = "plugin/broadband-terms#8"
    # 100 GB used on the 10th: throttled; the 1 GB at 128 kbit/s used on the 12th: blocked;
    # a Top Up on the 15th restores the connection, and the 0.5 GB on the 20th comes out of it.
    assert result["transitions"] == [
        {
            "at": "2026-11-10T10:00:00+00:00",
            "from": "normal",
            "to": "throttled",
            "reason": "monthly allowance and Top Ups used",
            "clause": clause,
        },
        {
            "at": "2026-11-12T10:00:00+00:00",
            "from": "throttled",
            "to": "blocked",
            "reason": "additional volume at the throttled rate used",
            "clause": clause,
        },
        {
            "at": "2026-11-15T09:00:00+00:00",
            "from": "blocked",
            "to": "normal",
            "reason": "Top Up bought",
            "clause": clause,
        },
    ]
    assert result["final_state"] == "normal"
    assert result["final_period"] == {
        "start": "2026-11-02",
        "end": "2026-12-02",
        "used_bytes": 101_500_000_000,
        "allowance_left_bytes": 0,
        "topup_left_bytes": 9_500_000_000,
        "throttle_left_bytes": 0,
        "over_bytes": 0,
    }
    assert [(n["kind"], n["at"]) for n in result["notices"]] == [
        ("usage.throttled", "2026-11-10T10:00:00+00:00"),
        ("usage.blocked", "2026-11-12T10:00:00+00:00"),
    ]
    assert result["charges"] == [
        {
            "kind": "topup",
            "at": "2026-11-15T09:00:00+00:00",
            "product": "topup-10gb",
            "quantity_gb": 10,
            "amount": "5.00",
            "vat": "exclusive",
            "clause": clause,
        }
    ]


def test_simulate_plusnet_notices_and_extra_usage(cli, tmp_path) -> None:
    path = usage_file(
        tmp_path,
        ["2026-11-03T10:00:00Z,80000000000", "2026-11-20T10:00:00Z,22300000000"],
    )
    result = cli(
        "simulate",
        "--brand",
        "plusnet-business",
        "--plan",
        "mps-option-1",
        "--usage",
        str(path),
        "--json",
    ).json()
    # 80 GB of 100 GB on the 3rd: the 80% notice; 102.3 GB on the 20th: the 100% notice.
    assert [(n["percent"], n["at"]) for n in result["notices"]] == [
        (80, "2026-11-03T10:00:00+00:00"),
        (100, "2026-11-20T10:00:00+00:00"),
    ]
    assert result["transitions"] == []
    assert result["final_state"] == "normal"
    # 2.3 GB over rounds up to 3 GB at £1 per GB (plusnet-business/broadband-charges#7).
    assert result["charges"] == [
        {
            "kind": "extra-usage",
            "period_start": "2026-11-01",
            "period_end": "2026-12-01",
            "over_bytes": 2_300_000_000,
            "quantity_gb": 3,
            "amount": "3.00",
            "vat": "exclusive",
            "clause": "plusnet-business/broadband-charges#7",
        }
    ]


def test_simulate_with_another_allowance(cli, tmp_path) -> None:
    path = usage_file(tmp_path, ["2026-11-05T10:00:00Z,5000000000"])
    result = cli(
        "simulate",
        "--brand",
        "plugin",
        "--plan",
        "broadband",
        "--allowance-gb",
        "5",
        "--usage",
        str(path),
        "--json",
    ).json()
    assert result["allowance_gb"] == "5"
    assert (result["final_state"], result["period_start"]) == ("throttled", "2026-11-05")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["2026-11-05T10:00:00Z,lots"], "{path}:2: bytes: not a whole number of bytes: 'lots'"),
        (["2026-11-05T10:00:00Z,-5"], "{path}:2: bytes: not a whole number of bytes: '-5'"),
        (
            ["2026-11-05T10:00:00Z,5", "yesterday,5"],
            "{path}:3: at: not a date and time (use ISO 8601, e.g. 2026-11-20T10:00:00Z): "
            "'yesterday'",
        ),
        (["2026-11-05T10:00:00Z,5,6"], "{path}:2: expected 2 fields (at,bytes), got 3"),
    ],
)
def test_simulate_rejects_a_bad_usage_file_by_line(cli, tmp_path, rows, message) -> None:
    path = usage_file(tmp_path, rows)
    result = cli("simulate", "--brand", "plugin", "--plan", "broadband", "--usage", str(path))
    assert_user_error(result, message.format(path=path))


def test_simulate_bad_options(cli, tmp_path) -> None:
    path = usage_file(tmp_path, ["2026-11-05T10:00:00Z,5"])
    base = ["simulate", "--brand", "plugin", "--plan", "broadband", "--usage", str(path)]
    assert_user_error(cli(*base, "--allowance-gb", "ten"), "--allowance-gb: not a number: 'ten'")
    assert_user_error(cli(*base, "--allowance-gb", "-1"), "--allowance-gb: cannot be negative")
    assert_user_error(
        cli(*base, "--period-start", "2026-02-30"),
        "--period-start: not a date (use YYYY-MM-DD): '2026-02-30'",
    )
    header = tmp_path / "noheader.csv"
    header.write_text("when,octets\n", encoding="utf-8")
    assert_user_error(
        cli("simulate", "--brand", "plugin", "--plan", "broadband", "--usage", str(header)),
        f"{header}:1: the first line must be the header 'at,bytes'",
    )
    assert_user_error(
        cli("simulate", "--brand", "plugin", "--plan", "broadband-unlimited", "--usage", str(path)),
        "plugin/broadband-unlimited has no allowance to simulate",
    )
    assert_user_error(
        cli(
            "simulate",
            "--brand",
            "plusnet-business",
            "--plan",
            "mps-option-1",
            "--topup-at",
            "2026-11-06T10:00:00Z",
            "--usage",
            str(path),
        ),
        "--topup-at: plusnet-business sells no Top Ups",
    )
    unknown = cli("simulate", "--brand", "nobody", "--plan", "broadband", "--usage", str(path))
    assert unknown.returncode == 2 and "nobody" in unknown.stderr
    assert unknown.stderr.count("\n") == 1


# --- topup -------------------------------------------------------------------------------


def test_topup_from_the_command_line(cli, plugin) -> None:
    account, _ = plugin
    result = cli("topup", "--account", account.number, "--quantity", "2", "--json").json()
    assert result == {
        "account": account.number,
        "product": "topup-10gb",
        "quantity": 2,
        "octets": 20 * GB,
        "bought_at": NOW.isoformat(),
        "charge": "10.00",
        "clause": "plugin/broadband-terms#8",
        "state": "normal",
    }
    assert {t.channel for t in TopUp.objects.filter(account=account)} == {"cli"}
    assert AllowanceState.objects.get(account=account).topup_left == 20 * GB


def test_topup_bad_input_writes_nothing(cli, plugin) -> None:
    account, _ = plugin
    plusnet, _, _ = broadband_account(
        brand="plusnet-business",
        product="mps-option-1",
        username="dental@pn.example",
        start=date(2025, 1, 15),
        term=24,
        market="1-2",
    )
    assert_user_error(
        cli("topup", "--account", plusnet.number),
        f"{plusnet.number} has no broadband plan that takes Top Ups",
    )
    assert_user_error(
        cli("topup", "--account", account.number, "--quantity", "0"),
        "quantity: between 1 and 10, not 0",
    )
    assert_user_error(
        cli("topup", "--account", account.number, "--quantity", "two"),
        "argument --quantity: invalid int value: 'two'",
    )
    assert not TopUp.objects.exists()
    assert not PendingCharge.objects.filter(source="usage").exists()


# --- speeds ------------------------------------------------------------------------------


def test_speeds_for_a_month(cli, plugin, tmp_path) -> None:
    _, login = plugin
    path = write_detail(
        tmp_path / "d",
        [
            detail_record(when=utc(10, 17), username=login.username, status="Start"),
            # 9 GB in 2 hours ending at 19:00 (busy hours): 72e9 bits / 7.2e6 ms.
            detail_record(when=utc(10, 19), username=login.username, total_out=9 * GB),
        ],
    )
    cli("import", "--detail", str(path))
    result = cli("speeds", "--brand", "plugin", "--month", "2026-11", "--json").json()
    assert (result["customers"], result["average_kbps"], result["busy_hours_average_kbps"]) == (
        1,
        "10000.0",
        "10000.0",
    )
    text = cli("speeds", "--brand", "plugin", "--month", "2026-11")
    assert "average_kbps: 10000.0" in text.stdout.splitlines()


def test_speeds_bad_input(cli) -> None:
    assert_user_error(
        cli("speeds", "--brand", "plugin", "--month", "2026-13"),
        "--month: not a month (use YYYY-MM): '2026-13'",
    )
    unknown = cli("speeds", "--brand", "nobody", "--month", "2026-11")
    assert unknown.returncode == 2 and "nobody" in unknown.stderr
    assert_user_error(
        cli("speeds", "--month", "2026-11"), "the following arguments are required: --brand"
    )
