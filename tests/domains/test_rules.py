"""Domain rules without a database: names, periods, reminders and the .uk expiry timeline.

The numbers are PlugIn's (plugin/domain-terms#2 and #uk-expiry): reminders 60, 30 and 14
days before expiry; a 30-day protected period; a 60-day registry grace period; renewal
asked for before day 80; deletion about day 93.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.domains import rules
from backhaul.domains.choices import DomainStatus

UK = rules.ExpiryRules(
    protected_days=30,
    registry_suspension_grace_days=60,
    renewal_deadline_day=80,
    deleted_day=93,
    clause="plugin/domain-terms#uk-expiry",
)
UK_SCHEDULE = rules.DomainSchedule(
    reminder_days=(60, 30, 14),
    reminder_clause="plugin/domain-terms#2",
    lapse_clause="plugin/domain-terms#2",
    expiry=UK,
)
COM_SCHEDULE = rules.DomainSchedule(
    reminder_days=(60, 30, 14),
    reminder_clause="plugin/domain-terms#2",
    lapse_clause="plugin/domain-terms#2",
)
REMINDER = "plugin/domain-terms#2"
EXPIRY = "plugin/domain-terms#uk-expiry"


def events(expiry: date, schedule: rules.DomainSchedule = UK_SCHEDULE) -> list[tuple]:
    return [(e.on, e.kind, e.clause) for e in rules.timeline(expiry, schedule)]


# --- Names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "tld"),
    [
        ("Foxley.CO.UK", "foxley.co.uk", "uk"),
        ("  foxley-print.uk. ", "foxley-print.uk", "uk"),
        ("a1.com", "a1.com", "com"),
        ("bücher.co.uk", "xn--bcher-kva.co.uk", "uk"),
    ],
)
def test_names_are_normalised(text: str, name: str, tld: str) -> None:
    assert rules.parse_domain_name(text) == rules.DomainName(name=name, tld=tld)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "domain name: must not be empty"),
        ("foxley", "domain name: 'foxley' needs a name and a top-level domain"),
        ("foxley..uk", "domain name: 'foxley..uk' has an empty label"),
        (
            "-foxley.co.uk",
            "domain name: label '-foxley' of '-foxley.co.uk' may hold only letters, digits and "
            "hyphens, and may not start or end with a hyphen",
        ),
        (
            "fox_ley.com",
            "domain name: label 'fox_ley' of 'fox_ley.com' may hold only letters, digits and "
            "hyphens, and may not start or end with a hyphen",
        ),
        ("foxley.123", "domain name: '123' is not a top-level domain"),
        (
            "a" * 64 + ".com",
            f"domain name: label {'a' * 64!r} of {'a' * 64 + '.com'!r} is longer than 63 "
            "characters",
        ),
    ],
)
def test_malformed_names_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.parse_domain_name(text)
    assert str(caught.value) == message


def test_a_name_longer_than_253_characters_is_refused() -> None:
    name = ".".join(["a" * 63] * 4) + ".uk"  # 4 x 63 + 3 dots + 3 = 258
    with pytest.raises(InvalidInput, match="longer than 253 characters"):
        rules.parse_domain_name(name)


# --- Registration periods ---------------------------------------------------------------


def test_a_leap_day_registration_keeps_its_day_when_it_can() -> None:
    # 2024-02-29 + 24 months: 2026 has no 29 February, so 2026-02-28; + 48 months counted
    # from the anchor again: 2028-02-29 (not 2028-02-28).
    assert rules.registration_expiry(date(2024, 2, 29), 24) == date(2026, 2, 28)
    assert rules.registration_expiry(date(2024, 2, 29), 48) == date(2028, 2, 29)
    # A month-end anchor: 2026-08-31 + 12 months = 2027-08-31.
    assert rules.registration_expiry(date(2026, 8, 31), 12) == date(2027, 8, 31)


def test_a_new_registration_cannot_have_expired() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.check_new_registration(on=date(2026, 11, 21), expiry=date(2026, 11, 21))
    assert str(caught.value) == (
        "expiry: 2026-11-21 is not after the registration date 2026-11-21; a new registration "
        "cannot have expired already"
    )
    rules.check_new_registration(on=date(2026, 11, 21), expiry=date(2026, 11, 22))


# --- Worked .uk timelines -------------------------------------------------------------


def test_uk_timeline_across_a_leap_february() -> None:
    # Expiry 2028-01-31. Reminders: 60 days before = 2027-12-02 (31 days back to 2027-12-31,
    # 29 more to 12-02); 30 before = 2028-01-01; 14 before = 2028-01-17.
    # Day 30: 2028 is a leap year, 31 Jan + 29 = 29 Feb, + 1 = 1 March.
    # Day 80: 1 March + 50 = 20 April. Day 93: 1 March + 63 = 3 May.
    assert events(date(2028, 1, 31)) == [
        (date(2027, 12, 2), "reminder-60", REMINDER),
        (date(2028, 1, 1), "reminder-30", REMINDER),
        (date(2028, 1, 17), "reminder-14", REMINDER),
        (date(2028, 1, 31), "expired", EXPIRY),
        (date(2028, 3, 1), "registry-suspended", EXPIRY),
        (date(2028, 4, 20), "renewal-deadline", EXPIRY),
        (date(2028, 5, 3), "deleted", EXPIRY),
    ]
    # Day 90, the end of the grace period (30 + 60): 1 March + 60 = 30 April.
    assert rules.expiry_dates(date(2028, 1, 31), UK).grace_ends == date(2028, 4, 30)


def test_uk_timeline_for_the_same_day_in_a_common_year() -> None:
    # Expiry 2027-01-31: February has 28 days, so day 30 is 2 March; day 80 is 2 March + 50
    # = 21 April; day 90 is 1 May; day 93 is 4 May. Reminders one year earlier than above.
    assert events(date(2027, 1, 31)) == [
        (date(2026, 12, 2), "reminder-60", REMINDER),
        (date(2027, 1, 1), "reminder-30", REMINDER),
        (date(2027, 1, 17), "reminder-14", REMINDER),
        (date(2027, 1, 31), "expired", EXPIRY),
        (date(2027, 3, 2), "registry-suspended", EXPIRY),
        (date(2027, 4, 21), "renewal-deadline", EXPIRY),
        (date(2027, 5, 4), "deleted", EXPIRY),
    ]
    assert rules.expiry_dates(date(2027, 1, 31), UK).grace_ends == date(2027, 5, 1)


def test_uk_timeline_of_a_name_expiring_on_a_leap_day() -> None:
    # Expiry 2028-02-29. 60 before: 29 back to 31 Jan, 31 more to 31 Dec 2027. 30 before:
    # 30 Jan. 14 before: 15 Feb. Day 30: 30 March. Day 80: 30 March + 50 = 19 May (1 to
    # 31 March, 31 to 30 April). Day 90: 29 May. Day 93: 1 June.
    assert events(date(2028, 2, 29)) == [
        (date(2027, 12, 31), "reminder-60", REMINDER),
        (date(2028, 1, 30), "reminder-30", REMINDER),
        (date(2028, 2, 15), "reminder-14", REMINDER),
        (date(2028, 2, 29), "expired", EXPIRY),
        (date(2028, 3, 30), "registry-suspended", EXPIRY),
        (date(2028, 5, 19), "renewal-deadline", EXPIRY),
        (date(2028, 6, 1), "deleted", EXPIRY),
    ]
    assert rules.expiry_dates(date(2028, 2, 29), UK).grace_ends == date(2028, 5, 29)


def test_uk_timeline_across_a_year_end() -> None:
    # Expiry 2026-12-31. 60 before: 30 back to 1 Dec, 30 more to 1 Nov. 30 before: 1 Dec.
    # 14 before: 17 Dec. Day 30: 30 Jan 2027. Day 80: 30 Jan + 50 = 21 March (1 to 31 Jan,
    # 29 to 28 Feb). Day 90: 31 March. Day 93: 3 April.
    assert events(date(2026, 12, 31)) == [
        (date(2026, 11, 1), "reminder-60", REMINDER),
        (date(2026, 12, 1), "reminder-30", REMINDER),
        (date(2026, 12, 17), "reminder-14", REMINDER),
        (date(2026, 12, 31), "expired", EXPIRY),
        (date(2027, 1, 30), "registry-suspended", EXPIRY),
        (date(2027, 3, 21), "renewal-deadline", EXPIRY),
        (date(2027, 4, 3), "deleted", EXPIRY),
    ]
    assert rules.expiry_dates(date(2026, 12, 31), UK).grace_ends == date(2027, 3, 31)


def test_a_reminder_that_lands_on_a_leap_day() -> None:
    # Expiry 2028-03-30: 30 days before is 29 February 2028 (29 back to 1 March, 1 more).
    timeline = dict((kind, on) for on, kind, _ in events(date(2028, 3, 30)))
    assert timeline["reminder-30"] == date(2028, 2, 29)
    assert timeline["reminder-60"] == date(2028, 1, 30)
    # Day 80: 30 March + 80 = 18 June (1 to 31 March, 31 to 30 April, 31 to 31 May).
    assert timeline["renewal-deadline"] == date(2028, 6, 18)


@pytest.mark.parametrize(
    ("expiry", "day", "status"),
    [
        (date(2028, 1, 31), -1, "active"),
        (date(2028, 1, 31), 0, "expired"),
        (date(2028, 1, 31), 29, "expired"),
        (date(2028, 1, 31), 30, "registry-suspended"),
        (date(2028, 1, 31), 89, "registry-suspended"),
        (date(2028, 1, 31), 90, "registry-suspended"),
        (date(2028, 1, 31), 92, "registry-suspended"),
        (date(2028, 1, 31), 93, "deleted"),
        (date(2028, 2, 29), 29, "expired"),
        (date(2028, 2, 29), 30, "registry-suspended"),
        (date(2028, 2, 29), 93, "deleted"),
    ],
)
def test_status_on_each_side_of_each_boundary(expiry: date, day: int, status: str) -> None:
    assert rules.status_on(expiry, expiry + timedelta(days=day), UK_SCHEDULE) == status


@pytest.mark.parametrize("expiry", [date(2028, 1, 31), date(2028, 2, 29), date(2026, 12, 31)])
def test_renewal_after_expiry_only_before_day_80(expiry: date) -> None:
    for day in (0, 30, 79):
        rules.check_renewal(
            status="registry-suspended",
            expiry=expiry,
            on=expiry + timedelta(days=day),
            schedule=UK_SCHEDULE,
        )
    deadline = expiry + timedelta(days=80)
    with pytest.raises(TransitionNotAllowed) as caught:
        rules.check_renewal(
            status="registry-suspended", expiry=expiry, on=deadline, schedule=UK_SCHEDULE
        )
    assert str(caught.value) == (
        f"renewal had to be asked for before {deadline}, day 80 after expiry on {expiry} "
        "(plugin/domain-terms#uk-expiry)"
    )


def test_names_without_expiry_rules_simply_expire() -> None:
    assert events(date(2027, 3, 31), COM_SCHEDULE) == [
        (date(2027, 1, 30), "reminder-60", REMINDER),
        (date(2027, 3, 1), "reminder-30", REMINDER),
        (date(2027, 3, 17), "reminder-14", REMINDER),
        (date(2027, 3, 31), "expired", REMINDER),
    ]
    with pytest.raises(TransitionNotAllowed, match="is not renewed after expiry"):
        rules.check_renewal(
            status="expired", expiry=date(2027, 3, 31), on=date(2027, 4, 1), schedule=COM_SCHEDULE
        )


def test_deleted_and_transferred_names_are_not_renewed() -> None:
    for status in ("deleted", "transferred-out"):
        with pytest.raises(TransitionNotAllowed, match="cannot be renewed"):
            rules.check_renewal(
                status=status, expiry=date(2030, 1, 1), on=date(2026, 1, 1), schedule=UK_SCHEDULE
            )


# --- Reminders ---------------------------------------------------------------------------


def test_each_reminder_on_its_day_and_never_twice() -> None:
    expiry = date(2028, 1, 31)
    assert rules.reminder_due(expiry, date(2027, 12, 1), UK_SCHEDULE, sent=()) is None
    first = rules.reminder_due(expiry, date(2027, 12, 2), UK_SCHEDULE, sent=())
    assert first is not None and first.kind == "reminder-60"
    assert rules.reminder_due(expiry, date(2027, 12, 3), UK_SCHEDULE, sent={"reminder-60"}) is None
    second = rules.reminder_due(expiry, date(2028, 1, 1), UK_SCHEDULE, sent={"reminder-60"})
    assert second is not None and second.kind == "reminder-30"
    assert rules.reminder_due(expiry, date(2028, 1, 31), UK_SCHEDULE, sent=()) is None


def test_a_missed_day_sends_only_the_latest_reminder() -> None:
    expiry = date(2028, 1, 31)
    late = rules.reminder_due(expiry, date(2028, 1, 20), UK_SCHEDULE, sent=())
    assert late is not None and late.kind == "reminder-14"
    # An earlier reminder is never sent after a later one.
    assert rules.reminder_due(expiry, date(2028, 1, 5), UK_SCHEDULE, sent={"reminder-14"}) is None


def test_stage_events_never_go_backwards() -> None:
    expiry = date(2028, 1, 31)
    due = rules.stage_events_due(
        expiry, expiry + timedelta(days=40), UK_SCHEDULE, status="active", recorded=()
    )
    assert [e.kind for e in due] == ["expired", "registry-suspended"]
    assert (
        rules.stage_events_due(
            expiry, expiry + timedelta(days=40), UK_SCHEDULE, status="deleted", recorded=()
        )
        == ()
    )


# --- Transfers ---------------------------------------------------------------------------


def test_transfer_out_refused_while_anything_is_outstanding() -> None:
    rules.check_transfer_out(status="active", owed=Decimal("0.00"), clause="c")
    rules.check_transfer_out(status="expired", owed=Decimal("-5.00"), clause="c")
    with pytest.raises(TransitionNotAllowed) as caught:
        rules.check_transfer_out(status="active", owed=Decimal("0.01"), clause="c")
    assert str(caught.value) == (
        "the account has £0.01 outstanding; domains are not transferred while any sum is "
        "outstanding (c)"
    )


def test_inconsistent_expiry_rules_are_refused() -> None:
    with pytest.raises(InvalidInput, match="renewal deadline"):
        rules.ExpiryRules(
            protected_days=30,
            registry_suspension_grace_days=60,
            renewal_deadline_day=95,
            deleted_day=93,
            clause="c",
        )
    with pytest.raises(InvalidInput, match="deletion"):
        rules.ExpiryRules(
            protected_days=30,
            registry_suspension_grace_days=60,
            renewal_deadline_day=80,
            deleted_day=85,
            clause="c",
        )


def test_rule_statuses_are_the_model_statuses() -> None:
    assert set(rules.STATUS_RANK) | {rules.TRANSFERRED_OUT} == set(DomainStatus.values)


# --- Properties --------------------------------------------------------------------------

expiries = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
expiry_rules = st.builds(
    lambda protected, grace, deadline_share, extra: rules.ExpiryRules(
        protected_days=protected,
        registry_suspension_grace_days=grace,
        renewal_deadline_day=protected + deadline_share % (grace + 1),
        deleted_day=protected + grace + extra,
        clause="c",
    ),
    st.integers(1, 60),
    st.integers(1, 120),
    st.integers(0, 1000),
    st.integers(0, 10),
)


@given(expiry=expiries, rules_=expiry_rules)
def test_timeline_days_are_the_catalogue_days(expiry: date, rules_: rules.ExpiryRules) -> None:
    schedule = rules.DomainSchedule(
        reminder_days=(60, 30, 14), reminder_clause="r", lapse_clause="r", expiry=rules_
    )
    offsets = {e.kind: (e.on - expiry).days for e in rules.timeline(expiry, schedule)}
    assert offsets == {
        "reminder-60": -60,
        "reminder-30": -30,
        "reminder-14": -14,
        "expired": 0,
        "registry-suspended": rules_.protected_days,
        "renewal-deadline": rules_.renewal_deadline_day,
        "deleted": rules_.deleted_day,
    }


@given(expiry=expiries, first=st.integers(-80, 120), second=st.integers(-80, 120))
def test_status_only_moves_forward(expiry: date, first: int, second: int) -> None:
    early, late = sorted((first, second))
    rank_early = rules.STATUS_RANK[
        rules.status_on(expiry, expiry + timedelta(days=early), UK_SCHEDULE)
    ]
    rank_late = rules.STATUS_RANK[
        rules.status_on(expiry, expiry + timedelta(days=late), UK_SCHEDULE)
    ]
    assert rank_early <= rank_late


@given(expiry=expiries, days=st.lists(st.integers(-70, 5), min_size=1, max_size=20))
def test_reminders_sent_day_by_day_come_in_order_and_once(expiry: date, days: list[int]) -> None:
    sent: list[str] = []
    for day in sorted(set(days)):
        reminder = rules.reminder_due(expiry, expiry + timedelta(days=day), UK_SCHEDULE, sent=sent)
        if reminder is not None:
            sent.append(reminder.kind)
    assert len(sent) == len(set(sent))
    assert sent == sorted(sent, key=lambda kind: -int(kind.split("-")[1]))


def test_next_action_walks_the_timeline() -> None:
    expiry = date(2028, 1, 31)

    def nxt(status: str, recorded: set[str], auto: int | None = None) -> date | None:
        return rules.next_action(
            expiry, UK_SCHEDULE, status=status, recorded=recorded, auto_renew_days=auto
        )

    assert nxt("active", set()) == date(2027, 12, 2)  # reminder-60
    assert nxt("active", {"reminder-60"}) == date(2028, 1, 1)
    # A later reminder already sent overtakes the earlier ones.
    assert nxt("active", {"reminder-14"}) == expiry
    assert nxt("active", {"reminder-60", "reminder-30", "reminder-14"}) == expiry
    assert nxt("expired", {"expired"}) == date(2028, 3, 1)
    assert nxt("registry-suspended", {"expired", "registry-suspended"}) == date(2028, 4, 20)
    assert nxt("registry-suspended", {"expired", "registry-suspended", "renewal-deadline"}) == (
        date(2028, 5, 3)
    )
    assert nxt("deleted", set()) is None
    assert nxt("transferred-out", set()) is None
    assert nxt("active", {"reminder-60"}, auto=40) == date(2027, 12, 22)
    # Without expiry rules there is nothing after expiry.
    assert rules.next_action(expiry, COM_SCHEDULE, status="expired", recorded={"expired"}) is None


@given(
    expiry=expiries,
    rules_=expiry_rules,
    reminders=st.lists(st.integers(1, 90), min_size=0, max_size=4),
)
def test_running_only_on_next_action_days_matches_running_every_day(
    expiry: date, rules_: rules.ExpiryRules, reminders: list[int]
) -> None:
    """The job visits a name only on its next action day; that must do the same as
    visiting it every day of the range."""
    schedule = rules.DomainSchedule(
        reminder_days=tuple(reminders), reminder_clause="r", lapse_clause="r", expiry=rules_
    )

    def run(visit_every_day: bool) -> list[tuple[str, date]]:
        status, recorded, log = "active", set(), []
        due_day = rules.next_action(expiry, schedule, status=status, recorded=recorded)
        for offset in range(-100, 200):
            on = expiry + timedelta(days=offset)
            if not visit_every_day and (due_day is None or due_day > on):
                continue
            if status == "active":
                reminder = rules.reminder_due(expiry, on, schedule, sent=recorded)
                if reminder is not None:
                    recorded.add(reminder.kind)
                    log.append((reminder.kind, on))
            for event in rules.stage_events_due(
                expiry, on, schedule, status=status, recorded=recorded
            ):
                recorded.add(event.kind)
                status = event.status or status
                log.append((event.kind, on))
            due_day = rules.next_action(expiry, schedule, status=status, recorded=recorded)
        return log

    assert run(False) == run(True)


@pytest.mark.parametrize(
    ("start", "expiry", "years"),
    [
        (date(2026, 11, 21), date(2028, 11, 21), 2),  # a .uk registration
        (date(2026, 11, 21), date(2027, 11, 21), 1),  # a .com registration
        (date(2027, 11, 21), date(2028, 11, 21), 1),  # exactly a year left
        (date(2027, 11, 20), date(2028, 11, 21), 2),  # a year and a day: a part year counts
        (date(2028, 11, 20), date(2028, 11, 21), 1),  # one day
        # Counted back from the expiry: a renewal of a name anchored on 29 February.
        (date(2026, 2, 28), date(2028, 2, 29), 2),
        (date(2024, 2, 29), date(2026, 2, 28), 2),
        (date(2026, 3, 1), date(2028, 2, 29), 2),
    ],
)
def test_years_covered_by_the_whois_privacy_option(start, expiry, years) -> None:
    assert rules.years_covered(start=start, expiry=expiry) == years


def test_years_covered_needs_a_period() -> None:
    with pytest.raises(InvalidInput, match="the expiry 2026-11-21 is not after 2026-11-21"):
        rules.years_covered(start=date(2026, 11, 21), expiry=date(2026, 11, 21))


@given(
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)),
    held=st.integers(min_value=0, max_value=10),
    years=st.integers(min_value=1, max_value=10),
)
def test_a_whole_registration_is_its_own_number_of_years(anchor, held, years) -> None:
    # Registering, or renewing after `held` years, for N years charges the option for
    # exactly N years, whatever the anchor's day of the month (29 February included).
    start = rules.registration_expiry(anchor, 12 * held)
    expiry = rules.registration_expiry(anchor, 12 * (held + years))
    assert rules.years_covered(start=start, expiry=expiry) == years
