"""Rating use cases: numbers, CDR imports into the bill, tariff what-ifs, per-use features,
and the lapse of unused free numbers."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow.parquet as pq
from django.db import IntegrityError, transaction

from backhaul.billing.choices import ChargeKind
from backhaul.billing.models import PendingCharge
from backhaul.billing.services import charge_add
from backhaul.catalogue.choices import ChargeUnit
from backhaul.catalogue.models import Brand, RuleSection
from backhaul.catalogue.selectors import brand_get, charge_in_force, product_get, rule_params
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import subscription_transition
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import format_amount
from backhaul.customers.models import Account
from backhaul.customers.services import account_get
from backhaul.notices.services import notice_send
from backhaul.rating import engine, rules, selectors, tariff_rules
from backhaul.rating.choices import CdrFormat, NumberEndReason
from backhaul.rating.models import CdrImport, PhoneNumber, RatedCall, RejectedCdr

SOURCE = "rating"
_INSERT_BATCH = 2000
_PENNY = Decimal("0.01")

#: progress(stage, done, total): "rating" counts bytes read, "saving" counts calls stored.
ProgressCallback = Callable[[str, int, int], None]


# --- numbers ---------------------------------------------------------------------------------


def _local_midnight(day: date, brand: Brand) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(brand.timezone)).astimezone(UTC)


@transaction.atomic
def number_assign(
    *,
    account_number: str,
    number: str,
    plan: str,
    start: date,
    now: datetime,
    subscription_id: int | None = None,
) -> PhoneNumber:
    """Give an account a number whose calls are rated on `plan` from `start`.

    `plan` is one of the brand's call plans (``[rules.phone_rating.plans]``); the number
    is stored in national form and may be held by one account only.
    """
    account = account_get(account_number)
    national = rules.normalise_number(number)
    if national is None:
        raise InvalidInput(f"number: not a phone number: {number!r}")
    tariff = selectors.tariff_for_brand(account.brand)
    tariff.plan(plan)
    product = product_get(account.brand, plan)
    existing = PhoneNumber.objects.filter(number=national).select_related("account").first()
    if existing is not None:
        raise InvalidInput(
            f"number: {national} is already held by account {existing.account.number}"
        )
    subscription = None
    if subscription_id is not None:
        subscription = Subscription.objects.filter(pk=subscription_id, account=account).first()
        if subscription is None:
            raise NotFound(f"subscription: {subscription_id} is not on account {account.number}")
    return PhoneNumber.objects.create(
        brand=account.brand,
        number=national,
        account=account,
        plan=product,
        subscription=subscription,
        started_at=_local_midnight(start, account.brand),
        created_at=now,
    )


@transaction.atomic
def number_end(*, number: str, on: date, reason: str, now: datetime) -> PhoneNumber:
    """End a number at the start of `on`; its later calls are no longer the account's."""
    if reason not in NumberEndReason.values:
        raise InvalidInput(f"reason: one of {', '.join(NumberEndReason.values)}, not {reason!r}")
    national = rules.normalise_number(number) or number
    found = PhoneNumber.objects.select_for_update().filter(number=national).first()
    if found is None:
        raise NotFound(f"number: {number!r} is not held on any brand")
    if found.ended_at is not None:
        return found
    ends = _local_midnight(on, found.brand)
    if ends < found.started_at:
        raise InvalidInput(f"on: {on} is before the number started")
    found.ended_at = ends
    found.end_reason = reason
    found.save(update_fields=["ended_at", "end_reason"])
    return found


# --- summaries -------------------------------------------------------------------------------


def _pounds(pence: int) -> str:
    return format_amount(Decimal(pence) * _PENNY)


def summary_of(result: engine.EngineResult) -> dict[str, Any]:
    """The counts and totals of a run as the command prints them (money as strings)."""
    return {
        "read": result.read,
        "rated": result.rated,
        "rejected": result.rejected,
        "unanswered": result.unanswered,
        "inclusive": result.inclusive,
        "total_ex_vat": _pounds(result.total_ex_pence),
        "total_inc_vat": _pounds(result.total_inc_pence),
        "by_band": result.by_band,
        "by_destination": {
            name: {
                "calls": values["calls"],
                "answered": values["answered"],
                "minutes": values["minutes"],
                "ex_vat": _pounds(values["ex_pence"]),
                "inc_vat": _pounds(values["inc_pence"]),
            }
            for name, values in result.by_destination.items()
        },
        "by_reason": result.by_reason,
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _deliver(staged: Path | None, target: Path | None) -> None:
    """Copy a staged output to where it was asked for, as CSV or Parquet by its suffix."""
    if staged is None or target is None:
        return
    if target.suffix == ".parquet" or staged.suffix == target.suffix:
        shutil.copyfile(staged, target)
    else:
        engine.parquet_to_csv(staged, target)


def _check_output(path: Path | None, what: str) -> None:
    if path is None:
        return
    if what == "--out" and path.suffix not in (".csv", ".parquet"):
        raise InvalidInput(f"--out: name a .csv or .parquet file, not {path.name!r}")
    if not path.parent.is_dir():
        raise InvalidInput(f"{what}: no such directory: {path.parent}")


# --- what-if rating ----------------------------------------------------------------------------


def cdr_rate_what_if(
    *,
    path: Path,
    brand_key: str,
    plan: str,
    fmt: str = CdrFormat.CANONICAL,
    out: Path | None = None,
    rejects: Path | None = None,
    asterisk_utc: bool = False,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Rate a file as if every call were on `plan`: a tariff what-if, nothing is stored.

    Allowances are kept per the record's account field, or its caller where that is
    empty; calls to numbers held on the brand are on-net.
    """
    brand = brand_get(brand_key)
    tariff = selectors.tariff_for_brand(brand)
    tariff.plan(plan)
    _check_output(out, "--out")
    _check_output(rejects, "--rejects")
    numbers = selectors.subscribers_for_brand(brand)
    result = engine.rate_file(
        path,
        tariff=tariff,
        fmt=fmt,
        plan=plan,
        subscribers=rules.Subscribers(lines=numbers.lines),
        rated_path=out,
        rejects_path=rejects,
        asterisk_utc=asterisk_utc,
        progress=(lambda done, total: progress("rating", done, total)) if progress else None,
    )
    return {
        "brand": brand.key,
        "file": str(path),
        "format": fmt,
        "plan": plan,
        **summary_of(result),
        "out": str(out) if out else None,
        "rejects": str(rejects) if rejects else None,
    }


# --- importing into the bill --------------------------------------------------------------------


def cdr_import(
    *,
    path: Path,
    brand_key: str,
    now: datetime,
    fmt: str = CdrFormat.CANONICAL,
    out: Path | None = None,
    rejects: Path | None = None,
    asterisk_utc: bool = False,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Rate a CDR file against the brand's numbers and accounts and bill the calls.

    Each call is matched to its account (the record's account, else the caller's number)
    and rated on that number's plan. The rated calls are kept for itemised bills, the
    rejected lines with their reasons, and one usage charge per account and billing month
    goes to the bill with VAT already worked out call by call
    (plusnet-business/business-phone-charges#7: each call's charge including VAT is
    rounded up to the penny). A file imported before is not imported again, and a call id
    rated before is rejected, so nothing is ever charged twice. Either everything is
    stored or, on any error, nothing is.
    """
    brand = brand_get(brand_key)
    if fmt not in CdrFormat.values:
        raise InvalidInput(f"--format: expected {' or '.join(CdrFormat.values)}, not {fmt!r}")
    _check_output(out, "--out")
    _check_output(rejects, "--rejects")
    engine.check_file(path, fmt)
    digest = _sha256(path)
    earlier = CdrImport.objects.filter(brand=brand, sha256=digest).first()
    if earlier is not None:
        return {**earlier.summary, "import": earlier.pk, "already_imported": True}
    tariff = selectors.tariff_for_brand(brand)
    subscribers = selectors.subscribers_for_brand(brand)
    work = Path(tempfile.mkdtemp(prefix="backhaul-import-"))
    try:
        result = engine.rate_file(
            path,
            tariff=tariff,
            fmt=fmt,
            subscribers=subscribers,
            rated_path=work / "rated.parquet",
            rejects_path=work / "rejects.csv",
            already_rated=lambda ids: _already_rated(brand, ids),
            allowance_used=lambda groups: _allowance_used(brand, tariff, groups),
            asterisk_utc=asterisk_utc,
            progress=(lambda done, total: progress("rating", done, total)) if progress else None,
        )
        summary = {
            "brand": brand.key,
            "file": str(path),
            "format": fmt,
            **summary_of(result),
        }
        try:
            with transaction.atomic():
                imported = _store(
                    brand=brand,
                    path=path,
                    digest=digest,
                    fmt=fmt,
                    result=result,
                    summary=summary,
                    tariff=tariff,
                    now=now,
                    progress=progress,
                )
        except IntegrityError:
            raise InvalidInput(
                f"{path}: some of these calls were rated by another import at the same time; "
                "nothing was stored, run the import again"
            ) from None
        _deliver(result.rated_path, out)
        _deliver(result.rejects_path, rejects)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        **imported.summary,
        "import": imported.pk,
        "already_imported": False,
        "out": str(out) if out else None,
        "rejects": str(rejects) if rejects else None,
    }


def _already_rated(brand: Brand, call_ids: pl.Series) -> pl.Series:
    found = selectors.rated_call_ids(brand, call_ids.unique().to_list())
    return call_ids.is_in(pl.Series(sorted(found), dtype=pl.String).implode())


def _allowance_used(
    brand: Brand, tariff: tariff_rules.PhoneTariff, groups: pl.DataFrame
) -> pl.DataFrame:
    rows = []
    for account, plan_code, month in groups.iter_rows():
        plan = list(tariff.plans)[plan_code]
        first = date(month // 100, month % 100, 1)
        rows.append(
            (
                account,
                plan_code,
                month,
                selectors.allowance_used(brand, tariff, account, plan, first),
            )
        )
    return pl.DataFrame(
        rows,
        schema={"account_key": pl.String, "plan": pl.Int32, "month": pl.Int32, "used": pl.Int64},
        orient="row",
    )


def _store(
    *,
    brand: Brand,
    path: Path,
    digest: str,
    fmt: str,
    result: engine.EngineResult,
    summary: dict[str, Any],
    tariff: tariff_rules.PhoneTariff,
    now: datetime,
    progress: ProgressCallback | None,
) -> CdrImport:
    imported = CdrImport.objects.create(
        brand=brand,
        file_name=str(path)[-300:],
        sha256=digest,
        format=fmt,
        read=result.read,
        rated=result.rated,
        rejected=result.rejected,
        unanswered=result.unanswered,
        total_ex_vat=Decimal(result.total_ex_pence) * _PENNY,
        total_inc_vat=Decimal(result.total_inc_pence) * _PENNY,
        summary=summary,
        imported_at=now,
    )
    accounts = dict(Account.objects.filter(brand=brand).values_list("number", "id"))
    numbers = dict(PhoneNumber.objects.filter(brand=brand).values_list("number", "id"))
    stored = 0
    if result.rated_path is not None:
        parquet = pq.ParquetFile(result.rated_path)
        for batch in parquet.iter_batches(batch_size=_INSERT_BATCH):
            RatedCall.objects.bulk_create(
                [
                    RatedCall(
                        cdr_import=imported,
                        brand=brand,
                        account_id=accounts[row["account"]],
                        phone_number_id=numbers.get(row["caller"]),
                        call_id=row["call_id"],
                        line=row["line"],
                        answered_at=row["answered_at"],
                        billsec=row["billsec"],
                        answered=row["answered"],
                        caller=row["caller"],
                        callee=row["callee"],
                        plan=row["plan"],
                        destination_class=row["destination_class"],
                        billed_minutes=row["billed_minutes"],
                        bands=row["bands"],
                        covered_minutes=row["covered_minutes"],
                        inclusive=row["inclusive"],
                        operator_assisted=row["operator_assisted"],
                        setup_fee=row["setup_fee"],
                        charge_ex_vat=row["charge_ex_vat"],
                        charge_inc_vat=row["charge_inc_vat"],
                        clause=row["clause"],
                        billing_month=row["billing_month"],
                    )
                    for row in batch.to_pylist()
                ]
            )
            stored += batch.num_rows
            if progress is not None:
                progress("saving", stored, result.rated)
    if result.rejects_path is not None:
        rejected = pl.read_csv(
            result.rejects_path, schema={"line": pl.Int64, "reason": pl.String, "text": pl.String}
        )
        for start in range(0, rejected.height, _INSERT_BATCH):
            RejectedCdr.objects.bulk_create(
                [
                    RejectedCdr(
                        cdr_import=imported,
                        line=line,
                        reason=(reason or "")[:300],
                        text=(text or "")[:500],
                    )
                    for line, reason, text in rejected.slice(start, _INSERT_BATCH).iter_rows()
                ]
            )
    imported.charges = _charge_months(imported, result, tariff, now)
    imported.summary = {**summary, "charges": imported.charges}
    imported.save(update_fields=["charges", "summary"])
    _note_last_calls(brand, result)
    return imported


def _charge_months(
    imported: CdrImport,
    result: engine.EngineResult,
    tariff: tariff_rules.PhoneTariff,
    now: datetime,
) -> int:
    """One usage charge per account and billing month, VAT precomputed call by call."""
    if result.account_months is None:
        return 0
    brand = imported.brand
    accounts = {a.number: a for a in Account.objects.filter(brand=brand)}
    added = 0
    for row in result.account_months.iter_rows(named=True):
        ex_vat = Decimal(row["ex_pence"]) * _PENNY
        vat = Decimal(row["vat_pence"]) * _PENNY
        if not ex_vat and not vat:
            continue
        account = accounts[row["account_key"]]
        first = date(row["month"] // 100, row["month"] % 100, 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        charge = charge_add(
            account=account,
            key=f"rating:{brand.key}:import-{imported.pk}:{account.number}:{first:%Y-%m}",
            source=SOURCE,
            description=(
                f"Calls {first:%B %Y}: {row['calls']} calls, {row['minutes']} minutes "
                f"(CDR import {imported.pk})"
            ),
            amount=ex_vat,
            vat_treatment="exclusive",
            vat=vat,
            clause_id=tariff.clause,
            tax_point=last,
            now=now,
            kind=ChargeKind.USAGE,
            quantity=Decimal(row["calls"]),
            period=(first, last),
        )
        RatedCall.objects.filter(cdr_import=imported, account=account, billing_month=first).update(
            charge=charge
        )
        added += 1
    return added


def _note_last_calls(brand: Brand, result: engine.EngineResult) -> None:
    """Keep each number's last outgoing call, for the lapse of unused free numbers."""
    if result.last_calls is None or result.last_calls.height == 0:
        return
    latest = {
        number: datetime.fromtimestamp(second, UTC)
        for number, second in result.last_calls.iter_rows()
    }
    changed = []
    for number in PhoneNumber.objects.filter(brand=brand, number__in=list(latest)):
        when = latest[number.number]
        if number.last_outgoing_call_at is None or number.last_outgoing_call_at < when:
            number.last_outgoing_call_at = when
            changed.append(number)
    PhoneNumber.objects.bulk_update(changed, ["last_outgoing_call_at"], batch_size=1000)


# --- per-use calling features ------------------------------------------------------------------


def feature_use_add(
    *,
    account_number: str,
    charge_key: str,
    used_at: datetime,
    now: datetime,
    reference: str,
) -> PendingCharge | None:
    """Charge one use of a calling feature (1471 Call Return, Ring Back...).

    plusnet-business/business-phone-charges#calling-features: "Single-use cost when not
    subscribed". A use is free when the account subscribes to the feature monthly.
    Idempotent on `reference` (the switch's id for the use).
    """
    account = account_get(account_number)
    brand = account.brand
    day = used_at.astimezone(ZoneInfo(brand.timezone)).date()
    charge = charge_in_force(brand, charge_key, on=day)
    if charge.unit != ChargeUnit.PER_USE:
        raise InvalidInput(f"charge: {charge_key} is not charged per use")
    monthly = [
        product.key
        for product in brand.products.filter(kind="calling-feature")
        if product.attributes.get("per_use_charge_when_not_subscribed") == charge_key
    ]
    subscribed = Subscription.objects.filter(
        account=account,
        product__key__in=monthly,
        status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED],
    ).exists()
    if subscribed:
        return None
    return charge_add(
        account=account,
        key=f"rating:{brand.key}:feature:{reference}",
        source=SOURCE,
        description=f"{charge.name}, {day:%d %B %Y}",
        amount=charge.amount.quantize(_PENNY),
        vat_treatment=charge.vat_treatment,
        clause_id=charge.clause.clause_id,
        tax_point=day,
        now=now,
        kind=ChargeKind.USAGE,
        unit_amount=charge.amount,
    )


# --- the lapse of unused free numbers -------------------------------------------------------------


def numbers_lapse(*, on: date, now: datetime) -> dict[str, int]:
    """End free Broadband Phone numbers with no outgoing call for more than 90 days.

    plusnet-business/broadband-phone-schedule#3.11: "Where we have provided the service free
    or as part of another package and you allow more than 90 days to pass after the last
    time you used it to make an outgoing call, your agreement for the service will end
    automatically and you will lose your Plusnet Broadband Phone number." The number ends
    on the day the period runs out, its subscription is ceased, and the customer is told.
    Replaying a day changes nothing.
    """
    counts = {"checked": 0, "lapsed": 0, "notices": 0}
    for section in RuleSection.objects.filter(key=selectors.NUMBER_LAPSE).select_related("brand"):
        brand = section.brand
        params = rule_params(brand, selectors.NUMBER_LAPSE)
        days = int(params["days_without_outgoing_call"])
        zone = ZoneInfo(brand.timezone)
        candidates = PhoneNumber.objects.filter(
            brand=brand, ended_at__isnull=True, plan__key__in=params.get("products", [])
        ).select_related("account", "subscription", "plan")
        for number in candidates:
            counts["checked"] += 1
            used = number.last_outgoing_call_at or number.started_at
            last_used = used.astimezone(zone).date()
            if not rules.number_has_lapsed(last_used, on, days):
                continue
            lapse_day = rules.number_lapses_on(last_used, days)
            if _lapse(number, lapse_day=lapse_day, params=params, now=now):
                counts["notices"] += 1
            counts["lapsed"] += 1
    return counts


@transaction.atomic
def _lapse(number: PhoneNumber, *, lapse_day: date, params: dict[str, Any], now: datetime) -> bool:
    ends = _local_midnight(lapse_day, number.brand)
    PhoneNumber.objects.filter(pk=number.pk, ended_at__isnull=True).update(
        ended_at=max(ends, number.started_at), end_reason=NumberEndReason.LAPSED
    )
    subscription = number.subscription
    if subscription is not None and subscription.status in (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.SUSPENDED,
    ):
        subscription_transition(
            subscription_id=subscription.pk,
            to=SubscriptionStatus.CEASED,
            at=ends,
            reason=f"number {number.number} lapsed ({params['clause']})",
            actor="rating.number-lapse",
        )
    days = int(params["days_without_outgoing_call"])
    notice = notice_send(
        key=f"rating:number-lapse:{number.pk}",
        kind="rating.number-lapse",
        subject=f"Your {number.plan.name} number {number.number} has ended",
        body=(
            f"Dear {number.account.name},\n\n"
            f"More than {days} days have passed since your {number.plan.name} number "
            f"{number.number} was last used to make an outgoing call, so the service ended "
            f"on {lapse_day:%d %B %Y} and the number is no longer yours.\n\n"
            "You can order Broadband Phone again at any time; it will come with a new number."
        ),
        now=now,
        account=number.account,
        clause_id=params["clause"],
    )
    return notice.created_at == now
