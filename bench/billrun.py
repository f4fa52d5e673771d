"""Bill run benchmark: N accounts with a month of mixed charges, on PostgreSQL.

    python bench/billrun.py [--size 100000] [--workers 2] [--chunk-size 2000]

Creates its own database (backhaul_bench_billrun) on the server named by DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/postgres) and fills it: two accounts in three
on Plusnet Business (MPS Option 2, 36 months, market 3), one in three on PlugIn broadband,
service starting on any day of October (part periods), and 0-3 usage charges each. It then
times the bill run of 1 November 2026 in this process, runs it again (nothing to issue),
undoes it and times the same run on Celery workers with a Redis broker. Prints one JSON
object; the target is 100,000 invoices in at most 60 s wall in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "backhaul_bench_billrun"
BROKER = "redis://127.0.0.1:6379/12"
BILL_DATE = date(2026, 11, 1)
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)

# Run in a subprocess with CELERY_BROKER_URL set, so chunks go to the workers; times the
# same call as the in-process run (not the command's printing of every invoice).
ON_WORKERS = """
import json, sys, time
from datetime import UTC, date, datetime
import django
django.setup()
from backhaul.billing.services import billrun_run
started = time.perf_counter()
bill_run, result = billrun_run(on=date(2026, 11, 1), now=datetime(2026, 11, 1, 6, tzinfo=UTC),
                               chunk_size=int(sys.argv[1]))
seconds = time.perf_counter() - started
report = {"seconds": seconds, "invoices": len(result.issued), "total": str(bill_run.total)}
print(json.dumps(report))
"""


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not urlparse(url).scheme.startswith("postgres"):
        sys.exit("bench/billrun.py runs on PostgreSQL: set DATABASE_URL=postgres://...")
    return url


def recreate_database(url: str) -> str:
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return parsed._replace(path=f"/{BENCH_DB}").geturl()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("BACKHAUL_HOME", str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backhaul.settings")
    import django

    django.setup()


def fill(size: int) -> dict[str, int]:
    """Accounts on both brands, each with a broadband subscription and usage charges."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from backhaul.billing.bulk import copy_rows, reserve_ids
    from backhaul.billing.models import PendingCharge
    from backhaul.catalogue.models import Brand, Clause, PriceVersion, Product
    from backhaul.catalogue.services import catalogue_load
    from backhaul.contracts.models import Subscription
    from backhaul.customers.models import Account

    call_command("migrate", verbosity=0)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for name in ("plusnet-business.toml", "plugin.toml"):
        catalogue_load(path=ROOT / "catalogues" / name, now=now)
    brands = {b.key: b for b in Brand.objects.all()}
    plans = {
        "plusnet-business": (
            Product.objects.get(brand__key="plusnet-business", key="mps-option-2"),
            36,
            "3",
        ),
        "plugin": (Product.objects.get(brand__key="plugin", key="broadband"), 1, ""),
    }
    prices = {
        key: PriceVersion.objects.filter(
            product=product, term__in=[term, 0], market__in=[market, ""]
        )
        .order_by("-term", "-market", "-start")
        .first()
        for key, (product, term, market) in plans.items()
    }
    usage_clause = Clause.objects.get(clause_id="plusnet-business/broadband-charges#7")
    with transaction.atomic():
        account_ids = reserve_ids(Account, size)
        accounts, subscriptions, charges = [], [], []
        for n, account_id in enumerate(account_ids):
            key = "plusnet-business" if n % 3 else "plugin"
            product, term, market = plans[key]
            start = date(2026, 10, 1 + n % 28)
            accounts.append(
                (
                    account_id,
                    f"{'PB' if n % 3 else 'PI'}B{n:07d}",
                    brands[key].pk,
                    f"Bench customer {n}",
                    "business",
                    "open",
                    f"bench{n}@example.com",
                    "",
                    "not-checked",
                    False,
                    1,
                    now,
                )
            )
            subscriptions.append(
                (
                    account_id,
                    product.pk,
                    prices[key].pk,
                    term,
                    market,
                    "active",
                    start,
                    start,
                    date(2029, 10, 1),
                    30,
                    now,
                )
            )
            for k in range(n % 4):
                charges.append(
                    (
                        f"bench:{n}:{k}",
                        account_id,
                        "usage",
                        "bench",
                        f"Extra usage: {k + 1} GB at £1.00",
                        Decimal(k + 1),
                        Decimal("1.00"),
                        Decimal(k + 1),
                        "exclusive",
                        usage_clause.pk,
                        date(2026, 10, 20),
                        now,
                    )
                )
        copy_rows(
            Account,
            (
                "id",
                "number",
                "brand_id",
                "name",
                "kind",
                "status",
                "primary_email",
                "phone",
                "credit_vet",
                "deposit_required",
                "bill_day",
                "created_at",
            ),
            accounts,
        )
        copy_rows(
            Subscription,
            (
                "account_id",
                "product_id",
                "price_version_id",
                "term_months",
                "market",
                "status",
                "ordered_on",
                "service_start_date",
                "minimum_period_end",
                "notice_days",
                "created_at",
            ),
            subscriptions,
        )
        copy_rows(
            PendingCharge,
            (
                "key",
                "account_id",
                "kind",
                "source",
                "description",
                "quantity",
                "unit_amount",
                "amount",
                "vat_treatment",
                "clause_id",
                "tax_point",
                "created_at",
            ),
            charges,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"accounts": size, "subscriptions": len(subscriptions), "charges": len(charges)}


def undo_run() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_invoiceline")
        cursor.execute("DELETE FROM billing_invoice")
        cursor.execute("DELETE FROM billing_billrun")
        cursor.execute("UPDATE billing_pendingcharge SET billed_on = NULL")
        cursor.execute("UPDATE billing_documentsequence SET next_value = 1")
        cursor.execute("VACUUM ANALYZE")


def timed_run(chunk_size: int) -> dict[str, Any]:
    from backhaul.billing.models import InvoiceLine
    from backhaul.billing.services import billrun_run

    started, cpu = time.perf_counter(), time.process_time()
    bill_run, result = billrun_run(on=BILL_DATE, now=NOW, chunk_size=chunk_size)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    lines = InvoiceLine.objects.count()
    return {
        "seconds": round(seconds, 2),
        "python_cpu_seconds": round(cpu, 2),
        "invoices": len(result.issued),
        "lines": lines,
        "invoices_per_s": round(len(result.issued) / seconds, 1),
        "lines_per_s": round(lines / seconds, 1),
        "net": str(bill_run.net),
        "vat": str(bill_run.vat),
        "total": str(bill_run.total),
    }


def rerun(chunk_size: int) -> dict[str, Any]:
    from backhaul.billing.services import billrun_run

    started = time.perf_counter()
    _, result = billrun_run(on=BILL_DATE, now=NOW, chunk_size=chunk_size)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "issued": len(result.issued),
        "already_issued": result.skipped_existing,
    }


def workers_run(url: str, workers: int, chunk_size: int) -> dict[str, Any]:
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "BACKHAUL_HOME": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "backhaul.settings",
    }
    worker = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backhaul",
            "worker",
            "--pool=prefork",
            f"--concurrency={workers}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(5)  # let the workers connect before timing starts
        done = subprocess.run(  # noqa: S603 (fixed arguments)
            [sys.executable, "-c", ON_WORKERS, str(chunk_size)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    report = json.loads(done.stdout)
    seconds = report["seconds"]
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "invoices": report["invoices"],
        "invoices_per_s": round(report["invoices"] / seconds, 1),
        "total": report["total"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--no-workers", action="store_true", help="skip the Celery run")
    args = parser.parse_args()
    url = recreate_database(server_url())
    setup_django(url)
    started = time.perf_counter()
    filled = fill(args.size)
    fill_seconds = round(time.perf_counter() - started, 1)
    load_before = os.getloadavg()
    in_process = timed_run(args.chunk_size)
    again = rerun(args.chunk_size)
    report: dict[str, Any] = {
        "benchmark": "billrun",
        "database": "postgresql",
        "machine": f"{os.cpu_count()} cores",
        "load_average": [round(x, 2) for x in load_before],
        **filled,
        "fill_seconds": fill_seconds,
        "chunk_size": args.chunk_size,
        "in_process": in_process,
        "rerun": again,
    }
    if not args.no_workers:
        undo_run()
        on_workers = workers_run(url, args.workers, args.chunk_size)
        report["celery_workers"] = on_workers
        report["speedup_with_workers"] = round(in_process["seconds"] / on_workers["seconds"], 2)
        report["same_total"] = in_process["total"] == on_workers["total"]
    report["target"] = "100,000 invoices in at most 60 s wall in-process"
    report["target_met"] = args.size >= 100_000 and in_process["seconds"] <= 60
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
