"""The allowance engine, applied: moving every account's meter on and acting on it.

`rules.allowance_advance` decides; this module loads the meters (locked for the
transaction), applies usage and Top Ups, and writes what happened: the new states, the
transitions, the notices due (sent once the transaction commits), extra-usage charges and
upgrade recommendations for closed periods, and the RADIUS groups of accounts whose state
changed. A usage import applies its usage to all accounts at once: the accounts that stay
within their allowance are moved on together (`batch_rules.within_allowance`), the rest
one by one through the rules.
"""

# Table and column names come from the models, quoted; values always go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import transaction

from backhaul.billing.choices import ChargeKind
from backhaul.billing.services import charge_add
from backhaul.catalogue.selectors import charge_in_force, rule_params
from backhaul.core.periods import Period
from backhaul.customers.models import Account
from backhaul.network.services import logins_enforce
from backhaul.usage import batch_rules, bulk, rules
from backhaul.usage.models import (
    AllowanceState,
    PeriodUsage,
    StateTransition,
    UpgradeRecommendation,
)
from backhaul.usage.services.notices import notices_queue
from backhaul.usage.services.policies import MeteredService, allowance_period, metered_services

UTC_US = pl.Datetime("us", "UTC")
STATE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "account_id": pl.Int64,
    "product_key": pl.Utf8,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "state": pl.Utf8,
    "allowance_bytes": pl.Int64,
    "used_bytes": pl.Int64,
    "allowance_left": pl.Int64,
    "topup_left": pl.Int64,
    "throttle_left": pl.Int64,
    "over_bytes": pl.Int64,
    "notified": pl.Utf8,
    "last_usage_at": UTC_US,
    "updated_at": UTC_US,
}
STATE_COLUMNS = list(STATE_SCHEMA)
CURRENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    name: dtype
    for name, dtype in STATE_SCHEMA.items()
    if name not in ("product_key", "allowance_bytes", "updated_at")
}
NO_CHANGES = {
    "accounts_updated": 0,
    "transitions": 0,
    "notices": 0,
    "late_octets": 0,
    "extra_usage_charges": 0,
    "upgrade_recommendations": 0,
    "logins_changed": 0,
    "coa_queued": 0,
}


# --- Loading meters ----------------------------------------------------------------------


def _current_states(account_ids: list[int]) -> pl.DataFrame:
    """The accounts' allowance states, locked until the transaction ends (a Top Up bought
    meanwhile waits, and is applied to the state this import writes)."""
    table = bulk.quote(AllowanceState._meta.db_table)
    if bulk.is_postgres() and account_ids:
        bulk.scalar(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE account_id = "
            "ANY(string_to_array(%s, ',')::bigint[]) FOR UPDATE) AS locked",
            [",".join(map(str, account_ids))],
        )
    columns = [
        bulk.epoch_us(name) if name == "last_usage_at" else bulk.quote(name)
        for name in CURRENT_SCHEMA
    ]
    return bulk.read_frame_where_in(
        f"SELECT {', '.join(columns)} FROM {table} WHERE TRUE",
        bulk.quote("account_id"),
        account_ids,
        CURRENT_SCHEMA,
    )


def _meter(row: dict[str, Any]) -> rules.Meter:
    return rules.Meter(
        period=Period(row["period_start"], row["period_end"]),
        state=row["state"],
        used_bytes=row["used_bytes"],
        allowance_left=row["allowance_left"],
        topup_left=row["topup_left"],
        throttle_left=row["throttle_left"],
        over_bytes=row["over_bytes"],
        notified=tuple(json.loads(row["notified"] or "[]")),
        last_at=row["last_usage_at"],
    )


# --- One account at a time, through the rules --------------------------------------------


@dataclass
class _Advanced:
    states: list[tuple[Any, ...]] = field(default_factory=list)
    transitions: list[tuple[Any, ...]] = field(default_factory=list)
    changed: dict[int, str] = field(default_factory=dict)
    notices: list[tuple[int, rules.NoticeDue]] = field(default_factory=list)
    closed: list[tuple[MeteredService, rules.PeriodClosed]] = field(default_factory=list)
    late: int = 0


def _advance_each(
    services: dict[int, MeteredService],
    current: dict[int, dict[str, Any]],
    events: dict[int, list[rules.Usage | rules.TopUp]],
    *,
    now: datetime,
    until: datetime | None,
) -> _Advanced:
    done = _Advanced()
    for account_id, service in services.items():
        policy = service.policy
        account_events = events.get(account_id, [])
        row = current.get(account_id)
        if row is not None:
            meter = _meter(row)
        else:
            first = min((e.at for e in account_events), default=now)
            period = allowance_period(rules.london_date(first), policy.expires, policy.anchor)
            meter = rules.meter_open(policy, period)
        outcome = rules.allowance_advance(policy, meter, account_events, until=until)
        new = outcome.meter
        done.late += outcome.late_bytes
        done.states.append(
            (
                account_id,
                service.product.key,
                new.period.start,
                new.period.end,
                new.state,
                policy.allowance_bytes,
                new.used_bytes,
                new.allowance_left,
                new.topup_left,
                new.throttle_left,
                new.over_bytes,
                json.dumps(list(new.notified)),
                new.last_at,
                now,
            )
        )
        done.transitions += [
            (account_id, t.at, t.from_state, t.to_state, t.reason, t.clause)
            for t in outcome.transitions
        ]
        if new.state != meter.state or (row is None and meter.state != rules.NORMAL):
            done.changed[account_id] = new.state
        done.notices += [(account_id, n) for n in outcome.notices]
        done.closed += [(service, c) for c in outcome.closed]
    return done


def _write(
    states: pl.DataFrame, done: _Advanced, services: dict[int, MeteredService], *, now: datetime
) -> dict[str, int]:
    bulk.upsert_frame(
        AllowanceState._meta.db_table,
        states.select(STATE_COLUMNS),
        key=["account_id"],
        replace=STATE_COLUMNS[1:],
    )
    bulk.insert_rows(
        StateTransition._meta.db_table,
        ["account_id", "at", "from_state", "to_state", "reason", "clause"],
        done.transitions,
    )
    charges = _periods_closed(done.closed, now=now)
    queued = notices_queue(done.notices, services, now=now)
    enforced = {"logins_changed": 0, "coa_queued": 0}
    if done.changed:
        enforced = logins_enforce(states=done.changed, now=now, reason="fair use")
    return {
        "accounts_updated": states.height,
        "transitions": len(done.transitions),
        "notices": queued,
        "late_octets": done.late,
        **charges,
        **enforced,
    }


def allowances_advance(
    *,
    events: dict[int, list[rules.Usage | rules.TopUp]],
    now: datetime,
    until: datetime | None = None,
) -> dict[str, int]:
    """Move each account's meter on by its events (and to `until`), then act on what
    happened: record transitions, queue notices, charge closed periods, recommend upgrades,
    and publish changed states to FreeRADIUS."""
    services = metered_services(events, on=rules.london_date(now))
    if not services:
        return dict(NO_CHANGES)
    current = {
        row["account_id"]: row for row in _current_states(sorted(services)).iter_rows(named=True)
    }
    done = _advance_each(services, current, events, now=now, until=until)
    states = pl.DataFrame(done.states, schema=STATE_SCHEMA, orient="row")
    return _write(states, done, services, now=now)


# --- All accounts of an import at once ---------------------------------------------------


def _policy_frames(
    services: dict[int, MeteredService],
) -> tuple[pl.DataFrame, list[rules.FairUsePolicy]]:
    """Accounts to the policy they are on (numbered), and each policy's figures."""
    numbers: dict[int, int] = {}
    policies: list[rules.FairUsePolicy] = []
    keys: list[str] = []
    accounts: list[int] = []
    numbered: list[int] = []
    for account_id, service in services.items():
        number = numbers.get(id(service.policy))
        if number is None:
            number = numbers[id(service.policy)] = len(policies)
            policies.append(service.policy)
            keys.append(service.product.key)
        accounts.append(account_id)
        numbered.append(number)
    by_account = pl.DataFrame(
        {"account_id": accounts, "policy": numbered},
        schema={"account_id": pl.Int64, "policy": pl.Int64},
    )
    figures = pl.DataFrame(
        {
            "policy": list(range(len(policies))),
            "product_key": keys,
            "allowance_bytes": [p.allowance_bytes for p in policies],
            "throttle_bytes": [p.throttle_bytes or 0 for p in policies],
            # A fresh meter's state does not depend on its period.
            "open_state": [
                rules.meter_open(p, allowance_period(p.anchor, p.expires, p.anchor)).state
                for p in policies
            ],
            "notify": [sorted(p.notify_percent) for p in policies],
        },
        schema={
            "policy": pl.Int64,
            "product_key": pl.Utf8,
            "allowance_bytes": pl.Int64,
            "throttle_bytes": pl.Int64,
            "open_state": pl.Utf8,
            "notify": pl.List(pl.Int64),
        },
    )
    return by_account.join(figures, on="policy", how="left"), policies


def _meters_frame(
    services: dict[int, MeteredService], current: pl.DataFrame, usage: pl.DataFrame
) -> pl.DataFrame:
    """Every account's meter before this usage, as STATE_SCHEMA columns plus `next_percent`.

    An account seen for the first time opens the allowance period of its first usage.
    """
    accounts, policies = _policy_frames(services)
    first_days = usage.group_by("account_id").agg(first_day=pl.col("day").min())
    frame = accounts.join(current, on="account_id", how="left").join(
        first_days, on="account_id", how="left"
    )
    openings = frame.filter(pl.col("period_start").is_null()).select("policy", "first_day").unique()
    opened = [
        (number, day, *_period_bounds(policies[number], day))
        for number, day in openings.iter_rows()
        if day is not None
    ]
    periods = pl.DataFrame(
        opened,
        schema={
            "policy": pl.Int64,
            "first_day": pl.Date,
            "open_start": pl.Date,
            "open_end": pl.Date,
        },
        orient="row",
    )
    frame = frame.join(periods, on=["policy", "first_day"], how="left")
    notified = pl.col("notified").fill_null("[]").str.json_decode(pl.List(pl.Int64))
    return frame.select(
        "account_id",
        "product_key",
        period_start=pl.coalesce("period_start", "open_start"),
        period_end=pl.coalesce("period_end", "open_end"),
        state=pl.coalesce("state", "open_state"),
        allowance_bytes="allowance_bytes",
        used_bytes=pl.col("used_bytes").fill_null(0),
        allowance_left=pl.coalesce("allowance_left", "allowance_bytes"),
        topup_left=pl.col("topup_left").fill_null(0),
        throttle_left=pl.coalesce("throttle_left", "throttle_bytes"),
        over_bytes=pl.col("over_bytes").fill_null(0),
        notified=pl.col("notified").fill_null("[]"),
        last_usage_at="last_usage_at",
        next_percent=pl.col("notify").list.set_difference(notified).list.min(),
    )


def _period_bounds(policy: rules.FairUsePolicy, day: date) -> tuple[date, date]:
    period = allowance_period(day, policy.expires, policy.anchor)
    return period.start, period.end


def allowances_apply_usage(*, usage: pl.DataFrame, now: datetime) -> dict[str, int]:
    """Apply an import's usage (batch_rules.USAGE_SCHEMA: octets by account and London day,
    with the day's last update) to every account's allowance, once per account."""
    services = metered_services(usage["account_id"].unique().to_list(), on=rules.london_date(now))
    if not services:
        return dict(NO_CHANGES)
    ids = sorted(services)
    current = _current_states(ids)
    usage = usage.filter(pl.col("account_id").is_in(ids))
    meters = _meters_frame(services, current, usage)
    moved = batch_rules.within_allowance(
        meters.select(
            "account_id",
            "state",
            "period_start",
            "period_end",
            "used_bytes",
            "allowance_left",
            "allowance_bytes",
            "next_percent",
            last_at="last_usage_at",
        ),
        usage,
    )
    simple = meters.drop("used_bytes", "allowance_left", "last_usage_at", "next_percent").join(
        moved.rename({"last_at": "last_usage_at"}), on="account_id", how="inner"
    )
    rest_ids = set(ids).difference(moved["account_id"].to_list())
    rest = {account_id: services[account_id] for account_id in ids if account_id in rest_ids}
    current_rows = {
        row["account_id"]: row
        for row in current.filter(pl.col("account_id").is_in(list(rest))).iter_rows(named=True)
    }
    events: dict[int, list[rules.Usage | rules.TopUp]] = defaultdict(list)
    for account_id, octets, at in (
        usage.filter(pl.col("account_id").is_in(list(rest)))
        .select("account_id", "octets", "at")
        .iter_rows()
    ):
        events[account_id].append(rules.Usage(at, octets))
    done = _advance_each(rest, current_rows, events, now=now, until=None)
    states = pl.concat(
        [
            simple.with_columns(updated_at=pl.lit(now).cast(UTC_US)).select(
                [pl.col(name).cast(dtype) for name, dtype in STATE_SCHEMA.items()]
            ),
            pl.DataFrame(done.states, schema=STATE_SCHEMA, orient="row"),
        ]
    )
    return _write(states, done, services, now=now)


# --- Closed periods ----------------------------------------------------------------------


def _periods_closed(
    closed: list[tuple[MeteredService, rules.PeriodClosed]], *, now: datetime
) -> dict[str, int]:
    """Record closed periods, all at once; charge extra usage and check for upgrades only
    on those recorded now (a period closed before is left as it is)."""
    if not closed:
        return {"extra_usage_charges": 0, "upgrade_recommendations": 0}
    table = bulk.quote(PeriodUsage._meta.db_table)
    recorded = bulk.read_frame_where_in(
        f"SELECT {bulk.quote('account_id')}, {bulk.quote('period_start')} FROM {table} "
        f"WHERE {bulk.quote('period_start')} >= %s",
        bulk.quote("account_id"),
        sorted({service.account_id for service, _ in closed}),
        {"account_id": pl.Int64, "period_start": pl.Date},
        params=[min(period.period.start for _, period in closed)],
    )
    seen = set(recorded.iter_rows())
    new: list[tuple[MeteredService, rules.PeriodClosed]] = []
    for service, period in closed:
        key = (service.account_id, period.period.start)
        if key not in seen:
            seen.add(key)
            new.append((service, period))
    bulk.insert_rows(
        PeriodUsage._meta.db_table,
        [
            "account_id",
            "period_start",
            "period_end",
            "allowance_bytes",
            "used_bytes",
            "over_bytes",
            "extra_gb",
            "closed_at",
        ],
        (
            (
                service.account_id,
                period.period.start,
                period.period.end,
                period.allowance_bytes,
                period.used_bytes,
                period.over_bytes,
                period.extra_gb,
                now,
            )
            for service, period in new
        ),
    )
    charged = recommended = 0
    for service, period in new:
        if period.extra_gb:
            PeriodUsage.objects.filter(
                account_id=service.account_id, period_start=period.period.start
            ).update(charge=_extra_usage_charge(service, period, now=now))
            charged += 1
        if rules.upgrade_may_be_due(service.policy, period) and _upgrade_check(service, now=now):
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
