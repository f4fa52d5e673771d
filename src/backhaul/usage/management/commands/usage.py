"""`backhaul usage import|state|simulate|topup|speeds`: broadband usage and fair use."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from backhaul.catalogue.selectors import brand_get
from backhaul.cli import BackhaulCommand, parse_date
from backhaul.customers.services import account_get
from backhaul.usage import rules
from backhaul.usage.choices import TopUpChannel
from backhaul.usage.selectors import speeds_monthly, usage_state_at
from backhaul.usage.services import topups_buy, usage_import
from backhaul.usage.simulation import usage_simulate


def parse_moment(value: str, *, field: str) -> datetime:
    """An ISO 8601 date and time; without a zone it is London time."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(
            f"{field}: not a date and time (use e.g. 2026-11-20T10:00:00Z): {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=rules.LONDON)


class Command(BackhaulCommand):
    help = "Broadband usage: import accounting, show and simulate fair-use state, Top Ups."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import RADIUS accounting and meter it")
        imp.add_argument("--since", help="read radacct rows changed since this time")
        imp.add_argument("--detail", action="append", default=[], help="a FreeRADIUS detail file")
        imp.add_argument("--json", action="store_true")
        state = sub.add_parser("state", help="an account's fair-use state at an instant")
        state.add_argument("--account", required=True)
        state.add_argument("--at", help="date and time (default: now)")
        state.add_argument("--json", action="store_true")
        sim = sub.add_parser("simulate", help="apply a plan's rules to a usage timeline")
        sim.add_argument("--brand", required=True)
        sim.add_argument("--plan", required=True, help="broadband product key")
        sim.add_argument("--allowance-gb", help="instead of the plan's allowance")
        sim.add_argument("--period-start", help="first day of the first allowance period")
        sim.add_argument("--topup-at", action="append", default=[], help="a Top Up bought then")
        sim.add_argument("--usage", required=True, help="CSV file of at,bytes")
        sim.add_argument("--json", action="store_true")
        top = sub.add_parser("topup", help="buy a Top Up for an account (staff)")
        top.add_argument("--account", required=True)
        top.add_argument("--quantity", type=int, default=1, help="how many Top Ups (default 1)")
        top.add_argument("--actor", default="")
        top.add_argument("--json", action="store_true")
        speeds = sub.add_parser("speeds", help="the month's average customer throughput")
        speeds.add_argument("--brand", required=True)
        speeds.add_argument("--month", required=True, help="YYYY-MM")
        speeds.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['action']}")
        payload = handler(options)
        if options["json"]:
            self.write_json(payload)
        else:
            for key, value in payload.items():
                self.stdout.write(f"{key}: {value}")

    def _import(self, options: dict[str, Any]) -> dict[str, Any]:
        since = parse_moment(options["since"], field="--since") if options["since"] else None
        run = usage_import(
            now=timezone.now(), since=since, detail_paths=[Path(p) for p in options["detail"]]
        )
        rejected = [
            {"origin": r.origin, "line": r.line, "reason": r.reason}
            for r in run.rejected.all()[:100]
        ]
        return {"run": run.pk, "source": run.source, **run.counts, "rejected": rejected}

    def _state(self, options: dict[str, Any]) -> dict[str, Any]:
        account = account_get(options["account"])
        at = parse_moment(options["at"], field="--at") if options["at"] else timezone.now()
        return usage_state_at(account, at)

    def _simulate(self, options: dict[str, Any]) -> dict[str, Any]:
        allowance = None
        if options["allowance_gb"] is not None:
            try:
                allowance = Decimal(options["allowance_gb"])
            except InvalidOperation:
                raise CommandError(
                    f"--allowance-gb: not a number: {options['allowance_gb']!r}"
                ) from None
            if allowance < 0:
                raise CommandError("--allowance-gb: cannot be negative")
        period_start: date | None = None
        if options["period_start"]:
            period_start = parse_date(options["period_start"], field="--period-start")
        return usage_simulate(
            brand_key=options["brand"],
            product_key=options["plan"],
            usage_path=Path(options["usage"]),
            period_start=period_start,
            allowance_gb=allowance,
            topups_at=[parse_moment(t, field="--topup-at") for t in options["topup_at"]],
        )

    def _topup(self, options: dict[str, Any]) -> dict[str, Any]:
        account = account_get(options["account"])
        bought = topups_buy(
            account=account,
            quantity=options["quantity"],
            now=timezone.now(),
            channel=TopUpChannel.CLI,
            request_key=f"cli:{uuid.uuid4()}",
            actor=options["actor"],
        )
        charges = [t.charge for t in bought if t.charge]
        return {
            "account": account.number,
            "product": bought[0].product_key,
            "quantity": len(bought),
            "octets": sum(t.octets for t in bought),
            "bought_at": bought[0].bought_at,
            "charge": sum((c.amount for c in charges), Decimal("0.00")),
            "clause": charges[0].clause.clause_id if charges else None,
            "state": usage_state_at(account, bought[0].bought_at)["state"],
        }

    def _speeds(self, options: dict[str, Any]) -> dict[str, Any]:
        try:
            month = datetime.strptime(options["month"], "%Y-%m").date()
        except ValueError:
            raise CommandError(
                f"--month: not a month (use YYYY-MM): {options['month']!r}"
            ) from None
        return speeds_monthly(brand_get(options["brand"]), month)
