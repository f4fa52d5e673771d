"""The reference rater: the same rules as the engine, one call at a time, in plain Python.

It is the test oracle for :mod:`backhaul.rating.engine`. It reads the file line by line,
walks each call minute by minute through the time zone database
(:func:`backhaul.rating.rules.minute_bands`), and prices it with ``Decimal`` and the named
roundings of :mod:`backhaul.core.money` (:func:`backhaul.rating.rules.rate_call`). It shares
with the engine only the tariff, the file format definitions and the rules; none of the
engine's tables or arithmetic. It is slow on purpose: it is written to be obviously right.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from backhaul.rating import importers
from backhaul.rating.importers import (
    BILLSEC,
    CALL_ID,
    CANONICAL,
    DISPOSITIONS,
    ISO_TIME,
    LOCAL_TIME,
    MAX_LINE_BYTES,
    NEGATIVE_BILLSEC,
)
from backhaul.rating.rules import (
    RatedCall,
    Subscribers,
    classify_number,
    normalise_number,
    rate_call,
)
from backhaul.rating.tariff_rules import Destination, PhoneTariff, Plan

FIRST_YEAR, LAST_YEAR = 1971, 2099


@dataclass(frozen=True)
class ReferenceRow:
    """One rated call, as the engine writes it."""

    line: int
    call_id: str
    account: str
    caller: str
    callee: str
    answered_at: datetime
    billsec: int
    answered: bool
    billing_month: str
    rated: RatedCall


@dataclass(frozen=True)
class ReferenceReject:
    line: int
    reason: str
    text: str


@dataclass
class ReferenceResult:
    rows: list[ReferenceRow] = field(default_factory=list)
    rejects: list[ReferenceReject] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.rejects)

    @property
    def total_ex_vat(self) -> Decimal:
        return sum((row.rated.ex_vat for row in self.rows), Decimal("0.00"))

    @property
    def total_inc_vat(self) -> Decimal:
        return sum((row.rated.inc_vat for row in self.rows), Decimal("0.00"))


@dataclass
class _Accepted:
    line: int
    call_id: str
    account_key: str
    caller: str
    callee: str
    start: datetime
    billsec: int
    answered: bool
    operator_flag: bool
    plan: Plan
    destination: Destination


def _shown(value: str) -> str:
    return f"'{value[:40]}'"


def _lines(path: Path, fmt: str, max_line_bytes: int) -> list[tuple[int, bytes]]:
    lines: list[tuple[int, bytes]] = []
    with importers.open_checked(path, fmt, max_line_bytes=max_line_bytes) as handle:
        number = 2 if fmt == CANONICAL else 1
        while True:
            raw = handle.readline(max_line_bytes + 2)
            if not raw:
                return lines
            body = raw[:-1] if raw.endswith(b"\n") else raw
            if len(body) > max_line_bytes:
                raise importers.line_too_long(path, number, max_line_bytes)
            lines.append((number, body))
            number += 1


class _Reference:
    def __init__(
        self,
        tariff: PhoneTariff,
        *,
        fmt: str,
        subscribers: Subscribers | None,
        plan: str | None,
        asterisk_utc: bool,
    ) -> None:
        self.tariff = tariff
        self.fmt = fmt
        self.subscribers = subscribers or Subscribers()
        self.plan = tariff.plan(plan) if plan is not None else None
        self.asterisk_utc = asterisk_utc
        self.zone = tariff.zone

    def instant(self, text: str) -> datetime | None:
        try:
            if self.fmt == CANONICAL:
                if not re.fullmatch(ISO_TIME, text):
                    return None
                return datetime.fromisoformat(text)
            if not re.fullmatch(LOCAL_TIME, text):
                return None
            naive = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
        if self.asterisk_utc:
            return naive.replace(tzinfo=UTC)
        early = naive.replace(tzinfo=self.zone, fold=0)
        late = naive.replace(tzinfo=self.zone, fold=1)
        if early.utcoffset() != late.utcoffset():
            return None  # the repeated hour when the clocks go back: ambiguous
        if early.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != naive:
            return None  # the missing hour when the clocks go forward
        return early

    def check(self, fields: list[str]) -> _Accepted | str:
        """The record, or the reason it is rejected (the first check it fails)."""
        call_id, account, caller, callee, answered_at, billsec, disposition, operator = fields
        tariff = self.tariff
        time_name = "answered_at" if self.fmt == CANONICAL else "answer"
        if not re.fullmatch(CALL_ID, call_id):
            return f"call_id: not a call id: {_shown(call_id)}"
        start = self.instant(answered_at)
        if start is None:
            if self.fmt == CANONICAL:
                return f"answered_at: not an ISO 8601 time with offset: {_shown(answered_at)}"
            zone = "UTC" if self.asterisk_utc else tariff.timezone
            return f"answer: not a valid {zone} time: {_shown(answered_at)}"
        if not FIRST_YEAR <= start.astimezone(UTC).year <= LAST_YEAR:
            return f"{time_name}: outside the years {FIRST_YEAR} to {LAST_YEAR}"
        if re.fullmatch(NEGATIVE_BILLSEC, billsec):
            return f"billsec: negative duration: {_shown(billsec)}"
        if not re.fullmatch(BILLSEC, billsec):
            return f"billsec: not a whole number of seconds: {_shown(billsec)}"
        seconds = int(billsec)
        if disposition not in DISPOSITIONS:
            return f"disposition: expected {', '.join(DISPOSITIONS)}: {_shown(disposition)}"
        if operator.lower() not in ("true", "false"):
            return f"operator_assisted: expected true or false: {_shown(operator)}"
        caller_n = normalise_number(caller)
        if caller_n is None:
            return f"caller: not a phone number: {_shown(caller)}"
        callee_n = normalise_number(callee)
        if callee_n is None:
            return f"callee: not a phone number: {_shown(callee)}"
        destination = classify_number(
            callee_n, tariff.destinations, on_net=callee_n in self.subscribers.lines
        )
        if destination is None:
            return f"callee: no destination class for {callee_n}"
        who = self.who(account, caller_n, start)
        if isinstance(who, str):
            return who
        account_key, plan = who
        if not destination.free and (plan.family, destination.name) not in tariff.rates:
            return f"callee: no rate for {destination.name} calls on {plan.family}"
        answered = disposition == importers.ANSWERED
        if answered and seconds > tariff.max_record_minutes * 60:
            return (
                f"billsec: {billsec} seconds is longer than any call accepted "
                f"({tariff.max_record_minutes} minutes)"
            )
        if (
            answered
            and plan.max_call_minutes
            and destination.name not in tariff.max_call_exempt_classes
            and seconds > plan.max_call_minutes * 60
        ):
            return (
                f"billsec: {billsec} seconds is over the {tariff.max_call_minutes}-minute "
                f"maximum call ({tariff.max_call_clause})"
            )
        return _Accepted(
            line=0,
            call_id=call_id,
            account_key=account_key,
            caller=caller_n,
            callee=callee_n,
            start=start,
            billsec=seconds,
            answered=answered,
            operator_flag=operator.lower() == "true",
            plan=plan,
            destination=destination,
        )

    def who(self, account: str, caller: str, start: datetime) -> tuple[str, Plan] | str:
        if self.plan is not None:
            return (account or caller), self.plan
        line = self.subscribers.lines.get(caller)
        plans = self.subscribers.account_plans
        given = account != ""
        if given and account not in plans:
            return f"account: unknown account {_shown(account)}"
        if given and line is not None and line.account != account:
            return f"caller: {caller} is held by account {line.account}, not {account}"
        if not given and line is None:
            return f"caller: unknown number {caller} and no account given"
        if line is not None:
            second = int(start.timestamp())
            starts = int(line.start.timestamp())
            ends = int(line.end.timestamp()) if line.end is not None else None
            if second < starts or (ends is not None and second >= ends):
                day = start.astimezone(self.zone).date().isoformat()
                return f"caller: {caller} was not in service on {day}"
            return line.account, self.tariff.plan(line.plan)
        plan_key = plans.get(account)
        if plan_key is None:
            return f"account: {account} has no phone number on this brand"
        return account, self.tariff.plan(plan_key)


def rate_file_reference(
    path: Path,
    *,
    tariff: PhoneTariff,
    fmt: str = CANONICAL,
    subscribers: Subscribers | None = None,
    plan: str | None = None,
    already_rated: Callable[[str], bool] | None = None,
    allowance_used: Callable[[str, str, int], int] | None = None,
    asterisk_utc: bool = False,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> ReferenceResult:
    """Rate a CDR file call by call; see :func:`backhaul.rating.engine.rate_file`."""
    reference = _Reference(
        tariff, fmt=fmt, subscribers=subscribers, plan=plan, asterisk_utc=asterisk_utc
    )
    result = ReferenceResult()
    accepted: list[_Accepted] = []
    seen: set[str] = set()
    for number, raw in _lines(path, fmt, max_line_bytes):
        text = importers.decode_line(raw + b"\n")
        if text is None:
            result.rejects.append(
                ReferenceReject(number, "line: not UTF-8 text", raw.decode("utf-8", "replace"))
            )
            continue
        if importers.is_blank(text):
            continue
        fields = importers.split_line(text, fmt)
        if isinstance(fields, str):
            result.rejects.append(ReferenceReject(number, f"line: {fields}", text))
            continue
        checked = reference.check(fields)
        if isinstance(checked, str):
            result.rejects.append(ReferenceReject(number, checked, text))
            continue
        if checked.call_id in seen:
            reason = f"call_id: {_shown(checked.call_id)} appears earlier in this file"
            result.rejects.append(ReferenceReject(number, reason, text))
            continue
        seen.add(checked.call_id)
        if already_rated is not None and already_rated(checked.call_id):
            reason = f"call_id: {_shown(checked.call_id)} was rated by an earlier import"
            result.rejects.append(ReferenceReject(number, reason, text))
            continue
        checked.line = number
        accepted.append(checked)

    def month_of(call: _Accepted) -> int:
        local = call.start.astimezone(tariff.zone)
        return local.year * 100 + local.month

    def draws_allowance(call: _Accepted) -> bool:
        return (
            call.answered
            and call.billsec > 0
            and not call.destination.free
            and call.plan.has_allowance
            and call.destination.name in call.plan.inclusive_classes
        )

    remaining: dict[tuple[str, str, int], int] = {}
    ordered = sorted(
        accepted,
        key=lambda c: (
            draws_allowance(c),
            c.account_key,
            c.plan.key,
            month_of(c),
            int(c.start.timestamp()),
            c.line,
        ),
    )
    for call in ordered:
        left = 0
        if draws_allowance(call):
            group = (call.account_key, call.plan.key, month_of(call))
            if group not in remaining:
                used = allowance_used(*group) if allowance_used is not None else 0
                remaining[group] = (call.plan.allowance_minutes or 0) - used
            left = remaining[group]
            remaining[group] = left - -(-call.billsec // 60)
        rated = rate_call(
            tariff=tariff,
            plan=call.plan,
            destination=call.destination,
            start=call.start,
            billsec=call.billsec,
            answered=call.answered,
            operator_flag=call.operator_flag,
            allowance_remaining=left,
        )
        month = month_of(call)
        result.rows.append(
            ReferenceRow(
                line=call.line,
                call_id=call.call_id,
                account=call.account_key,
                caller=call.caller,
                callee=call.callee,
                answered_at=call.start.astimezone(UTC),
                billsec=call.billsec,
                answered=call.answered,
                billing_month=f"{month // 100}-{month % 100:02d}",
                rated=rated,
            )
        )
    result.rows.sort(key=lambda row: row.line)
    result.rejects.sort(key=lambda reject: reject.line)
    return result
