"""`backhaul sla`, `backhaul monitor` and `backhaul tickets`, in process and as real commands.

The monitor checks a tiny HTTP server this test starts on 127.0.0.1; it stops at the end
of the test (and by itself after a few seconds if a test is interrupted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backhaul.core.errors import BackhaulError
from backhaul.support.models import MonitoredSite, SiteOutage
from tests.conftest import ROOT
from tests.support.factories import plugin_line, plusnet_enhanced

CHRISTMAS = {
    "brand": "plusnet-business",
    "care": "enhanced",
    "product": "mps-option-2",
    "monthly_subscription": "26.50",
    "events": [
        {"at": "2026-12-24T17:00:00+00:00", "type": "created"},
        {"at": "2026-12-24T19:30:00+00:00", "type": "responded"},
        {"at": "2026-12-29T12:00:00+00:00", "type": "paused", "reason": "awaiting_appointment"},
        {"at": "2026-12-30T10:00:00+00:00", "type": "resumed"},
        {"at": "2026-12-30T16:00:00+00:00", "type": "resolved"},
    ],
}


def run_json(*args: str) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_sla_evaluate_christmas_with_an_engineer_wait(tmp_path: Path) -> None:
    # Thu 24 Dec 17:00 raised; Fri 25, Sat 26, Sun 27 and the substitute Mon 28 Dec are not
    # working days. Counted: Thu 17:00-20:00 (3 h), Tue 29 08:00-12:00 (4 h), Wed 30
    # 10:00-16:00 (6 h) = 13 h. Paused Tue 12:00-20:00 and Wed 08:00-10:00: 10 h given back.
    # Resolution due: 11 h left at Wed 16:00: 4 h to Wed 20:00, 7 h more -> Thu 31 Dec 15:00.
    path = tmp_path / "christmas.json"
    path.write_text(json.dumps(CHRISTMAS), encoding="utf-8")
    result = run_json("sla", "evaluate", str(path))
    assert {
        key: result[key]
        for key in (
            "response_working_minutes",
            "resolution_working_minutes",
            "paused_working_minutes",
            "response_due",
            "resolution_due",
            "response_breached",
            "resolution_breached",
            "auto_close_at",
            "credit",
        )
    } == {
        "response_working_minutes": 150,
        "resolution_working_minutes": 13 * 60,
        "paused_working_minutes": 10 * 60,
        "response_due": "2026-12-24T18:00:00+00:00",
        "resolution_due": "2026-12-31T15:00:00+00:00",
        "response_breached": True,
        "resolution_breached": False,
        # Wed 30 Dec + 5 working days: Thu 31, (Fri 1 Jan holiday) Mon 4, Tue 5, Wed 6, Thu 7.
        "auto_close_at": "2027-01-07T20:00:00+00:00",
        "credit": "20.00",
    }
    assert result["clauses"] == [
        "plusnet-business/general-terms#def-working-hours",
        "plusnet-business/broadband-schedule#7.4",
        "plusnet-business/broadband-schedule#7.6",
        "plusnet-business/broadband-schedule#7.1",
        "plusnet-business/broadband-schedule#7.2",
        "plusnet-business/broadband-schedule#7.5(c)",
        "plusnet-business/broadband-schedule#7.7",
        "plusnet-business/broadband-schedule#7.19",
    ]


@pytest.mark.django_db
def test_sla_evaluate_plugin_and_an_open_ticket_read_later(tmp_path: Path) -> None:
    document = {
        "brand": "plugin",
        "care": "standard",
        "product": "broadband",
        "monthly_subscription": "24.99",
        "events": [{"at": "2026-11-02T09:00:00+00:00", "type": "created"}],
    }
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    # Read at 12:00 with no response: 3 working hours against PlugIn's 2 (terms-2).
    result = run_json("sla", "evaluate", str(path), "--at", "2026-11-02T12:00:00+00:00")
    assert (result["state"], result["response_breached"], result["response_due"]) == (
        "new",
        True,
        "2026-11-02T11:00:00+00:00",
    )
    # Three real hours of a 24-hour Openreach fix: one period of 24.99/30 = 0.833 -> 0.83.
    assert result["credit"] == "0.83"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {**CHRISTMAS, "care": "gold"},
            "care: plusnet-business has care levels enhanced, prioritised, standard, not 'gold'",
        ),
        ({**CHRISTMAS, "brand": "acme"}, "unknown brand 'acme' (known: plugin, plusnet-business)"),
        (
            {**CHRISTMAS, "monthly_subscription": 26.5},
            'monthly_subscription: must be an amount written as a string, e.g. "24.99"',
        ),
        ({k: v for k, v in CHRISTMAS.items() if k != "events"}, "events: required key is missing"),
    ],
)
def test_sla_evaluate_bad_documents(tmp_path: Path, document: dict, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("sla", "evaluate", str(path), "--json", stdout=StringIO())
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.django_db
def test_sla_evaluate_names_the_event_out_of_order(tmp_path: Path) -> None:
    events = [CHRISTMAS["events"][0], CHRISTMAS["events"][2], CHRISTMAS["events"][1]]
    path = tmp_path / "backwards.json"
    path.write_text(json.dumps({**CHRISTMAS, "events": events}), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("sla", "evaluate", str(path), "--json", stdout=StringIO())
    assert str(caught.value) == (
        f"{path}: events[2] (responded at 2026-12-24T19:30:00+00:00): out of order, before "
        "events[1] (paused at 2026-12-29T12:00:00+00:00); list events in time order"
    )


def test_sla_evaluate_as_people_run_it(tmp_path: Path) -> None:
    """The real command: a broken file is one line on stderr, exit status 2, no output."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"brand": ', encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "BACKHAUL_HOME": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "backhaul", "sla", "evaluate", str(broken), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {broken}: not valid JSON: line 1 column 11: Expecting value\n"
    )


@pytest.mark.django_db
def test_sla_evaluate_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"nope\.json: no such file"):
        call_command("sla", "evaluate", str(tmp_path / "nope.json"))


# The monitor against a local HTTP server --------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    down_status = 503

    def do_GET(self) -> None:
        if self.path == "/ok":
            status = 200
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
            return
        else:
            status = type(self).down_status
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    stopper = threading.Timer(20.0, server.shutdown)  # never outlives an interrupted test
    stopper.daemon = True
    stopper.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stopper.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        _Handler.down_status = 503


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db
def test_monitor_records_downtime_and_recovery(web: str) -> None:
    account, hosting = plugin_line(product="hosting")
    for path in ("/ok", "/moved", "/down"):
        added = run_json(
            "monitor",
            "add",
            "--account",
            account.number,
            "--url",
            f"{web}{path}",
            "--subscription",
            str(hosting.pk),
        )
        assert added["url"] == f"{web}{path}"
    run_json(
        "monitor",
        "add",
        "--account",
        account.number,
        "--url",
        f"http://127.0.0.1:{_closed_port()}/",
    )
    first = run_json("monitor", "run", "--timeout", "3")
    assert {k: first[k] for k in ("checked", "recorded", "up", "down", "open_outages")} == {
        "checked": 4,
        "recorded": 4,
        "up": 2,
        "down": 2,
        "open_outages": 2,
    }
    down = MonitoredSite.objects.get(url=f"{web}/down")
    assert down.outages.get().first_error == "HTTP 503"
    refused = MonitoredSite.objects.get(
        url__startswith="http://127.0.0.1:", last_up=False, checks__status_code__isnull=True
    )
    assert refused.outages.get().first_error.startswith("ConnectError")
    _Handler.down_status = 200
    second = run_json("monitor", "run", "--timeout", "3")
    assert (second["up"], second["open_outages"]) == (3, 1)
    outage = SiteOutage.objects.get(site=down)
    assert outage.ended_at is not None and outage.ended_at > outage.started_at


@pytest.mark.django_db
def test_monitor_rejects_a_bad_url() -> None:
    account, _ = plugin_line(product="hosting")
    with pytest.raises(BackhaulError, match="url: must be an http:// or https:// address"):
        call_command("monitor", "add", "--account", account.number, "--url", "ftp://x")


@pytest.mark.django_db
def test_tickets_raise_event_and_show() -> None:
    account, line = plusnet_enhanced()
    raised = run_json(
        "tickets",
        "raise",
        "--account",
        account.number,
        "--category",
        "fault",
        "--subject",
        "Line down",
        "--description",
        "No sync.",
        "--subscription",
        str(line.pk),
        "--at",
        "2026-11-02T09:00:00+00:00",
        "--by",
        "Sam",
    )
    assert (raised["reference"], raised["care_level"], raised["state"]) == (
        "PB-T000001",
        "enhanced",
        "new",
    )
    paused = run_json(
        "tickets",
        "event",
        raised["reference"],
        "paused",
        "--reason",
        "diagnostics",
        "--at",
        "2026-11-02T09:30:00+00:00",
    )
    assert (paused["state"], paused["pending_reason"]) == ("pending", "diagnostics")
    shown = run_json("tickets", "show", raised["reference"], "--at", "2026-11-02T12:00:00+00:00")
    # Paused since 09:30: the clocks read 30 working minutes however late we look.
    assert shown["sla"]["resolution_working_minutes"] == 30
    with pytest.raises(
        BackhaulError, match=r"events\[2\] \(paused at .*\): the clock is already paused"
    ):
        call_command(
            "tickets",
            "event",
            raised["reference"],
            "paused",
            "--reason",
            "retest",
            "--at",
            "2026-11-02T12:00:00+00:00",
            stdout=StringIO(),
        )
