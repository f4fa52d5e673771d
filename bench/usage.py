"""Benchmark: meter interim updates and bring every account's allowance state up to date.

Runs on PostgreSQL only. It creates (and afterwards drops) a database of its own beside
the one DATABASE_URL names, fills it with accounts on PlugIn broadband plans and their
RADIUS logins, loads the interim updates with COPY (timed as `load`), then meters them
and moves every account's allowance on (timed as `import`). Prints one JSON object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/usage.py
    ... --size 5000000          # the full target: 5,000,000 rows for 100,000 sessions
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPDATES_PER_SESSION = 50
INTERVAL = timedelta(minutes=5)
HEAVY_EVERY = 50  # one account in 50 uses enough to be throttled or blocked
START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def _bench_database(url: str) -> tuple[str, str]:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if not str(config.get("ENGINE", "")).endswith("postgresql"):
        sys.exit("bench/usage.py runs on PostgreSQL: set DATABASE_URL=postgres://...")
    name = "backhaul_bench_usage"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + f"/{name}", admin


def _drop(admin: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS backhaul_bench_usage")


def _setup(sessions: int) -> list[str]:
    from django.core.management import call_command

    from backhaul.catalogue.models import Brand, PriceVersion, Product
    from backhaul.catalogue.services import catalogue_load
    from backhaul.contracts.models import Subscription
    from backhaul.customers.models import Account
    from backhaul.network.models import BroadbandLogin

    call_command("migrate", verbosity=0)
    for name in ("plusnet-business.toml", "plugin.toml"):
        catalogue_load(path=ROOT / "catalogues" / name, now=START)
    brand = Brand.objects.get(key="plugin")
    product = Product.objects.get(brand=brand, key="broadband")
    price = PriceVersion.objects.filter(product=product).first()
    accounts = Account.objects.bulk_create(
        (
            Account(
                number=f"PI{n:07d}",
                brand=brand,
                name=f"Bench {n}",
                kind="business",
                primary_email=f"bench{n}@example.com",
                created_at=START,
            )
            for n in range(sessions)
        ),
        batch_size=5000,
    )
    subscriptions = Subscription.objects.bulk_create(
        (
            Subscription(
                account=account,
                product=product,
                price_version=price,
                term_months=1,
                status="active",
                ordered_on=date(2026, 10, 2),
                service_start_date=date(2026, 10, 2),
                notice_days=20,
                created_at=START,
            )
            for account in accounts
        ),
        batch_size=5000,
    )
    usernames = [f"bench{n}@plugin.example" for n in range(sessions)]
    BroadbandLogin.objects.bulk_create(
        (
            BroadbandLogin(
                username=username,
                password="x",  # noqa: S106
                account=account,
                subscription=subscription,
                created_at=START,
            )
            for username, account, subscription in zip(
                usernames, accounts, subscriptions, strict=True
            )
        ),
        batch_size=5000,
    )
    return usernames


def _updates(usernames: list[str], rows: int):
    """Interim updates: cumulative counters per session, some past 2**32 (Gigawords)."""
    import polars as pl

    sessions = len(usernames)
    per_session = max(rows // sessions, 1)
    session = pl.int_range(0, sessions * per_session, eager=True) // per_session
    step = pl.int_range(0, sessions * per_session, eager=True) % per_session
    frame = pl.DataFrame({"s": session, "k": step}).with_columns(
        heavy=(pl.col("s") % HEAVY_EVERY) == 0
    )
    frame = frame.with_columns(
        per_update=pl.when(pl.col("heavy"))
        .then(5_000_000_000)
        .otherwise(40_000_000 + (pl.col("s") * 7919 % 60_000_000)),
    ).with_columns(total=(pl.col("k") + 1) * pl.col("per_update"))
    start_us = int(START.timestamp() * 1_000_000)
    return frame.select(
        source=pl.lit("bulk"),
        session_key=pl.lit("bench-") + pl.col("s").cast(pl.Utf8),
        username=pl.lit("bench") + pl.col("s").cast(pl.Utf8) + pl.lit("@plugin.example"),
        nas_ip=pl.lit("192.0.2.1"),
        status=pl.lit("interim"),
        at=(pl.lit(start_us) + pl.col("k") * int(INTERVAL.total_seconds() * 1_000_000)).cast(
            pl.Datetime("us", "UTC")
        ),
        session_start=pl.lit(start_us).cast(pl.Datetime("us", "UTC")),
        input_octets=(pl.col("total") // 20) % 2**32,
        input_gigawords=(pl.col("total") // 20) // 2**32,
        output_octets=pl.col("total") % 2**32,
        output_gigawords=pl.col("total") // 2**32,
        framed_ip=pl.lit("100.64.")
        + (pl.col("s") // 250).cast(pl.Utf8)
        + pl.lit(".")
        + (pl.col("s") % 250 + 1).cast(pl.Utf8),
        origin=pl.lit(""),
    )


def _copy(frame) -> None:
    from django.db import connection

    columns = ", ".join(frame.columns)
    buffer = frame.write_csv(include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.f%:z")
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY usage_accountingrecord ({columns}) FROM STDIN WITH (FORMAT csv)"
        ) as copy,
    ):
        copy.write(buffer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500_000, help="interim-update rows")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print(json.dumps({"benchmark": "usage", "skipped": "set DATABASE_URL=postgres://..."}))
        return
    bench_url, admin = _bench_database(url)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["BACKHAUL_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backhaul.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection, transaction

    from backhaul.usage.models import AllowanceState, ImportRun
    from backhaul.usage.services import records_meter

    try:
        sessions = max(args.size // UPDATES_PER_SESSION, 1)
        setup_started = time.perf_counter()
        usernames = _setup(sessions)
        frame = _updates(usernames, args.size)
        setup_seconds = time.perf_counter() - setup_started

        started = time.perf_counter()
        with transaction.atomic():
            _copy(frame)
        load_seconds = time.perf_counter() - started

        now = START + INTERVAL * UPDATES_PER_SESSION
        started = time.perf_counter()
        with transaction.atomic():
            run = ImportRun.objects.create(source="bulk", started_at=now)
            counts = records_meter(run=run, now=now)
        import_seconds = time.perf_counter() - started
        states = dict(
            AllowanceState.objects.values_list("state").annotate(n=django.db.models.Count("id"))
        )
        rows = frame.height
        print(
            json.dumps(
                {
                    "benchmark": "usage",
                    "database": connection.vendor,
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "rows": rows,
                    "sessions": sessions,
                    "setup_seconds": round(setup_seconds, 2),
                    "load_seconds": round(load_seconds, 2),
                    "import_seconds": round(import_seconds, 2),
                    "import_rows_per_second": round(rows / import_seconds),
                    "load_and_import_rows_per_second": round(
                        rows / (load_seconds + import_seconds)
                    ),
                    "target_rows_per_second": 250_000,
                    "counts": counts,
                    "states": states,
                }
            )
        )
    finally:
        connection.close()
        _drop(admin)


if __name__ == "__main__":
    main()
