"""Usage: importing accounting, metering it, and keeping every account's fair-use state.

The flow: accounting records arrive (from FreeRADIUS's radacct table or its detail files)
into an append-only log (`records`); metering turns each batch into per-day usage with
deltas between interim updates (`meter`); the allowance engine moves each account's meter
on, raising notices, extra-usage charges and upgrade recommendations, and the new state is
published to FreeRADIUS with CoA for live sessions (`allowances`); notices go out once the
state is committed (`notices`). Top Ups are bought through `topups`.
"""

from backhaul.usage.services.allowances import (
    allowances_advance,
    allowances_apply_usage,
    periods_roll,
)
from backhaul.usage.services.imports import usage_import
from backhaul.usage.services.meter import records_meter
from backhaul.usage.services.notices import usage_notices_send
from backhaul.usage.services.policies import MeteredService, fair_use_policy, metered_services
from backhaul.usage.services.records import records_from_detail, records_from_radacct
from backhaul.usage.services.topups import topup_buy, topup_offer, topups_buy

__all__ = [
    "MeteredService",
    "allowances_advance",
    "allowances_apply_usage",
    "fair_use_policy",
    "metered_services",
    "periods_roll",
    "records_from_detail",
    "records_from_radacct",
    "records_meter",
    "topup_buy",
    "topup_offer",
    "topups_buy",
    "usage_import",
    "usage_notices_send",
]
