"""Domain rules: names, registration periods, renewal reminders and the expiry timeline.

Pure functions over plain values. The numbers (reminder days, the .uk protected period,
grace period, renewal deadline and deletion day) come from the brand's catalogue
(`[rules.domains]`, `[rules.uk_domain_expiry]`); every event names the clause behind it.

Days after expiry are counted in calendar days from the expiry date: "day 30" of a name
that expired on 31 January 2028 is 1 March 2028 (2028 is a leap year).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.core.periods import add_months

# Statuses (the same values as choices.DomainStatus; rules import nothing from Django).
ACTIVE = "active"
EXPIRED = "expired"
REGISTRY_SUSPENDED = "registry-suspended"
DELETED = "deleted"
TRANSFERRED_OUT = "transferred-out"

# Timeline event kinds.
REMINDER_PREFIX = "reminder-"
RENEWAL_DEADLINE = "renewal-deadline"

# A later stage never goes back to an earlier one: replaying an old day changes nothing.
STATUS_RANK = {ACTIVE: 0, EXPIRED: 1, REGISTRY_SUSPENDED: 2, DELETED: 3}

NAME_LIMIT = 253
LABEL_LIMIT = 63
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def reminder_kind(days: int) -> str:
    """The event kind of the reminder sent `days` before expiry: `reminder-60`."""
    return f"{REMINDER_PREFIX}{days}"


@dataclass(frozen=True)
class DomainName:
    """A domain name, normalised: lower case, no trailing dot, IDN labels in A-label form."""

    name: str
    tld: str


def parse_domain_name(text: str) -> DomainName:
    """Check a domain name as given by a customer or a file; say exactly what is wrong.

    Letters, digits and hyphens in labels of 1 to 63 characters, no hyphen at either end of
    a label, at least a name and a top-level domain, 253 characters in all (RFC 1035 and
    RFC 5891). Names in other scripts are converted to their ASCII (xn--) form.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"domain name: must be text, not {type(text).__name__}")
    raw = text.strip().rstrip(".").lower()
    if not raw:
        raise InvalidInput("domain name: must not be empty")
    if not raw.isascii():
        try:
            raw = raw.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidInput(f"domain name: {text!r} is not a valid international name") from None
    if len(raw) > NAME_LIMIT:
        raise InvalidInput(f"domain name: {text!r} is longer than {NAME_LIMIT} characters")
    labels = raw.split(".")
    if len(labels) < 2:
        raise InvalidInput(f"domain name: {text!r} needs a name and a top-level domain")
    for label in labels:
        if not label:
            raise InvalidInput(f"domain name: {text!r} has an empty label")
        if len(label) > LABEL_LIMIT:
            raise InvalidInput(
                f"domain name: label {label!r} of {text!r} is longer than {LABEL_LIMIT} characters"
            )
        if not _LABEL.match(label):
            raise InvalidInput(
                f"domain name: label {label!r} of {text!r} may hold only letters, digits and "
                "hyphens, and may not start or end with a hyphen"
            )
    if not _TLD.match(labels[-1]):
        raise InvalidInput(f"domain name: {labels[-1]!r} is not a top-level domain")
    return DomainName(name=raw, tld=labels[-1])


@dataclass(frozen=True)
class ExpiryRules:
    """What happens to a name after it expires unrenewed (plugin/domain-terms#uk-expiry).

    At expiry the provider's services for the name are suspended and a protected period
    of `protected_days` starts; then the registry suspends the name for a grace period of
    `registry_suspension_grace_days`; renewal at the original price must be asked for
    before day `renewal_deadline_day`; the name is deleted about day `deleted_day`.
    """

    protected_days: int
    registry_suspension_grace_days: int
    renewal_deadline_day: int
    deleted_day: int
    clause: str

    def __post_init__(self) -> None:
        grace_ends = self.protected_days + self.registry_suspension_grace_days
        if min(self.protected_days, self.registry_suspension_grace_days) < 1:
            raise InvalidInput("expiry rules: the protected and grace periods must be positive")
        if not self.protected_days <= self.renewal_deadline_day <= grace_ends:
            raise InvalidInput(
                f"expiry rules: the renewal deadline (day {self.renewal_deadline_day}) must fall "
                f"between the end of the protected period (day {self.protected_days}) and the "
                f"end of the grace period (day {grace_ends})"
            )
        if self.deleted_day < grace_ends:
            raise InvalidInput(
                f"expiry rules: deletion (day {self.deleted_day}) cannot come before the end of "
                f"the grace period (day {grace_ends})"
            )


@dataclass(frozen=True)
class DomainSchedule:
    """A brand's renewal reminders and, for the TLDs that have one, the expiry timeline.

    `reminder_days` come from plugin/domain-terms#2 ("60, 30 days and 14 days prior to
    renewal"); a name without `expiry` rules simply expires (`lapse_clause`: the provider
    "will not automatically renew your domain").
    """

    reminder_days: tuple[int, ...]
    reminder_clause: str
    lapse_clause: str
    expiry: ExpiryRules | None = None

    def __post_init__(self) -> None:
        days = tuple(sorted(set(self.reminder_days), reverse=True))
        if any(day < 1 for day in days):
            raise InvalidInput(f"reminder days must be positive: {list(self.reminder_days)}")
        object.__setattr__(self, "reminder_days", days)


@dataclass(frozen=True)
class ExpiryDates:
    """The day boundaries of one expiry (each the first day of the new stage)."""

    expired: date
    registry_suspended: date
    renewal_deadline: date
    grace_ends: date
    deleted: date


def expiry_dates(expiry: date, rules: ExpiryRules) -> ExpiryDates:
    """The calendar dates of day 0, 30, 80, 90 and 93 after `expiry` (with the .uk numbers).

    `renewal_deadline` is the first day on which renewal can no longer be asked for: the
    terms want the request "before the 80th day after your domain has expired".
    `grace_ends` is the day the registry's grace period is over (30 + 60 days).
    """
    return ExpiryDates(
        expired=expiry,
        registry_suspended=expiry + timedelta(days=rules.protected_days),
        renewal_deadline=expiry + timedelta(days=rules.renewal_deadline_day),
        grace_ends=expiry
        + timedelta(days=rules.protected_days + rules.registry_suspension_grace_days),
        deleted=expiry + timedelta(days=rules.deleted_day),
    )


@dataclass(frozen=True, order=True)
class TimelineEvent:
    on: date
    order: int
    kind: str
    clause: str
    status: str | None = None
    """The status a name takes on this day, or None for events that change no status."""


def timeline(expiry: date, schedule: DomainSchedule) -> tuple[TimelineEvent, ...]:
    """Every dated event of one registration period ending on `expiry`, in date order.

    Reminders `reminder-<n>` n days before (plugin/domain-terms#2); `expired` on the
    expiry date; for TLDs with expiry rules (plugin/domain-terms#uk-expiry)
    `registry-suspended` at the end of the protected period, `renewal-deadline` on the day
    renewal can no longer be asked for, and `deleted`.
    """
    events = [
        TimelineEvent(
            on=expiry - timedelta(days=days),
            order=index,
            kind=reminder_kind(days),
            clause=schedule.reminder_clause,
        )
        for index, days in enumerate(schedule.reminder_days)
    ]
    base = len(events)
    rules = schedule.expiry
    if rules is None:
        events.append(
            TimelineEvent(
                on=expiry, order=base, kind=EXPIRED, clause=schedule.lapse_clause, status=EXPIRED
            )
        )
        return tuple(sorted(events))
    dates = expiry_dates(expiry, rules)
    events += [
        TimelineEvent(dates.expired, base, EXPIRED, rules.clause, EXPIRED),
        TimelineEvent(
            dates.registry_suspended, base + 1, REGISTRY_SUSPENDED, rules.clause, REGISTRY_SUSPENDED
        ),
        TimelineEvent(dates.renewal_deadline, base + 2, RENEWAL_DEADLINE, rules.clause),
        TimelineEvent(dates.deleted, base + 3, DELETED, rules.clause, DELETED),
    ]
    return tuple(sorted(events))


def status_on(expiry: date, on: date, schedule: DomainSchedule) -> str:
    """The status an unrenewed name has on `on`, from its timeline alone."""
    status = ACTIVE
    for event in timeline(expiry, schedule):
        if event.on <= on and event.status is not None:
            status = event.status
    return status


def stage_events_due(
    expiry: date, on: date, schedule: DomainSchedule, *, status: str, recorded: Collection[str]
) -> tuple[TimelineEvent, ...]:
    """The expiry events (not reminders) due by `on` that have not been applied yet.

    An event is due when its date is on or before `on`, it has not been recorded for this
    expiry, and it would not move the name back to an earlier status: a day replayed
    after later days have run finds nothing to do.
    """
    rank = STATUS_RANK.get(status)
    if rank is None:
        return ()
    due = []
    for event in timeline(expiry, schedule):
        if event.kind.startswith(REMINDER_PREFIX) or event.on > on or event.kind in recorded:
            continue
        if event.status is not None and STATUS_RANK[event.status] <= rank:
            continue
        due.append(event)
    return tuple(due)


def reminder_due(
    expiry: date, on: date, schedule: DomainSchedule, *, sent: Collection[str]
) -> TimelineEvent | None:
    """The renewal reminder to send on `on`, if any (plugin/domain-terms#2).

    The latest reminder whose day has come, before expiry, unless it or a later one was
    already sent. If a day was missed, the most recent reminder goes out late rather than
    every reminder at once, and an earlier reminder never follows a later one.
    """
    if on >= expiry:
        return None
    due: TimelineEvent | None = None
    for event in timeline(expiry, schedule):
        if event.kind.startswith(REMINDER_PREFIX) and event.on <= on:
            due = event
    if due is None:
        return None
    later = {reminder_kind(d) for d in schedule.reminder_days if d <= int(due.kind.split("-")[1])}
    if later & set(sent):
        return None
    return due


def next_action(
    expiry: date,
    schedule: DomainSchedule,
    *,
    status: str,
    recorded: Collection[str],
    auto_renew_days: int | None = None,
) -> date | None:
    """The next day the daily job has something to do for a name, or None if nothing more
    will happen to it (deleted, transferred away, or expired without expiry rules).

    The earliest of: the pending reminder (one not sent and not overtaken by a later one,
    while the name is registered), the next expiry stage not yet applied, and the day of an
    automatic renewal. The job looks only at names whose day has come.
    """
    rank = STATUS_RANK.get(status)
    if rank is None or status == DELETED:
        return None
    candidates: list[date] = []
    if auto_renew_days is not None and status == ACTIVE:
        candidates.append(expiry - timedelta(days=auto_renew_days))
    sent = set(recorded)
    events = timeline(expiry, schedule)
    if status == ACTIVE:
        for event in events:
            if not event.kind.startswith(REMINDER_PREFIX) or event.on >= expiry:
                continue
            days = int(event.kind.removeprefix(REMINDER_PREFIX))
            if {reminder_kind(d) for d in schedule.reminder_days if d <= days} & sent:
                continue
            candidates.append(event.on)
            break
    for event in events:
        if event.kind.startswith(REMINDER_PREFIX) or event.kind in sent:
            continue
        if event.status is not None and STATUS_RANK[event.status] <= rank:
            continue
        candidates.append(event.on)
        break
    return min(candidates) if candidates else None


def registration_expiry(anchor: date, months: int) -> date:
    """The expiry of a name registered from `anchor` for `months` in all.

    Counted from the anchor each time, so a name registered on 29 February 2024 for two
    years expires on 28 February 2026 and, renewed for two more, on 29 February 2028
    (plugin/domain-terms#1: ".uk ... registered for periods of 2 years").
    """
    if months < 0:
        raise InvalidInput(f"registration: months must not be negative: {months}")
    return add_months(anchor, months)


def years_covered(*, start: date, expiry: date) -> int:
    """Years, a part of a year counting as a whole one, from `start` to `expiry`.

    The whois privacy option is priced per year (or part of a year) of the registration it
    covers (plugin/domain-terms#4; the price is the brand's `whois-privacy` charge). Years
    are counted back from the expiry, so each ends on the expiry's day of the month: a
    renewal from 28 February 2026 to 29 February 2028 covers 2 years, and an option taken
    on 1 March 2026 for a name expiring on 29 February 2028 covers 2 (just under two years).
    """
    if expiry <= start:
        raise InvalidInput(f"period: the expiry {expiry} is not after {start}")
    years = 1
    while add_months(expiry, -12 * years) > start:
        years += 1
    return years


def check_new_registration(*, on: date, expiry: date) -> None:
    """A new registration must run into the future: its expiry is after the day it starts."""
    if expiry <= on:
        raise InvalidInput(
            f"expiry: {expiry} is not after the registration date {on}; a new registration "
            "cannot have expired already"
        )


def check_renewal(*, status: str, expiry: date, on: date, schedule: DomainSchedule) -> None:
    """Refuse a renewal the terms do not allow.

    A registered name can be renewed at any time before it expires (paid in advance,
    plugin/domain-terms#1). After expiry, only TLDs with expiry rules can still be renewed,
    at the original renewal price, if asked for before the renewal deadline
    (plugin/domain-terms#uk-expiry).
    """
    if status in (DELETED, TRANSFERRED_OUT):
        raise TransitionNotAllowed(f"the name is {status.replace('-', ' ')} and cannot be renewed")
    if on < expiry:
        return
    rules = schedule.expiry
    if rules is None:
        raise TransitionNotAllowed(
            f"the name expired on {expiry} and is not renewed after expiry "
            f"({schedule.lapse_clause})"
        )
    deadline = expiry_dates(expiry, rules).renewal_deadline
    if on >= deadline:
        raise TransitionNotAllowed(
            f"renewal had to be asked for before {deadline}, day {rules.renewal_deadline_day} "
            f"after expiry on {expiry} ({rules.clause})"
        )


def check_transfer_out(*, status: str, owed: Decimal, clause: str) -> None:
    """Transfers away are free, but not while the account owes money (plugin/domain-terms#7)."""
    if status in (DELETED, TRANSFERRED_OUT):
        raise TransitionNotAllowed(f"the name is {status.replace('-', ' ')}")
    if owed > 0:
        raise TransitionNotAllowed(
            f"the account has £{owed} outstanding; domains are not transferred while any sum "
            f"is outstanding ({clause})"
        )


def auto_renewal_due(*, expiry: date, on: date, days_before: int) -> bool:
    """For brands that renew automatically: the renewal is made `days_before` expiry."""
    return expiry - timedelta(days=days_before) <= on < expiry
