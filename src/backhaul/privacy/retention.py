"""Retention: rows past their data class's schedule are deleted or anonymised each day.

Each brand's `[rules.retention] classes` says how many months a data class is kept and
whether it is then deleted or anonymised. Rows held against an account follow that
account's brand; rows held against no account (RADIUS accounting, abuse intake) follow
the longest schedule of any brand, so nothing goes before any brand's terms allow.
Accounts under an open legal hold are left alone. Replaying a day changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import ProtectedError, Q

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import rule_params
from backhaul.core.calendar import LONDON
from backhaul.privacy import rules
from backhaul.privacy.choices import RetentionAction
from backhaul.privacy.models import RetentionLog
from backhaul.privacy.selectors import legal_hold_accounts

ANONYMISED = "(removed)"


@dataclass(frozen=True)
class Target:
    model: str
    date_field: str
    account_path: str | None = "account"
    username_field: str = ""
    anonymise: Mapping[str, Any] = field(default_factory=dict)
    # Deleted even when the class is anonymised: nothing useful is left without the data.
    always_delete: bool = False


TARGETS: dict[str, list[Target]] = {
    "call-data-records": [Target("rating.RatedCall", "answered_at")],
    "usage": [
        Target("usage.UsageDay", "day"),
        Target("usage.SessionMeter", "last_at"),
        Target("usage.AccountingRecord", "at", None, username_field="username"),
        Target("network.RadAcct", "acctstarttime", None, username_field="username"),
    ],
    "ip-assignments": [Target("network.IpAssignment", "end")],
    "tickets": [
        Target("support.TicketAttachment", "message__ticket__closed_at",
               "message__ticket__account", always_delete=True),
        Target("support.TicketMessage", "ticket__closed_at", "ticket__account",
               anonymise={"body": ANONYMISED, "author_name": ANONYMISED}),
        Target("support.TicketEvent", "ticket__closed_at", "ticket__account",
               anonymise={"note": ""}),
        Target("support.Ticket", "closed_at",
               anonymise={"subject": ANONYMISED, "raised_by": ANONYMISED}),
    ],
    "abuse-cases": [
        Target("abuse.Report", "case__resolved_at",
               anonymise={"evidence": ANONYMISED, "reporter_email": "", "reporter_name": ""}),
        Target("abuse.CaseNote", "case__resolved_at", "case__account",
               anonymise={"text": ANONYMISED}),
        Target("abuse.CustomerAnswer", "case__resolved_at", "case__account",
               anonymise={"text": ANONYMISED}),
        Target("abuse.IntakeMessage", "received_at", None,
               anonymise={"raw": b"", "notes": "", "reporter_email": "", "reporter_name": "",
                          "subject": ANONYMISED}),
    ],
    "notices": [
        Target("notices.Notice", "created_at",
               anonymise={"subject": ANONYMISED, "body": ANONYMISED, "recipient": ""}),
    ],
    "invoices": [
        Target("billing.Invoice", "issued_at",
               anonymise={"customer_name": ANONYMISED, "customer_address": "",
                          "customer_email": ""}),
    ],
}  # fmt: skip


def _cutoff_value(model: Any, date_field: str, cutoff: date) -> date | datetime:
    last = model
    for part in date_field.split("__"):
        target = last._meta.get_field(part)
        last = target.related_model or last
    if target.get_internal_type() == "DateField":
        return cutoff
    return datetime.combine(cutoff, time.min, tzinfo=LONDON)


def _apply(target: Target, action: str, cutoff: date, scope: Q, held: Q) -> tuple[str, int]:
    model = apps.get_model(target.model)
    rows = model.objects.filter(
        **{f"{target.date_field}__lt": _cutoff_value(model, target.date_field, cutoff)}
    ).filter(scope)
    rows = rows.exclude(held)
    if action == RetentionAction.DELETE or target.always_delete or not target.anonymise:
        try:
            with transaction.atomic():
                _, by_model = rows.delete()
        except ProtectedError:
            return RetentionAction.DELETE, 0
        return RetentionAction.DELETE, by_model.get(model._meta.label, 0)
    pending = rows.exclude(**dict(target.anonymise))
    return RetentionAction.ANONYMISE, pending.update(**dict(target.anonymise))


def _scopes(target: Target, brand_keys: list[str]) -> Q:
    if target.account_path is None:
        return Q()
    return Q(**{f"{target.account_path}__brand__key__in": brand_keys})


def _held(target: Target, held_ids: list[int], held_usernames: list[str]) -> Q:
    if target.account_path is not None:
        return Q(**{f"{target.account_path}__in": held_ids})
    if target.username_field:
        return Q(**{f"{target.username_field}__in": held_usernames})
    return Q(pk__in=[])


@transaction.atomic
def retention_apply(*, on: date, now: datetime) -> dict[str, int]:
    """Delete or anonymise what each brand's schedule says is past keeping on `on`."""
    from backhaul.network.models import BroadbandLogin

    at = datetime.combine(on, time.min, tzinfo=LONDON)
    held_ids = list(legal_hold_accounts(at=at).values_list("pk", flat=True))
    held_usernames = list(
        BroadbandLogin.objects.filter(account_id__in=held_ids).values_list("username", flat=True)
    )
    schedules: dict[str, dict[str, rules.RetentionClass]] = {}
    for brand in Brand.objects.order_by("key"):
        params = rule_params(brand, "retention", default={})
        for item in rules.retention_classes(params):
            schedules.setdefault(item.data_class, {})[brand.key] = item
    counts: dict[str, int] = {}
    for data_class, by_brand in sorted(schedules.items()):
        for target in TARGETS.get(data_class, []):
            groups: list[tuple[list[str], rules.RetentionClass]]
            if target.account_path is None:
                longest = max(by_brand.values(), key=lambda c: c.keep_months)
                groups = [([], longest)]
            else:
                groups = [([key], item) for key, item in sorted(by_brand.items())]
            for brand_keys, schedule in groups:
                cutoff = rules.retention_cutoff(on, schedule.keep_months)
                scope = _scopes(target, brand_keys)
                action, rows = _apply(
                    target, schedule.action, cutoff, scope, _held(target, held_ids, held_usernames)
                )
                if not rows:
                    continue
                key = f"{data_class}:{target.model}:{action}"
                counts[key] = counts.get(key, 0) + rows
                RetentionLog.objects.create(
                    on=on,
                    data_class=data_class,
                    model_label=target.model,
                    action=action,
                    rows=rows,
                    clause_id=schedule.clause,
                    at=now,
                )
    return counts
