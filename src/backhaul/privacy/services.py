"""Writes of the privacy area: purposes, consents, disclosures, legal holds, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from backhaul.catalogue.models import Brand
from backhaul.catalogue.selectors import clause_get, rule_params
from backhaul.core.errors import InvalidInput
from backhaul.customers.models import Account
from backhaul.privacy.choices import (
    AuditAction,
    ConsentChannel,
    DisclosureBasis,
    RecipientKind,
)
from backhaul.privacy.models import AuditEvent, ConsentChange, Disclosure, LegalHold, Purpose
from backhaul.privacy.selectors import consent_defaults_for, consents_current

FLAG_KEYS = ("interaction", "collected", "why", "clause")


@transaction.atomic
def purposes_sync(*, brand: Brand) -> dict[str, int]:
    """Load the brand's `[rules.privacy] purposes` into Purpose rows; safe to repeat."""
    params = rule_params(brand, "privacy", default={"purposes": []})
    seen = []
    counts = {"created": 0, "updated": 0, "removed": 0}
    for index, item in enumerate(params.get("purposes", [])):
        interaction = item.get("interaction")
        if not interaction or not item.get("clause"):
            raise InvalidInput(
                f"{brand.key}: privacy.purposes[{index}]: interaction and clause are required"
            )
        values: dict[str, Any] = {
            "collected": list(item.get("collected", [])),
            "why": list(item.get("why", [])),
            "flags": {k: v for k, v in item.items() if k not in FLAG_KEYS},
            "clause": clause_get(item["clause"]),
        }
        _, created = Purpose.objects.update_or_create(
            brand=brand, interaction=interaction, defaults=values
        )
        counts["created" if created else "updated"] += 1
        seen.append(interaction)
    removed, _ = Purpose.objects.filter(brand=brand).exclude(interaction__in=seen).delete()
    counts["removed"] = removed
    return counts


@transaction.atomic
def consent_change(
    *,
    account: Account,
    kind: str,
    granted: bool,
    channel: str,
    actor: str,
    now: datetime,
) -> ConsentChange | None:
    """Record a change of one consent; returns None when it already has that state."""
    defaults = consent_defaults_for(account.brand)
    if kind not in defaults:
        raise InvalidInput(f"consent: unknown kind {kind!r} (known: {', '.join(defaults)})")
    if channel not in ConsentChannel.values:
        raise InvalidInput(f"consent: unknown channel {channel!r}")
    Account.objects.select_for_update().filter(pk=account.pk).first()
    if consents_current(account)[kind] == granted:
        return None
    return ConsentChange.objects.create(
        account=account,
        kind=kind,
        granted=granted,
        channel=channel,
        actor=actor,
        at=now,
        clause_id=defaults[kind].clause,
    )


@transaction.atomic
def disclosure_record(
    *,
    account: Account,
    recipient_kind: str,
    recipient: str,
    what: str,
    basis: str,
    clause_id: str,
    recorded_by: str,
    now: datetime,
    reference: str = "",
) -> Disclosure:
    """Log personal data shared outside the provider, with whom and on what legal basis."""
    if recipient_kind not in RecipientKind.values:
        raise InvalidInput(f"disclosure: unknown recipient kind {recipient_kind!r}")
    if basis not in DisclosureBasis.values:
        raise InvalidInput(
            f"disclosure: unknown basis {basis!r} (known: {', '.join(DisclosureBasis.values)})"
        )
    if not recipient.strip() or not what.strip():
        raise InvalidInput("disclosure: recipient and what was shared are required")
    clause_get(clause_id)
    return Disclosure.objects.create(
        account=account,
        account_number=account.number,
        recipient_kind=recipient_kind,
        recipient=recipient.strip(),
        what=what.strip(),
        basis=basis,
        reference=reference,
        clause_id=clause_id,
        disclosed_at=now,
        recorded_by=recorded_by,
    )


@transaction.atomic
def legal_hold_place(*, account: Account, reason: str, placed_by: str, now: datetime) -> LegalHold:
    if not reason.strip():
        raise InvalidInput("legal hold: a reason is required")
    return LegalHold.objects.create(
        account=account, reason=reason.strip(), placed_by=placed_by, placed_at=now
    )


@transaction.atomic
def legal_hold_release(*, hold: LegalHold, now: datetime) -> LegalHold:
    if hold.released_at is None:
        hold.released_at = now
        hold.save(update_fields=["released_at"])
    return hold


def audit_record(
    *,
    user: Any,
    action: str,
    method: str,
    path: str,
    status_code: int,
    now: datetime,
    model_label: str = "",
    object_id: str = "",
    account_number: str = "",
) -> AuditEvent:
    if action not in AuditAction.values:
        raise InvalidInput(f"audit: unknown action {action!r}")
    return AuditEvent.objects.create(
        at=now,
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "",
        action=action,
        model_label=model_label,
        object_id=object_id[:64],
        account_number=account_number[:16],
        method=method[:8],
        path=path[:300],
        status_code=status_code,
    )


def subject_access_export(*, account: Account, requested_by: str, now: datetime) -> bytes:
    """Build the account's subject access ZIP and log that it was handed over."""
    from backhaul.privacy.export import export_build

    archive = export_build(account=account, now=now)
    disclosure_record(
        account=account,
        recipient_kind=RecipientKind.DATA_SUBJECT,
        recipient=f"account holder {account.number}",
        what="subject access export: every registered personal field and the invoices",
        basis=DisclosureBasis.LEGAL_OBLIGATION,
        clause_id=rule_params(account.brand, "privacy")["clause"],
        recorded_by=requested_by,
        now=now,
    )
    return archive


SECURITY_ANSWER_LABEL = "customers.SecurityAnswer"


def caller_questions(*, staff: Any, account: Account, path: str, now: datetime) -> list[str]:
    """The questions the account has answered, for support to ask a caller (audited)."""
    from backhaul.customers.selectors import security_answers_for

    prompts = [answer.prompt for answer in security_answers_for(account)]
    audit_record(
        user=staff, action=AuditAction.VIEW, method="GET", path=path, status_code=200, now=now,
        model_label=SECURITY_ANSWER_LABEL, account_number=account.number,
    )  # fmt: skip
    return prompts


def caller_verify(
    *, staff: Any, account: Account, prompt: str, answer: str, path: str, now: datetime
) -> bool:
    """Whether the caller's answer matches, recorded in the audit trail either way.

    Neither the answer typed nor the stored hash leaves the customers area; a check the
    rules refuse (too many wrong answers) is audited with status 409 and re-raised.
    """
    from backhaul.customers.services import caller_check

    def audit(status_code: int, object_id: str = "") -> None:
        audit_record(
            user=staff, action=AuditAction.VERIFY, method="POST", path=path,
            status_code=status_code, now=now, model_label=SECURITY_ANSWER_LABEL,
            object_id=object_id, account_number=account.number,
        )  # fmt: skip

    try:
        check = caller_check(
            account=account, prompt=prompt, answer=answer,
            checked_by=staff.get_username(), now=now,
        )  # fmt: skip
    except InvalidInput:
        audit(409)
        raise
    audit(200, str(check.pk))
    return check.matched
