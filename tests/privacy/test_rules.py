"""Pure privacy rules: consent defaults and history, retention schedules, referrals."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.privacy import rules


def test_consent_defaults_from_the_catalogue_list() -> None:
    found = rules.consent_defaults(
        [{"kind": "recommendations", "default": True, "clause": "c#youview"}]
    )
    assert found["recommendations"] == rules.ConsentDefault("recommendations", True, "c#youview")
    # A kind the brand does not list starts off.
    assert found["marketing"].granted is False


def test_unknown_consent_kind_names_its_place() -> None:
    with pytest.raises(InvalidInput, match=r"privacy.consents\[0\].kind: unknown consent 'x'"):
        rules.consent_defaults([{"kind": "x", "clause": "c"}])


@given(st.booleans(), st.lists(st.booleans()))
def test_consent_state_is_the_latest_change_or_the_default(
    default: bool, changes: list[bool]
) -> None:
    expected = changes[-1] if changes else default
    assert rules.consent_state(default, changes) is expected


def test_retention_classes_are_checked() -> None:
    params = {"clause": "c#s", "classes": [{"data_class": "invoices", "keep_months": 72,
                                             "action": "anonymise"}]}  # fmt: skip
    assert rules.retention_classes(params) == [
        rules.RetentionClass("invoices", 72, "anonymise", "c#s")
    ]
    with pytest.raises(InvalidInput, match=r"retention.classes\[0\].keep_months"):
        rules.retention_classes({"classes": [{"data_class": "x", "keep_months": "6"}]})
    with pytest.raises(InvalidInput, match=r"retention.classes\[0\].action"):
        rules.retention_classes(
            {"classes": [{"data_class": "x", "keep_months": 6, "action": "shred"}]}
        )


def test_invoices_kept_six_years() -> None:
    # 72 months back from 2026-03-16 is 2020-03-16: an invoice of 2020-03-15 is past it,
    # one of 2020-03-16 is not.
    cutoff = rules.retention_cutoff(date(2026, 3, 16), 72)
    assert cutoff == date(2020, 3, 16)
    assert date(2020, 3, 15) < cutoff <= date(2020, 3, 16)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(1, 240))
def test_cutoff_is_never_after_the_day(on: date, months: int) -> None:
    assert rules.retention_cutoff(on, months) < on


@pytest.mark.parametrize(
    ("status", "arrears", "eligible"),
    [("open", False, True), ("open", True, False), ("closed", False, False)],
)
def test_referral_eligibility(status: str, arrears: bool, eligible: bool) -> None:
    assert rules.referral_eligible(referred_status=status, in_arrears=arrears) is eligible
