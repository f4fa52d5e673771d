"""Reads of the privacy area: register gaps, current consents, export contents, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import rule_params
from backhaul.customers.models import Account
from backhaul.privacy import rules
from backhaul.privacy.models import ConsentChange, LegalHold, Purpose, Referral
from backhaul.privacy.register import (
    NOT_PERSONAL,
    NOT_PERSONAL_MODELS,
    REGISTER,
    ModelEntry,
    looks_personal,
)


def model_label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def concrete_models() -> Iterator[type[models.Model]]:
    """Every installed model that owns a table (proxies share their base's fields)."""
    for model in apps.get_models():
        if not model._meta.proxy:
            yield model


def own_field_names(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.get_fields()
        if f.concrete and not f.auto_created and not f.is_relation
    ]


def register_gaps() -> list[str]:
    """Fields that look personal but are neither registered nor declared not personal."""
    gaps = []
    for model in concrete_models():
        label = model_label(model)
        if label in NOT_PERSONAL_MODELS:
            continue
        entry = REGISTER.get(label)
        registered = set(entry.fields) if entry else set()
        excused = set(NOT_PERSONAL.get(label, {}))
        for name in own_field_names(model):
            if looks_personal(name) and name not in registered and name not in excused:
                gaps.append(f"{label}.{name}")
    return gaps


def register_stale() -> list[str]:
    """Register or NOT_PERSONAL entries naming models or fields that do not exist."""
    stale = []
    known = {model_label(m): set(own_field_names(m)) for m in concrete_models()}
    for label, names in [
        *((label, set(entry.fields)) for label, entry in REGISTER.items()),
        *((label, set(reasons)) for label, reasons in NOT_PERSONAL.items()),
    ]:
        if label not in known:
            stale.append(label)
            continue
        stale.extend(f"{label}.{name}" for name in sorted(names - known[label]))
    return stale


def uses_unknown_to(brand: Brand) -> list[str]:
    """Registered fields whose use names no interaction of this brand's purpose register."""
    interactions = set(Purpose.objects.filter(brand=brand).values_list("interaction", flat=True))
    missing = []
    for label, entry in REGISTER.items():
        for name, use in entry.fields.items():
            if not use & interactions:
                missing.append(f"{label}.{name} ({' / '.join(sorted(use))})")
    return missing


def account_usernames(account: Account) -> list[str]:
    from backhaul.network.models import BroadbandLogin

    return list(BroadbandLogin.objects.filter(account=account).values_list("username", flat=True))


def held_for_account(
    label: str, entry: ModelEntry, account: Account, usernames: list[str]
) -> QuerySet[Any] | None:
    """The rows of one registered model held against the account, or None if not owned."""
    model = apps.get_model(label)
    if entry.owner is not None:
        path = entry.owner or "pk"
        return model.objects.filter(**{path: account.pk}).order_by("pk")
    if entry.by_username:
        return model.objects.filter(**{f"{entry.by_username}__in": usernames}).order_by("pk")
    return None


def consent_defaults_for(brand: Brand) -> dict[str, rules.ConsentDefault]:
    params = rule_params(brand, "privacy", default={})
    return rules.consent_defaults(params.get("consents", []))


def consents_current(account: Account) -> dict[str, bool]:
    """Each consent's current state: the latest change, else the brand's default."""
    defaults = consent_defaults_for(account.brand)
    current = {}
    for kind, default in defaults.items():
        changes = ConsentChange.objects.filter(account=account, kind=kind).order_by("at", "pk")
        current[kind] = rules.consent_state(
            default.granted, changes.values_list("granted", flat=True)
        )
    return current


def consent_history(account: Account) -> QuerySet[ConsentChange]:
    return ConsentChange.objects.filter(account=account).order_by("-at", "-pk")


def legal_hold_accounts(*, at: datetime) -> QuerySet[Account]:
    return Account.objects.filter(
        pk__in=LegalHold.objects.filter(Q(released_at__isnull=True) | Q(released_at__gt=at))
        .filter(placed_at__lte=at)
        .values("account_id")
    )


def referrals_for(referrer: Account) -> list[tuple[Referral, bool]]:
    """The referrer's referrals, each with whether it still earns the bonus; never why."""
    from backhaul.payments.models import DunningState

    found = []
    for referral in Referral.objects.filter(referrer=referrer).select_related("referred"):
        in_arrears = DunningState.objects.filter(
            account=referral.referred, cycle_started_on__isnull=False
        ).exists()
        eligible = rules.referral_eligible(
            referred_status=referral.referred.status, in_arrears=in_arrears
        )
        found.append((referral, eligible))
    return found
