"""Abuse desk rules, against both brands' catalogue sections (no database)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.abuse import rules
from backhaul.abuse.choices import Category, Step
from backhaul.abuse.parsers.categories import CATEGORIES
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from tests.conftest import PLUGIN, PLUSNET

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def section(path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["rules"]["abuse"]


PLUSNET_TERMS = rules.abuse_terms(section(PLUSNET))
PLUGIN_TERMS = rules.abuse_terms(section(PLUGIN))


@pytest.mark.parametrize("terms", [PLUSNET_TERMS, PLUGIN_TERMS])
def test_every_brand_covers_the_categories_intake_maps_to(terms) -> None:
    keys = {category.key for category in terms.categories}
    assert set(CATEGORIES) <= keys
    assert set(Category.values) == set(CATEGORIES)
    assert [rung.step for rung in terms.ladder] == [Step.WARNING, Step.SUSPENSION, Step.TERMINATION]
    assert not terms.category("security-vulnerability").against_customer


def test_catalogue_numbers_are_read_as_given() -> None:
    # Plusnet: 7 days to put things right (example value, general-terms#6.5(a));
    # 3 cases in 365 days make a repeat offender who starts at suspension (examples).
    assert PLUSNET_TERMS.corrective_action_days == 7
    assert PLUSNET_TERMS.corrective_action_clause == "plusnet-business/general-terms#6.5(a)"
    assert (
        PLUSNET_TERMS.repeat_offender_cases,
        PLUSNET_TERMS.repeat_offender_window_days,
        PLUSNET_TERMS.repeat_offender_starts_at,
    ) == (3, 365, "suspension")
    assert PLUSNET_TERMS.firewall_log_max_lines == 10
    assert PLUGIN_TERMS.terminate_without_notice_for == frozenset({"spam", "illegal-content"})
    assert PLUGIN_TERMS.disclosure_legal_bases == ("legal-right", "court-order")
    assert PLUGIN_TERMS.ladder[1].automatic and not PLUSNET_TERMS.ladder[1].automatic


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"categories": None}, "rules.abuse.categories: required"),
        ({"categories": [{"key": "spam"}]}, "rules.abuse.categories[0]: needs a key and a clause"),
        ({"ladder": []}, "rules.abuse.ladder: needs at least one step"),
        (
            {"ladder": [{"step": "fine", "clause": "x/y#1"}]},
            "rules.abuse.ladder[0]: needs a step (one of warning, suspension, termination) "
            "and a clause",
        ),
        (
            {"corrective_action_days": "7"},
            "rules.abuse.corrective_action_days: must be a whole number, not '7'",
        ),
        (
            {"spam_needs_full_headers_clause": None},
            "rules.abuse.spam_needs_full_headers_clause: required",
        ),
        ({"repeat_offender_starts_at": "probation"}, "rules.abuse.ladder: has no 'probation' step"),
    ],
)
def test_a_section_that_cannot_drive_the_desk_says_where(change, message) -> None:
    params = {**section(PLUSNET), **change}
    with pytest.raises(InvalidInput) as caught:
        rules.abuse_terms(params)
    assert str(caught.value) == message


def test_spam_without_full_headers_needs_them() -> None:
    verdict = rules.evidence_verdict(
        PLUSNET_TERMS, category="spam", full_headers=False, log_lines=0
    )
    assert verdict == rules.EvidenceVerdict(
        "needs-headers",
        "a spam report needs the full headers of the message",
        "plusnet-business/abuse-faq#full-headers",
    )
    assert rules.evidence_verdict(
        PLUSNET_TERMS, category="spam", full_headers=True, log_lines=0
    ) == rules.EvidenceVerdict("sufficient")
    # Headers are only asked for spam.
    assert (
        rules.evidence_verdict(
            PLUSNET_TERMS, category="port-scan", full_headers=False, log_lines=0
        ).status
        == "sufficient"
    )


def test_a_pasted_firewall_log_is_several_incidents_where_the_terms_say_so() -> None:
    # Plusnet: more than 10 log lines is a log, not an incident (abuse-faq#separate-instances).
    at_limit = rules.evidence_verdict(
        PLUSNET_TERMS, category="intrusion-attempt", full_headers=False, log_lines=10
    )
    over = rules.evidence_verdict(
        PLUSNET_TERMS, category="intrusion-attempt", full_headers=False, log_lines=11
    )
    assert at_limit.status == "sufficient"
    assert (over.status, over.clause) == (
        "several-incidents",
        "plusnet-business/abuse-faq#separate-instances",
    )
    # PlugIn's terms do not ask for one incident per report.
    assert (
        rules.evidence_verdict(
            PLUGIN_TERMS, category="intrusion-attempt", full_headers=False, log_lines=500
        ).status
        == "sufficient"
    )


def test_an_unknown_category_waits_for_staff() -> None:
    assert (
        rules.evidence_verdict(PLUSNET_TERMS, category="", full_headers=True, log_lines=0).status
        == "unclassified"
    )
    assert (
        rules.evidence_verdict(
            PLUGIN_TERMS, category="offensive-calls", full_headers=True, log_lines=0
        ).status
        == "unclassified"
    )


@given(st.lists(st.integers(min_value=1, max_value=5), max_size=6))
def test_exactly_one_holder_resolves(account_ids) -> None:
    outcome, account = rules.holders_verdict(account_ids)
    if len(set(account_ids)) == 1:
        assert (outcome, account) == ("resolved", account_ids[0])
    else:
        assert account is None
        assert outcome == ("no-holder" if not account_ids else "several-holders")


def test_repeat_offender_counts_cases_inside_the_window() -> None:
    window_start = NOW - timedelta(days=365)
    two_inside = [NOW - timedelta(days=10), NOW - timedelta(days=364)]
    assert not rules.is_repeat_offender(
        PLUSNET_TERMS,
        earlier_cases_opened=[*two_inside, window_start - timedelta(seconds=1)],
        at=NOW,
    )
    assert rules.is_repeat_offender(
        PLUSNET_TERMS, earlier_cases_opened=[*two_inside, window_start], at=NOW
    )


def test_ladder_goes_up_one_step_at_a_time() -> None:
    first = rules.next_step(PLUSNET_TERMS, taken=0, repeat_offender=False)
    assert first == rules.StepDecision(
        0, "warning", "plusnet-business/general-terms#6.5(a)", "next step on the ladder"
    )
    assert rules.next_step(PLUSNET_TERMS, taken=1, repeat_offender=False).step == "suspension"
    assert rules.next_step(PLUSNET_TERMS, taken=3, repeat_offender=False) is None


def test_repeat_offender_skips_to_the_catalogue_step() -> None:
    decision = rules.next_step(PLUSNET_TERMS, taken=0, repeat_offender=True)
    assert (decision.step, decision.clause, decision.reason_clause) == (
        "suspension",
        "plusnet-business/general-terms#6.5(b)",
        "plusnet-business/abuse-faq#repeat-offenders",
    )
    # Already past the starting step: just the next one.
    assert rules.next_step(PLUSNET_TERMS, taken=2, repeat_offender=True).step == "termination"


@given(st.integers(min_value=0, max_value=5), st.booleans())
def test_next_step_never_goes_back_or_off_the_ladder(taken, repeat) -> None:
    decision = rules.next_step(PLUSNET_TERMS, taken=taken, repeat_offender=repeat)
    if taken >= len(PLUSNET_TERMS.ladder):
        assert decision is None
    else:
        assert taken <= decision.index < len(PLUSNET_TERMS.ladder)


def test_staff_cannot_skip_steps_the_terms_do_not_let_them_skip() -> None:
    with pytest.raises(TransitionNotAllowed, match="the next step on this case is warning"):
        rules.step_decision(
            PLUSNET_TERMS,
            taken=0,
            target="suspension",
            category="port-scan",
            repeat_offender=False,
            time_frame_passed_unanswered=False,
        )
    with pytest.raises(TransitionNotAllowed, match="already been taken"):
        rules.step_decision(
            PLUSNET_TERMS,
            taken=2,
            target="warning",
            category="port-scan",
            repeat_offender=False,
            time_frame_passed_unanswered=False,
        )


def test_plugin_terminates_spam_without_notice_but_others_only_after_no_response() -> None:
    immediate = rules.step_decision(
        PLUGIN_TERMS,
        taken=0,
        target="termination",
        category="spam",
        repeat_offender=False,
        time_frame_passed_unanswered=False,
    )
    assert (immediate.step, immediate.reason_clause) == (
        "termination",
        "plugin/general-terms#rule-2",
    )
    with pytest.raises(TransitionNotAllowed, match="plugin/general-terms#rule-7"):
        rules.step_decision(
            PLUGIN_TERMS,
            taken=2,
            target="termination",
            category="port-scan",
            repeat_offender=False,
            time_frame_passed_unanswered=False,
        )
    allowed = rules.step_decision(
        PLUGIN_TERMS,
        taken=2,
        target="termination",
        category="port-scan",
        repeat_offender=False,
        time_frame_passed_unanswered=True,
    )
    assert allowed.clause == "plugin/aup#6"


def test_automatic_step_only_after_the_time_frame_passed_unanswered() -> None:
    deadline = NOW - timedelta(minutes=1)
    due = rules.automatic_step_due(
        PLUGIN_TERMS,
        taken=1,
        deadline=deadline,
        now=NOW,
        answered_since_last_step=False,
        repeat_offender=False,
    )
    assert (due.step, due.clause) == ("suspension", "plugin/aup#1-corrective-action")
    for kwargs in (
        {"deadline": NOW + timedelta(minutes=1), "answered_since_last_step": False},
        {"deadline": deadline, "answered_since_last_step": True},
    ):
        assert (
            rules.automatic_step_due(
                PLUGIN_TERMS, taken=1, now=NOW, repeat_offender=False, **kwargs
            )
            is None
        )
    # Plusnet's suspension is staff's decision.
    assert (
        rules.automatic_step_due(
            PLUSNET_TERMS,
            taken=1,
            deadline=deadline,
            now=NOW,
            answered_since_last_step=False,
            repeat_offender=False,
        )
        is None
    )


def test_a_warning_gives_the_catalogue_time_frame() -> None:
    # 7 days from 21 Nov 2026 10:00 UTC.
    assert rules.corrective_deadline(PLUSNET_TERMS, step="warning", at=NOW) == datetime(
        2026, 11, 28, 10, 0, tzinfo=UTC
    )
    assert rules.corrective_deadline(PLUSNET_TERMS, step="suspension", at=NOW) is None


def test_disclosure_needs_a_legal_basis_the_terms_accept() -> None:
    assert (
        rules.disclosure_clause(PLUGIN_TERMS, authority="Police", legal_basis="court-order")
        == "plugin/general-terms#rule-3"
    )
    with pytest.raises(InvalidInput, match="legal_basis: must be one of legal-right, court-order"):
        rules.disclosure_clause(PLUGIN_TERMS, authority="Police", legal_basis="asked-nicely")
    with pytest.raises(InvalidInput, match="authority"):
        rules.disclosure_clause(PLUGIN_TERMS, authority=" ", legal_basis="court-order")


def test_time_to_first_action_summary() -> None:
    waits = [timedelta(hours=1), timedelta(hours=2, minutes=30), None, timedelta(hours=5)]
    summary = rules.first_action_summary(waits)
    # Acted on: 1, 2.5 and 5 hours; median 2.5; mean 8.5 / 3 = 2.8333... -> 2.83.
    assert summary == rules.FirstActionSummary(
        cases=4, acted=3, median_hours=Decimal("2.50"), mean_hours=Decimal("2.83")
    )
    assert rules.first_action_summary([None]) == rules.FirstActionSummary(1, 0, None, None)
