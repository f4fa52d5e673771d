"""Bill runs as real processes: killed part-way and restarted, and spread over Celery workers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import redis
from django.db import connection

from backhaul.billing.models import BillRun, Invoice
from backhaul.billing.selectors import draft_as_dict, invoice_as_dict
from backhaul.billing.services import billrun_dry_run
from tests.billing.test_services import NOW, new_mps_customer
from tests.conftest import PLUGIN, PLUSNET, ROOT

ACCOUNTS = 400
PREPARE = f"""
import django
django.setup()
from datetime import UTC, date, datetime
from backhaul.contracts.services import subscription_create
from backhaul.customers.services import account_create
now = datetime(2026, 10, 31, tzinfo=UTC)
for n in range({ACCOUNTS}):
    account = account_create(brand_key="plusnet-business" if n % 3 else "plugin",
                             name=f"Kill test {{n}}", email=f"k{{n}}@example.com", bill_day=1,
                             now=now)
    if n % 3:
        subscription_create(account_number=account.number, product_key="mps-option-2", term=36,
                            market="3", start=date(2026, 10, 1 + n % 27), now=now)
    else:
        subscription_create(account_number=account.number, product_key="broadband",
                            start=date(2026, 10, 1 + n % 27), now=now)
"""


class SqliteFiles:
    """Bill run databases as SQLite files in the test's temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def url(self, name: str) -> str:
        return f"sqlite:///{self.folder / name}.sqlite3"

    def copy(self, source: str, target: str) -> None:
        shutil.copy(self.folder / f"{source}.sqlite3", self.folder / f"{target}.sqlite3")

    def invoices(self, name: str) -> list[tuple[str, str, str]]:
        try:
            with sqlite3.connect(self.folder / f"{name}.sqlite3") as conn:
                return conn.execute(INVOICES).fetchall()
        except sqlite3.OperationalError:  # locked or not yet there
            return []

    def drop(self) -> None:
        pass


class PostgresDatabases:
    """Bill run databases of their own on the PostgreSQL server the tests use."""

    def __init__(self, prefix: str) -> None:
        db = connection.settings_dict
        self.server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        self.prefix = prefix
        self.made: list[str] = []

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def url(self, name: str) -> str:
        full = f"{self.prefix}_{name}"
        if full not in self.made:
            self._admin(f"DROP DATABASE IF EXISTS {full} WITH (FORCE)")
            self._admin(f"CREATE DATABASE {full}")
            self.made.append(full)
        return f"{self.server}/{full}"

    def copy(self, source: str, target: str) -> None:
        full = f"{self.prefix}_{target}"
        self._admin(f"DROP DATABASE IF EXISTS {full} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {full} TEMPLATE {self.prefix}_{source}")
        self.made.append(full)

    def invoices(self, name: str) -> list[tuple[str, str, str]]:
        import psycopg

        with psycopg.connect(f"{self.server}/{self.prefix}_{name}") as conn:
            return [tuple(row) for row in conn.execute(INVOICES).fetchall()]

    def drop(self) -> None:
        for full in self.made:
            self._admin(f"DROP DATABASE IF EXISTS {full} WITH (FORCE)")


INVOICES = (
    "select a.number, i.number, cast(i.total as text) from billing_invoice i "
    "join customers_account a on a.id = i.account_id order by a.number"
)


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env_for(url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def env_for(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "BACKHAUL_HOME": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "backhaul.settings",
    }


def kill_part_way_and_resume(databases: SqliteFiles | PostgresDatabases) -> None:
    """Bill the same accounts twice: once uninterrupted, once killed with SIGKILL after a
    quarter of the invoices and run again. Both end with the same invoices."""
    base = databases.url("base")
    for args in (
        ["-m", "backhaul", "migrate", "--no-input", "-v", "0"],
        ["-m", "backhaul", "catalogue", "load", str(PLUSNET), str(PLUGIN)],
        ["-c", PREPARE],
    ):
        done = run(base, *args)
        assert done.returncode == 0, done.stderr
    databases.copy("base", "whole")
    databases.copy("base", "killed")
    billrun = ["-m", "backhaul", "billrun", "--on", "2026-11-01", "--chunk-size", "4", "--json"]

    uninterrupted = run(databases.url("whole"), *billrun)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    expected = databases.invoices("whole")
    assert len(expected) == ACCOUNTS

    process = subprocess.Popen(
        [sys.executable, *billrun],
        env=env_for(databases.url("killed")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len(databases.invoices("killed")) >= ACCOUNTS // 4:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the bill run finished before it could be killed"
    partial = databases.invoices("killed")
    assert 0 < len(partial) < ACCOUNTS

    resumed = run(databases.url("killed"), *billrun)
    assert resumed.returncode == 0, resumed.stderr
    final = databases.invoices("killed")
    assert len(final) == ACCOUNTS
    assert [(acc, total) for acc, _, total in final] == [(acc, total) for acc, _, total in expected]
    for prefix in ("PB", "PI"):
        numbers = sorted(number for _, number, _ in final if number.startswith(prefix))
        assert numbers == [f"{prefix}-INV-{n:07d}" for n in range(1, len(numbers) + 1)]


def test_a_killed_bill_run_finishes_with_one_invoice_per_account(tmp_path: Path) -> None:
    kill_part_way_and_resume(SqliteFiles(tmp_path))


@pytest.mark.timeout(300)
def test_a_killed_bill_run_on_postgresql_finishes_with_one_invoice_per_account() -> None:
    # On PostgreSQL the bill run writes by COPY from a writer thread: kill that too.
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://... (make test-postgres runs this)")
    databases = PostgresDatabases(f"{connection.settings_dict['NAME']}_kill")
    try:
        kill_part_way_and_resume(databases)
    finally:
        databases.drop()


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.timeout(240)
@pytest.mark.django_db(transaction=True)
def test_bill_run_on_celery_workers_matches_in_process() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "workers share the database: run with DATABASE_URL=postgres://... "
            "(make test-postgres runs this)"
        )
    if not redis_reachable():
        pytest.skip("needs Redis on 127.0.0.1:6379 as the Celery broker")
    from backhaul.catalogue.services import catalogue_load

    for path in (PLUSNET, PLUGIN):
        catalogue_load(path=path, now=NOW)
    for n in range(24):
        new_mps_customer(f"Worker{n} Ltd", bill_day=1, start=date(2026, 10, 1 + n))
    expected = [draft_as_dict(a, d) for a, d in billrun_dry_run(on=date(2026, 11, 1))]
    # A Redis database of its own keeps this test's queue apart from anything else.
    broker = "redis://127.0.0.1:6379/13"
    redis.Redis.from_url(broker).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "BACKHAUL_HOME": str(ROOT),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backhaul",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The bill run as an operator starts it, with the broker configured: it enqueues one
        # task per chunk and waits for the workers to finish them.
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "backhaul",
                "billrun",
                "--on",
                "2026-11-01",
                "--chunk-size",
                "5",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["count"] == 24
    assert BillRun.objects.get(pk=report["bill_run"]).invoices_issued == 24
    issued = [invoice_as_dict(i) for i in Invoice.objects.order_by("account__number")]

    def strip(invoice: dict) -> dict:
        return {k: v for k, v in invoice.items() if k not in ("number", "kind")}

    # The workers issued exactly what the rules give in this process, line by line.
    assert [strip(i) for i in issued] == [strip(d) for d in expected]
