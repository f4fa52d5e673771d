"""Pure privacy rules: consent defaults, retention schedules and referral eligibility."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from backhaul.core.errors import InvalidInput
from backhaul.core.periods import add_months

CONSENT_KINDS = ("recommendations", "research", "marketing")
RETENTION_ACTIONS = ("delete", "anonymise")


@dataclass(frozen=True)
class ConsentDefault:
    kind: str
    granted: bool
    clause: str


@dataclass(frozen=True)
class RetentionClass:
    data_class: str
    keep_months: int
    action: str
    clause: str


def consent_defaults(consents: Iterable[Mapping[str, Any]]) -> dict[str, ConsentDefault]:
    """Each consent's starting state from `[rules.privacy] consents`.

    Personalised recommendations are on until the customer turns them off
    (plusnet-business/privacy-policy#youview); a kind the brand does not list starts off.
    """
    found = {kind: ConsentDefault(kind, False, "") for kind in CONSENT_KINDS}
    for index, item in enumerate(consents):
        kind = item.get("kind")
        if kind not in CONSENT_KINDS:
            raise InvalidInput(f"privacy.consents[{index}].kind: unknown consent {kind!r}")
        found[kind] = ConsentDefault(kind, bool(item.get("default", False)), item["clause"])
    return found


def consent_state(default: bool, changes: Iterable[bool]) -> bool:
    """The current state: the latest change, or the default when there has been none."""
    state = default
    for granted in changes:
        state = granted
    return state


def retention_classes(params: Mapping[str, Any]) -> list[RetentionClass]:
    """The brand's retention schedules from `[rules.retention] classes`, checked."""
    found = []
    for index, item in enumerate(params.get("classes", [])):
        where = f"retention.classes[{index}]"
        months = item.get("keep_months")
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            raise InvalidInput(f"{where}.keep_months: a whole number of months, not {months!r}")
        if item.get("action") not in RETENTION_ACTIONS:
            raise InvalidInput(f"{where}.action: one of {', '.join(RETENTION_ACTIONS)}")
        found.append(
            RetentionClass(
                data_class=str(item["data_class"]),
                keep_months=months,
                action=str(item["action"]),
                clause=str(item.get("clause", params.get("clause", ""))),
            )
        )
    return found


def retention_cutoff(on: date, keep_months: int) -> date:
    """Records whose date is before this day are past their retention on `on`.

    A record dated 2020-03-15 kept 72 months is kept to 2026-03-15 and goes on 2026-03-16.
    """
    return add_months(on, -keep_months)


def referral_eligible(*, referred_status: str, in_arrears: bool) -> bool:
    """Whether a referral still earns its bonus (plusnet-business/privacy-policy#referral).

    Eligibility depends on the referred customer remaining a customer and paying on time;
    only the yes/no is ever shown to the referrer, never which condition failed.
    """
    return referred_status == "open" and not in_arrears
