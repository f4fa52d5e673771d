"""`backhaul hosting ...`: packages from scripts, JSON out, errors from the services."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from backhaul.core.errors import TransitionNotAllowed
from backhaul.hosting.models import Package

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = StringIO()
    call_command("hosting", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_order_notice_flag_and_list(plugin_account) -> None:
    ordered = run(
        "order", "--account", plugin_account.number, "--product", "hosting", "--on", "2026-11-21"
    )
    assert (ordered["status"], ordered["renews_on"]) == ("active", "2026-12-21")
    flagged = run(
        "flag", "--package", str(ordered["id"]), "--kind", "peer-to-peer", "--on", "2026-11-22"
    )
    assert flagged == {
        "package": ordered["id"],
        "kind": "peer-to-peer",
        "noted_on": "2026-11-22",
        "clause": "plugin/hosting-terms#5",
    }
    noticed = run("notice", "--package", str(ordered["id"]), "--on", "2026-11-25")
    # 2026-11-25 + 30 = 12-25, after the 12-21 renewal: it ends on 2027-01-21.
    assert noticed["ends_on"] == "2027-01-21"
    listed = run("list", "--account", plugin_account.number)
    assert [p["id"] for p in listed["packages"]] == [ordered["id"]]


def test_refund_outside_the_first_30_days_changes_nothing(plugin_account) -> None:
    ordered = run(
        "order", "--account", plugin_account.number, "--product", "hosting", "--on", "2026-11-21"
    )
    with pytest.raises(TransitionNotAllowed, match="ended on 2026-12-20"):
        run(
            "refund", "--package", str(ordered["id"]), "--basis", "money-back", "--on", "2026-12-21"
        )
    assert Package.objects.get().status == "active"
    refunded = run(
        "refund", "--package", str(ordered["id"]), "--basis", "money-back", "--on", "2026-12-20"
    )
    assert (refunded["status"], refunded["ended_on"]) == ("cancelled", "2026-12-20")
