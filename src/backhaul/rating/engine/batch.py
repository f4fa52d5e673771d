"""One batch of call records: read, checked, classified and banded, column by column.

Pricing the banded calls is :mod:`backhaul.rating.engine.pricing`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from backhaul.rating import importers
from backhaul.rating.engine import kernels, pricing
from backhaul.rating.engine.checks import (
    Check,
    CheckSettings,
    RepeatedIds,
    any_failure,
    check_columns,
    first_failures,
    lit_series,
    record_checks,
    shown,
)
from backhaul.rating.engine.fields import (
    KEY_DIGITS,
    iso_seconds,
    normalised_with_keys,
    number_key,
)
from backhaul.rating.engine.reading import REJECT_SCHEMA, chunk_frame
from backhaul.rating.engine.tables import CompiledTariff
from backhaul.rating.importers import (
    ASTERISK,
    CANONICAL_COLUMNS,
    LOCAL_TIME,
    MAX_LINE_BYTES,
    Chunk,
)
from backhaul.rating.rules import Subscribers

AlreadyRated = Callable[[pl.Series], pl.Series]

_ACCEPTED_COLUMNS = [
    "line",
    "call_id",
    "account_key",
    "caller_n",
    "callee_n",
    "s",
    "billsec_n",
    "answered",
    "op_flag",
    "class",
    "plan",
    "family",
    "rate_row",
    "matched_line",
    "account_index",
    "line_index",
]


class BatchRater:
    """Rates one batch at a time: the tariff's tables, the brand's numbers and accounts,
    and what it has seen of the file so far (repeated call ids)."""

    def __init__(
        self,
        *,
        compiled: CompiledTariff,
        subscribers: Subscribers | None,
        plan: str | None,
        fmt: str,
        asterisk_utc: bool,
        already_rated: AlreadyRated | None,
        suspects: pl.Series | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.c = compiled
        self.max_line_bytes = max_line_bytes
        self.fmt = fmt
        self.asterisk_utc = asterisk_utc
        self.plan_code = compiled.plan_code(plan) if plan is not None else None
        self.already_rated = already_rated
        self.repeated = RepeatedIds(suspects)
        subscribers = subscribers or Subscribers()
        lines = list(subscribers.lines.values())
        self.account_names = sorted(
            set(subscribers.account_plans) | {line.account for line in lines}
        )
        index = {name: position for position, name in enumerate(self.account_names)}
        self.line_numbers = [line.number for line in lines]
        # Numbers are matched by an integer key when every number has one (the usual case).
        self.keyed = all(
            number.isdigit() and len(number) <= KEY_DIGITS for number in self.line_numbers
        )
        self.caller_key = "caller_key" if self.keyed else "caller_n"
        numbers = pl.Series("caller_n", self.line_numbers, dtype=pl.String)
        #: Each number's key (the integer key, or the number itself), in line order.
        self.on_net_keys = (
            pl.select(number_key(pl.lit(numbers))).to_series() if self.keyed else numbers
        )
        # What is looked up by a line's position, and by an account's position in
        # `account_names`.
        self.line_account_index = pl.Series([index[line.account] for line in lines], dtype=pl.Int32)
        self.line_plan = pl.Series(
            [compiled.plan_code(line.plan) for line in lines], dtype=pl.Int32
        )
        self.line_start = pl.Series([int(line.start.timestamp()) for line in lines], dtype=pl.Int64)
        self.line_end = pl.Series(
            [int(line.end.timestamp()) if line.end else 2**62 for line in lines], dtype=pl.Int64
        )
        plans = subscribers.account_plans
        self.account_plan = pl.Series(
            [
                compiled.plan_code(code) if (code := plans.get(name)) is not None else None
                for name in self.account_names
            ],
            dtype=pl.Int32,
        )
        self.account_known = pl.Series([name in plans for name in self.account_names])
        # Positions by key: joined to each batch (a hash join costs less than a replace).
        self._line_keys = pl.DataFrame(
            {
                self.caller_key: self.on_net_keys,
                "line_index": pl.int_range(len(lines), dtype=pl.Int32, eager=True),
            }
        )
        self._account_keys = pl.DataFrame(
            {
                "account": self.account_names,
                "_given_index": pl.int_range(len(self.account_names), dtype=pl.Int32, eager=True),
            },
            schema={"account": pl.String, "_given_index": pl.Int32},
        )
        if self.keyed:  # the same lookups as arrays, for the compiled pass
            self._line_table = kernels.KeyTable.of(
                self.on_net_keys.to_list(), list(range(len(lines)))
            )
            self._line_account_array = kernels.fixed(self.line_account_index.to_numpy())
            self._line_plan_array = kernels.fixed(self.line_plan.to_numpy())
            self._line_start_array = kernels.fixed(self.line_start.to_numpy())
            self._line_end_array = kernels.fixed(self.line_end.to_numpy())
            self._account_plan_array = kernels.fixed(
                self.account_plan.fill_null(-1).to_numpy().astype(np.int32)
            )
            self._account_known_array = kernels.fixed(
                self.account_known.to_numpy().astype(np.bool_)
            )
        # Rated calls name accounts of the brand (a what-if names whatever the file says).
        self._account_enum = (
            pl.Series(self.account_names, dtype=pl.Enum(self.account_names))
            if plan is None
            else None
        )
        self._checks: dict[bool, list[Check]] = {}  # by whether flags are lowercase
        self.settings = CheckSettings(
            compiled,
            fmt,
            asterisk_utc,
            what_if=plan is not None,
            line_accounts=pl.Series([line.account for line in lines], dtype=pl.String),
        )
        self._class = self._class_code()
        # Classes come from a compiled lookup when every number it matches whole has a key.
        exact_keys = {
            number: code
            for number, code in compiled.exact_numbers.items()
            if number.isdigit()  # others never equal a national number
        }
        self._class_by_kernel = self.keyed and all(len(n) <= KEY_DIGITS for n in exact_keys)
        if self._class_by_kernel:
            self._exact_table = kernels.KeyTable.of(
                [int(n) * 32 + len(n) for n in exact_keys], list(exact_keys.values())
            )
            self._on_net_table = kernels.KeyTable.of(
                self.on_net_keys.to_list(), [0] * len(self.on_net_keys)
            )
            self._prefix_offsets = np.array(compiled.prefix_offsets, dtype=np.int64)
            self._prefix_table = compiled.prefix_table.fill_null(-1).to_numpy().astype(np.int32)

    # -- reading -------------------------------------------------------------------------

    def frame(self, chunk: Chunk, path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The chunk's records as string columns, and the lines rejected for their shape."""
        return chunk_frame(chunk, path, fmt=self.fmt, max_line_bytes=self.max_line_bytes)

    # -- checking and classifying ----------------------------------------------------------

    def prepare(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Check, classify and band every record; returns (accepted, rejected)."""
        c = self.c
        caller, caller_key = normalised_with_keys(frame["caller"])
        callee, callee_key = normalised_with_keys(frame["callee"])
        billsec, billsec_ok = kernels.billsec_seconds(frame["billsec"])
        frame = frame.with_columns(
            caller.alias("caller_n"),
            callee.alias("callee_n"),
            self._instant(frame).alias("s"),
            billsec_ok.alias("billsec_ok"),
            billsec.alias("billsec_n"),
            (pl.col("disposition") == importers.ANSWERED).alias("answered"),
            (pl.col("operator_assisted") == "true").alias("op_flag"),
            (pl.col("operator_assisted") == "false").alias("_op_false"),
        )
        flags_lowercase = bool(frame.select((pl.col("op_flag") | pl.col("_op_false")).all()).item())
        if not flags_lowercase:
            frame = frame.with_columns(
                pl.col("operator_assisted").str.to_lowercase().eq("true").alias("op_flag")
            )
        if self.keyed:
            frame = frame.with_columns(
                caller_key.alias("caller_key"), callee_key.alias("callee_key")
            )
        if self._class_by_kernel:
            frame = frame.with_columns(
                kernels.destination_classes(
                    callee,
                    callee_key,
                    exact=self._exact_table,
                    on_net=self._on_net_table,
                    on_net_code=c.on_net_code if len(self.on_net_keys) else None,
                    prefix_offsets=self._prefix_offsets,
                    prefix_table=self._prefix_table,
                    width=c.prefix_width,
                ).alias("class")
            )
        else:
            frame = frame.with_columns(self._class.alias("class"))
        if self.plan_code is not None:
            frame = frame.with_columns(
                pl.lit(self.plan_code, dtype=pl.Int32).alias("plan"),
                pl.when(pl.col("account") != "")
                .then(pl.col("account"))
                .otherwise(pl.col("caller_n"))
                .alias("account_key"),
                pl.lit(False).alias("matched_line"),
                pl.lit(None, dtype=pl.Int32).alias("account_index"),
                pl.lit(None, dtype=pl.Int32).alias("line_index"),
            )
        else:
            frame = self._resolve_accounts(frame)
        family = lit_series(c.plan_family, pl.Int32).gather(pl.col("plan"))
        checks = self._checks.get(flags_lowercase)
        if checks is None:
            checks = self._checks[flags_lowercase] = record_checks(
                self.settings, flags_lowercase=flags_lowercase
            )
        frame = check_columns(
            self.settings,
            frame.with_columns(
                family.alias("family"),
                (family * len(c.classes) + pl.col("class")).alias("rate_row"),
            ),
        )
        failed = frame.select(any_failure(checks)).to_series()
        duplicate, before = self._deduplicate(frame, ~failed)
        rejected = failed | duplicate | before
        if not rejected.any():
            return self._band(frame.select(_ACCEPTED_COLUMNS)), pl.DataFrame(schema=REJECT_SCHEMA)
        failing = frame.filter(rejected).with_columns(
            duplicate.filter(rejected).alias("_dup"), before.filter(rejected).alias("_before")
        )
        rejects = failing.select(
            "line",
            pl.when(pl.col("_dup"))
            .then(
                pl.concat_str(
                    [pl.lit("call_id: "), shown("call_id"), pl.lit(" appears earlier in this file")]
                )
            )
            .when(pl.col("_before"))
            .then(
                pl.concat_str(
                    [
                        pl.lit("call_id: "),
                        shown("call_id"),
                        pl.lit(" was rated by an earlier import"),
                    ]
                )
            )
            .otherwise(first_failures(failing, checks))
            .alias("reason"),
            pl.coalesce(
                pl.col("text"),
                pl.concat_str([pl.col(n) for n in CANONICAL_COLUMNS], separator=","),
            ).alias("text"),
        )
        accepted = frame.select(_ACCEPTED_COLUMNS).filter(~rejected)
        return self._band(accepted), rejects

    def _instant(self, frame: pl.DataFrame) -> pl.Series:
        """Unix seconds of ``answered_at``, or null where it is not a valid time."""
        if self.fmt != ASTERISK:
            return iso_seconds(frame, "answered_at")
        column = pl.col("answered_at")
        local = column.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        zone = "UTC" if self.asterisk_utc else self.c.tariff.timezone
        parsed = local.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
        valid = column.str.contains(LOCAL_TIME)
        return frame.select(pl.when(valid).then(parsed.dt.epoch("s")).otherwise(None)).to_series()

    def _class_code(self) -> pl.Expr:
        """Whole numbers, then on-net numbers, then the longest prefix (one table lookup)."""
        c = self.c
        number = pl.col("callee_n")
        length = pl.min_horizontal(number.str.len_bytes().cast(pl.Int64), c.prefix_width)
        leading = number.str.head(c.prefix_width).cast(pl.Int64, strict=False)
        index = lit_series(c.prefix_offsets, pl.Int64).gather(length) + leading
        candidates = []
        if c.exact_numbers:
            candidates.append(
                number.replace_strict(c.exact_numbers, default=None, return_dtype=pl.Int32)
            )
        if c.on_net_code is not None and len(self.on_net_keys):
            callee = pl.col("callee_key" if self.keyed else "callee_n")
            candidates.append(
                pl.when(callee.is_in(self.on_net_keys.implode()))
                .then(pl.lit(c.on_net_code, dtype=pl.Int32))
                .otherwise(None)
            )
        candidates.append(pl.lit(c.prefix_table).gather(index))
        return pl.coalesce(candidates)

    def _resolve_accounts(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The line the caller's number is, the account given, and from them the account
        and plan a call is rated on: lookups by position, no joins."""
        if self.keyed:
            return self._resolve_by_kernel(frame)
        frame = frame.join(self._line_keys, on=self.caller_key, how="left", maintain_order="left")
        frame = frame.join(self._account_keys, on="account", how="left", maintain_order="left")
        names = self._account_keys["account"]
        line = pl.col("line_index")
        given_index = pl.col("_given_index")
        line_account = pl.lit(self.line_account_index).gather(line)
        given = pl.col("account") != ""
        own_line = line.is_not_null() & (~given | (line_account == given_index).fill_null(False))
        known = pl.lit(self.account_known).gather(given_index).fill_null(False)
        return frame.with_columns(
            pl.when(own_line)
            .then(pl.lit(self.line_plan).gather(line))
            .otherwise(pl.lit(self.account_plan).gather(given_index))
            .alias("plan"),
            pl.when(own_line)
            .then(pl.lit(names).gather(line_account))
            .otherwise(pl.col("account"))
            .alias("account_key"),
            own_line.alias("matched_line"),
            pl.when(own_line)
            .then(line_account)
            .when(known)
            .then(given_index)
            .otherwise(None)
            .alias("account_index"),
            known.alias("account_known"),
            pl.lit(self.line_start).gather(line).alias("line_start"),
            pl.lit(self.line_end).gather(line).alias("line_end"),
        )

    def _resolve_by_kernel(self, frame: pl.DataFrame) -> pl.DataFrame:
        """As :meth:`_resolve_accounts`, with the caller's line found by key in a hash table
        and the rest looked up in one compiled pass; only a named account is joined."""
        given = frame["account"] != ""
        given_index = pl.repeat(None, frame.height, dtype=pl.Int32, eager=True)
        if given.any():  # only the records that name an account are joined
            named = frame.select("account").filter(given)
            found_index = named.join(
                self._account_keys, on="account", how="left", maintain_order="left"
            )["_given_index"]
            given_index = given_index.scatter(given.arg_true(), found_index)
        found = kernels.accounts(
            frame["caller_key"],
            given,
            given_index,
            lines=self._line_table,
            line_account=self._line_account_array,
            line_plan=self._line_plan_array,
            line_start=self._line_start_array,
            line_end=self._line_end_array,
            account_plan=self._account_plan_array,
            account_known=self._account_known_array,
        )
        owner = found.pop("_owner")
        names = self._account_keys["account"]
        return frame.with_columns(
            *(values.alias(name) for name, values in found.items()),
            pl.when(found["matched_line"])
            .then(pl.lit(names).gather(owner))
            .otherwise(pl.col("account"))
            .alias("account_key"),
        )

    def _deduplicate(self, frame: pl.DataFrame, valid: pl.Series) -> tuple[pl.Series, pl.Series]:
        """Valid records whose call id appears earlier in the file, and those rated by an
        earlier import."""
        duplicate = self.repeated.mark(frame, valid)
        if self.already_rated is not None and valid.any():
            before = self.already_rated(frame["call_id"]) & valid & ~duplicate
        else:
            before = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
        return duplicate, before

    # -- bands -------------------------------------------------------------------------------

    def _band(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Billed minutes, the local minute of the week, the clock change a call may span,
        the billing month, and the minutes in each band."""
        return kernels.band(self.c, frame)

    # -- money -------------------------------------------------------------------------------

    def charge(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Price banded rows; `covered` must be set (0 except for allowance rows)."""
        return pricing.charge(self.c, frame)

    def output(self, frame: pl.DataFrame) -> pa.Table:
        """The rated rows as written: one per call, money as decimals."""
        return pricing.output(self.c, frame, self._account_enum)
