"""Bill run benchmark: N accounts with a month of mixed charges, on PostgreSQL.

    python bench/billrun.py [--size 100000] [--workers 2] [--chunk-size 1000]

Creates its own database (backhaul_bench_billrun) on the server named by DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/postgres), fills it, times the bill run in this
process, then undoes it and times the same run on Celery workers with a Redis broker.
Prints one JSON object.
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
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "backhaul_bench_billrun"
BROKER = "redis://127.0.0.1:6379/12"


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
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
    """Accounts on both brands, each with a broadband subscription and usage/one-off charges."""
    from django.core.management import call_command

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
        "plusnet-business": (Product.objects.get(brand__key="plusnet-business", key="mps-option-2"), 36, "3"),
        "plugin": (Product.objects.get(brand__key="plugin", key="broadband"), 1, ""),
    }
    prices = {
        key: PriceVersion.objects.filter(product=product, term__in=[term, 0], market__in=[market, ""])
        .order_by("-term", "-market", "-start")
        .first()
        for key, (product, term, market) in plans.items()
    }
    usage_clause = Clause.objects.get(clause_id="plusnet-business/broadband-charges#7")
    accounts = [
        Account(
            number=f"{'PB' if n % 3 else 'PI'}B{n:07d}",
            brand=brands["plusnet-business" if n % 3 else "plugin"],
            name=f"Bench customer {n}",
            kind="business",
            primary_email=f"bench{n}@example.com",
            bill_day=1,
            created_at=now,
        )
        for n in range(size)
    ]
    Account.objects.bulk_create(accounts, batch_size=5000)
    subscriptions = []
    charges = []
    for n, account in enumerate(accounts):
        key = account.brand.key
        product, term, market = plans[key]
        start = date(2026, 10, 1 + n % 28)
        subscriptions.append(
            Subscription(
                account=account, product=product, price_version=prices[key], term_months=term,
                market=market, status="active", ordered_on=start, service_start_date=start,
                minimum_period_end=date(2029, 10, 1), notice_days=30, created_at=now,
            )
        )
        for k in range(n % 4):
            charges.append(
                PendingCharge(
                    key=f"bench:{n}:{k}", account=account, kind="usage", source="bench",
                    description=f"Extra usage: {k + 1} GB at £1.00", quantity=Decimal(k + 1),
                    unit_amount=Decimal("1.00"), amount=Decimal(k + 1), vat_treatment="exclusive",
                    clause=usage_clause, tax_point=date(2026, 10, 20), created_at=now,
                )
            )
    Subscription.objects.bulk_create(subscriptions, batch_size=5000)
    PendingCharge.objects.bulk_create(charges, batch_size=5000)
    return {"accounts": len(accounts), "subscriptions": len(subscriptions), "charges": len(charges)}


def undo_run() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_invoiceline")
        cursor.execute("DELETE FROM billing_invoice")
        cursor.execute("DELETE FROM billing_billrun")
        cursor.execute("UPDATE billing_pendingcharge SET billed_on = NULL")
        cursor.execute("UPDATE billing_documentsequence SET next_value = 1")
        cursor.execute("VACUUM ANALYZE")


def timed_run(chunk_size: int) -> dict[str, float | int]:
    from backhaul.billing.models import InvoiceLine
    from backhaul.billing.services import billrun_run

    started = time.perf_counter()
    bill_run, result = billrun_run(
        on=date(2026, 11, 1), now=datetime(2026, 11, 1, 6, tzinfo=UTC), chunk_size=chunk_size
    )
    seconds = time.perf_counter() - started
    lines = InvoiceLine.objects.count()
    return {
        "seconds": round(seconds, 2),
        "invoices": len(result.issued),
        "lines": lines,
        "invoices_per_s": round(len(result.issued) / seconds, 1),
        "lines_per_s": round(lines / seconds, 1),
        "total": str(bill_run.total),
    }


def workers_run(url: str, workers: int, chunk_size: int) -> dict[str, float | int]:
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": BROKER,
           "CELERY_RESULT_BACKEND": BROKER, "BACKHAUL_HOME": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backhaul", "worker", "--pool=prefork",
         f"--concurrency={workers}", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # let the worker connect before timing starts
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "backhaul", "billrun", "--on", "2026-11-01", "--chunk-size",
             str(chunk_size), "--json"],
            env=env, capture_output=True, text=True, check=True,
        )
        seconds = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    report = json.loads(done.stdout)
    return {"seconds": round(seconds, 2), "invoices": report["count"], "total": report["total"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()
    url = recreate_database(server_url())
    setup_django(url)
    filled = fill(args.size)
    in_process = timed_run(args.chunk_size)
    undo_run()
    on_workers = workers_run(url, args.workers, args.chunk_size)
    print(json.dumps({
        "benchmark": "billrun",
        "database": "postgresql",
        "machine": f"{os.cpu_count()} cores",
        **filled,
        "chunk_size": args.chunk_size,
        "in_process": in_process,
        "celery_workers": {"workers": args.workers, **on_workers},
        "speedup_with_workers": round(in_process["seconds"] / on_workers["seconds"], 2),
        "same_total": in_process["total"] == on_workers["total"],
        "target": "100,000 accounts in at most 60 s in-process",
    }, indent=2))


if __name__ == "__main__":
    main()
