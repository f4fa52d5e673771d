"""`backhaul usage simulate`: a plan's fair-use rules applied to a usage timeline in a file.

Nothing is written: the simulation reads the catalogue and the file, and reports the states
the connection would pass through, the notices due and the charges that would be raised.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from backhaul.catalogue.selectors import (
    brand_get,
    charge_in_force,
    price_in_force,
    product_get,
    rule_params,
)
from backhaul.core.errors import InvalidInput
from backhaul.core.money import PENNY, Rounding, quantize
from backhaul.usage import rules
from backhaul.usage.services import fair_use_policy


def _moment(text: str, *, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{where}: not a date and time (use ISO 8601, e.g. 2026-11-20T10:00:00Z): {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.LONDON)
    return moment


def usage_file_read(path: Path) -> list[rules.Usage]:
    """A CSV of `at,bytes` rows (byte deltas at instants); any bad row stops the reading
    with its line number. Times without a zone are London time."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    events = []
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header] != ["at", "bytes"]:
            raise InvalidInput(f"{path}:1: the first line must be the header 'at,bytes'")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if not row or not "".join(row).strip():
                continue
            if len(row) != 2:
                raise InvalidInput(f"{where}: expected 2 fields (at,bytes), got {len(row)}")
            at = _moment(row[0], where=f"{where}: at")
            text = row[1].strip()
            if not text.isdigit():
                raise InvalidInput(f"{where}: bytes: not a whole number of bytes: {text!r}")
            events.append(rules.Usage(at, int(text)))
    return events


def usage_simulate(
    *,
    brand_key: str,
    product_key: str,
    usage_path: Path,
    period_start: date | None = None,
    allowance_gb: Decimal | None = None,
    topups_at: list[datetime] | None = None,
) -> dict[str, Any]:
    brand = brand_get(brand_key)
    product = product_get(brand, product_key)
    usage = usage_file_read(usage_path)
    topups_at = topups_at or []
    moments = [e.at for e in usage] + topups_at
    if period_start is None and not moments:
        raise InvalidInput(f"{usage_path}: no usage rows; give --period-start to simulate from")
    anchor = period_start or rules.london_date(min(moments))
    policy = fair_use_policy(
        brand=brand, product=product, anchor=anchor, on=anchor, allowance_gb=allowance_gb
    )
    if policy is None:
        raise InvalidInput(f"{brand.key}/{product.key} has no allowance to simulate")
    params = rule_params(brand, "fair_use")
    if topups_at and policy.topup_block_bytes is None:
        raise InvalidInput(f"--topup-at: {brand.key} sells no Top Ups")
    period = rules.allowance_period(anchor, expires=policy.expires, anchor=policy.anchor)
    events: list[rules.Usage | rules.TopUp] = [*usage]
    events += [rules.TopUp(at, policy.topup_block_bytes or 0) for at in topups_at]
    outcome = rules.allowance_advance(policy, rules.meter_open(policy, period), events)
    closed = [*outcome.closed, rules.period_summary(policy, outcome.meter)]
    charges: list[dict[str, Any]] = []
    extra_vat = ""
    if params.get("extra_usage_charge"):
        extra_vat = charge_in_force(brand, params["extra_usage_charge"], on=anchor).vat_treatment
    if topups_at:
        topup = product_get(brand, params["topup_product"])
        for at in sorted(topups_at):
            price = price_in_force(topup, on=rules.london_date(at))
            charges.append(
                {
                    "kind": "topup",
                    "at": at,
                    "product": topup.key,
                    "quantity_gb": policy.topup_block_bytes // policy.bytes_per_gb
                    if policy.topup_block_bytes
                    else 0,
                    "amount": quantize(price.amount, PENNY, Rounding.HALF_UP),
                    "vat": price.vat_treatment,
                    "clause": price.clause.clause_id,
                }
            )
    for summary in closed:
        if summary.extra_gb:
            charges.append(
                {
                    "kind": "extra-usage",
                    "period_start": summary.period.start,
                    "period_end": summary.period.end,
                    "over_bytes": summary.over_bytes,
                    "quantity_gb": summary.extra_gb,
                    "amount": summary.extra_amount,
                    "vat": extra_vat,
                    "clause": summary.clause,
                }
            )
    return {
        "brand": brand.key,
        "plan": product.key,
        "allowance_gb": Decimal(policy.allowance_bytes) / Decimal(policy.bytes_per_gb),
        "period_start": period.start,
        "final_state": outcome.meter.state,
        "final_period": {
            "start": outcome.meter.period.start,
            "end": outcome.meter.period.end,
            "used_bytes": outcome.meter.used_bytes,
            "allowance_left_bytes": outcome.meter.allowance_left,
            "topup_left_bytes": outcome.meter.topup_left,
            "throttle_left_bytes": outcome.meter.throttle_left,
            "over_bytes": outcome.meter.over_bytes,
        },
        "transitions": [
            {
                "at": t.at,
                "from": t.from_state,
                "to": t.to_state,
                "reason": t.reason,
                "clause": t.clause,
            }
            for t in outcome.transitions
        ],
        "notices": [
            {
                "at": n.at,
                "kind": n.kind,
                "percent": n.percent,
                "period_start": n.period.start,
                "clause": n.clause,
            }
            for n in outcome.notices
        ],
        "charges": charges,
    }
