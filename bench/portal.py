"""Benchmark: Member Centre pages under load (locust, headless) on a multi-process server.

Sets up a demo database (SQLite under var/bench/ by default; PostgreSQL when DATABASE_URL
is set), starts several `backhaul runserver --noreload` processes on 127.0.0.1 (no WSGI
server such as gunicorn is installed, so each locust user is pinned to one of the
processes instead of going through a balancer), signs the demo customers in, and drives
`--users` concurrent users through the home, bills, a bill, usage, payments and support
pages for `--seconds`. Prints one JSON object: requests per second, failures, and the
p50/p95/p99 latency of each page, with `p95_target_met` for the 200 ms target.

``python bench/portal.py`` runs 50 users for 30 s; ``--size N`` sets the demo customers.
"""

from __future__ import annotations

import argparse
import csv
import json
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

LOCUSTFILE = """
import itertools, os, random, re
from locust import HttpUser, between, task

HOSTS = os.environ["BENCH_HOSTS"].split(",")
LOGINS = os.environ["BENCH_LOGINS"].split(",")
PASSWORD = os.environ["BENCH_PASSWORD"]
_next = itertools.count()


class Customer(HttpUser):
    wait_time = between(0.5, 1.5)
    host = HOSTS[0]

    def on_start(self):
        n = next(_next)
        self.client.base_url = HOSTS[n % len(HOSTS)]
        page = self.client.get("/member/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post(
            "/member/login/",
            {"username": LOGINS[n % len(LOGINS)], "password": PASSWORD,
             "csrfmiddlewaretoken": token},
            headers={"Referer": self.client.base_url + "/member/login/"},
            name="sign in",
        )
        bills = self.client.get("/member/billing/", name="/member/billing/").text
        self.bills = re.findall(r'href="(/member/billing/[A-Z0-9-]+/)"', bills)

    @task(4)
    def home(self):
        self.client.get("/member/", name="/member/")

    @task(2)
    def bills(self):
        self.client.get("/member/billing/", name="/member/billing/")

    @task(2)
    def bill(self):
        if self.bills:
            self.client.get(random.choice(self.bills), name="/member/billing/<number>/")

    @task(2)
    def usage(self):
        self.client.get("/member/usage/", name="/member/usage/")

    @task(1)
    def payments(self):
        self.client.get("/member/payments/", name="/member/payments/")

    @task(1)
    def support(self):
        self.client.get("/member/support/", name="/member/support/")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def backhaul(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [str(BIN / "backhaul"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"backhaul {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/member/login/", timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="demo customers")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BACKHAUL_HOME": str(ROOT), "BACKHAUL_DEBUG": "0"}
    database = env.get("DATABASE_URL", "")
    if not database:
        db_file = work / "portal.sqlite3"
        db_file.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db_file}"
    started = time.perf_counter()
    backhaul(env, "migrate", "--no-input", "-v", "0")
    backhaul(
        env, "catalogue", "load", *sorted(str(p) for p in (ROOT / "catalogues").glob("*.toml"))
    )
    demo = json.loads(backhaul(env, "demo", "--customers", str(args.size), "--json"))
    setup_seconds = time.perf_counter() - started
    logins = [c["username"] for c in demo["customers"]]
    password = demo["customers"][0]["password"]

    servers = []
    hosts = []
    try:
        for _ in range(args.processes):
            port = free_port()
            servers.append(
                subprocess.Popen(  # noqa: S603
                    [str(BIN / "backhaul"), "runserver", "--noreload", f"127.0.0.1:{port}"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            hosts.append(f"http://127.0.0.1:{port}")
        for host in hosts:
            wait_up(host)
        with tempfile.TemporaryDirectory() as tmp:
            locustfile = Path(tmp) / "locustfile.py"
            locustfile.write_text(LOCUSTFILE)
            prefix = Path(tmp) / "run"
            run_env = {
                **env,
                "BENCH_HOSTS": ",".join(hosts),
                "BENCH_LOGINS": ",".join(logins),
                "BENCH_PASSWORD": password,
            }
            subprocess.run(  # noqa: S603
                [
                    str(BIN / "locust"),
                    "-f",
                    str(locustfile),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    str(max(1, args.users // 5)),
                    "-t",
                    f"{args.seconds}s",
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--host",
                    hosts[0],
                    "--loglevel",
                    "WARNING",
                ],
                env=run_env,
                capture_output=True,
                text=True,
                check=False,
            )
            with Path(f"{prefix}_stats.csv").open() as stats:
                rows = list(csv.DictReader(stats))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)

    def figures(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }

    pages = {r["Name"]: figures(r) for r in rows if r["Name"].startswith("/member/")}
    total = next((figures(r) for r in rows if r["Name"] == "Aggregated"), {})
    member_p95 = max((p["p95_ms"] for p in pages.values()), default=None)
    print(
        json.dumps(
            {
                "bench": "portal",
                "database": "postgresql" if database.startswith("postgres") else "sqlite",
                "server": f"{args.processes} x backhaul runserver --noreload (no WSGI server)",
                "cpus": os.cpu_count(),
                "customers": args.size,
                "users": args.users,
                "seconds": args.seconds,
                "setup_seconds": round(setup_seconds, 1),
                "total": total,
                "pages": pages,
                "worst_page_p95_ms": member_p95,
                "p95_target_ms": TARGET_P95_MS,
                "p95_target_met": member_p95 is not None and member_p95 < TARGET_P95_MS,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
