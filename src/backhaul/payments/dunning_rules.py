"""Dunning rules: the steps of a brand's ladder, when termination must wait, agency costs.

An agency's cost worked out as a share of a debt is rounded half-up to the penny
(`agency_cost`); the ladder comes from the brand's catalogue through the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from backhaul.core.money import Rounding, quantize
from backhaul.payments.payment_rules import HUNDRED, ZERO, exact_context

KIND_ALIASES = {"suspend": "suspension", "terminate": "termination", "restrict": "restriction"}


@dataclass(frozen=True)
class LadderStep:
    kind: str
    after_days: int
    clause: str
    services: tuple[str, ...] = ()
    charge: str = ""
    lift_charge: str = ""


def ladder_from_params(steps: Iterable[dict[str, Any]]) -> tuple[LadderStep, ...]:
    """The brand's [rules.dunning] steps, in the order they are taken."""
    out = []
    for step in steps:
        kind = str(step["kind"])
        out.append(
            LadderStep(
                kind=KIND_ALIASES.get(kind, kind),
                after_days=int(step["after_days"]),
                clause=str(step["clause"]),
                services=tuple(str(s) for s in step.get("services", [])),
                charge=str(step.get("charge", "")),
                lift_charge=str(step.get("lift_charge", "")),
            )
        )
    return tuple(sorted(out, key=lambda s: s.after_days))


def dunning_steps_due(
    ladder: Sequence[LadderStep], *, days_overdue: int, taken: Iterable[str]
) -> list[LadderStep]:
    """The steps an account in arrears for `days_overdue` days has reached and not yet
    taken in this run of arrears, in ladder order (reminder -> restriction or suspension
    -> termination), e.g. plugin/broadband-terms#9, plusnet-business/general-terms#6.5(a)."""
    done = set(taken)
    return [s for s in ladder if s.after_days <= days_overdue and s.kind not in done]


@dataclass(frozen=True)
class ContactFact:
    on: date
    outcome: str


def termination_blocked(
    *, required: bool, attempts: Sequence[ContactFact], since: date, clause: str
) -> str:
    """Why termination must wait, or "" if it may go ahead.

    "We will not terminate your services unless we have failed to gain a response from you
    within a reasonable time frame" (plugin/general-terms#rule-7): at least one recorded
    attempt to reach the customer in this run of arrears, and no response since the last
    one. A response means staff decide (hold the ladder, or record a further attempt).
    """
    if not required:
        return ""
    recent = sorted((a for a in attempts if a.on >= since), key=lambda a: a.on)
    if not recent:
        return f"no attempt to reach the customer is recorded since {since} ({clause})"
    if recent[-1].outcome != "no-response":
        return (
            f"the customer responded on {recent[-1].on}: hold the ladder or record a further "
            f"attempt that failed ({clause})"
        )
    return ""


def agency_cost(debt: Decimal, *, percent: Decimal) -> Decimal:
    """The agency's cost added to the debt handed over, as a share of it, rounded half-up
    to the penny (plusnet-business/general-terms#4.12: "will not exceed the reasonable
    costs Plusnet has to pay to the agency")."""
    if debt <= 0:
        return ZERO
    ctx = exact_context()
    return quantize(ctx.divide(ctx.multiply(debt, percent), HUNDRED), rounding=Rounding.HALF_UP)
