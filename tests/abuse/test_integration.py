"""Across threads and processes: the SMTP listener on loopback, and parallel import.

These run on `transactional_db` (the listener's thread and the import's worker processes
use their own database connections, so they must see committed data).
"""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from io import StringIO

from django.core.management import call_command

from backhaul.abuse.models import Case, IntakeMessage, Report
from backhaul.abuse.readers import read_items
from backhaul.abuse.services import reports_ingest
from tests.abuse.conftest import FIXTURES, fixture

WAIT = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_listener(port: int) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port}")


def test_a_report_sent_over_smtp_opens_a_case(catalogues_reloaded, transactional_db, network):
    port = free_port()
    out = StringIO()
    listener = threading.Thread(
        target=call_command,
        args=("abuse", "smtpd", "--port", str(port), "--max-messages", "1"),
        kwargs={"timeout": WAIT, "json": True, "stdout": out},
        daemon=True,
    )
    listener.start()
    wait_for_listener(port)
    with smtplib.SMTP("127.0.0.1", port, timeout=WAIT) as client:
        client.ehlo()
        client.mail("fbl@feedback.example.net")
        client.rcpt("abuse@plus.net")
        code, reply = client.data(fixture("arf-crlf.eml"))
    listener.join(WAIT)
    assert not listener.is_alive()
    message = IntakeMessage.objects.get()
    assert (code, reply.decode()) == (250, f"2.0.0 Report received, reference {message.reference}")
    assert (message.channel, message.source) == ("smtp", "smtp:127.0.0.1")
    report = Report.objects.get()
    assert (report.ip, report.account, report.case.category) == (
        "192.0.2.11",
        network["calder"],
        "spam",
    )
    assert Case.objects.get().reports_count == 1
    assert '"accepted": 1' in out.getvalue()


def test_import_with_worker_processes_matches_one_process(
    catalogues_reloaded, transactional_db, network, now
):
    summary = reports_ingest(
        items=read_items(FIXTURES), channel="import", now=now, workers=2, batch_size=4
    )
    assert (summary.read, summary.accepted, summary.rejected, summary.duplicates) == (
        30,
        21,
        8,
        1,
    )
    assert (summary.cases_created, summary.unresolved, summary.needs_evidence) == (8, 1, 4)
    found = dict(
        Report.objects.filter(message__source__endswith="reports.mbox#1").values_list(
            "ip", "account__name"
        )
    )
    assert found == {"192.0.2.10": "Calder Joinery Ltd"}
