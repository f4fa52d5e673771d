"""Cases: one open case per (account, category), the escalation ladder, and staff work.

Every ladder step cites its clause, sends the customer a notice and records the
subscriptions it changed; a suspension lasts until the case is resolved.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from backhaul.abuse import rules
from backhaul.abuse.choices import ActionKind, CaseStatus, Evidence, ReportStatus, Resolution
from backhaul.abuse.models import Case, CaseAction, CaseNote, CustomerAnswer, Report
from backhaul.abuse.selectors import abuse_terms_for, answered_since
from backhaul.abuse.services import texts
from backhaul.abuse.services.bulk import rows_insert
from backhaul.catalogue.models import Brand, Clause
from backhaul.catalogue.selectors import clause_get
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription, SubscriptionEvent
from backhaul.contracts.services import subscription_transition
from backhaul.core.errors import InvalidInput, NotFound, TransitionNotAllowed
from backhaul.customers.models import Account
from backhaul.customers.services import account_get
from backhaul.network.selectors import ip_holders_at
from backhaul.notices.services import notice_send

ANSWER_LIMIT = 5000
SUSPENSION_REASON = "abuse case "
NOTE_LIMIT = 10000
DESK = "abuse desk"


def _terms(brand_id: int) -> rules.AbuseTerms:
    return abuse_terms_for(Brand.objects.get(pk=brand_id))


@dataclass
class CaseTally:
    """The open case for each wanted (account, category), and how it came to be open."""

    ids: dict[tuple[int, str], int] = field(default_factory=dict)
    existing: set[tuple[int, str]] = field(default_factory=set)
    created: int = 0
    reopened: int = 0

    def count_reports(self, counts: Counter[int], *, at: datetime) -> None:
        """Add each case's new reports to its count: one update per distinct increment."""
        by_increment: dict[int, list[int]] = defaultdict(list)
        for case_id, added in counts.items():
            by_increment[added].append(case_id)
        for added, case_ids in by_increment.items():
            Case.objects.filter(pk__in=case_ids).update(
                reports_count=F("reports_count") + added, last_report_at=at
            )


def open_cases_for(
    *,
    wanted: dict[tuple[int, str], int],
    now: datetime,
    actor: str,
    terms_of: Callable[[int], rules.AbuseTerms | None] | None = None,
) -> CaseTally:
    """The open case of each (account, category) in `wanted` (mapped to the account's brand):
    the one already open, else the latest resolved one reopened, else a new one. A new case
    of a repeat offender is marked so its ladder starts further up. `terms_of` gives a
    brand's abuse terms when the caller has them at hand. Call inside a transaction; a
    concurrent intake that opened the same case first makes this raise IntegrityError (the
    one-open-case constraint), and the caller retries."""
    tally = CaseTally()
    if not wanted:
        return tally
    accounts = {account for account, _ in wanted}
    categories = {category for _, category in wanted}
    for pk, account, category in Case.objects.filter(
        status=CaseStatus.OPEN, account_id__in=accounts, category__in=categories
    ).values_list("pk", "account_id", "category"):
        if (account, category) in wanted:
            tally.ids[(account, category)] = pk
    tally.existing = set(tally.ids)
    missing = [key for key in wanted if key not in tally.ids]
    if not missing:
        return tally
    terms_by_brand = {
        brand: (terms_of(brand) if terms_of else None) or _terms(brand)
        for brand in set(wanted.values())
    }
    resolved = (
        Case.objects.filter(
            status=CaseStatus.RESOLVED,
            account_id__in={account for account, _ in missing},
            category__in={category for _, category in missing},
        )
        .order_by("-resolved_at", "-id")
        .values_list("pk", "account_id", "category")
    )
    for pk, account, category in resolved:
        key = (account, category)
        if key not in wanted or key in tally.ids:
            continue
        if Case.objects.filter(pk=pk, status=CaseStatus.RESOLVED).update(
            status=CaseStatus.OPEN, resolved_at=None, deadline=None
        ):
            tally.ids[key] = pk
            tally.reopened += 1
            CaseAction.objects.create(
                case_id=pk,
                kind=ActionKind.REOPENED,
                at=now,
                actor=actor,
                clause=clause_get(terms_by_brand[wanted[key]].clause),
                detail="a new report arrived",
            )
    new = sorted(key for key in missing if key not in tally.ids)
    if not new:
        return tally
    window = max((t.repeat_offender_window_days or 0 for t in terms_by_brand.values()), default=0)
    earlier: dict[int, list[datetime]] = defaultdict(list)
    for account, opened in (
        Case.objects.filter(
            account_id__in={account for account, _ in new},
            opened_at__gte=now - timedelta(days=window),
        )
        .exclude(status=CaseStatus.MERGED)
        .values_list("account_id", "opened_at")
    ):
        earlier[account].append(opened)
    cases = []
    for account, category in new:
        terms = terms_by_brand[wanted[(account, category)]]
        repeat = rules.is_repeat_offender(terms, earlier_cases_opened=earlier[account], at=now)
        earlier[account].append(now)
        cases.append(
            dict(
                account_id=account,
                category=category,
                status=CaseStatus.OPEN,
                opened_at=now,
                repeat_offender=repeat,
            )
        )
    rows_insert(Case, cases)
    # The one-open-case constraint makes (account, category, open) name each new case.
    opened = set(new)
    for pk, account, category in Case.objects.filter(
        status=CaseStatus.OPEN,
        account_id__in={account for account, _ in new},
        category__in={category for _, category in new},
    ).values_list("pk", "account_id", "category"):
        if (account, category) in opened:
            tally.ids[(account, category)] = pk
    tally.created += len(cases)
    return tally


def _attach(report: Report, *, now: datetime, actor: str) -> Case | None:
    """Put an accepted, resolved, sufficient report on its account's open case."""
    if (
        report.status != ReportStatus.ACCEPTED
        or report.account is None
        or report.evidence_status != Evidence.SUFFICIENT
        or report.case_id is not None
    ):
        return None
    key = (report.account.pk, report.category)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                tally = open_cases_for(wanted={key: report.account.brand_id}, now=now, actor=actor)
                report.case_id = tally.ids[key]
                report.save(update_fields=["case"])
                tally.count_reports(Counter({report.case_id: 1}), at=now)
        except IntegrityError:
            report.case_id = None
            continue
        return Case.objects.get(pk=report.case_id)
    raise TransitionNotAllowed("another change to this account's cases is in progress; try again")


def _report(report_id: int) -> Report:
    try:
        return Report.objects.select_related("account", "message").get(pk=report_id)
    except Report.DoesNotExist:
        raise NotFound(f"unknown report {report_id}") from None


def _check_evidence(report: Report) -> None:
    if report.account is None:
        return
    terms = _terms(report.account.brand_id)
    verdict = rules.evidence_verdict(
        terms,
        category=report.category,
        full_headers=report.full_headers,
        log_lines=report.log_lines,
    )
    report.evidence_status, report.evidence_reason = verdict.status, verdict.reason[:300]


@transaction.atomic
def report_assign(*, report_id: int, account_number: str, now: datetime, actor: str) -> Report:
    """Staff name the account an unresolved report is about."""
    report = _report(report_id)
    if report.status != ReportStatus.ACCEPTED or report.case_id is not None:
        raise TransitionNotAllowed(f"report {report_id} is already on a case or was rejected")
    report.account = account_get(account_number)
    report.resolution = Resolution.ASSIGNED
    _check_evidence(report)
    report.save(update_fields=["account", "resolution", "evidence_status", "evidence_reason"])
    _attach(report, now=now, actor=actor)
    return report


@transaction.atomic
def report_accept(*, report_id: int, now: datetime, actor: str) -> Report:
    """Staff judge a report's evidence enough to act on (headers sent later, one incident
    picked out of a log)."""
    report = _report(report_id)
    if report.status != ReportStatus.ACCEPTED:
        raise TransitionNotAllowed(f"report {report_id} was rejected: {report.reason}")
    if (
        report.account is not None
        and _terms(report.account.brand_id).category(report.category) is None
    ):
        raise InvalidInput(f"report {report_id}: give it one of the brand's categories first")
    report.evidence_status = Evidence.SUFFICIENT
    report.evidence_reason = f"accepted by {actor or 'staff'}"[:300]
    report.save(update_fields=["evidence_status", "evidence_reason"])
    _attach(report, now=now, actor=actor)
    return report


@transaction.atomic
def report_classify(*, report_id: int, category: str, now: datetime, actor: str) -> Report:
    """Staff give a report its category (one of its account's brand's categories)."""
    report = _report(report_id)
    if report.case_id is not None:
        raise TransitionNotAllowed(f"report {report_id} is already on case C{report.case_id}")
    brand_id = report.account.brand_id if report.account else report.message.brand_id
    if brand_id is not None and _terms(brand_id).category(category) is None:
        known = ", ".join(c.key for c in _terms(brand_id).categories)
        raise InvalidInput(f"category: must be one of {known}, not {category!r}")
    report.category = category
    if report.evidence_status == Evidence.UNCLASSIFIED:
        report.evidence_status = Evidence.UNCHECKED
    _check_evidence(report)
    report.save(update_fields=["category", "evidence_status", "evidence_reason"])
    _attach(report, now=now, actor=actor)
    return report


def reports_resolve_again(*, report_ids: Iterable[int], now: datetime, actor: str) -> int:
    """Look unresolved reports up in the IP history again (after it was filled in, say);
    returns how many now resolve to an account."""
    resolved = 0
    for report in Report.objects.filter(
        pk__in=list(report_ids),
        status=ReportStatus.ACCEPTED,
        resolution__in=[Resolution.NO_HOLDER, Resolution.SEVERAL_HOLDERS],
    ):
        assert report.ip is not None and report.incident_at is not None
        holders = ip_holders_at(ip=report.ip, at=report.incident_at, port=report.port)
        outcome, account_id = rules.holders_verdict([h.account_id for h in holders])
        with transaction.atomic():
            report.resolution = outcome
            report.account = Account.objects.get(pk=account_id) if account_id else None
            _check_evidence(report)
            report.save(
                update_fields=["resolution", "account", "evidence_status", "evidence_reason"]
            )
            if account_id:
                resolved += 1
                _attach(report, now=now, actor=actor)
    return resolved


@transaction.atomic
def report_release_reporter(*, report_id: int, now: datetime, actor: str) -> Report:
    """Show the reporter's identity to the customer on this report, and record who did."""
    report = _report(report_id)
    if report.case_id is None:
        raise TransitionNotAllowed(f"report {report_id} is not on a case")
    case = Case.objects.select_related("account").get(pk=report.case_id)
    terms = _terms(case.account.brand_id)
    report.reporter_released = True
    report.save(update_fields=["reporter_released"])
    CaseAction.objects.create(
        case=case,
        kind=ActionKind.REPORTER_RELEASED,
        at=now,
        actor=actor,
        clause=clause_get(terms.reporter_confidential_clause or terms.clause),
        detail=f"report R{report.pk}",
    )
    return report


def _case(case_id: int, *, lock: bool = True) -> Case:
    cases = Case.objects.select_related("account", "account__brand")
    if lock:
        cases = cases.select_for_update(of=("self",))
    try:
        return cases.get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound(f"unknown case {case_id}") from None


def _time_frame_passed_unanswered(case: Case, now: datetime) -> bool:
    warning = (
        CaseAction.objects.filter(case=case, kind=ActionKind.WARNING, deadline__isnull=False)
        .order_by("-at")
        .first()
    )
    if warning is None or warning.deadline is None or warning.deadline > now:
        return False
    return not answered_since(case, warning.at)


def _breach(terms: rules.AbuseTerms, category: str) -> Clause:
    category_terms = terms.category(category)
    return clause_get(category_terms.clause if category_terms else terms.clause)


def _change_subscriptions(
    case: Case, *, step: str, clause: str, now: datetime, actor: str
) -> list[int]:
    if step == rules.SUSPENSION:
        target, current = SubscriptionStatus.SUSPENDED, [SubscriptionStatus.ACTIVE]
    elif step == rules.TERMINATION:
        target = SubscriptionStatus.CEASED
        current = [SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED]
    else:
        return []
    changed = []
    for pk in Subscription.objects.filter(account=case.account, status__in=current).values_list(
        "pk", flat=True
    ):
        subscription_transition(
            subscription_id=pk,
            to=target,
            at=now,
            reason=f"{SUSPENSION_REASON}{case.reference} ({case.category}): {clause}"[:300],
            actor=actor or DESK,
        )
        changed.append(pk)
    return changed


def _apply_step(
    case: Case,
    terms: rules.AbuseTerms,
    decision: rules.StepDecision,
    *,
    now: datetime,
    actor: str,
) -> CaseAction:
    deadline = rules.corrective_deadline(terms, step=decision.step, at=now)
    changed = _change_subscriptions(
        case, step=decision.step, clause=decision.clause, now=now, actor=actor
    )
    detail = decision.reason + (f" ({decision.reason_clause})" if decision.reason_clause else "")
    action = CaseAction.objects.create(
        case=case,
        kind=decision.step,
        at=now,
        actor=actor or DESK,
        clause=clause_get(decision.clause),
        detail=detail[:500],
        deadline=deadline,
        subscriptions=changed,
    )
    following = terms.ladder[decision.index + 1] if decision.index + 1 < len(terms.ladder) else None
    reports = list(
        Report.objects.filter(case=case, status=ReportStatus.ACCEPTED).order_by("incident_at")
    )
    subject, body = texts.step_notice(
        case=case,
        step=decision.step,
        breach=_breach(terms, case.category),
        reports=reports,
        deadline=deadline,
        next_clause=following.clause if following else None,
        next_step=following.step if following else None,
    )
    action.notice = notice_send(
        key=f"abuse:case:{case.pk}:action:{action.pk}",
        kind=f"abuse.{decision.step}",
        account=case.account,
        subject=subject,
        body=body,
        clause_id=decision.clause,
        now=now,
    )
    action.save(update_fields=["notice"])
    case.steps_taken = decision.index + 1
    case.step = decision.step
    case.deadline = deadline
    case.first_action_at = case.first_action_at or now
    fields = ["steps_taken", "step", "deadline", "first_action_at"]
    if decision.step == rules.TERMINATION:
        case.status, case.resolved_at = CaseStatus.CLOSED, now
        fields += ["status", "resolved_at"]
    case.save(update_fields=fields)
    return action


@transaction.atomic
def case_take_step(
    *, case_id: int, now: datetime, actor: str, step: str | None = None
) -> CaseAction:
    """Take the next step of the brand's ladder on an open case (or the step staff name,
    where the terms allow skipping to it): notify the customer with the clause and the time
    frame, and suspend or end their services where the step says so."""
    case = _case(case_id)
    if case.status != CaseStatus.OPEN:
        raise TransitionNotAllowed(
            f"{case.reference} is {case.status}: only an open case moves up the ladder"
        )
    terms = abuse_terms_for(case.account.brand)
    natural = rules.next_step(terms, taken=case.steps_taken, repeat_offender=case.repeat_offender)
    if natural is None:
        raise TransitionNotAllowed(f"every step of the ladder has been taken on {case.reference}")
    decision = rules.step_decision(
        terms,
        taken=case.steps_taken,
        target=step or natural.step,
        category=case.category,
        repeat_offender=case.repeat_offender,
        time_frame_passed_unanswered=_time_frame_passed_unanswered(case, now),
    )
    return _apply_step(case, terms, decision, now=now, actor=actor)


def _still_suspending(case: Case) -> bool:
    """Whether an open case holds the account's services suspended: its latest suspension
    (its own or a merged case's) came after it was last resolved."""
    cases = [case.pk, *case.merged_cases.values_list("pk", flat=True)]
    actions = CaseAction.objects.filter(case__in=cases).order_by("-at", "-id")
    suspended = actions.filter(kind=ActionKind.SUSPENSION).first()
    resolved = actions.filter(case=case, kind=ActionKind.RESOLVED).first()
    return suspended is not None and (
        resolved is None or (suspended.at, suspended.pk) > (resolved.at, resolved.pk)
    )


def _suspended_by_the_desk(account: Account) -> list[int]:
    """The account's subscriptions whose current suspension the abuse desk made (not, say,
    dunning's)."""
    found = []
    for subscription in Subscription.objects.filter(
        account=account, status=SubscriptionStatus.SUSPENDED
    ):
        latest = (
            SubscriptionEvent.objects.filter(
                subscription=subscription, to_status=SubscriptionStatus.SUSPENDED
            )
            .order_by("-at", "-id")
            .first()
        )
        if latest is not None and latest.reason.startswith(SUSPENSION_REASON):
            found.append(subscription.pk)
    return found


@transaction.atomic
def case_resolve(*, case_id: int, now: datetime, actor: str, note: str = "") -> Case:
    """Close an open case as resolved, and reinstate the services its suspension stopped
    (unless another open case of the account still holds them suspended)."""
    case = _case(case_id)
    if case.status != CaseStatus.OPEN:
        raise TransitionNotAllowed(f"{case.reference} is {case.status}, not open")
    terms = abuse_terms_for(case.account.brand)
    # Services stay suspended while another open case of the account is at suspension.
    still_suspending = any(
        _still_suspending(other)
        for other in Case.objects.filter(account=case.account, status=CaseStatus.OPEN).exclude(
            pk=case.pk
        )
    )
    reinstate = [] if still_suspending else _suspended_by_the_desk(case.account)
    suspension_clause = next(
        (rung.clause for rung in terms.ladder if rung.step == rules.SUSPENSION), terms.clause
    )
    for pk in reinstate:
        subscription_transition(
            subscription_id=pk,
            to=SubscriptionStatus.ACTIVE,
            at=now,
            reason=f"abuse case {case.reference} resolved",
            actor=actor or DESK,
        )
    CaseAction.objects.create(
        case=case,
        kind=ActionKind.RESOLVED,
        at=now,
        actor=actor or DESK,
        clause=clause_get(suspension_clause if reinstate else terms.clause),
        detail=note[:500],
    )
    if reinstate:
        action = CaseAction.objects.create(
            case=case,
            kind=ActionKind.REINSTATEMENT,
            at=now,
            actor=actor or DESK,
            clause=clause_get(suspension_clause),
            subscriptions=reinstate,
        )
        subject, body = texts.reinstatement(case=case)
        action.notice = notice_send(
            key=f"abuse:case:{case.pk}:action:{action.pk}",
            kind="abuse.reinstatement",
            account=case.account,
            subject=subject,
            body=body,
            clause_id=suspension_clause,
            now=now,
        )
        action.save(update_fields=["notice"])
    if note.strip():
        CaseNote.objects.create(case=case, text=note.strip()[:NOTE_LIMIT], actor=actor, at=now)
    case.status, case.resolved_at, case.deadline = CaseStatus.RESOLVED, now, None
    case.first_action_at = case.first_action_at or now
    case.save(update_fields=["status", "resolved_at", "deadline", "first_action_at"])
    return case


@transaction.atomic
def case_reopen(*, case_id: int, now: datetime, actor: str) -> Case:
    case = _case(case_id)
    if case.status != CaseStatus.RESOLVED:
        raise TransitionNotAllowed(
            f"{case.reference} is {case.status}; only a resolved case reopens"
        )
    other = (
        Case.objects.filter(account=case.account, category=case.category, status=CaseStatus.OPEN)
        .exclude(pk=case.pk)
        .first()
    )
    if other is not None:
        raise TransitionNotAllowed(
            f"{case.account.number} already has an open {case.category} case "
            f"{other.reference}; merge instead"
        )
    terms = abuse_terms_for(case.account.brand)
    case.status, case.resolved_at = CaseStatus.OPEN, None
    case.save(update_fields=["status", "resolved_at"])
    CaseAction.objects.create(
        case=case,
        kind=ActionKind.REOPENED,
        at=now,
        actor=actor or DESK,
        clause=clause_get(terms.clause),
        detail="reopened by staff",
    )
    return case


def cases_set_status(
    *, case_ids: Iterable[int], status: str, now: datetime, actor: str
) -> tuple[int, list[str]]:
    """Bulk status change from the console: each case on its own, so one refusal does not
    stop the rest; returns how many changed and why the others did not."""
    if status not in (CaseStatus.RESOLVED, CaseStatus.OPEN):
        raise InvalidInput(f"status: cases are set to resolved or open in bulk, not {status!r}")
    changed, refused = 0, []
    for case_id in case_ids:
        try:
            if status == CaseStatus.RESOLVED:
                case_resolve(case_id=case_id, now=now, actor=actor)
            else:
                case_reopen(case_id=case_id, now=now, actor=actor)
        except (TransitionNotAllowed, NotFound) as exc:
            refused.append(str(exc))
            continue
        changed += 1
    return changed, refused


@transaction.atomic
def case_merge(*, case_ids: Iterable[int], into_id: int, now: datetime, actor: str) -> Case:
    """Merge cases of one account into one: their reports move to it, the ladder position
    is the furthest reached, and the merged cases stay as history pointing at it."""
    target = _case(into_id)
    sources = [_case(pk) for pk in sorted(set(case_ids) - {into_id})]
    if not sources:
        raise InvalidInput("choose at least two cases to merge")
    for case in [target, *sources]:
        if case.status == CaseStatus.MERGED:
            raise TransitionNotAllowed(f"{case.reference} was already merged")
        if case.account_id != target.account_id:
            raise InvalidInput(
                f"{case.reference} is about {case.account.number}, not {target.account.number}: "
                "only one account's cases merge"
            )
    if target.status != CaseStatus.OPEN and any(c.status == CaseStatus.OPEN for c in sources):
        raise TransitionNotAllowed(f"merge open cases into an open case, not {target.reference}")
    terms = abuse_terms_for(target.account.brand)
    clause = clause_get(terms.clause)
    moved = Report.objects.filter(case__in=sources).update(case=target)
    for case in sources:
        if case.steps_taken > target.steps_taken:
            target.steps_taken, target.step = case.steps_taken, case.step
            target.deadline = case.deadline
        target.repeat_offender = target.repeat_offender or case.repeat_offender
        target.opened_at = min(target.opened_at, case.opened_at)
        firsts = [t for t in (target.first_action_at, case.first_action_at) if t is not None]
        target.first_action_at = min(firsts) if firsts else None
        case.status, case.merged_into = CaseStatus.MERGED, target
        case.resolved_at = case.resolved_at or now
        case.save(update_fields=["status", "merged_into", "resolved_at"])
        CaseAction.objects.create(
            case=case,
            kind=ActionKind.MERGED,
            at=now,
            actor=actor or DESK,
            clause=clause,
            detail=f"merged into {target.reference}",
        )
    target.reports_count = Report.objects.filter(case=target).count()
    target.save()
    CaseAction.objects.create(
        case=target,
        kind=ActionKind.MERGED,
        at=now,
        actor=actor or DESK,
        clause=clause,
        detail=f"merged in {', '.join(c.reference for c in sources)} ({moved} reports)"[:500],
    )
    return target


def case_note_add(*, case_id: int, text: str, now: datetime, actor: str) -> CaseNote:
    """A staff note: kept apart from the notices the customer receives."""
    if not text.strip():
        raise InvalidInput("note: must not be empty")
    case = _case(case_id, lock=False)
    return CaseNote.objects.create(case=case, text=text.strip()[:NOTE_LIMIT], actor=actor, at=now)


@transaction.atomic
def case_disclose(
    *,
    case_id: int,
    authority: str,
    legal_basis: str,
    reference: str,
    detail: str,
    now: datetime,
    actor: str,
) -> CaseAction:
    """Record a disclosure to an authority with its legal basis; refused without a basis
    the brand's terms accept."""
    case = _case(case_id)
    terms = abuse_terms_for(case.account.brand)
    clause = rules.disclosure_clause(terms, authority=authority, legal_basis=legal_basis)
    action = CaseAction.objects.create(
        case=case,
        kind=ActionKind.DISCLOSURE,
        at=now,
        actor=actor or DESK,
        clause=clause_get(clause),
        detail=detail.strip()[:500],
        authority=authority.strip()[:200],
        legal_basis=legal_basis,
        authority_reference=reference.strip()[:100],
    )
    case.first_action_at = case.first_action_at or now
    case.save(update_fields=["first_action_at"])
    return action


def case_answer(
    *, account: Account, case_id: int, text: str, now: datetime, user_id: int | None
) -> CustomerAnswer:
    """The customer's answer to a case, from the Member Centre (their own cases only)."""
    case = (
        Case.objects.filter(account=account, pk=case_id).exclude(status=CaseStatus.MERGED).first()
    )
    if case is None:
        raise NotFound(f"unknown case {case_id}")
    text = text.strip()
    if not text:
        raise InvalidInput("answer: must not be empty")
    if len(text) > ANSWER_LIMIT:
        raise InvalidInput(f"answer: at most {ANSWER_LIMIT} characters")
    return CustomerAnswer.objects.create(case=case, text=text, user_id=user_id, at=now)


def cases_escalate_due(*, now: datetime) -> dict[str, int]:
    """The daily job: take the ladder's automatic step on open cases whose time frame for
    corrective action has passed without an answer. Replaying changes nothing: a step once
    taken moves the case on."""
    checked = taken = 0
    for case_id in (
        Case.objects.filter(status=CaseStatus.OPEN, deadline__lte=now)
        .order_by("deadline", "id")
        .values_list("pk", flat=True)
    ):
        checked += 1
        with transaction.atomic():
            case = _case(case_id)
            if case.status != CaseStatus.OPEN or case.deadline is None:
                continue
            terms = abuse_terms_for(case.account.brand)
            last = (
                CaseAction.objects.filter(case=case, kind__in=rules.STEPS).order_by("-at").first()
            )
            decision = rules.automatic_step_due(
                terms,
                taken=case.steps_taken,
                deadline=case.deadline,
                now=now,
                answered_since_last_step=answered_since(case, last.at if last else None),
                repeat_offender=case.repeat_offender,
            )
            if decision is None:
                continue
            _apply_step(case, terms, decision, now=now, actor="backhaul tick")
            taken += 1
    return {"cases_checked": checked, "steps_taken": taken}
