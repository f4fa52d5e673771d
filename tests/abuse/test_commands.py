"""`backhaul abuse import` and `backhaul abuse stats`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.abuse.conftest import FIXTURES
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("abuse", *args, stdout=out)
    return out.getvalue()


def test_import_a_folder_of_every_format_as_json(network) -> None:
    summary = json.loads(run("import", str(FIXTURES), "--workers", "1", "--json"))
    assert summary["read"] == summary["accepted"] + summary["rejected"] + summary["duplicates"]
    assert (summary["accepted"], summary["rejected"], summary["duplicates"]) == (21, 8, 1)
    assert {
        "source": str(FIXTURES / "xarf-yaml-bomb.eml"),
        "reason": "X-ARF report: YAML expands to more than 5000 nodes (aliases repeated too often)",
    } in summary["rejections"]
    assert summary["cases_created"] == 8

    again = json.loads(run("import", str(FIXTURES), "--workers", "1", "--json"))
    assert (again["read"], again["duplicates"], again["cases_created"]) == (30, 30, 0)


def test_import_text_output_lists_what_was_rejected(network) -> None:
    out = run("import", str(FIXTURES / "shadowserver.csv"), "--workers", "1")
    lines = out.splitlines()
    assert lines[0] == (
        "read 5: accepted 3, rejected 2, duplicates 0; cases created 2, updated 0, "
        "reopened 0; unresolved 1, needing evidence 0"
    )
    assert lines[1:] == [
        f"  rejected {FIXTURES / 'shadowserver.csv'}: line 4: ip: not an IP address: '999.1.2.3'",
        f"  rejected {FIXTURES / 'shadowserver.csv'}: line 5: timestamp: not a date: 'yesterday'",
    ]


def test_feed_rows_without_a_category_take_the_one_given(network, tmp_path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("timestamp,ip,port\n2026-11-20 10:00:00,198.51.100.23,25\n", encoding="utf-8")
    without = json.loads(run("import", str(feed), "--workers", "1", "--json"))
    assert without["rejections"][0]["reason"] == (
        "line 2: no category (add a category column or give one)"
    )
    feed.write_text("timestamp,ip,port\n2026-11-20 10:00:01,198.51.100.23,25\n", encoding="utf-8")
    given = json.loads(
        run("import", str(feed), "--category", "open-relay", "--workers", "1", "--json")
    )
    assert (given["accepted"], given["cases_created"]) == (1, 1)


def test_stats_as_json(network) -> None:
    run("import", str(FIXTURES / "arf-lf.eml"), "--workers", "1", "--json")
    # The import runs on the real clock: its report is today's.
    today = timezone.localdate().isoformat()
    stats = json.loads(run("stats", "--from", today, "--to", today, "--json"))
    assert (stats["open_cases"], stats["open_cases_by_category"]) == (1, {"spam": 1})
    assert stats["reports_per_day"] == [{"day": today, "total": 1, "categories": {"spam": 1}}]
    assert [row["category"] for row in stats["time_to_first_action"]] == ["spam"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["import", "/nonexistent/reports.mbox"],
            "/nonexistent/reports.mbox: no such file or directory",
        ),
        (["import", str(FIXTURES), "--workers", "0"], "--workers: at least 1"),
        (
            ["stats", "--from", "2026-11-30", "--to", "2026-11-01"],
            "--to 2026-11-01 is before --from 2026-11-30",
        ),
    ],
)
def test_user_errors(args, message) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_the_real_command_fails_in_one_line(tmp_path) -> None:
    env = {
        **os.environ,
        "BACKHAUL_HOME": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "backhaul", "abuse", "import", str(tmp_path / "missing")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {tmp_path / 'missing'}: no such file or directory\n"
