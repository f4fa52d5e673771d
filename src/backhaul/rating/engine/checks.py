"""The checks a record must pass, in order, each with the message of its failure; repeated ids.

A batch is first tested with every check at once (one boolean per record); the order of the
checks and their messages matter only for the few records that fail, so only those are
looked at closely (:func:`first_failures`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import polars as pl

from backhaul.rating.engine import kernels
from backhaul.rating.engine.tables import (
    END_SECOND,
    FIRST_SECOND,
    FIRST_YEAR,
    LAST_YEAR,
    SHOWN_CHARACTERS,
    CompiledTariff,
)
from backhaul.rating.importers import (
    CALL_ID_MAX_CHARACTERS,
    CANONICAL,
    DISPOSITIONS,
    NEGATIVE_BILLSEC,
)


class Check(NamedTuple):
    condition: pl.Expr
    message: pl.Expr
    #: Fails only where a later check fails too: not needed to tell whether a record fails.
    implied: bool = False


def lit_series(values: Sequence[object], dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """A lookup table as a literal column (built once per distinct table: every batch
    gathers from the same few)."""
    return _lit_series(tuple(values), dtype)


@functools.lru_cache(maxsize=256)
def _lit_series(values: tuple[object, ...], dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype))


def shown(column: str) -> pl.Expr:
    """A field as quoted in a message: at most a few dozen characters."""
    return pl.concat_str(
        [pl.lit("'"), pl.col(column).fill_null("").str.slice(0, SHOWN_CHARACTERS), pl.lit("'")]
    )


@dataclass(frozen=True)
class CheckSettings:
    """What the checks depend on besides the record: the tariff and how the file is read."""

    compiled: CompiledTariff
    fmt: str
    asterisk_utc: bool
    what_if: bool  # rating on a given plan: no account checks
    #: The account holding each of the brand's numbers, by the number's position.
    line_accounts: pl.Series = field(
        default_factory=lambda: pl.Series(dtype=pl.String), compare=False
    )


def record_checks(settings: CheckSettings, *, flags_lowercase: bool = False) -> list[Check]:
    """Every check a record must pass, in order, each with the message of its failure.

    With `flags_lowercase` the batch is known to hold ``operator_assisted`` only as
    ``true`` or ``false``, so that check cannot fail and is skipped.
    """
    c = settings.compiled
    canonical = settings.fmt == CANONICAL
    zone_name = "UTC" if settings.asterisk_utc else c.tariff.timezone
    time_name = "answered_at" if canonical else "answer"
    time_message = (
        "answered_at: not an ISO 8601 time with offset: "
        if canonical
        else f"answer: not a valid {zone_name} time: "
    )
    family_name = lit_series(c.families, pl.String).gather(pl.col("family"))
    class_name = lit_series(c.classes, pl.String).gather(pl.col("class"))
    record_limit = c.tariff.max_record_minutes
    never = pl.lit(False)
    return [
        Check(
            pl.col("_call_id_bad"),  # importers.CALL_ID (see check_columns)
            pl.concat_str([pl.lit("call_id: not a call id: "), shown("call_id")]),
        ),
        Check(
            pl.col("s").is_null(),
            pl.concat_str([pl.lit(time_message), shown("answered_at")]),
        ),
        Check(
            (pl.col("s") < FIRST_SECOND) | (pl.col("s") >= END_SECOND),
            pl.lit(f"{time_name}: outside the years {FIRST_YEAR} to {LAST_YEAR}"),
        ),
        Check(
            pl.col("billsec").str.contains(NEGATIVE_BILLSEC),
            pl.concat_str([pl.lit("billsec: negative duration: "), shown("billsec")]),
            implied=True,  # a negative number is not a whole number of seconds either
        ),
        Check(
            ~pl.col("billsec_ok"),
            pl.concat_str([pl.lit("billsec: not a whole number of seconds: "), shown("billsec")]),
        ),
        Check(
            ~pl.col("disposition").is_in(list(DISPOSITIONS)),
            pl.concat_str(
                [
                    pl.lit(f"disposition: expected {', '.join(DISPOSITIONS)}: "),
                    shown("disposition"),
                ]
            ),
        ),
        Check(
            never
            if flags_lowercase
            else ~pl.col("operator_assisted").str.to_lowercase().is_in(["true", "false"]),
            pl.concat_str(
                [
                    pl.lit("operator_assisted: expected true or false: "),
                    shown("operator_assisted"),
                ]
            ),
        ),
        Check(
            pl.col("caller_n").is_null(),
            pl.concat_str([pl.lit("caller: not a phone number: "), shown("caller")]),
        ),
        Check(
            pl.col("callee_n").is_null(),
            pl.concat_str([pl.lit("callee: not a phone number: "), shown("callee")]),
        ),
        Check(
            pl.col("class").is_null(),
            pl.concat_str([pl.lit("callee: no destination class for "), pl.col("callee_n")]),
        ),
        *([] if settings.what_if else _who_checks(c, settings.line_accounts)),
        Check(
            pl.col("_no_rate"),
            pl.concat_str(
                [pl.lit("callee: no rate for "), class_name, pl.lit(" calls on "), family_name]
            ),
        ),
        Check(
            pl.col("_too_long"),
            pl.concat_str(
                [
                    pl.lit("billsec: "),
                    pl.col("billsec"),
                    pl.lit(f" seconds is longer than any call accepted ({record_limit} minutes)"),
                ]
            ),
        ),
        Check(
            pl.col("_over_plan_max"),
            pl.concat_str(
                [
                    pl.lit("billsec: "),
                    pl.col("billsec"),
                    pl.lit(
                        f" seconds is over the {c.tariff.max_call_minutes}-minute maximum "
                        f"call ({c.tariff.max_call_clause})"
                    ),
                ]
            ),
        ),
    ]


def _who_checks(c: CompiledTariff, line_accounts: pl.Series) -> list[Check]:
    """Who is calling: the account field, else the caller's number (imports only)."""
    given = pl.col("account") != ""
    has_line = pl.col("line_index").is_not_null()
    line_account = pl.lit(line_accounts).gather(pl.col("line_index"))
    own_line = pl.col("matched_line")
    in_service = (pl.col("s") >= pl.col("line_start")) & (pl.col("s") < pl.col("line_end"))
    day = (
        pl.from_epoch(pl.col("s"), time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(c.tariff.timezone)
        .dt.strftime("%Y-%m-%d")
    )
    return [
        Check(
            given & ~pl.col("account_known"),
            pl.concat_str([pl.lit("account: unknown account "), shown("account")]),
        ),
        Check(
            given & has_line & ~own_line,
            pl.concat_str(
                [
                    pl.lit("caller: "),
                    pl.col("caller_n"),
                    pl.lit(" is held by account "),
                    line_account,
                    pl.lit(", not "),
                    pl.col("account"),
                ]
            ),
        ),
        Check(
            ~given & ~has_line,
            pl.concat_str(
                [
                    pl.lit("caller: unknown number "),
                    pl.col("caller_n"),
                    pl.lit(" and no account given"),
                ]
            ),
        ),
        Check(
            own_line & ~in_service,
            pl.concat_str(
                [pl.lit("caller: "), pl.col("caller_n"), pl.lit(" was not in service on "), day]
            ),
        ),
        Check(
            pl.col("plan").is_null(),
            pl.concat_str(
                [
                    pl.lit("account: "),
                    pl.col("account"),
                    pl.lit(" has no phone number on this brand"),
                ]
            ),
        ),
    ]


def check_columns(settings: CheckSettings, frame: pl.DataFrame) -> pl.DataFrame:
    """The columns some checks test, worked out by compiled loops (one pass each instead of
    a regular expression and several lookups per record):

    - ``_call_id_bad``: ``importers.CALL_ID`` fails: a control character, or not 1 to
      ``CALL_ID_MAX_CHARACTERS`` characters;
    - ``_no_rate``: the call's class is neither free nor rated on its plan's family;
    - ``_too_long``: answered and longer than any call accepted;
    - ``_over_plan_max``: answered and over its plan's maximum call, for a class that is not
      exempt.
    """
    no_rate, too_long, over_plan = kernels.tariff_checks(settings.compiled, frame)
    return frame.with_columns(
        kernels.call_id_bad(frame["call_id"], CALL_ID_MAX_CHARACTERS).alias("_call_id_bad"),
        no_rate.alias("_no_rate"),
        too_long.alias("_too_long"),
        over_plan.alias("_over_plan_max"),
    )


def any_failure(checks: list[Check]) -> pl.Expr:
    """True where a record fails some check (a check that is null does not fail)."""
    return pl.any_horizontal(
        [check.condition.fill_null(False) for check in checks if not check.implied]
    )


def first_failures(failing: pl.DataFrame, checks: list[Check]) -> pl.Series:
    """The message of the first check each of these (failing) records fails."""
    code: pl.Expr = pl.lit(None, dtype=pl.Int8)
    for index, check in reversed(list(enumerate(checks))):
        code = pl.when(check.condition).then(pl.lit(index, dtype=pl.Int8)).otherwise(code)
    message: pl.Expr = pl.lit(None, dtype=pl.String)
    for index, check in enumerate(checks):
        message = pl.when(pl.col("_check") == index).then(check.message).otherwise(message)
    return failing.with_columns(code.alias("_check")).select(message.alias("reason")).to_series()


class RepeatedIds:
    """Call ids repeated in a file, found exactly with bounded memory.

    A first pass keeps only a 64-bit fingerprint per valid record. If no fingerprint occurs
    twice, no id does, and nothing more is needed (the usual case). Otherwise the file is
    rated again knowing the few fingerprints that repeat; records carrying one are
    compared by their full id, in file order, and every one after the first is a duplicate.
    """

    def __init__(self, suspects: pl.Series | None = None) -> None:
        self.suspects = suspects
        self.first_line: dict[str, int] = {}
        self.fingerprints: list[pl.Series] = []
        #: The result of :meth:`repeated`, once worked out.
        self.found: pl.Series | None = None

    def mark(self, frame: pl.DataFrame, valid: pl.Series) -> pl.Series:
        """True for valid records whose id appeared in an earlier valid record."""
        hashes = frame.select(pl.col("call_id").hash(seed=4)).to_series()
        if self.suspects is None:
            self.fingerprints.append(hashes.filter(valid))
            return pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
        suspect = hashes.is_in(self.suspects.implode()) & valid
        duplicate = [False] * frame.height
        for index in suspect.arg_true().to_list():
            call_id = frame["call_id"][index]
            line = frame["line"][index]
            if call_id in self.first_line:
                duplicate[index] = True
            else:
                self.first_line[call_id] = line
        return pl.Series(duplicate, dtype=pl.Boolean)

    def repeated(self) -> pl.Series | None:
        """After a first pass: the fingerprints seen more than once, or None."""
        if not self.fingerprints:
            return self.found
        # Sorted, equal fingerprints are neighbours: a sort and one comparison (several
        # times cheaper than a hash table of every fingerprint).
        every = pl.concat(self.fingerprints).sort()
        self.fingerprints = []
        if len(every) < 2:
            return None
        same = every.slice(1) == every.slice(0, len(every) - 1)
        if not same.any():
            return None
        return every.slice(1).filter(same).unique()
