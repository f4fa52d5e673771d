"""Benchmark: Member Centre pages under load on PostgreSQL behind gunicorn.

Creates its own PostgreSQL database (``backhaul_bench_portal`` unless ``--database`` says
otherwise; dropped and made afresh), migrates it, loads the catalogues and the demo data
(``backhaul demo``), and gives ``--users`` demo customers a Member Centre login each. It then
serves Backhaul with gunicorn (``--workers`` processes of ``--threads`` threads, DEBUG off)
and drives ``--users`` concurrent locust users, each signed in as a different customer,
through the Member Centre for ``--seconds``: home, bills, one bill, payments, usage,
tickets, contract (the exit quote) and notices. Only HTML pages are timed.

Before the load run each page is fetched once in-process with the queries counted, so a
page that grows an N+1 shows in ``profile``. Prints one JSON object: throughput, failures,
p50/p95/p99 per page and overall, and ``p95_target_met`` for the 200 ms target.

    python bench/portal.py                       # 200 customers, 50 users, 60 s
    python bench/portal.py --size 100 --seconds 30 --reuse
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET_P95_MS = 200

# The Member Centre pages a customer reads, with how often each is opened.
PAGES = {
    "home": ("/member/", 4),
    "bills": ("/member/billing/", 2),
    "bill": ("/member/billing/{bill}/", 2),
    "payments": ("/member/payments/payments/", 1),
    "usage": ("/member/usage/", 2),
    "tickets": ("/member/support/", 1),
    "contract": ("/member/contract/", 1),
    "notices": ("/member/notices/", 1),
}

# Each user gets a signed-in session of their own, made as the sign-in form would make it,
# so the load run times Member Centre pages rather than password hashing.
LOGINS_SCRIPT = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.db.models import Count
from backhaul.billing.models import Invoice
from backhaul.customers.models import Account, CustomerUser

store = import_module(settings.SESSION_ENGINE).SessionStore
accounts = (
    Account.objects.annotate(bills=Count("invoices")).filter(bills__gt=0).order_by("number")
)[:{users}]
rows = []
for account in accounts:
    link = CustomerUser.objects.filter(account=account).select_related("user").first()
    if link is None:
        user = User(username="bench-" + account.number.lower())
        user.set_unusable_password()
        user.save()
        link = CustomerUser.objects.create(user=user, account=account)
    session = store()
    session[SESSION_KEY] = str(link.user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = link.user.get_session_auth_hash()
    session.create()
    bill = Invoice.objects.filter(account=account).order_by("-bill_date").first()
    rows.append({{"username": link.user.username, "account": account.number,
                  "bill": bill.number, "cookie": settings.SESSION_COOKIE_NAME,
                  "session": session.session_key}})
print(json.dumps(rows))
"""

PROFILE_SCRIPT = """
import json, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.contrib.auth.models import User

pages = {pages}
logins = {logins}
result = {{}}
for login in logins:
    client = Client()
    client.force_login(User.objects.get(username=login["username"]))
    for name, (path, _weight) in pages.items():
        url = path.format(bill=login["bill"])
        client.get(url)  # warm the caches a worker would have
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            ms = (time.perf_counter() - started) * 1000
        row = result.setdefault(name, {{"status": response.status_code, "queries": 0, "ms": 0}})
        row["queries"] = max(row["queries"], len(queries))
        row["ms"] = round(max(row["ms"], ms), 1)
print(json.dumps(result))
"""

LOCUSTFILE = """
import itertools, json, os, random, time
from collections import defaultdict
from locust import HttpUser, between, events, task

LOGINS = json.loads(os.environ["BENCH_LOGINS"])
PAGES = json.loads(os.environ["BENCH_PAGES"])
LOW, HIGH = (float(v) for v in os.environ["BENCH_WAIT"].split(","))
_next = itertools.count()
TIMES = defaultdict(list)
FAILURES = defaultdict(int)
SPAN = {}


@events.request.add_listener
def _record(name, response_time, exception, **kwargs):
    if name in PAGES:
        now = time.monotonic()
        SPAN.setdefault("first", now)
        SPAN["last"] = now
        TIMES[name].append(response_time)
        if exception is not None:
            FAILURES[name] += 1


@events.test_stop.add_listener
def _write(**kwargs):
    with open(os.environ["BENCH_OUT"], "w") as out:
        json.dump({"times": TIMES, "failures": FAILURES,
                   "span": SPAN.get("last", 0) - SPAN.get("first", 0)}, out)


class Customer(HttpUser):
    wait_time = between(LOW, HIGH)

    def on_start(self):
        self.login = LOGINS[next(_next) % len(LOGINS)]
        self.client.cookies.set(self.login["cookie"], self.login["session"])
        self.weighted = [name for name, (_, weight) in PAGES.items() for _ in range(weight)]

    @task
    def page(self):
        name = random.choice(self.weighted)
        path = PAGES[name][0].format(bill=self.login["bill"])
        with self.client.get(path, name=name, catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
"""

SETTINGS_SHIM = """
from backhaul.settings import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = {conn_max_age}  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def backhaul(env: dict[str, str], *args: str) -> str:
    return run(env, str(BIN / "backhaul"), *args)


def database_create(server: str, name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0]
        raise SystemExit(f"error: cannot reach PostgreSQL at {server}: {first}") from None


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/member/login/", timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"error: gunicorn at {url} did not start")


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted response times."""
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 1)


def figures(times: list[float], failures: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(times)
    if not ordered:
        return {"requests": 0, "failures": failures}
    return {
        "requests": len(ordered),
        "failures": failures,
        "rps": round(len(ordered) / seconds, 1) if seconds else None,
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="demo customers (default 200)")
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    parser.add_argument("--seconds", type=int, default=60, help="load run length (default 60)")
    parser.add_argument("--wait", default="0.5,1.5", help="think time range, s (0.5,1.5)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="seconds a worker keeps its database connection (0: one per request)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument("--database", default="backhaul_bench_portal")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run if present"
    )
    args = parser.parse_args()
    if args.users < 1 or args.size < args.users:
        raise SystemExit("error: --size must be at least --users, and --users at least 1")

    server = args.postgres.rstrip("/")
    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    (work / "bench_portal_settings.py").write_text(
        SETTINGS_SHIM.format(conn_max_age=args.conn_max_age)
    )
    env = {
        **os.environ,
        "BACKHAUL_HOME": str(ROOT),
        "BACKHAUL_DEBUG": "0",
        "DATABASE_URL": f"{server}/{args.database}",
        "DJANGO_SETTINGS_MODULE": "bench_portal_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(work), os.environ.get("PYTHONPATH")])),
    }
    started = time.perf_counter()
    reused = False
    if args.reuse:
        try:
            reused = "[X]" in backhaul(env, "showmigrations", "customers")
        except SystemExit:
            reused = False
    if not reused:
        database_create(server, args.database)
        backhaul(env, "migrate", "--no-input", "-v", "0")
        catalogues = sorted(str(p) for p in (ROOT / "catalogues").glob("*.toml"))
        backhaul(env, "catalogue", "load", *catalogues)
        backhaul(env, "demo", "--customers", str(args.size), "--json")
    script = LOGINS_SCRIPT.format(users=args.users)
    logins = json.loads(backhaul(env, "shell", "-v", "0", "-c", script).strip().splitlines()[-1])
    setup_seconds = time.perf_counter() - started
    if len(logins) < args.users:
        raise SystemExit(f"error: only {len(logins)} demo accounts have a bill; raise --size")

    profile_script = PROFILE_SCRIPT.format(pages=PAGES, logins=logins[:5])
    profiled = backhaul(env, "shell", "-v", "0", "-c", profile_script)
    profile = json.loads(profiled.strip().splitlines()[-1])

    port = free_port()
    host = f"http://127.0.0.1:{port}"
    gunicorn = [
        str(BIN / "gunicorn"),
        "backhaul.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--worker-class", "gthread",
        "--preload",
        "--log-level", "warning",
    ]  # fmt: skip
    load_before = load_average()
    server_process = subprocess.Popen(  # noqa: S603
        gunicorn, env=env, stdout=subprocess.DEVNULL, stderr=(work / "gunicorn.log").open("w")
    )
    try:
        wait_up(host)
        locustfile = work / "locustfile.py"
        locustfile.write_text(LOCUSTFILE)
        out = work / "times.json"
        run_env = {
            **env,
            "BENCH_LOGINS": json.dumps(logins[: args.users]),
            "BENCH_PAGES": json.dumps(PAGES),
            "BENCH_WAIT": args.wait,
            "BENCH_OUT": str(out),
        }
        locust = [
            str(BIN / "locust"), "-f", str(locustfile), "--headless",
            "-u", str(args.users), "-r", str(max(1, args.users // 2)),
            "-t", f"{args.seconds}s", "--only-summary",
            "--host", host, "--loglevel", "WARNING", "--stop-timeout", "5",
        ]  # fmt: skip
        subprocess.run(  # noqa: S603
            locust,
            env=run_env,
            capture_output=True,
            text=True,
            check=False,
        )
        load_after = load_average()
        if not out.exists():
            raise SystemExit(f"error: locust wrote no results; see {work}")
        recorded = json.loads(out.read_text())
    finally:
        server_process.terminate()
        server_process.wait(timeout=30)

    span = recorded["span"]
    times, failed = recorded["times"], recorded["failures"]
    pages = {name: figures(times.get(name, []), failed.get(name, 0), span) for name in PAGES}
    overall = figures([t for page in times.values() for t in page], sum(failed.values()), span)
    worst = max((p["p95_ms"] for p in pages.values() if p["requests"]), default=None)
    print(
        json.dumps(
            {
                "bench": "portal",
                "database": "postgresql",
                "server": " ".join(gunicorn[1:2] + gunicorn[4:10]),
                "conn_max_age": args.conn_max_age,
                "cpus": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": load_after,
                "customers": args.size,
                "users": args.users,
                "think_time_s": args.wait,
                "seconds": args.seconds,
                "setup_seconds": round(setup_seconds, 1),
                "database_reused": reused,
                "overall": overall,
                "pages": pages,
                "worst_page_p95_ms": worst,
                "p95_target_ms": TARGET_P95_MS,
                "p95_target_met": (
                    worst is not None and overall["failures"] == 0 and worst < TARGET_P95_MS
                ),
                "profile": profile,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
