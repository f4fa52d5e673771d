"""Fuzz the REST API with schemathesis against a live Backhaul: no 5xx, schema-valid replies.

`make test-api-fuzz` (run by .ci/run) calls this script. It

1. builds a fresh SQLite database under var/ with both catalogues and demo data;
2. makes two API tokens: the `admin` staff user's (reads everything) and one customer's
   (reads only that account, so the fuzzer also walks the refusals);
3. serves Backhaul with gunicorn on a free loopback port;
4. runs `schemathesis run` on /api/v1/openapi.json once per token, with the checks
   `not_a_server_error` and `response_schema_conformance`, a fixed seed and a bounded
   number of examples per operation;
5. stops the server and exits non-zero if either run found a failure.

It prints each run's test-case count (and the whole report when a run fails); the reports
(JUnit XML and each run's full output) go to var/api-fuzz/. Options: --examples N (per
operation and token), --seed N, --customers N.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "api-fuzz"
CHECKS = "not_a_server_error,response_schema_conformance"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare() -> None:
    """In a child process with the fuzzing database: schema, data and tokens, as JSON."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backhaul.settings")
    django.setup()
    from datetime import date

    from django.core.management import call_command
    from django.utils import timezone

    from backhaul.api.services import api_token_create
    from backhaul.catalogue.services import catalogue_load
    from backhaul.demo.services import demo_load

    call_command("migrate", interactive=False, verbosity=0)
    for name in ("plusnet-business.toml", "plugin.toml"):
        catalogue_load(path=ROOT / "catalogues" / name, now=timezone.now())
    customers = int(os.environ["API_FUZZ_CUSTOMERS"])
    demo = demo_load(customers=customers, seed=7, on=date(2026, 11, 21))
    account = demo.customers[0][2]
    tokens = {
        "staff": api_token_create(username="admin", now=timezone.now()).secret,
        "customer": api_token_create(account_number=account, now=timezone.now()).secret,
    }
    print(json.dumps(tokens))


def cases(report: str) -> str:
    """The test-case count line of a schemathesis report, e.g. `969 generated, 969 passed`."""
    counts = re.findall(r"^\s*(\d+ generated.*)$", report, flags=re.MULTILINE)
    return counts[-1].strip() if counts else "no test-case count in the report"


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"error: the server stopped (exit {server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 (loopback)
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"error: {url} did not answer within {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.prepare:
        prepare()
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    database = OUT / "api-fuzz.sqlite3"
    database.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "BACKHAUL_HOME": str(ROOT),
        "BACKHAUL_DEBUG": "false",
        "BACKHAUL_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BACKHAUL_EMAIL_FILE_PATH": str(OUT / "mail"),
    }
    started = time.monotonic()
    prepared = subprocess.run(
        [sys.executable, __file__, "--prepare"],
        env={**env, "API_FUZZ_CUSTOMERS": str(options.customers)},
        capture_output=True, text=True,
    )  # fmt: skip
    if prepared.returncode != 0:
        sys.stderr.write(prepared.stderr)
        raise SystemExit("error: preparing the fuzzing database failed")
    tokens: dict[str, str] = json.loads(prepared.stdout.strip().splitlines()[-1])
    print(f"data ready in {time.monotonic() - started:.0f} s; tokens: {', '.join(tokens)}")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "backhaul.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "60", "--access-logfile", "-",
         "--error-logfile", str(OUT / "server-errors.log")],
        env=env, cwd=ROOT, stdout=(OUT / "access.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    failed = False
    try:
        wait_until_up(f"{base}/api/v1/health", server)
        for name, token in tokens.items():
            print(f"== schemathesis as the {name} token", flush=True)
            run = subprocess.run(
                [str(BIN / "schemathesis"), "run", f"{base}/api/v1/openapi.json",
                 "--header", f"Authorization: Bearer {token}",
                 "--checks", CHECKS,
                 "--phases", "examples,coverage,fuzzing",
                 "--max-examples", str(options.examples),
                 "--seed", str(options.seed),
                 "--workers", "1",
                 "--request-timeout", "30",
                 "--suppress-health-check", "too_slow",
                 "--report", "junit",
                 "--report-junit-path", str(OUT / f"{name}.xml")],
                cwd=ROOT, env=env, capture_output=True, text=True,
            )  # fmt: skip
            (OUT / f"{name}.log").write_text(run.stdout + run.stderr)
            if run.returncode != 0:
                failed = True
                sys.stdout.write(run.stdout + run.stderr)
            print(f"{name}: {cases(run.stdout)} (full report: {OUT / f'{name}.log'})", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"api fuzz {'FAILED' if failed else 'passed'} in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
