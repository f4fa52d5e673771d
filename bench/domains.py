"""Benchmark: the daily tick for domains, mailboxes and hosting over a large population.

Fills a database of its own with PlugIn customers holding .uk and .com names (expiries
spread over the year, so every reminder and every .uk stage comes round) and email and
hosting packages (renewed monthly, each renewal charged 14 days ahead), and Plusnet
Business customers holding mailboxes (last accessed on days spread over the year, so
archives and deletions come round, a third of them with more than 25 MB unread). Then it
replays a year of days through the daily jobs, the way `backhaul tick --on D --to D+364`
does, and replays the last week again to check that nothing is sent twice. Prints one JSON
object: days/s, objects/s (objects looked after per day, times days, per second), notices
sent, and what each job did.

    .venv/bin/python bench/domains.py       # 100,000 / 100,000 / 20,000 for 365 days
    .venv/bin/python bench/domains.py --domains 5000 --mailboxes 5000 --packages 1000 --days 60

By default it runs on a fresh SQLite file under var/bench/; `--database NAME` runs it on
PostgreSQL instead, in a database of that name (dropped and created afresh) on the server
DATABASE_URL names (default postgres://postgres@127.0.0.1:5432). Notices go to a dummy
mail backend. `--all-jobs` runs every area's daily jobs, not only these three.
"""

# The SQL below is the benchmark's own, built from names it chose.

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
START = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
JOBS = ("domains.lifecycle", "mailboxes.housekeeping", "hosting.renewals")
PER_ACCOUNT = 5
REPLAY_DAYS = 7
MB = 1_048_576


def setup_django(database: str | None) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "backhaul.settings"
    os.environ.setdefault("BACKHAUL_HOME", str(ROOT))
    os.environ["BACKHAUL_EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    if database is None:
        path = ROOT / "var" / "bench" / "domains.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        import psycopg

        server = urlparse(
            os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        )
        if not server.scheme.startswith("postgres"):
            sys.exit("--database needs DATABASE_URL to name a PostgreSQL server")
        with psycopg.connect(server._replace(path="/postgres").geturl(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}"')
        url = server._replace(path=f"/{database}").geturl()
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return url


def _accounts(brand_key: str, count: int, offset: int) -> list[int]:
    from backhaul.catalogue.models import Brand
    from backhaul.customers.models import Account

    brand = Brand.objects.get(key=brand_key)
    prefix = brand.account_prefix
    rows = [
        Account(
            number=f"{prefix}{offset + n:07d}",
            brand=brand,
            name=f"Bench {brand_key} {n}",
            kind="business",
            primary_email=f"bench{offset + n}@example.com",
            created_at=NOW,
        )
        for n in range(count)
    ]
    Account.objects.bulk_create(rows, batch_size=2000)
    return list(
        Account.objects.filter(brand=brand).order_by("pk").values_list("pk", flat=True)[:count]
    )


def fill_domains(count: int, days: int) -> None:
    from backhaul.catalogue.models import Brand, PriceVersion
    from backhaul.core.periods import add_months
    from backhaul.domains import rules
    from backhaul.domains.models import Domain
    from backhaul.domains.selectors import domain_products, domain_schedule

    brand = Brand.objects.get(key="plugin")
    products = domain_products(brand)
    schedules = {tld: domain_schedule(brand, tld) for tld in products}
    prices = {tld: PriceVersion.objects.filter(product=p).first() for tld, p in products.items()}
    accounts = _accounts("plugin", max(1, -(-count // PER_ACCOUNT)), 1)
    span = days + 60
    rows = []
    for n in range(count):
        tld = "uk" if n % 2 == 0 else "com"
        months = 24 if tld == "uk" else 12
        expiry = START + timedelta(days=1 + (n * 7919) % span)
        anchor = add_months(expiry, -months)
        rows.append(
            Domain(
                account_id=accounts[n // PER_ACCOUNT],
                product=products[tld],
                name=f"bench{n}.co.uk" if tld == "uk" else f"bench{n}.com",
                tld=tld,
                status="active",
                registered_on=anchor,
                anchor=anchor,
                months=months,
                expires_on=rules.registration_expiry(anchor, months),
                registration_price=prices[tld],
                whois_privacy=n % 3 == 0,
                auto_renew=False,
                status_changed_on=anchor,
                created_at=NOW,
            )
        )
    for domain in rows:
        domain.next_action_on = rules.next_action(
            domain.expires_on, schedules[domain.tld], status="active", recorded=()
        )
    Domain.objects.bulk_create(rows, batch_size=2000)


def fill_mailboxes(count: int, days: int) -> None:
    from backhaul.mailboxes.models import Mailbox

    accounts = _accounts("plusnet-business", max(1, -(-count // PER_ACCOUNT)), 1)
    rows = []
    for n in range(count):
        # Last accessed on a day that makes the 3-month archive fall within the year.
        accessed = START - timedelta(days=100) + timedelta(days=(n * 104729) % max(1, days))
        unread = n % 3 == 0
        rows.append(
            Mailbox(
                account_id=accounts[n // PER_ACCOUNT],
                address=f"box{n}@bench{n // PER_ACCOUNT}.plus.com",
                created_on=START - timedelta(days=400),
                last_accessed_at=datetime.combine(accessed, clock(9), tzinfo=UTC),
                unread_bytes=30 * MB if unread else 0,
                unread_over_limit_since=(
                    START - timedelta(days=20) + timedelta(days=(n * 31) % max(1, days))
                    if unread
                    else None
                ),
                created_at=NOW,
            )
        )
    Mailbox.objects.bulk_create(rows, batch_size=2000)


def fill_packages(count: int) -> None:
    from backhaul.catalogue.models import PriceVersion, Product
    from backhaul.customers.models import Account
    from backhaul.hosting import rules
    from backhaul.hosting.models import Package

    products = list(Product.objects.filter(brand__key="plugin", kind__in=["email", "hosting"]))
    prices = {p.pk: PriceVersion.objects.filter(product=p).first() for p in products}
    accounts = list(
        Account.objects.filter(brand__key="plugin").order_by("pk").values_list("pk", flat=True)
    ) or _accounts("plugin", max(1, count), 1)
    rows = []
    for n in range(count):
        product = products[n % len(products)]
        started = START - timedelta(days=(n * 13) % 60)
        period = rules.current_period(started_on=started, on=START)
        rows.append(
            Package(
                account_id=accounts[n % len(accounts)],
                product=product,
                price_version=prices[product.pk],
                status="active",
                started_on=started,
                renews_on=period.end,
                charged_to=period.end,
                created_at=NOW,
            )
        )
    Package.objects.bulk_create(rows, batch_size=2000)


def replay(first: date, days: int, only: set[str] | None) -> dict[str, dict[str, int]]:
    from backhaul.scheduler.registry import run_day

    totals: dict[str, dict[str, int]] = {}
    for offset in range(days):
        on = first + timedelta(days=offset)
        now = datetime.combine(on, clock(6), tzinfo=UTC)
        for job, counts in run_day(on=on, now=now, only=only).items():
            into = totals.setdefault(job, {})
            for key, value in counts.items():
                into[key] = into.get(key, 0) + value
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--mailboxes", type=int, default=100_000)
    parser.add_argument("--packages", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365, help="days replayed from 2026-11-21")
    parser.add_argument("--database", metavar="NAME", help="run on PostgreSQL in this database")
    parser.add_argument("--all-jobs", action="store_true", help="every area's daily jobs")
    parser.add_argument("--profile", metavar="N", type=int, default=0, help="print top N calls")
    args = parser.parse_args()
    setup_django(args.database)

    from django.db import connection

    from backhaul.catalogue.services import catalogue_load
    from backhaul.domains.models import DomainEvent
    from backhaul.hosting.models import PackageEvent
    from backhaul.mailboxes.models import MailboxEvent
    from backhaul.notices.models import Notice

    began = time.perf_counter()
    for name in ("plusnet-business.toml", "plugin.toml"):
        catalogue_load(path=ROOT / "catalogues" / name, now=NOW)
    fill_domains(args.domains, args.days)
    fill_mailboxes(args.mailboxes, args.days)
    fill_packages(args.packages)
    setup_seconds = time.perf_counter() - began

    only = None if args.all_jobs else set(JOBS)
    profile = cProfile.Profile() if args.profile else None
    cpu = time.process_time()
    began = time.perf_counter()
    if profile:
        profile.enable()
    totals = replay(START, args.days, only)
    if profile:
        profile.disable()
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    notices = Notice.objects.count()

    last_week = START + timedelta(days=max(0, args.days - REPLAY_DAYS))
    replayed_days = min(REPLAY_DAYS, args.days)
    began = time.perf_counter()
    again = replay(last_week, replayed_days, only)
    replay_seconds = time.perf_counter() - began

    objects = args.domains + args.mailboxes + args.packages
    result = {
        "benchmark": "domains",
        "database": connection.vendor,
        "domains": args.domains,
        "mailboxes": args.mailboxes,
        "packages": args.packages,
        "days": args.days,
        "jobs": sorted(only) if only else "all",
        "setup_seconds": round(setup_seconds, 2),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "days_per_s": round(args.days / seconds, 3),
        "objects_per_s": round(objects * args.days / seconds, 1),
        "notices_sent": notices,
        "events": {
            "domains": DomainEvent.objects.count(),
            "mailboxes": MailboxEvent.objects.count(),
            "packages": PackageEvent.objects.count(),
        },
        "done": totals,
        "replay": {
            "days": replayed_days,
            "seconds": round(replay_seconds, 2),
            "new_notices": Notice.objects.count() - notices,
            "done": {job: sum(counts.values()) for job, counts in again.items()},
        },
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))
    if profile:
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
