"""Usage: importing accounting, metering it, and keeping every account's fair-use state.

The flow: accounting records arrive (from FreeRADIUS's radacct table or its detail files)
into an append-only log; metering turns each batch into per-day usage with deltas between
interim updates; the allowance engine (`rules.allowance_advance`) moves each account's
meter on, raising notices, extra-usage charges and upgrade recommendations, and the new
state is published to FreeRADIUS with CoA for live sessions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Max, Q

from backhaul.billing.choices import ChargeKind
from backhaul.billing.services import charge_add
from backhaul.catalogue.choices import ProductKind
from backhaul.catalogue.models import Brand, Product
from backhaul.catalogue.selectors import (
    charge_in_force,
    price_in_force,
    product_get,
    rule_params,
)
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.core.errors import InvalidInput
from backhaul.core.money import PENNY, Rounding, quantize
from backhaul.customers.models import Account
from backhaul.network.models import BroadbandLogin, RadAcct
from backhaul.network.services import logins_enforce, session_addresses_record
from backhaul.notices.services import notice_send
from backhaul.usage import bulk, metering, rules
from backhaul.usage.choices import RecordSource, StatusType, TopUpChannel
from backhaul.usage.detail import detail_read
from backhaul.usage.models import (
    AccountingRecord,
    AllowanceState,
    ImportCursor,
    ImportRun,
    PeriodUsage,
    RejectedRecord,
    StateTransition,
    TopUp,
    UpgradeRecommendation,
)

METER_CURSOR = "meter"
RADACCT_CURSOR = "radacct"
DEFAULT_BYTES_PER_GB = 10**9
RECORD_COLUMNS = [
    "source",
    "session_key",
    "username",
    "nas_ip",
    "status",
    "at",
    "session_start",
    "input_octets",
    "input_gigawords",
    "output_octets",
    "output_gigawords",
    "framed_ip",
    "origin",
]
METER_COUNTS = ("metered", "duplicates", "rejected_counters", "unknown_login", "nas_events")
METERED_SUBSCRIPTION_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


# --- Policies from the catalogue ---------------------------------------------------------


@dataclass(frozen=True)
class MeteredService:
    account_id: int
    brand: Brand
    product: Product
    policy: rules.FairUsePolicy


def _gb(value: Any, bytes_per_gb: int) -> int:
    return int(Decimal(str(value)) * bytes_per_gb)


def fair_use_policy(
    *,
    brand: Brand,
    product: Product,
    anchor: date,
    on: date,
    allowance_gb: Decimal | int | None = None,
    params: dict[str, Any] | None = None,
) -> rules.FairUsePolicy | None:
    """A plan's fair-use policy from `[rules.fair_use]`, its `allowance_gb` and the brand's
    `extra-usage` charge in force on `on`; None for a plan the section does not cover."""
    params = params if params is not None else rule_params(brand, "fair_use", default={})
    if product.key not in params.get("products", []):
        return None
    attributes = product.attributes or {}
    if allowance_gb is None:
        allowance_gb = attributes.get("allowance_gb")
    if allowance_gb is None:
        return None
    per_gb = int(params.get("bytes_per_gb", DEFAULT_BYTES_PER_GB))
    throttled = "throttle_rate_kbps" in params
    extra_per_gb: Decimal | None = None
    extra_clause = ""
    if params.get("extra_usage_charge"):
        charge = charge_in_force(brand, params["extra_usage_charge"], on=on)
        extra_per_gb, extra_clause = charge.amount, charge.clause.clause_id
    return rules.FairUsePolicy(
        clause=params["clause"],
        allowance_bytes=_gb(allowance_gb, per_gb),
        bytes_per_gb=per_gb,
        expires=params.get("allowance_expires", rules.CALENDAR_MONTH),
        anchor=anchor,
        notify_percent=tuple(int(p) for p in params.get("notify_percent", [])),
        notify_state_changes=bool(params.get("notify_state_changes", False)),
        throttle_bytes=_gb(params.get("throttle_allowance_gb", 0), per_gb) if throttled else None,
        throttle_rate_kbps=int(params["throttle_rate_kbps"]) if throttled else None,
        block_after_throttle=params.get("after_throttle") == "block",
        topup_block_bytes=(
            _gb(params["topup_block_gb"], per_gb) if "topup_block_gb" in params else None
        ),
        extra_usage_per_gb=extra_per_gb,
        extra_usage_clause=extra_clause,
        overuse_months=(
            int(params["consecutive_overuse_months"])
            if "consecutive_overuse_months" in params
            else None
        ),
        overuse_clause=params.get("consistent_overuse_clause", ""),
    )


def metered_services(account_ids: Iterable[int], *, on: date) -> dict[int, MeteredService]:
    """Each account's broadband service with an allowance, and its policy."""
    subscriptions = (
        Subscription.objects.filter(
            account_id__in=list(account_ids),
            product__kind=ProductKind.BROADBAND,
            status__in=METERED_SUBSCRIPTION_STATUSES,
        )
        .select_related("product__brand")
        .order_by("account_id", "id")
    )
    params_by_brand: dict[int, dict[str, Any]] = {}
    policies: dict[tuple[int, date], rules.FairUsePolicy | None] = {}
    found: dict[int, MeteredService] = {}
    for subscription in subscriptions:
        product = subscription.product
        brand = product.brand
        if brand.pk not in params_by_brand:
            params_by_brand[brand.pk] = rule_params(brand, "fair_use", default={})
        anchor = subscription.service_start_date or subscription.ordered_on
        cache_key = (product.pk, anchor)
        if cache_key not in policies:
            policies[cache_key] = fair_use_policy(
                brand=brand, product=product, anchor=anchor, on=on, params=params_by_brand[brand.pk]
            )
        policy = policies[cache_key]
        if policy is not None:
            found[subscription.account_id] = MeteredService(
                subscription.account_id, brand, product, policy
            )
    return found


# --- Getting accounting records in -------------------------------------------------------


def _cursor(name: str) -> ImportCursor:
    cursor, _ = ImportCursor.objects.get_or_create(name=name)
    return ImportCursor.objects.select_for_update().get(pk=cursor.pk)


def records_from_radacct(*, run: ImportRun, since: datetime | None) -> dict[str, int]:
    """Copy radacct rows changed since the last poll (or `since`) into the record log.

    radacct keeps one row per session, updated in place, so each poll sees the latest
    counters of every session that moved; metering takes the delta from the last poll.
    """
    cursor = _cursor(RADACCT_CURSOR)
    start = since or cursor.last_at
    rows = RadAcct.objects.all()
    if start is not None:
        rows = rows.filter(
            Q(acctupdatetime__gte=start) | Q(acctstoptime__gte=start) | Q(acctstarttime__gte=start)
        )
    accepted: list[tuple[Any, ...]] = []
    rejected: list[RejectedRecord] = []
    latest = cursor.last_at
    for row in rows.order_by("radacctid").iterator(chunk_size=5000):
        at = row.acctstoptime or row.acctupdatetime or row.acctstarttime
        origin = f"radacct {row.radacctid}"
        if at is None or not row.username:
            reason = "no start, update or stop time" if at is None else "no UserName"
            rejected.append(RejectedRecord(run=run, origin=origin, reason=reason))
            continue
        if row.acctstoptime:
            status = StatusType.STOP
        elif row.acctupdatetime and row.acctupdatetime != row.acctstarttime:
            status = StatusType.INTERIM
        else:
            status = StatusType.START
        accepted.append(
            (
                RecordSource.RADACCT,
                row.acctuniqueid,
                row.username,
                str(row.nasipaddress),
                status,
                at,
                row.acctstarttime,
                row.acctinputoctets or 0,
                None,
                row.acctoutputoctets or 0,
                None,
                str(row.framedipaddress or ""),
                origin,
            )
        )
        latest = max(latest, at) if latest else at
    bulk.insert_rows(AccountingRecord._meta.db_table, RECORD_COLUMNS, accepted)
    RejectedRecord.objects.bulk_create(rejected)
    cursor.last_at = latest
    cursor.save(update_fields=["last_at"])
    return {
        "records_read": len(accepted) + len(rejected),
        "records_accepted": len(accepted),
        "records_rejected": len(rejected),
    }


def records_from_detail(*, run: ImportRun, path: Path) -> dict[str, int]:
    """Copy a detail file's records into the record log; malformed ones are kept as
    rejected with their line number and reason."""
    parsed = detail_read(path)
    rows = (
        (
            RecordSource.DETAIL,
            r.session_key,
            r.username,
            r.nas_ip,
            r.status,
            r.at,
            r.session_start,
            r.input_octets,
            r.input_gigawords,
            r.output_octets,
            r.output_gigawords,
            r.framed_ip,
            f"{path.name}:{r.line}",
        )
        for r in parsed.records
    )
    bulk.insert_rows(AccountingRecord._meta.db_table, RECORD_COLUMNS, rows)
    RejectedRecord.objects.bulk_create(
        RejectedRecord(
            run=run, origin=f"{path}:{r.line}", line=r.line, reason=r.reason[:300], raw=r.raw
        )
        for r in parsed.rejected
    )
    return {
        "records_read": parsed.read,
        "records_accepted": len(parsed.records),
        "records_rejected": len(parsed.rejected),
    }


# --- Metering ----------------------------------------------------------------------------


def _minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def _busy_hours() -> pl.DataFrame:
    rows = []
    for brand in Brand.objects.all():
        hours = rule_params(brand, "broadband_speeds", default={}).get("busy_hours")
        if hours:
            rows.append((brand.pk, _minutes(hours["start"]), _minutes(hours["end"])))
    return pl.DataFrame(
        rows,
        schema={"brand_id": pl.Int64, "busy_start": pl.Int32, "busy_end": pl.Int32},
        orient="row",
    )


def _logins_frame() -> pl.DataFrame:
    rows = BroadbandLogin.objects.values_list("username", "account_id", "account__brand_id")
    return pl.DataFrame(
        list(rows),
        schema={"username": pl.Utf8, "account_id": pl.Int64, "brand_id": pl.Int64},
        orient="row",
    )


def _records_frame(first: int, last: int) -> pl.DataFrame:
    table = AccountingRecord._meta.db_table
    # The table name is the model's; the bounds go as parameters.
    sql = (
        "SELECT id, session_key, username, nas_ip, status, "  # noqa: S608
        f"{bulk.epoch_us('at')}, {bulk.epoch_us('session_start')}, "
        "input_octets, input_gigawords, output_octets, output_gigawords, framed_ip "
        f"FROM {table} WHERE id > %s AND id <= %s ORDER BY id"
    )
    return bulk.read_frame(sql, [first, last], metering.RECORD_SCHEMA)


def _priors_frame(first: int, last: int) -> pl.DataFrame:
    records = AccountingRecord._meta.db_table
    sql = (
        f"SELECT session_key, {bulk.epoch_us('last_at')}, last_input, last_output, "  # noqa: S608
        f"{bulk.epoch_us('started_at')}, total_input, total_output "
        "FROM usage_sessionmeter WHERE session_key IN "
        f"(SELECT session_key FROM {records} WHERE id > %s AND id <= %s)"
    )
    return bulk.read_frame(sql, [first, last], metering.PRIOR_SCHEMA)


def _write_metered(result: metering.MeterResult, *, run: ImportRun) -> None:
    bulk.upsert_rows(
        "usage_usageday",
        [
            "account_id",
            "day",
            "input_octets",
            "output_octets",
            "seconds",
            "busy_output_octets",
            "busy_seconds",
            "last_at",
        ],
        result.days.select(
            "account_id",
            "day",
            "input_octets",
            "output_octets",
            pl.col("seconds").cast(pl.Int64),
            "busy_output_octets",
            pl.col("busy_seconds").cast(pl.Int64),
            "last_at",
        ).iter_rows(),
        key=["account_id", "day"],
        add=["input_octets", "output_octets", "seconds", "busy_output_octets", "busy_seconds"],
        greatest=["last_at"],
    )
    columns = [
        "session_key",
        "username",
        "account_id",
        "nas_ip",
        "framed_ip",
        "started_at",
        "last_at",
        "last_input",
        "last_output",
        "total_input",
        "total_output",
        "stopped_at",
    ]
    bulk.upsert_rows(
        "usage_sessionmeter",
        columns,
        result.sessions.select(columns).with_columns(pl.col("nas_ip").fill_null("")).iter_rows(),
        key=["session_key"],
        replace=[c for c in columns if c not in ("session_key", "started_at")],
    )
    session_addresses_record(
        started=list(result.started.iter_rows()),
        stopped=list(result.stopped.iter_rows()),
    )
    if result.rejected.height:
        origins = dict(
            AccountingRecord.objects.filter(pk__in=result.rejected["id"].to_list()).values_list(
                "pk", "origin"
            )
        )
        RejectedRecord.objects.bulk_create(
            RejectedRecord(
                run=run, origin=origins.get(record_id) or f"record {record_id}", reason=reason
            )
            for record_id, reason in result.rejected.iter_rows()
        )


def records_meter(*, run: ImportRun, now: datetime) -> dict[str, int]:
    """Meter every record logged since the last run, once, and bring allowances up to date."""
    cursor = _cursor(METER_CURSOR)
    last = AccountingRecord.objects.aggregate(top=Max("id"))["top"] or 0
    if last <= cursor.last_id:
        return {key: 0 for key in METER_COUNTS}
    records = _records_frame(cursor.last_id, last)
    priors = _priors_frame(cursor.last_id, last)
    result = metering.meter(records, priors, _logins_frame(), _busy_hours())
    _write_metered(result, run=run)
    events: dict[int, list[rules.Usage | rules.TopUp]] = defaultdict(list)
    for account_id, octets, at in result.days.select(
        "account_id", pl.col("input_octets") + pl.col("output_octets"), "last_at"
    ).iter_rows():
        events[account_id].append(rules.Usage(at, int(octets)))
    counts = dict(result.counts)
    counts.pop("read")
    counts.update(allowances_advance(events=events, now=now))
    cursor.last_id = last
    cursor.save(update_fields=["last_id"])
    return counts


def usage_import(
    *, now: datetime, since: datetime | None = None, detail_paths: Iterable[Path] = ()
) -> ImportRun:
    """Import accounting (radacct, or the detail files given) and meter it. Replaying the
    same records counts nothing twice: each session's last counted update is kept."""
    paths = list(detail_paths)
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
    with transaction.atomic():
        run = ImportRun.objects.create(
            source=RecordSource.DETAIL if paths else RecordSource.RADACCT,
            origin=", ".join(str(p) for p in paths)[:500],
            started_at=now,
        )
        counts: dict[str, int] = defaultdict(int)
        if paths:
            for path in paths:
                for key, value in records_from_detail(run=run, path=path).items():
                    counts[key] += value
        else:
            counts.update(records_from_radacct(run=run, since=since))
        counts.update(records_meter(run=run, now=now))
        run.counts = dict(counts)
        run.finished_at = now
        run.save(update_fields=["counts", "finished_at"])
    return run


# --- The allowance engine, applied -------------------------------------------------------


def _meter_from_state(row: AllowanceState) -> rules.Meter:
    return rules.Meter(
        period=rules.Period(row.period_start, row.period_end),
        state=row.state,
        used_bytes=row.used_bytes,
        allowance_left=row.allowance_left,
        topup_left=row.topup_left,
        throttle_left=row.throttle_left,
        over_bytes=row.over_bytes,
        notified=tuple(row.notified),
        last_at=row.last_usage_at,
    )


def _state_row(
    account_id: int, service: MeteredService, meter: rules.Meter, now: datetime
) -> tuple[Any, ...]:
    return (
        account_id,
        service.product.key,
        meter.period.start,
        meter.period.end,
        meter.state,
        service.policy.allowance_bytes,
        meter.used_bytes,
        meter.allowance_left,
        meter.topup_left,
        meter.throttle_left,
        meter.over_bytes,
        list(meter.notified),
        meter.last_at,
        now,
    )


STATE_COLUMNS = [
    "account_id",
    "product_key",
    "period_start",
    "period_end",
    "state",
    "allowance_bytes",
    "used_bytes",
    "allowance_left",
    "topup_left",
    "throttle_left",
    "over_bytes",
    "notified",
    "last_usage_at",
    "updated_at",
]


def allowances_advance(
    *,
    events: dict[int, list[rules.Usage | rules.TopUp]],
    now: datetime,
    until: datetime | None = None,
) -> dict[str, int]:
    """Move each account's meter on by its events (and to `until`), then act on what
    happened: record transitions, send notices, charge closed periods, recommend upgrades,
    and publish changed states to FreeRADIUS."""
    today = rules.london_date(now)
    services = metered_services(events, on=today)
    rows = {
        row.account_id: row
        for row in AllowanceState.objects.select_for_update().filter(account_id__in=list(services))
    }
    updated: list[tuple[Any, ...]] = []
    transitions: list[tuple[Any, ...]] = []
    changed: dict[int, str] = {}
    notices: list[tuple[int, rules.NoticeDue]] = []
    closed: list[tuple[MeteredService, rules.PeriodClosed]] = []
    late = 0
    for account_id, service in services.items():
        account_events = events.get(account_id, [])
        row = rows.get(account_id)
        if row is not None:
            meter = _meter_from_state(row)
        else:
            first = min((e.at for e in account_events), default=now)
            period = rules.allowance_period(
                rules.london_date(first),
                expires=service.policy.expires,
                anchor=service.policy.anchor,
            )
            meter = rules.meter_open(service.policy, period)
        outcome = rules.allowance_advance(service.policy, meter, account_events, until=until)
        late += outcome.late_bytes
        updated.append(_state_row(account_id, service, outcome.meter, now))
        transitions += [
            (account_id, t.at, t.from_state, t.to_state, t.reason, t.clause)
            for t in outcome.transitions
        ]
        if outcome.meter.state != meter.state or (row is None and meter.state != rules.NORMAL):
            changed[account_id] = outcome.meter.state
        notices += [(account_id, n) for n in outcome.notices]
        closed += [(service, c) for c in outcome.closed]
    bulk.upsert_rows(
        AllowanceState._meta.db_table,
        STATE_COLUMNS,
        ([*row[:11], _json(row[11]), *row[12:]] for row in updated),
        key=["account_id"],
        replace=STATE_COLUMNS[1:],
    )
    bulk.insert_rows(
        StateTransition._meta.db_table,
        ["account_id", "at", "from_state", "to_state", "reason", "clause"],
        transitions,
    )
    charges = _periods_closed(closed, now=now)
    sent = _notices_send(notices, services, now=now)
    enforced = {"logins_changed": 0, "coa_queued": 0}
    if changed:
        enforced = logins_enforce(states=changed, now=now, reason="fair use")
    return {
        "accounts_updated": len(updated),
        "transitions": len(transitions),
        "notices": sent,
        "late_octets": late,
        **charges,
        **enforced,
    }


def _json(value: Any) -> Any:
    import json

    # A JSON column written through raw SQL takes JSON text.
    return json.dumps(value)


def _gb_text(octets: int, per_gb: int) -> str:
    return str(quantize(Decimal(octets) / Decimal(per_gb), Decimal("0.01"), Rounding.HALF_UP))


def _notices_send(
    notices: list[tuple[int, rules.NoticeDue]],
    services: dict[int, MeteredService],
    *,
    now: datetime,
) -> int:
    if not notices:
        return 0
    accounts = Account.objects.in_bulk([account_id for account_id, _ in notices])
    for account_id, notice in notices:
        account = accounts[account_id]
        policy = services[account_id].policy
        allowance = _gb_text(policy.allowance_bytes, policy.bytes_per_gb)
        period = f"{notice.period.start:%d %B %Y} to {notice.period.end:%d %B %Y}"
        if notice.percent is not None:
            key = (
                f"usage:{account.number}:{notice.period.start.isoformat()}:notify-{notice.percent}"
            )
            subject = f"You have used {notice.percent}% of your broadband allowance"
            body = (
                f"Your broadband usage for the period {period} has reached {notice.percent}% "
                f"of your {allowance} GB allowance."
            )
        else:
            stamp = notice.at.strftime("%Y%m%dT%H%M%S")
            key = f"usage:{account.number}:{notice.period.start.isoformat()}:{notice.state}:{stamp}"
            if notice.state == rules.THROTTLED:
                subject = "Your broadband is now rate limited"
                body = (
                    f"You have used your {allowance} GB allowance and any Top Ups for the "
                    f"period {period}. Your connection is rate limited to "
                    f"{policy.throttle_rate_kbps} kbit/s until you buy a Top Up or the next "
                    "billing period starts."
                )
            else:
                subject = "Your broadband is blocked until you buy a Top Up"
                body = (
                    f"You have used your allowance, any Top Ups and the additional volume at "
                    f"the reduced rate for the period {period}. Your connection is blocked until "
                    "you buy a Top Up in the Member Centre or the next billing period starts."
                )
        notice_send(
            key=key,
            kind=notice.kind,
            subject=subject,
            body=body,
            now=now,
            account=account,
            clause_id=notice.clause,
        )
    return len(notices)


def _periods_closed(
    closed: list[tuple[MeteredService, rules.PeriodClosed]], *, now: datetime
) -> dict[str, int]:
    charged = recommended = 0
    for service, period in closed:
        usage, created = PeriodUsage.objects.get_or_create(
            account_id=service.account_id,
            period_start=period.period.start,
            defaults={
                "period_end": period.period.end,
                "allowance_bytes": period.allowance_bytes,
                "used_bytes": period.used_bytes,
                "over_bytes": period.over_bytes,
                "extra_gb": period.extra_gb,
                "closed_at": now,
            },
        )
        if not created:
            continue
        if period.extra_gb:
            usage.charge = _extra_usage_charge(service, period, now=now)
            usage.save(update_fields=["charge"])
            charged += 1
        if _upgrade_check(service, now=now):
            recommended += 1
    return {"extra_usage_charges": charged, "upgrade_recommendations": recommended}


def _extra_usage_charge(
    service: MeteredService, period: rules.PeriodClosed, *, now: datetime
) -> Any:
    """Extra usage on the next bill, in arrears: whole GB rounded up at the per-GB charge
    (plusnet-business/broadband-charges#7)."""
    params = rule_params(service.brand, "fair_use")
    last_day = date.fromordinal(period.period.end.toordinal() - 1)
    charge = charge_in_force(service.brand, params["extra_usage_charge"], on=last_day)
    account = Account.objects.get(pk=service.account_id)
    return charge_add(
        account=account,
        key=f"usage:{account.number}:{period.period.start.isoformat()}:extra-usage",
        source="usage",
        description=(
            f"{charge.name}: {period.extra_gb} GB over the allowance, "
            f"{period.period.start:%d %b %Y} to {last_day:%d %b %Y}"
        ),
        amount=period.extra_amount,
        vat_treatment=charge.vat_treatment,
        clause_id=charge.clause.clause_id,
        tax_point=last_day,
        now=now,
        kind=ChargeKind.USAGE,
        quantity=Decimal(period.extra_gb),
        unit_amount=charge.amount,
        period=(period.period.start, last_day),
    )


def _upgrade_check(service: MeteredService, *, now: datetime) -> bool:
    policy = service.policy
    if not policy.overuse_months:
        return False
    recent = list(
        PeriodUsage.objects.filter(account_id=service.account_id).order_by("-period_start")[
            : policy.overuse_months
        ]
    )
    recent.reverse()
    if not rules.upgrade_recommended(policy, [p.over_bytes > 0 for p in recent]):
        return False
    if UpgradeRecommendation.objects.filter(account_id=service.account_id, resolved=False).exists():
        return False
    UpgradeRecommendation.objects.create(
        account_id=service.account_id,
        product_key=service.product.key,
        periods=[p.period_start.isoformat() for p in recent],
        clause=policy.overuse_clause or policy.clause,
        created_at=now,
    )
    return True


def periods_roll(*, on: date, now: datetime) -> dict[str, int]:
    """Daily: start new allowance periods that began by `on` for accounts with no usage
    since, closing the old ones (extra usage charged, blocked connections restored)."""
    due = list(
        AllowanceState.objects.filter(period_end__lte=on).values_list("account_id", flat=True)
    )
    if not due:
        return {"periods_rolled": 0}
    with transaction.atomic():
        counts = allowances_advance(
            events={account_id: [] for account_id in due},
            now=now,
            until=rules.london_midnight(on),
        )
    return {"periods_rolled": len(due), **counts}


# --- Top Ups -----------------------------------------------------------------------------


def topup_offer(account: Account, *, on: date) -> tuple[Product, Any, rules.FairUsePolicy] | None:
    """The Top Up this account can buy, its price in force, and its plan's policy."""
    service = metered_services([account.pk], on=on).get(account.pk)
    if service is None or service.policy.topup_block_bytes is None:
        return None
    key = rule_params(service.brand, "fair_use").get("topup_product")
    if not key:
        return None
    product = product_get(service.brand, key)
    return product, price_in_force(product, on=on), service.policy


@transaction.atomic
def topup_buy(
    *, account: Account, now: datetime, channel: str, request_key: str, actor: str = ""
) -> TopUp:
    """Buy a Top Up: billed as a one-off charge on the next bill; its volume is used after
    the allowance and never expires, and a throttled or blocked connection is restored at
    once (plugin/broadband-terms#8). The same `request_key` buys nothing twice."""
    existing = TopUp.objects.filter(request_key=request_key).first()
    if existing is not None:
        return existing
    if channel not in TopUpChannel.values:
        raise InvalidInput(f"channel: one of {', '.join(TopUpChannel.values)}, not {channel!r}")
    today = rules.london_date(now)
    offer = topup_offer(account, on=today)
    if offer is None:
        raise InvalidInput(f"{account.number} has no broadband plan that takes Top Ups")
    product, price, policy = offer
    octets = policy.topup_block_bytes or 0
    topup = TopUp.objects.create(
        account=account,
        product_key=product.key,
        octets=octets,
        bought_at=now,
        channel=channel,
        actor=actor[:150],
        request_key=request_key[:100],
    )
    topup.charge = charge_add(
        account=account,
        key=f"usage:topup:{topup.pk}",
        source="usage",
        description=f"{product.name} bought {now.astimezone(rules.LONDON):%d %b %Y %H:%M}",
        amount=quantize(price.amount, PENNY, Rounding.HALF_UP),
        vat_treatment=price.vat_treatment,
        clause_id=price.clause.clause_id,
        tax_point=today,
        now=now,
        kind=ChargeKind.ONE_OFF,
    )
    topup.save(update_fields=["charge"])
    allowances_advance(events={account.pk: [rules.TopUp(now, octets)]}, now=now)
    return topup
