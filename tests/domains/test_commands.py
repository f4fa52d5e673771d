"""`backhaul domains ...` as people run it: real processes, JSON out, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from backhaul.billing.models import PendingCharge
from backhaul.domains.models import Domain
from tests.conftest import PLUGIN, PLUSNET, ROOT
from tests.domains.conftest import run_command

BACKHAUL = [sys.executable, "-m", "backhaul"]


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    home = tmp_path_factory.mktemp("domains-cli")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home / 'cli.sqlite3'}",
        "BACKHAUL_HOME": str(ROOT),
        # Notices are emailed; keep them off stdout, which carries the JSON.
        "BACKHAUL_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*BACKHAUL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    assert run("migrate", "--no-input", "-v", "0").returncode == 0
    loaded = run("catalogue", "load", str(PLUSNET), str(PLUGIN), "--json")
    assert loaded.returncode == 0, loaded.stderr
    return run


def assert_user_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_uk_timeline_json(cli) -> None:
    result = cli("domains", "timeline", "--tld", "uk", "--expiry", "2028-02-29", "--json")
    assert result.returncode == 0, result.stderr
    # Expiry on a leap day: 60/30/14 days before are 2027-12-31, 2028-01-30, 2028-02-15;
    # day 30 = 2028-03-30, day 80 = 2028-05-19, day 93 = 2028-06-01.
    assert json.loads(result.stdout) == {
        "events": [
            {"on": "2027-12-31", "kind": "reminder-60", "clause": "plugin/domain-terms#2"},
            {"on": "2028-01-30", "kind": "reminder-30", "clause": "plugin/domain-terms#2"},
            {"on": "2028-02-15", "kind": "reminder-14", "clause": "plugin/domain-terms#2"},
            {"on": "2028-02-29", "kind": "expired", "clause": "plugin/domain-terms#uk-expiry"},
            {
                "on": "2028-03-30",
                "kind": "registry-suspended",
                "clause": "plugin/domain-terms#uk-expiry",
            },
            {
                "on": "2028-05-19",
                "kind": "renewal-deadline",
                "clause": "plugin/domain-terms#uk-expiry",
            },
            {"on": "2028-06-01", "kind": "deleted", "clause": "plugin/domain-terms#uk-expiry"},
        ]
    }


def test_unknown_tld_in_a_real_process(cli) -> None:
    assert_user_error(
        cli("domains", "timeline", "--tld", "xyz", "--expiry", "2028-01-31"),
        "--tld: no brand registers .xyz names (sold: com, uk)",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["timeline", "--tld", "uk", "--expiry", "2028-02-30"],
            "--expiry: not a date (use YYYY-MM-DD): '2028-02-30'",
        ),
        (
            ["timeline", "--tld", "uk", "--expiry", "2028-01-31", "--brand", "plusnet-business"],
            "tld: plusnet-business does not register .uk names (sold: none)",
        ),
        (["timeline", "--expiry", "2028-01-31"], "the following arguments are required: --tld"),
    ],
)
def test_timeline_bad_input(capsys, args, message) -> None:
    assert run_command(capsys, "domains", *args) == (2, "", f"error: {message}\n")


@pytest.mark.django_db
def test_register_renew_and_bad_input_write_nothing(capsys, plugin_account) -> None:
    number = plugin_account.number
    bad = [
        (["--name", "upton..co.uk"], "domain name: 'upton..co.uk' has an empty label"),
        (
            ["--name", "upton.example"],
            "tld: plugin does not register .example names (sold: com, uk)",
        ),
        (
            ["--name", "upton.co.uk", "--expiry", "2026-01-01"],
            "expiry: 2026-01-01 is not after the registration date 2026-11-21; a new "
            "registration cannot have expired already",
        ),
        (
            ["--name", "upton.co.uk", "--years", "1"],
            "years: .uk names are registered for 2 years, not 1",
        ),
    ]
    for extra, message in bad:
        result = run_command(
            capsys, "domains", "register", "--account", number, "--on", "2026-11-21", *extra
        )
        assert result == (2, "", f"error: {message}\n")
    assert not Domain.objects.exists() and not PendingCharge.objects.exists()

    code, out, _ = run_command(
        capsys, "domains", "register", "--account", number, "--name", "Upton.co.uk",
        "--on", "2026-11-21", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["expires_on"] == "2028-11-21"
    code, out, _ = run_command(
        capsys, "domains", "renew", "--name", "upton.co.uk", "--on", "2028-12-01", "--json"
    )
    assert json.loads(out)["expires_on"] == "2030-11-21"
    # Registration and renewal, £9.99 each, are not billed yet.
    assert run_command(
        capsys, "domains", "transfer-out", "--name", "upton.co.uk", "--on", "2028-12-01"
    ) == (
        2,
        "",
        "error: the account has £19.98 outstanding; domains are not transferred while any sum "
        "is outstanding (plugin/domain-terms#7)\n",
    )
    code, out, _ = run_command(capsys, "domains", "list", "--account", number, "--json")
    assert [(d["name"], d["status"]) for d in json.loads(out)["domains"]] == [
        ("upton.co.uk", "active")
    ]
    code, out, _ = run_command(
        capsys, "domains", "timeline", "--tld", "com", "--expiry", "2027-03-31"
    )
    assert out.splitlines()[-1].split() == ["2027-03-31", "expired", "plugin/domain-terms#2"]
