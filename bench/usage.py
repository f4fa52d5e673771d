"""Benchmark: import RADIUS interim updates and bring every account's allowance up to date.

Runs on PostgreSQL. It creates (and afterwards drops) a database of its own,
`backhaul_bench_usage`, on the server DATABASE_URL names (default: the local server),
fills it with PlugIn broadband accounts and their RADIUS logins, and writes the interim
updates of every session into the accounting log, as radacct polls and detail files land
them (cumulative counters every 5 minutes; one session in ten sends no Gigawords, so its
32-bit counters wrap; one account in fifty uses enough to be throttled, then blocked).
Then it times:

- `import`: metering every update and moving every account's allowance on, in one
  transaction (usage by day, session counters, IP history, allowance states, transitions,
  RADIUS groups of the accounts whose state changed, notices queued);
- `notices`: sending the notices that import queued, after it committed;
- `replay`: the last updates of every session logged again and metered: nothing counts;
- `radacct_poll`: FreeRADIUS's radacct table holding one more update for every session,
  read with `backhaul usage import` (radacct -> log -> meter -> allowances -> notices).

It checks the allowance states against the usage the generator put in, and prints one JSON
object. The target is 250,000 rows/s for the import.

    .venv/bin/python bench/usage.py                       # 5,000,000 rows, 100,000 sessions
    .venv/bin/python bench/usage.py --rows 500000 --sessions 10000
"""

# The SQL below is the benchmark's own, built from integers it chose.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "backhaul_bench_usage"
INTERVAL = timedelta(minutes=5)
START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
HEAVY_EVERY = 50  # one account in 50 uses 5 GB per update: throttled, then blocked
WRAP_EVERY = 10  # one session in 10 (those numbered 5 mod 10) sends no Gigawords
HEAVY_PER_UPDATE = 5_000_000_000
GIGAWORD = 2**32
TARGET_ROWS_PER_SECOND = 250_000


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/usage.py runs on PostgreSQL: set DATABASE_URL=postgres://...")
    return url.rsplit("/", 1)[0]


def recreate_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def drop_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


def per_update_sql(session: str) -> str:
    """Octets (download) each update of a session adds; upload is a twentieth of it."""
    return (
        f"CASE WHEN mod({session}, {HEAVY_EVERY}) = 0 THEN {HEAVY_PER_UPDATE}::bigint "
        f"ELSE 40000000 + mod({session}::bigint * 7919, 60000000) END"
    )


def per_update(session: int) -> int:
    if session % HEAVY_EVERY == 0:
        return HEAVY_PER_UPDATE
    return 40_000_000 + (session * 7919) % 60_000_000


def framed_ip_sql(session: str) -> str:
    return (
        f"'100.' || (64 + {session} / 65536) || '.' || mod({session} / 256, 256) || '.' "
        f"|| mod({session}, 256)"
    )


def _execute(sql: str, params: list | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def _clone(table: str, template_id: int, count: int, overrides: dict[str, str], source: str):
    """Copy a template row `count` times (g = 1..count), some columns from expressions."""
    from django.db import connection

    with connection.cursor() as cursor:
        columns = [
            c.name
            for c in connection.introspection.get_table_description(cursor, table)
            if c.name != "id"
        ]
    values = [overrides.get(c, f"t.{connection.ops.quote_name(c)}") for c in columns]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    _execute(
        f"INSERT INTO {table} ({quoted}) SELECT {', '.join(values)} "
        f"FROM {table} t, generate_series(1, {count}) g {source} WHERE t.id = {template_id}"
    )


def setup(sessions: int) -> None:
    """Accounts on PlugIn broadband (100 GB a month from the 2nd), one login each."""
    from django.core.management import call_command

    from backhaul.catalogue.services import catalogue_load
    from backhaul.contracts.services import subscription_create
    from backhaul.customers.services import account_create
    from backhaul.network.services import login_create

    call_command("migrate", verbosity=0)
    for name in ("plusnet-business.toml", "plugin.toml"):
        catalogue_load(path=ROOT / "catalogues" / name, now=START)
    account = account_create(
        brand_key="plugin", name="Bench 0", email="bench0@example.com", now=START
    )
    subscription = subscription_create(
        account_number=account.number,
        product_key="broadband",
        start=date(2026, 10, 2),
        now=START,
    )
    login = login_create(
        account_number=account.number,
        username="bench0@plugin.example",
        password="bench",  # noqa: S106 (a benchmark login)
        subscription_id=subscription.pk,
        now=START,
    )
    if sessions > 1:
        _clone(
            "customers_account",
            account.pk,
            sessions - 1,
            {
                "number": "'BENCH' || lpad(g::text, 9, '0')",
                "name": "'Bench ' || g",
                "primary_email": "'bench' || g || '@example.com'",
            },
            "",
        )
        _clone(
            "contracts_subscription",
            subscription.pk,
            sessions - 1,
            {"account_id": "a.id"},
            "JOIN customers_account a ON a.number = 'BENCH' || lpad(g::text, 9, '0')",
        )
        _clone(
            "network_broadbandlogin",
            login.pk,
            sessions - 1,
            {
                "account_id": "a.id",
                "subscription_id": "s.id",
                "username": "'bench' || g || '@plugin.example'",
            },
            "JOIN customers_account a ON a.number = 'BENCH' || lpad(g::text, 9, '0') "
            "JOIN contracts_subscription s ON s.account_id = a.id",
        )
    _execute("ANALYZE")


def records_load(sessions: int, updates: int) -> int:
    """Every session's interim updates in the accounting log, in time order."""
    interval = int(INTERVAL.total_seconds())
    return _execute(
        "INSERT INTO usage_accountingrecord (source, session_key, username, nas_ip, status, "
        "at, session_start, input_octets, input_gigawords, output_octets, output_gigawords, "
        "framed_ip, origin) "
        "SELECT 'bulk', 'bench-' || s, 'bench' || s || '@plugin.example', '192.0.2.1', "
        f"'interim', %s + k * interval '{interval} seconds', %s, "
        f"mod(total / 20, {GIGAWORD}), "
        f"CASE WHEN wraps THEN NULL ELSE (total / 20) / {GIGAWORD} END, "
        f"mod(total, {GIGAWORD}), CASE WHEN wraps THEN NULL ELSE total / {GIGAWORD} END, "
        f"{framed_ip_sql('s')}, '' "
        f"FROM (SELECT s, k, (k + 1) * ({per_update_sql('s')}) AS total, "
        f"mod(s, {WRAP_EVERY}) = 5 AS wraps "
        f"FROM generate_series(0, {sessions - 1}) s, generate_series(0, {updates - 1}) k) u "
        "ORDER BY k, s",
        [START, START],
    )


def replay_load(sessions: int, updates: int) -> int:
    """The last update of every session logged again (a detail file read twice, say)."""
    return _execute(
        "INSERT INTO usage_accountingrecord (source, session_key, username, nas_ip, status, "
        "at, session_start, input_octets, input_gigawords, output_octets, output_gigawords, "
        "framed_ip, origin) "
        "SELECT source, session_key, username, nas_ip, status, at, session_start, "
        "input_octets, input_gigawords, output_octets, output_gigawords, framed_ip, "
        "'replayed' FROM usage_accountingrecord WHERE at = %s",
        [START + INTERVAL * (updates - 1)],
    )


def radacct_load(sessions: int, updates: int) -> int:
    """radacct as FreeRADIUS keeps it: one row per session with its next interim update
    (octet columns combine Gigawords, except where the NAS sends none)."""
    total = f"({updates} + 1) * ({per_update_sql('s')})"
    return _execute(
        "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
        "acctstarttime, acctupdatetime, acctinputoctets, acctoutputoctets, framedipaddress) "
        "SELECT 's' || s, 'bench-' || s, 'bench' || s || '@plugin.example', '192.0.2.1', "
        "%s, %s, "
        f"CASE WHEN mod(s, {WRAP_EVERY}) = 5 THEN mod({total} / 20, {GIGAWORD}) "
        f"ELSE {total} / 20 END, "
        f"CASE WHEN mod(s, {WRAP_EVERY}) = 5 THEN mod({total}, {GIGAWORD}) ELSE {total} END, "
        f"({framed_ip_sql('s')})::inet "
        f"FROM generate_series(0, {sessions - 1}) s",
        [START, START + INTERVAL * updates],
    )


def expected_used(sessions: int, updates: int) -> int:
    """What the allowance states must add up to: every update counted exactly once."""
    total = 0
    for session in range(sessions):
        download = updates * per_update(session)
        total += download + download // 20
    return total


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="interim-update rows")
    parser.add_argument("--sessions", type=int, default=100_000, help="sessions (accounts)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", help="write a cProfile of the import to this file")
    args = parser.parse_args()
    if args.sessions < 1 or args.rows < args.sessions:
        sys.exit("--rows must be at least --sessions, and --sessions at least 1")
    updates = args.rows // args.sessions
    rows = updates * args.sessions
    server = server_url()
    recreate_database(server)
    os.environ["DATABASE_URL"] = f"{server}/{DATABASE}"
    os.environ["BACKHAUL_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backhaul.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Count, Max, Sum

    from backhaul.usage.models import AllowanceState, ImportRun
    from backhaul.usage.services import (
        periods_roll,
        records_meter,
        usage_import,
        usage_notices_send,
    )

    result: dict = {
        "benchmark": "usage",
        "database": "postgresql",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_before": load_average(),
        "rows": rows,
        "sessions": args.sessions,
        "updates_per_session": updates,
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
    }
    try:
        started = time.perf_counter()
        setup(args.sessions)
        result["setup_seconds"] = round(time.perf_counter() - started, 2)

        started = time.perf_counter()
        with transaction.atomic():
            records_load(args.sessions, updates)
        _execute("ANALYZE usage_accountingrecord")
        result["load_seconds"] = round(time.perf_counter() - started, 2)

        now = START + INTERVAL * updates
        started = time.perf_counter()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        with transaction.atomic():
            run = ImportRun.objects.create(source="bulk", started_at=now)
            counts = records_meter(run=run, now=now)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        result["import_seconds"] = round(seconds, 2)
        result["import_rows_per_second"] = round(rows / seconds)
        result["counts"] = counts

        started = time.perf_counter()
        sent = usage_notices_send(now=now)["notices_sent"]
        result["notices"] = sent
        result["notices_seconds"] = round(time.perf_counter() - started, 2)

        used = AllowanceState.objects.aggregate(total=Sum("used_bytes"))["total"]
        result["states"] = dict(
            AllowanceState.objects.values_list("state").annotate(n=Count("id")).order_by()
        )
        result["used_bytes"] = used
        result["used_bytes_as_generated"] = used == expected_used(args.sessions, updates)

        with transaction.atomic():
            replayed = replay_load(args.sessions, updates)
        started = time.perf_counter()
        with transaction.atomic():
            run = ImportRun.objects.create(source="bulk", started_at=now)
            again = records_meter(run=run, now=now)
        result["replay"] = {
            "rows": replayed,
            "seconds": round(time.perf_counter() - started, 2),
            "metered": again["metered"],
            "duplicates": again["duplicates"],
            "used_bytes_unchanged": AllowanceState.objects.aggregate(t=Sum("used_bytes"))["t"]
            == used,
        }

        with transaction.atomic():
            polled = radacct_load(args.sessions, updates)
        later = now + INTERVAL
        started = time.perf_counter()
        poll = usage_import(now=later)
        seconds = time.perf_counter() - started
        result["radacct_poll"] = {
            "rows": polled,
            "seconds": round(seconds, 2),
            "rows_per_second": round(polled / seconds),
            "metered": poll.counts["metered"],
            "used_bytes_as_generated": AllowanceState.objects.aggregate(t=Sum("used_bytes"))["t"]
            == expected_used(args.sessions, updates + 1),
        }
        # The day every account's period ends and a new one starts (extra usage charged,
        # upgrade checks, blocked connections restored).
        roll_day = AllowanceState.objects.aggregate(day=Max("period_end"))["day"]
        started = time.perf_counter()
        rolled = periods_roll(on=roll_day, now=datetime.combine(roll_day, dt_time(3), UTC))
        seconds = time.perf_counter() - started
        result["period_roll"] = {
            "day": roll_day.isoformat(),
            "seconds": round(seconds, 2),
            "accounts_per_second": round(rolled["periods_rolled"] / seconds),
            **rolled,
        }
        result["load_average_after"] = load_average()
        print(json.dumps(result))
    finally:
        connection.close()
        if not args.keep:
            drop_database(server)


if __name__ == "__main__":
    main()
