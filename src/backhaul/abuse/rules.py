"""Abuse desk rules: evidence checks, resolution, the escalation ladder and disclosure.

Pure functions over plain values. Every number and clause comes from the brand's
`[rules.abuse]` catalogue section, which `abuse_terms` reads into an `AbuseTerms`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from backhaul.core.errors import InvalidInput, TransitionNotAllowed

SPAM = "spam"

WARNING = "warning"
SUSPENSION = "suspension"
TERMINATION = "termination"
STEPS = (WARNING, SUSPENSION, TERMINATION)

SUFFICIENT = "sufficient"
NEEDS_HEADERS = "needs-headers"
SEVERAL_INCIDENTS = "several-incidents"
UNCLASSIFIED = "unclassified"

RESOLVED = "resolved"
NO_HOLDER = "no-holder"
SEVERAL_HOLDERS = "several-holders"

SECTION = "rules.abuse"


@dataclass(frozen=True)
class CategoryTerms:
    key: str
    clause: str
    against_customer: bool = True


@dataclass(frozen=True)
class LadderStep:
    step: str
    clause: str
    automatic: bool = False


@dataclass(frozen=True)
class AbuseTerms:
    """A brand's abuse terms, as its catalogue states them."""

    clause: str
    categories: tuple[CategoryTerms, ...]
    ladder: tuple[LadderStep, ...]
    corrective_action_days: int
    corrective_action_clause: str
    customer_notice_clause: str
    spam_needs_full_headers: bool = False
    full_headers_clause: str | None = None
    one_incident_per_report: bool = False
    one_incident_clause: str | None = None
    firewall_log_max_lines: int | None = None
    acknowledge_reports: bool = False
    acknowledgement_clause: str | None = None
    reporter_confidential: bool = True
    reporter_confidential_clause: str | None = None
    repeat_offender_cases: int | None = None
    repeat_offender_window_days: int | None = None
    repeat_offender_starts_at: str | None = None
    repeat_offender_clause: str | None = None
    terminate_without_notice_for: frozenset[str] = frozenset()
    terminate_without_notice_clause: str | None = None
    termination_needs_no_response: bool = False
    termination_needs_no_response_clause: str | None = None
    disclosure_legal_bases: tuple[str, ...] = ()
    disclosure_clause: str | None = None

    def category(self, key: str) -> CategoryTerms | None:
        for category in self.categories:
            if category.key == key:
                return category
        return None

    def step_index(self, step: str) -> int:
        for index, rung in enumerate(self.ladder):
            if rung.step == step:
                return index
        raise InvalidInput(f"{SECTION}.ladder: has no {step!r} step")


def _checked(key: str, value: Any, kind: type) -> Any:
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(f"{SECTION}.{key}: must be a whole number, not {value!r}")
    elif not isinstance(value, kind):
        raise InvalidInput(f"{SECTION}.{key}: must be a {kind.__name__}, not {value!r}")
    return value


def _required(params: Mapping[str, Any], key: str, kind: type) -> Any:
    if params.get(key) is None:
        raise InvalidInput(f"{SECTION}.{key}: required")
    return _checked(key, params[key], kind)


def _optional(params: Mapping[str, Any], key: str, kind: type) -> Any:
    if params.get(key) is None:
        return None
    return _checked(key, params[key], kind)


def _needed_with(params: Mapping[str, Any], flag: str, key: str) -> str | None:
    """The clause a switched-on rule rests on; a rule switched on without one is an error."""
    if not params.get(flag):
        optional = _optional(params, key, str)
        return str(optional) if optional is not None else None
    return str(_required(params, key, str))


def abuse_terms(params: Mapping[str, Any]) -> AbuseTerms:
    """Read a `[rules.abuse]` section (rule_params output) into `AbuseTerms`.

    Missing or mistyped keys raise `InvalidInput` naming the key, so a catalogue that cannot
    drive the abuse desk says where it is wrong.
    """
    categories = []
    raw_categories = _required(params, "categories", list)
    for index, item in enumerate(raw_categories):
        if not isinstance(item, Mapping) or not item.get("key") or not item.get("clause"):
            raise InvalidInput(f"{SECTION}.categories[{index}]: needs a key and a clause")
        categories.append(
            CategoryTerms(
                key=str(item["key"]),
                clause=str(item["clause"]),
                against_customer=bool(item.get("against_customer", True)),
            )
        )
    ladder = []
    for index, item in enumerate(_required(params, "ladder", list)):
        if not isinstance(item, Mapping) or item.get("step") not in STEPS or not item.get("clause"):
            raise InvalidInput(
                f"{SECTION}.ladder[{index}]: needs a step (one of {', '.join(STEPS)}) and a clause"
            )
        ladder.append(
            LadderStep(
                step=str(item["step"]),
                clause=str(item["clause"]),
                automatic=bool(item.get("automatic", False)),
            )
        )
    if not ladder:
        raise InvalidInput(f"{SECTION}.ladder: needs at least one step")
    one_incident = bool(params.get("one_incident_per_report", False))
    terms = AbuseTerms(
        clause=str(_required(params, "clause", str)),
        categories=tuple(categories),
        ladder=tuple(ladder),
        corrective_action_days=int(_required(params, "corrective_action_days", int)),
        corrective_action_clause=str(_required(params, "corrective_action_days_clause", str)),
        customer_notice_clause=str(_required(params, "customer_notice_clause", str)),
        spam_needs_full_headers=bool(params.get("spam_needs_full_headers", False)),
        full_headers_clause=_needed_with(
            params, "spam_needs_full_headers", "spam_needs_full_headers_clause"
        ),
        one_incident_per_report=one_incident,
        one_incident_clause=_needed_with(
            params, "one_incident_per_report", "one_incident_per_report_clause"
        ),
        firewall_log_max_lines=(
            int(_required(params, "firewall_log_max_lines", int))
            if one_incident
            else _optional(params, "firewall_log_max_lines", int)
        ),
        acknowledge_reports=bool(params.get("acknowledge_reports", False)),
        acknowledgement_clause=_needed_with(
            params, "acknowledge_reports", "acknowledge_reports_clause"
        ),
        reporter_confidential=bool(params.get("reporter_confidential", True)),
        reporter_confidential_clause=_needed_with(
            params, "reporter_confidential", "reporter_confidential_clause"
        ),
        repeat_offender_cases=_optional(params, "repeat_offender_cases", int),
        repeat_offender_window_days=_optional(params, "repeat_offender_window_days", int),
        repeat_offender_starts_at=_optional(params, "repeat_offender_starts_at", str),
        repeat_offender_clause=_optional(params, "repeat_offenders_escalate_clause", str),
        terminate_without_notice_for=frozenset(
            str(key) for key in (_optional(params, "terminate_without_notice_for", list) or [])
        ),
        terminate_without_notice_clause=_optional(
            params, "terminate_without_notice_for_clause", str
        ),
        termination_needs_no_response=bool(params.get("termination_needs_no_response", False)),
        termination_needs_no_response_clause=_needed_with(
            params, "termination_needs_no_response", "termination_needs_no_response_clause"
        ),
        disclosure_legal_bases=tuple(
            str(basis) for basis in (_optional(params, "disclosure_legal_bases", list) or [])
        ),
        disclosure_clause=_optional(params, "disclosure_clause", str),
    )
    if terms.repeat_offender_starts_at is not None:
        terms.step_index(terms.repeat_offender_starts_at)
    keys = [c.key for c in terms.categories]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise InvalidInput(f"{SECTION}.categories: {', '.join(duplicated)} listed twice")
    return terms


@dataclass(frozen=True)
class EvidenceVerdict:
    status: str
    reason: str = ""
    clause: str | None = None


def evidence_verdict(
    terms: AbuseTerms, *, category: str, full_headers: bool, log_lines: int
) -> EvidenceVerdict:
    """Is the report enough to act on?

    A spam report needs the full headers of the offending message
    (plusnet-business/abuse-faq#full-headers, plugin/aup#6-reporting); a report should
    describe one incident rather than forward a whole firewall log
    (plusnet-business/abuse-faq#separate-instances), so more log lines than the catalogue's
    limit mark it as several incidents. A category the brand does not list cannot be acted
    on until staff classify it.
    """
    if not category or terms.category(category) is None:
        shown = repr(category) if category else "none"
        return EvidenceVerdict(UNCLASSIFIED, f"category {shown} is not one of the brand's")
    if category == SPAM and terms.spam_needs_full_headers and not full_headers:
        return EvidenceVerdict(
            NEEDS_HEADERS,
            "a spam report needs the full headers of the message",
            terms.full_headers_clause,
        )
    limit = terms.firewall_log_max_lines
    if terms.one_incident_per_report and limit is not None and log_lines > limit:
        return EvidenceVerdict(
            SEVERAL_INCIDENTS,
            f"{log_lines} log lines (more than {limit}): one incident per report",
            terms.one_incident_clause,
        )
    return EvidenceVerdict(SUFFICIENT)


def holders_verdict(account_ids: Sequence[int]) -> tuple[str, int | None]:
    """Who the report is about: exactly one account held the address (and port) at the
    incident time, or the report cannot be resolved (none, or several behind CGNAT)."""
    distinct = sorted(set(account_ids))
    if not distinct:
        return NO_HOLDER, None
    if len(distinct) > 1:
        return SEVERAL_HOLDERS, None
    return RESOLVED, distinct[0]


def is_repeat_offender(
    terms: AbuseTerms, *, earlier_cases_opened: Sequence[datetime], at: datetime
) -> bool:
    """An account with at least the catalogue's count of cases opened within the window
    before `at` is a repeat offender (plusnet-business/abuse-faq#repeat-offenders)."""
    count, window = terms.repeat_offender_cases, terms.repeat_offender_window_days
    if not count or window is None or terms.repeat_offender_starts_at is None:
        return False
    since = at - timedelta(days=window)
    return sum(1 for opened in earlier_cases_opened if since <= opened <= at) >= count


@dataclass(frozen=True)
class StepDecision:
    index: int
    step: str
    clause: str
    reason: str
    reason_clause: str | None = None


def next_step(terms: AbuseTerms, *, taken: int, repeat_offender: bool) -> StepDecision | None:
    """The ladder step to take next: the one after those already taken, warning ->
    suspension until resolved -> termination (plusnet-business/general-terms#6.5,
    plugin/aup#1-corrective-action, plugin/aup#6). A repeat offender's case skips to the
    catalogue's starting step (plusnet-business/abuse-faq#repeat-offenders). None once the
    ladder is exhausted."""
    if taken >= len(terms.ladder):
        return None
    index, reason, reason_clause = taken, "next step on the ladder", None
    if repeat_offender and terms.repeat_offender_starts_at is not None:
        start = terms.step_index(terms.repeat_offender_starts_at)
        if start > index:
            index = start
            reason, reason_clause = "repeat offender", terms.repeat_offender_clause
    rung = terms.ladder[index]
    return StepDecision(index, rung.step, rung.clause, reason, reason_clause)


def step_decision(
    terms: AbuseTerms,
    *,
    taken: int,
    target: str,
    category: str,
    repeat_offender: bool,
    time_frame_passed_unanswered: bool,
) -> StepDecision:
    """Check a ladder step staff choose, and say which clause allows it.

    Steps only go forward. Skipping ahead is allowed to a repeat offender's starting step
    and, for categories the terms terminate without notice (plugin/general-terms#rule-2),
    straight to termination. Where the terms promise no termination without first trying
    to reach the customer (plugin/general-terms#rule-7), termination needs a time frame
    that passed without an answer.
    """
    target_index = terms.step_index(target)
    if target_index < taken:
        raise TransitionNotAllowed(f"the {target} step has already been taken on this case")
    natural = next_step(terms, taken=taken, repeat_offender=repeat_offender)
    if natural is None:
        raise TransitionNotAllowed("every step of the ladder has been taken on this case")
    rung = terms.ladder[target_index]
    immediate = rung.step == TERMINATION and category in terms.terminate_without_notice_for
    if immediate:
        return StepDecision(
            target_index,
            rung.step,
            rung.clause,
            "terminated without notice for this category",
            terms.terminate_without_notice_clause,
        )
    if target_index > natural.index:
        raise TransitionNotAllowed(f"the next step on this case is {natural.step}, not {target}")
    if (
        rung.step == TERMINATION
        and terms.termination_needs_no_response
        and not time_frame_passed_unanswered
    ):
        raise TransitionNotAllowed(
            "termination needs a time frame that passed without an answer from the customer "
            f"({terms.termination_needs_no_response_clause})"
        )
    return natural


def automatic_step_due(
    terms: AbuseTerms,
    *,
    taken: int,
    deadline: datetime | None,
    now: datetime,
    answered_since_last_step: bool,
    repeat_offender: bool,
) -> StepDecision | None:
    """The step the daily job takes by itself: when the time frame for corrective action has
    passed with no answer and the catalogue marks the next step automatic ("If no corrective
    actions are taken, PlugIn.co.uk Limited will suspend the services",
    plugin/aup#1-corrective-action)."""
    if deadline is None or now < deadline or answered_since_last_step:
        return None
    decision = next_step(terms, taken=taken, repeat_offender=repeat_offender)
    if decision is None or not terms.ladder[decision.index].automatic:
        return None
    return decision


def corrective_deadline(terms: AbuseTerms, *, step: str, at: datetime) -> datetime | None:
    """When corrective action is due after a step: a warning gives the catalogue's time frame
    (plusnet-business/general-terms#6.5(a), plugin/aup#1-corrective-action); a suspension
    lasts until resolved and a termination ends the matter, so neither has one."""
    if step != WARNING:
        return None
    return at + timedelta(days=terms.corrective_action_days)


def disclosure_clause(terms: AbuseTerms, *, authority: str, legal_basis: str) -> str:
    """The clause a disclosure to an authority rests on; refused without a legal basis the
    terms accept (plugin/general-terms#rule-3, plusnet-business/business-phone-schedule#5.6)."""
    if terms.disclosure_clause is None or not terms.disclosure_legal_bases:
        raise InvalidInput("the brand's terms do not provide for disclosure to authorities")
    if not authority.strip():
        raise InvalidInput("authority: say who the information goes to")
    if legal_basis not in terms.disclosure_legal_bases:
        raise InvalidInput(
            f"legal_basis: must be one of {', '.join(terms.disclosure_legal_bases)}, "
            f"not {legal_basis!r}"
        )
    return terms.disclosure_clause


HOURS = Decimal("0.01")


@dataclass(frozen=True)
class FirstActionSummary:
    cases: int
    acted: int
    median_hours: Decimal | None
    mean_hours: Decimal | None


def first_action_summary(
    waits: Sequence[timedelta | None],
) -> FirstActionSummary:
    """Time from opening a case to its first action, in hours to two places (half-even);
    cases not yet acted on count as cases but not in the times."""
    acted = sorted(w for w in waits if w is not None)
    if not acted:
        return FirstActionSummary(len(waits), 0, None, None)
    hours = [Decimal(int(w.total_seconds())) / 3600 for w in acted]
    middle = len(hours) // 2
    median = hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2
    mean = sum(hours, Decimal(0)) / len(hours)
    return FirstActionSummary(
        cases=len(waits),
        acted=len(acted),
        median_hours=median.quantize(HOURS, rounding=ROUND_HALF_EVEN),
        mean_hours=mean.quantize(HOURS, rounding=ROUND_HALF_EVEN),
    )
