"""Benchmark: abuse report intake resolved against the IP history.

Ingests a mix of ARF feedback reports (45%), X-ARF reports (45%) and plain email complaints
with the spam's headers pasted in (10%, each acknowledged by email) against an IP history of
20 rows per report, the way `backhaul abuse import` does, and prints one JSON object with
the wall-clock rate, the CPU time per report of this process and of the workers, and the
load average before and after. The default is the full size, 50,000 reports against
1,000,000 IP-history rows (target: at least 1,000 reports/s); `--size` shrinks it:

    .venv/bin/python bench/abuse.py
    .venv/bin/python bench/abuse.py --size 5000

It runs on a fresh SQLite file under var/bench/ (whatever DATABASE_URL says); `--database
URL` runs it on that PostgreSQL or SQLite database instead (created if missing, emptied
first): give it one of its own, e.g. postgres://postgres@127.0.0.1:5432/h_abuse_bench.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from machine import cpu_times, steal_percent

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
HISTORY_PER_REPORT = 20
SESSIONS_PER_ADDRESS = 10
ACCOUNTS_PER_ADDRESS = 0.2
START = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def database_create_missing(url: str) -> None:
    """Create the PostgreSQL database `url` names unless it exists."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl().replace("postgresql://", "postgres://")
    try:
        with psycopg.connect(
            server.replace("postgres://", "postgresql://"), autocommit=True
        ) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0]
        raise SystemExit(f"error: cannot reach PostgreSQL at {url}: {first}") from None


def setup_django(database: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "backhaul.settings"
    os.environ.setdefault("BACKHAUL_HOME", str(ROOT))
    os.environ["BACKHAUL_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if database is None:
        path = ROOT / "var" / "bench" / "abuse.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        database = f"sqlite:///{path}"
    elif database.startswith(("postgres://", "postgresql://")):
        database_create_missing(database)
    os.environ["DATABASE_URL"] = database
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)


def build_history(
    rows: int, rng: random.Random
) -> list[tuple[str, list[tuple[datetime, datetime, int]]]]:
    """Accounts and `rows` IP-history rows: each address held in turn by several accounts,
    five days per session, the last one still open."""
    from django.db import connection, transaction

    from backhaul.catalogue.models import Brand
    from backhaul.catalogue.services import catalogue_load
    from backhaul.customers.models import Account
    from backhaul.network.models import IpAssignment
    from backhaul.usage.bulk import insert_rows

    for name in ("plusnet-business.toml", "plugin.toml"):
        catalogue_load(path=ROOT / "catalogues" / name, now=NOW)
    brands = list(Brand.objects.order_by("key"))
    addresses = rows // SESSIONS_PER_ADDRESS
    account_count = max(10, int(addresses * ACCOUNTS_PER_ADDRESS))
    Account.objects.bulk_create(
        [
            Account(
                number=f"BX{index:07d}",
                brand=brands[index % len(brands)],
                name=f"Bench customer {index}",
                kind="business",
                primary_email=f"customer{index}@bench.example.com",
                created_at=START,
            )
            for index in range(account_count)
        ],
        batch_size=5000,
    )
    account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    history = []
    assignments: list[tuple[object, ...]] = []
    columns = ("ip", "account_id", "source", "start", "end", "username", "session_id")
    for index in range(addresses):
        ip = f"{(index >> 16) % 223 + 1}.{(index >> 8) % 256}.{index % 256}.7"
        sessions = []
        for day in range(SESSIONS_PER_ADDRESS):
            start = START + timedelta(days=day * 5)
            end = start + timedelta(days=5) if day < SESSIONS_PER_ADDRESS - 1 else None
            account = rng.choice(account_ids)
            sessions.append((start, end or NOW, account))
            assignments.append((ip, account, "radius", start, end, "", ""))
        history.append((ip, sessions))
    with transaction.atomic():
        insert_rows(IpAssignment._meta.db_table, columns, assignments)
    if connection.vendor == "postgresql":
        # Statistics as autovacuum keeps them on a live database, not those of an empty one.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return history


ARF = """From: Feedback Loop <fbl@fbl.example.net>
To: abuse@plus.net
Subject: FW: complaint {n}
Date: {date}
Message-ID: <arf-{n}@fbl.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b{n}"

--b{n}
Content-Type: text/plain

This is an abuse report for a message received from {ip}.

--b{n}
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: BenchFBL/1.0
Version: 1
Source-IP: {ip}
Arrival-Date: {date}

--b{n}
Content-Type: message/rfc822

Received: from sender.example.com (sender.example.com [{ip}])
\tby mx.fbl.example.net with ESMTP id {n}; {date}
From: offers{n}@shop.example.com
To: user{n}@fbl.example.net
Subject: Offer {n}
Date: {date}
Message-ID: <offer-{n}@shop.example.com>

Buy now.
--b{n}--
"""

XARF = """From: Honeypot <reports@honeypot.example.org>
To: abuse@plugin.co.uk
Subject: abuse report about {ip} - {iso}
Date: {date}
Message-ID: <xarf-{n}@honeypot.example.org>
Auto-Submitted: auto-generated
X-XARF: PLAIN
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="x{n}"

--x{n}
Content-Type: text/plain

SSH login attempts from {ip}.

--x{n}
Content-Type: text/plain; name="report.txt"
Content-Disposition: attachment; filename="report.txt"

Reported-From: reports@honeypot.example.org
Category: abuse
Report-Type: login-attack
Service: ssh
Version: 0.2
User-Agent: BenchHoneypot 1.0
Date: {iso}
Source: {ip}
Source-Type: ipv4
Port: 22

--x{n}
Content-Type: text/plain; name="evidence.txt"

{iso} sshd: Failed password for root from {ip} port 40022
--x{n}--
"""

PLAIN = """From: Reporter {n} <person{n}@reporter.example.org>
To: abuse@plus.net
Subject: spam from your network
Date: {date}
Message-ID: <plain-{n}@reporter.example.org>
Content-Type: text/plain; charset=utf-8

I keep getting unsolicited mail from one of your customers. Headers below.

> Received: from smtp.customer.example.com (smtp.customer.example.com [{ip}])
>\tby mx.reporter.example.org with ESMTP id {n}; {date}
> From: Shop <offers{n}@shop.example.com>
> To: person{n}@reporter.example.org
> Subject: Cheap watches
> Date: {date}
> Message-ID: <watch-{n}@shop.example.com>

Please make it stop.
"""


# Feedback loops and honeypots send most of an abuse desk's reports; people's complaints,
# each acknowledged by email, are the smaller share: 9 ARF, 9 X-ARF, 2 plain in 20.
MIX = (ARF, XARF) * 9 + (PLAIN, PLAIN)


def build_reports(
    size: int, history: list[tuple[str, list[tuple[datetime, datetime, int]]]], rng: random.Random
) -> list[bytes]:
    reports = []
    for n in range(size):
        ip, sessions = rng.choice(history)
        start, end, _ = rng.choice(sessions)
        if n % 20 == 19:  # some reports name an address nobody held then
            ip = f"203.0.113.{n % 250 + 1}"
        moment = start + (end - start) * rng.random()
        moment = moment.replace(microsecond=0)
        fields = {
            "n": n,
            "ip": ip,
            "date": moment.strftime("%a, %d %b %Y %H:%M:%S +0000"),
            "iso": moment.isoformat(),
        }
        template = MIX[n % len(MIX)]
        reports.append(template.format(**fields).encode())
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=int, default=50000, help="reports to ingest (default: the full 50,000)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=500, help="reports per transaction")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--database",
        metavar="URL",
        help="run on this database (emptied first) instead of a fresh SQLite file",
    )
    args = parser.parse_args()
    setup_django(args.database)

    from django.db import connection

    from backhaul.abuse.models import Case, Report
    from backhaul.abuse.services import RawItem, reports_ingest
    from backhaul.network.models import IpAssignment

    rng = random.Random(args.seed)
    began = time.perf_counter()
    history = build_history(args.size * HISTORY_PER_REPORT, rng)
    reports = build_reports(args.size, history, rng)
    del history
    setup_seconds = time.perf_counter() - began

    items = [RawItem(raw, f"bench#{n}") for n, raw in enumerate(reports)]
    load_before = os.getloadavg()
    host = cpu_times()
    cpu_before = time.process_time()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    summary = reports_ingest(
        items=items, channel="import", now=NOW, batch_size=args.batch, workers=args.workers
    )
    seconds = time.perf_counter() - began
    main_cpu = time.process_time() - cpu_before
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    result = {
        "benchmark": "abuse",
        "database": connection.vendor,
        "reports": args.size,
        "ip_history_rows": IpAssignment.objects.count(),
        "setup_seconds": round(setup_seconds, 2),
        "seconds": round(seconds, 2),
        "reports_per_s": round(args.size / seconds, 1),
        "target_reports_per_s": 1000,
        "workers": args.workers,
        "main_cpu_ms_per_report": round(1000 * main_cpu / args.size, 3),
        "worker_cpu_ms_per_report": round(1000 * worker_cpu / args.size, 3),
        "reports_per_cpu_second": round(args.size / (main_cpu + worker_cpu), 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "host_steal_percent": steal_percent(host),
        "accepted": summary.accepted,
        "rejected": summary.rejected,
        "unresolved": summary.unresolved,
        "cases_created": summary.cases_created,
        "cases_updated": summary.cases_updated,
        "acknowledged": summary.acknowledged,
        "reports_stored": Report.objects.count(),
        "cases": Case.objects.count(),
        "mix": {"arf": 0.45, "xarf": 0.45, "plain_email": 0.10},
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
