"""One batch of call records: checked, classified, banded and priced, column by column."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from backhaul.rating import importers
from backhaul.rating.engine.tables import (
    END_SECOND,
    EPOCH_WEEKDAY,
    FIRST_SECOND,
    FIRST_YEAR,
    LAST_YEAR,
    PENNY_UNITS,
    PERCENT_SCALE,
    SHOWN_CHARACTERS,
    SLOT_BITS,
    CompiledTariff,
)
from backhaul.rating.importers import (
    ASTERISK,
    BILLSEC,
    CALL_ID,
    CANONICAL,
    CANONICAL_COLUMNS,
    DISPOSITIONS,
    ISO_TIME,
    LOCAL_TIME,
    MAX_LINE_BYTES,
    NEGATIVE_BILLSEC,
    Chunk,
)
from backhaul.rating.rules import (
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    Subscribers,
)

AlreadyRated = Callable[[pl.Series], pl.Series]


def lit_series(values: list[Any], dtype: Any) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype))


def _shown(column: str) -> pl.Expr:
    return pl.concat_str(
        [pl.lit("'"), pl.col(column).fill_null("").str.slice(0, SHOWN_CHARACTERS), pl.lit("'")]
    )


class _RepeatedIds:
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
            return None
        every = pl.concat(self.fingerprints)
        self.fingerprints = []
        repeated = every.filter(every.is_duplicated()).unique()
        return repeated if len(repeated) else None


# --- the pipeline --------------------------------------------------------------------------


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
        self.repeated = _RepeatedIds(suspects)
        subscribers = subscribers or Subscribers()
        self.on_net = pl.Series("on_net", sorted(subscribers.on_net), dtype=pl.String)
        lines = list(subscribers.lines.values())
        self.account_names = sorted(
            set(subscribers.account_plans) | {line.account for line in lines}
        )
        index = {name: position for position, name in enumerate(self.account_names)}
        self.line_numbers = [line.number for line in lines]
        self.lines = pl.DataFrame(
            {
                "caller_n": self.line_numbers,
                "line_index": range(len(lines)),
                "line_account": [line.account for line in lines],
                "line_account_index": [index[line.account] for line in lines],
                "line_plan": [compiled.plan_code(line.plan) for line in lines],
                "line_start": [int(line.start.timestamp()) for line in lines],
                "line_end": [int(line.end.timestamp()) if line.end else 2**62 for line in lines],
            },
            schema={
                "caller_n": pl.String,
                "line_index": pl.Int32,
                "line_account": pl.String,
                "line_account_index": pl.Int32,
                "line_plan": pl.Int32,
                "line_start": pl.Int64,
                "line_end": pl.Int64,
            },
        )
        self.accounts = pl.DataFrame(
            {
                "account": list(subscribers.account_plans),
                "account_index": [index[name] for name in subscribers.account_plans],
                "account_plan": [
                    compiled.plan_code(p) if p is not None else None
                    for p in subscribers.account_plans.values()
                ],
                "account_known": [True] * len(subscribers.account_plans),
            },
            schema={
                "account": pl.String,
                "account_index": pl.Int32,
                "account_plan": pl.Int32,
                "account_known": pl.Boolean,
            },
        )

    # -- reading -------------------------------------------------------------------------

    def frame(self, chunk: Chunk, path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The chunk's records as string columns, and the lines rejected for their shape."""
        if self.fmt == CANONICAL:
            fast = self._fast_canonical(chunk, path)
            if fast is not None:
                return fast, empty_rejects()
        return self._exact(chunk, path)

    def _fast_canonical(self, chunk: Chunk, path: Path) -> pl.DataFrame | None:
        """The chunk parsed by Polars' CSV reader, or None when a line needs a closer look.

        The reader is told nothing about line shapes, so its result is accepted only when it
        provably has one row per line and eight fields per row: no carriage return, no
        empty ``operator_assisted`` (a short line would leave it empty), and the fields'
        bytes plus seven commas and a line end per row add up to the chunk's size (a long
        line would leave bytes over). Anything else takes the line-by-line path.
        """
        data = chunk.data
        if b"\r" in data:
            return None
        try:
            frame = pl.read_csv(
                data,
                has_header=False,
                new_columns=list(CANONICAL_COLUMNS),
                schema_overrides=dict.fromkeys(CANONICAL_COLUMNS, pl.String),
                infer_schema=False,
                quote_char=None,
                truncate_ragged_lines=True,
                empty_string_is_null=False,
                encoding="utf8",
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError:
            return None  # not UTF-8, or a first line of another shape: line by line
        if frame.width != len(CANONICAL_COLUMNS) or frame.height == 0:
            return None
        rows = frame.height
        length = pl.sum_horizontal(pl.col(c).str.len_bytes() for c in CANONICAL_COLUMNS)
        short, total, longest, at = frame.select(
            (pl.col("operator_assisted") == "").any(),
            length.sum().alias("total"),
            length.max().alias("longest"),
            length.arg_max().alias("at"),
        ).row(0)
        line_ends = rows if data.endswith(b"\n") else rows - 1
        if short or total + 7 * rows + line_ends != len(data):
            return None
        if longest + 7 > self.max_line_bytes:
            raise importers.line_too_long(path, chunk.first_line + at, self.max_line_bytes)
        return frame.with_columns(
            pl.int_range(chunk.first_line, chunk.first_line + rows, dtype=pl.Int64).alias("line"),
            pl.lit(None, dtype=pl.String).alias("text"),
        )

    def _exact(self, chunk: Chunk, path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
        columns: list[list[str]] = [[] for _ in CANONICAL_COLUMNS]
        numbers: list[int] = []
        texts: list[str] = []
        rejected_lines: list[int] = []
        reasons: list[str] = []
        rejected_texts: list[str] = []
        raws = chunk.data.split(b"\n")
        if chunk.data.endswith(b"\n"):
            raws.pop()
        for index, raw in enumerate(raws):
            number = chunk.first_line + index
            if len(raw) > self.max_line_bytes:
                raise importers.line_too_long(path, number, self.max_line_bytes)
            text = importers.decode_line(raw)
            if text is None:
                rejected_lines.append(number)
                reasons.append("line: not UTF-8 text")
                rejected_texts.append(raw.decode("utf-8", errors="replace"))
                continue
            if importers.is_blank(text):
                continue
            fields = importers.split_line(text, self.fmt)
            if isinstance(fields, str):
                rejected_lines.append(number)
                reasons.append(f"line: {fields}")
                rejected_texts.append(text)
                continue
            for column, value in zip(columns, fields, strict=True):
                column.append(value)
            numbers.append(number)
            texts.append(text)
        frame = pl.DataFrame(
            {
                **{name: values for name, values in zip(CANONICAL_COLUMNS, columns, strict=True)},
                "line": numbers,
                "text": texts,
            },
            schema={
                **dict.fromkeys(CANONICAL_COLUMNS, pl.String),
                "line": pl.Int64,
                "text": pl.String,
            },
        )
        rejects = pl.DataFrame(
            {"line": rejected_lines, "reason": reasons, "text": rejected_texts},
            schema=_REJECT_SCHEMA,
        )
        return frame, rejects

    # -- checking and classifying ----------------------------------------------------------

    def prepare(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Check, classify and band every record; returns (accepted, rejected)."""
        c = self.c
        frame = frame.with_columns(
            _normalised(frame["caller"]).alias("caller_n"),
            _normalised(frame["callee"]).alias("callee_n"),
            self._instant().alias("s"),
            pl.col("billsec").str.contains(BILLSEC).alias("billsec_ok"),
        ).with_columns(
            pl.when(pl.col("billsec_ok"))
            .then(pl.col("billsec").cast(pl.Int64, strict=False))
            .otherwise(None)
            .alias("billsec_n"),
            (pl.col("disposition") == importers.ANSWERED).alias("answered"),
            self._class_code().alias("class"),
        )
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
        rate_row = family * len(c.classes) + pl.col("class")
        frame = frame.with_columns(
            family.alias("family"),
            rate_row.alias("rate_row"),
        )
        checks = self._checks()
        code: pl.Expr = pl.lit(None, dtype=pl.Int8)
        for index, (condition, _message) in reversed(list(enumerate(checks))):
            code = pl.when(condition).then(pl.lit(index, dtype=pl.Int8)).otherwise(code)
        frame = frame.with_columns(code.alias("_check"))
        frame = self._deduplicate(frame)
        message: pl.Expr = pl.lit(None, dtype=pl.String)
        for index, (_condition, text) in enumerate(checks):
            message = pl.when(pl.col("_check") == index).then(text).otherwise(message)
        rejects = (
            frame.filter(pl.col("_check").is_not_null() | pl.col("_dup") | pl.col("_before"))
            .with_columns(
                pl.when(pl.col("_dup"))
                .then(
                    pl.concat_str(
                        [
                            pl.lit("call_id: "),
                            _shown("call_id"),
                            pl.lit(" appears earlier in this file"),
                        ]
                    )
                )
                .when(pl.col("_before"))
                .then(
                    pl.concat_str(
                        [
                            pl.lit("call_id: "),
                            _shown("call_id"),
                            pl.lit(" was rated by an earlier import"),
                        ]
                    )
                )
                .otherwise(message)
                .alias("reason")
            )
            .select(
                "line",
                "reason",
                pl.coalesce(
                    pl.col("text"),
                    pl.concat_str([pl.col(n) for n in CANONICAL_COLUMNS], separator=","),
                ).alias("text"),
            )
        )
        accepted = frame.select(_ACCEPTED_COLUMNS).filter(
            pl.col("_check").is_null() & ~pl.col("_dup") & ~pl.col("_before")
        )
        return self._band(accepted.drop("_check", "_dup", "_before")), rejects

    def _instant(self) -> pl.Expr:
        column = pl.col("answered_at")
        if self.fmt == ASTERISK:
            local = column.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
            zone = "UTC" if self.asterisk_utc else self.c.tariff.timezone
            parsed = local.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
            valid = column.str.contains(LOCAL_TIME)
        else:
            parsed = column.str.to_datetime(
                "%+", strict=False, time_zone="UTC", time_unit="us", cache=False
            )
            valid = column.str.contains(ISO_TIME)
        return pl.when(valid).then(parsed.dt.epoch("s")).otherwise(None)

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
        if c.on_net_code is not None and len(self.on_net):
            candidates.append(
                pl.when(number.is_in(self.on_net.implode()))
                .then(pl.lit(c.on_net_code, dtype=pl.Int32))
                .otherwise(None)
            )
        candidates.append(pl.lit(c.prefix_table).gather(index))
        return pl.coalesce(candidates)

    def _resolve_accounts(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.join(self.lines, on="caller_n", how="left", maintain_order="left")
        frame = frame.join(self.accounts, on="account", how="left", maintain_order="left")
        given = pl.col("account") != ""
        has_line = pl.col("line_account").is_not_null()
        own_line = has_line & (~given | (pl.col("line_account") == pl.col("account")))
        return frame.with_columns(
            pl.when(own_line)
            .then(pl.col("line_plan"))
            .otherwise(pl.col("account_plan"))
            .alias("plan"),
            pl.when(own_line)
            .then(pl.col("line_account"))
            .otherwise(pl.col("account"))
            .alias("account_key"),
            own_line.alias("matched_line"),
            pl.when(own_line)
            .then(pl.col("line_account_index"))
            .otherwise(pl.col("account_index"))
            .alias("account_index"),
            pl.col("account_known").fill_null(False),
        )

    def _who_checks(self) -> list[tuple[pl.Expr, pl.Expr]]:
        """Who is calling: the account field, else the caller's number (DB mode only)."""
        if self.plan_code is not None:
            return []
        given = pl.col("account") != ""
        has_line = pl.col("line_account").is_not_null()
        own_line = pl.col("matched_line")
        in_service = (pl.col("s") >= pl.col("line_start")) & (pl.col("s") < pl.col("line_end"))
        day = (
            pl.from_epoch(pl.col("s"), time_unit="s")
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone(self.c.tariff.timezone)
            .dt.strftime("%Y-%m-%d")
        )
        return [
            (
                given & ~pl.col("account_known"),
                pl.concat_str([pl.lit("account: unknown account "), _shown("account")]),
            ),
            (
                given & has_line & ~own_line,
                pl.concat_str(
                    [
                        pl.lit("caller: "),
                        pl.col("caller_n"),
                        pl.lit(" is held by account "),
                        pl.col("line_account"),
                        pl.lit(", not "),
                        pl.col("account"),
                    ]
                ),
            ),
            (
                ~given & ~has_line,
                pl.concat_str(
                    [
                        pl.lit("caller: unknown number "),
                        pl.col("caller_n"),
                        pl.lit(" and no account given"),
                    ]
                ),
            ),
            (
                own_line & ~in_service,
                pl.concat_str(
                    [pl.lit("caller: "), pl.col("caller_n"), pl.lit(" was not in service on "), day]
                ),
            ),
            (
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

    def _checks(self) -> list[tuple[pl.Expr, pl.Expr]]:
        """Every check a record must pass, in order, each with the message of its failure."""
        c = self.c
        zone_name = "UTC" if self.asterisk_utc else c.tariff.timezone
        time_name = "answered_at" if self.fmt == CANONICAL else "answer"
        time_message = (
            "answered_at: not an ISO 8601 time with offset: "
            if self.fmt == CANONICAL
            else f"answer: not a valid {zone_name} time: "
        )
        plan_max = lit_series(c.plan_max_call, pl.Int64).gather(pl.col("plan"))
        exempt = lit_series(c.max_exempt, pl.Boolean).gather(pl.col("class"))
        free = lit_series(c.free, pl.Boolean).gather(pl.col("class"))
        has_rate = lit_series(c.has_rate, pl.Boolean).gather(pl.col("rate_row"))
        family_name = lit_series(c.families, pl.String).gather(pl.col("family"))
        class_name = lit_series(c.classes, pl.String).gather(pl.col("class"))
        answered = pl.col("answered")
        record_limit = c.tariff.max_record_minutes
        return [
            (
                ~pl.col("call_id").str.contains(CALL_ID),
                pl.concat_str([pl.lit("call_id: not a call id: "), _shown("call_id")]),
            ),
            (
                pl.col("s").is_null(),
                pl.concat_str([pl.lit(time_message), _shown("answered_at")]),
            ),
            (
                (pl.col("s") < FIRST_SECOND) | (pl.col("s") >= END_SECOND),
                pl.lit(f"{time_name}: outside the years {FIRST_YEAR} to {LAST_YEAR}"),
            ),
            (
                pl.col("billsec").str.contains(NEGATIVE_BILLSEC),
                pl.concat_str([pl.lit("billsec: negative duration: "), _shown("billsec")]),
            ),
            (
                ~pl.col("billsec_ok"),
                pl.concat_str(
                    [pl.lit("billsec: not a whole number of seconds: "), _shown("billsec")]
                ),
            ),
            (
                ~pl.col("disposition").is_in(list(DISPOSITIONS)),
                pl.concat_str(
                    [
                        pl.lit(f"disposition: expected {', '.join(DISPOSITIONS)}: "),
                        _shown("disposition"),
                    ]
                ),
            ),
            (
                ~pl.col("operator_assisted").str.to_lowercase().is_in(["true", "false"]),
                pl.concat_str(
                    [
                        pl.lit("operator_assisted: expected true or false: "),
                        _shown("operator_assisted"),
                    ]
                ),
            ),
            (
                pl.col("caller_n").is_null(),
                pl.concat_str([pl.lit("caller: not a phone number: "), _shown("caller")]),
            ),
            (
                pl.col("callee_n").is_null(),
                pl.concat_str([pl.lit("callee: not a phone number: "), _shown("callee")]),
            ),
            (
                pl.col("class").is_null(),
                pl.concat_str([pl.lit("callee: no destination class for "), pl.col("callee_n")]),
            ),
            *self._who_checks(),
            (
                ~free & ~has_rate,
                pl.concat_str(
                    [pl.lit("callee: no rate for "), class_name, pl.lit(" calls on "), family_name]
                ),
            ),
            (
                answered & (pl.col("billsec_n") > record_limit * 60),
                pl.concat_str(
                    [
                        pl.lit("billsec: "),
                        pl.col("billsec"),
                        pl.lit(
                            f" seconds is longer than any call accepted ({record_limit} minutes)"
                        ),
                    ]
                ),
            ),
            (
                answered & (plan_max > 0) & ~exempt & (pl.col("billsec_n") > plan_max),
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

    def _deduplicate(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Mark valid records whose call id appears earlier in the file (``_dup``) or was
        rated by an earlier import (``_before``)."""
        valid = frame["_check"].is_null()
        duplicate = self.repeated.mark(frame, valid)
        if self.already_rated is not None and valid.any():
            before = self.already_rated(frame["call_id"]) & valid & ~duplicate
        else:
            before = pl.Series([False] * frame.height, dtype=pl.Boolean)
        return frame.with_columns(duplicate.alias("_dup"), before.alias("_before"))

    # -- bands -------------------------------------------------------------------------------

    def _band(self, frame: pl.DataFrame) -> pl.DataFrame:
        c = self.c
        starts, offsets = c.transition_starts, c.transition_offsets
        period = pl.lit(starts).search_sorted(pl.col("s"), side="right").cast(pl.Int64) - 1
        frame = (
            frame.with_columns(
                pl.when(pl.col("answered"))
                .then((pl.col("billsec_n") + 59) // 60)
                .otherwise(0)
                .alias("n"),
                pl.lit(offsets).gather(period).alias("off0"),
                pl.lit(offsets).gather(period + 1).alias("off1"),
                pl.lit(starts).gather(period + 1).alias("change"),
                pl.col("operator_assisted").str.to_lowercase().eq("true").alias("op_flag"),
            )
            .with_columns(
                (pl.col("s") + pl.col("off0")).alias("local_s"),
            )
            .with_columns(
                (
                    (pl.col("local_s") // 60 + EPOCH_WEEKDAY * MINUTES_PER_DAY) % MINUTES_PER_WEEK
                    + MINUTES_PER_WEEK
                ).alias("w"),
                pl.min_horizontal(pl.col("n"), (pl.col("change") - pl.col("s") + 59) // 60).alias(
                    "k"
                ),
                ((pl.col("off1") - pl.col("off0")) // 60).alias("delta"),
                (pl.col("local_s") // 86400).alias("local_day"),
            )
        )
        crossing = bool(frame.select((pl.col("n") > pl.col("k")).any()).item())
        packed_all = _range_count(
            pl.lit(c.tables), pl.col("family") * c.table_length, pl.lit(0), crossing=crossing
        )
        month = pl.lit(c.month_codes).gather(
            pl.lit(c.month_starts).search_sorted(pl.col("local_day"), side="right").cast(pl.Int64)
            - 1
        )
        inclusive = lit_series(
            [flag for row in c.plan_inclusive for flag in row], pl.Boolean
        ).gather(pl.col("plan") * len(c.classes) + pl.col("class"))
        allowance = lit_series(c.plan_allowance, pl.Int64).gather(pl.col("plan"))
        window = lit_series(c.plan_window, pl.Boolean).gather(pl.col("plan"))
        free = lit_series(c.free, pl.Boolean).gather(pl.col("class"))
        return frame.with_columns(
            packed_all.alias("all_packed"),
            month.alias("month"),
            (pl.col("answered") & (pl.col("n") > 0) & ~free & inclusive & (allowance >= 0)).alias(
                "deferred"
            ),
            allowance.alias("allowance"),
            (inclusive & window & ~free).alias("windowed"),
            free.alias("_free"),
        )

    # -- money -------------------------------------------------------------------------------

    def charge(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Price accepted rows; `covered` must be set (0 except for allowance rows)."""
        c = self.c
        crossing = bool(frame.select((pl.col("n") > pl.col("k")).any()).item())
        base = (
            pl.when(pl.col("windowed"))
            .then(pl.col("plan") * c.table_length + c.chargeable_base)
            .otherwise(pl.col("family") * c.table_length)
        )
        chargeable = _range_count(pl.lit(c.tables), base, pl.col("covered"), crossing=crossing)
        frame = frame.with_columns(
            pl.when(pl.col("_free"))
            .then(pl.lit(0, dtype=pl.Int64))
            .otherwise(chargeable)
            .alias("charged_packed")
        )
        slots = range(len(c.bands))
        frame = frame.with_columns(
            *[_slot(pl.col("all_packed"), i).alias(f"minutes_{c.bands[i]}") for i in slots],
            *[_slot(pl.col("charged_packed"), i).alias(f"_charged_{i}") for i in slots],
        )
        charged_total = pl.sum_horizontal(*[pl.col(f"_charged_{i}") for i in slots])
        operator = pl.col("op_flag") | lit_series(c.operator, pl.Boolean).gather(pl.col("class"))
        exempt = lit_series(c.setup_exempt, pl.Boolean).gather(pl.col("class"))
        frame = frame.with_columns(
            pl.when(pl.col("windowed"))
            .then(pl.col("n") - charged_total)
            .otherwise(pl.col("covered"))
            .alias("covered"),
            (pl.col("n") > 0).alias("_billed"),
            operator.alias("operator_assisted_call"),
            charged_total.alias("_charged_total"),
        ).with_columns(
            (pl.col("_billed") & (pl.col("_charged_total") == 0)).alias("inclusive"),
        )
        payable = pl.col("_billed") & ~pl.col("inclusive")
        minute_units = pl.sum_horizontal(
            *[
                pl.col(f"_charged_{i}")
                * lit_series([row[i] for row in c.rates], pl.Int64).gather(pl.col("rate_row"))
                for i in slots
            ]
        )
        setup = pl.when(payable & ~exempt).then(c.setup_units).otherwise(0)
        multiplier = (
            pl.when(pl.col("operator_assisted_call"))
            .then(c.admin_multiplier)
            .otherwise(PERCENT_SCALE)
        )
        exact = (minute_units + setup) * multiplier
        ex_pence = pl.when(payable).then((exact + PENNY_UNITS - 1) // PENNY_UNITS).otherwise(0)
        vat_index = (
            pl.lit(c.vat_days).search_sorted(pl.col("local_day"), side="right").cast(pl.Int64) - 1
        )
        numerator = pl.lit(c.vat_numerators).gather(vat_index)
        denominator = pl.lit(c.vat_denominators).gather(vat_index)
        frame = frame.with_columns(
            pl.when(payable & ~exempt)
            .then(c.setup_units // 10_000)
            .otherwise(0)
            .alias("setup_pence"),
            ex_pence.alias("ex_pence"),
        ).with_columns(
            (
                (pl.col("ex_pence") * (denominator + numerator) + denominator - 1) // denominator
            ).alias("inc_pence"),
        )
        clause = (
            pl.when(~pl.col("_billed"))
            .then(c.tariff_clause)
            .when(pl.col("_free"))
            .then(lit_series(c.class_clause, pl.Int32).gather(pl.col("class")))
            .when(pl.col("inclusive"))
            .then(lit_series(c.plan_clause, pl.Int32).gather(pl.col("plan")))
            .when(pl.col("operator_assisted_call"))
            .then(c.operator_clause)
            .otherwise(lit_series(c.rate_clause, pl.Int32).gather(pl.col("rate_row")))
        )
        return frame.with_columns(clause.alias("clause_code"))

    def output(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rated rows as written: one per call, money as decimals."""
        c = self.c
        return frame.select(
            "line",
            "call_id",
            pl.col("account_key").alias("account"),
            pl.col("caller_n").alias("caller"),
            pl.col("callee_n").alias("callee"),
            pl.from_epoch(pl.col("s"), time_unit="s")
            .dt.replace_time_zone("UTC")
            .alias("answered_at"),
            pl.col("billsec_n").cast(pl.Int32).alias("billsec"),
            "answered",
            lit_series(c.plans, pl.Enum(c.plans)).gather(pl.col("plan")).alias("plan"),
            lit_series(c.classes, pl.Enum(c.classes))
            .gather(pl.col("class"))
            .alias("destination_class"),
            pl.col("n").cast(pl.Int32).alias("billed_minutes"),
            pl.struct(
                [pl.col(f"minutes_{band}").cast(pl.Int32).alias(band) for band in c.bands]
            ).alias("bands"),
            pl.col("covered").cast(pl.Int32).alias("covered_minutes"),
            "inclusive",
            pl.col("operator_assisted_call").alias("operator_assisted"),
            _pounds("setup_pence").alias("setup_fee"),
            _pounds("ex_pence").alias("charge_ex_vat"),
            _pounds("inc_pence").alias("charge_inc_vat"),
            (pl.col("inc_pence") - pl.col("ex_pence")).pipe(_pounds_expr).alias("vat"),
            lit_series(c.clause_names, pl.Enum(c.clause_names))
            .gather(pl.col("clause_code"))
            .alias("clause"),
            pl.date(pl.col("month") // 100, pl.col("month") % 100, 1).alias("billing_month"),
        )


_REJECT_SCHEMA = {"line": pl.Int64, "reason": pl.String, "text": pl.String}
_ACCEPTED_COLUMNS = [
    "line",
    "call_id",
    "account_key",
    "caller_n",
    "callee_n",
    "s",
    "billsec_n",
    "answered",
    "operator_assisted",
    "class",
    "plan",
    "family",
    "rate_row",
    "matched_line",
    "account_index",
    "line_index",
    "_check",
    "_dup",
    "_before",
]


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=_REJECT_SCHEMA)


def empty_records() -> pl.DataFrame:
    return pl.DataFrame(
        schema={**dict.fromkeys(CANONICAL_COLUMNS, pl.String), "line": pl.Int64, "text": pl.String}
    )


def _normalised(values: pl.Series) -> pl.Series:
    """Numbers in national form, or null (see rules.normalise_number).

    Most numbers are digits only and need just a length test; only the others are
    rewritten (separators dropped, ``0044`` and ``+44`` to ``0``, ``+`` to ``00``).
    """
    other = values.str.contains(r"[^0-9]")
    if other.any():
        where = other.arg_true()
        rewritten = (
            values.filter(other)
            .str.replace_all(r"[ \-().]", "")
            .str.replace(r"^0044", "0")
            .str.replace(r"^\+44", "0")
            .str.replace(r"^\+", "00")
        )
        values = values.scatter(where, rewritten)
        digits_only = other.scatter(where, rewritten.str.contains(r"[^0-9]"))
    else:
        digits_only = other
    valid = ~digits_only & values.str.len_bytes().is_between(3, 20)
    return values.zip_with(valid, pl.Series([None], dtype=pl.String))


def _range_count(table: pl.Expr, base: pl.Expr, start: pl.Expr, *, crossing: bool) -> pl.Expr:
    """Packed band counts of the minutes [start, n) of each call.

    Minute k of a call starts at local minute-of-week ``w + k``, and the table holds prefix
    sums, so the count is a difference of two lookups. A call that spans a clock change
    (``crossing``: some call in the batch has ``n > k``) is counted in two parts: minutes
    before the change at ``w + k``, minutes after it at ``w + delta + k``.
    """
    w, n, k, delta = pl.col("w"), pl.col("n"), pl.col("k"), pl.col("delta")
    if not crossing:
        return table.gather(base + w + n) - table.gather(base + w + start)
    before_change = table.gather(base + w + pl.min_horizontal(n, k)) - table.gather(
        base + w + pl.min_horizontal(start, k)
    )
    after_from = pl.max_horizontal(start, k)
    after_change = table.gather(base + w + delta + pl.max_horizontal(n, after_from)) - table.gather(
        base + w + delta + after_from
    )
    return before_change + pl.when(n > k).then(after_change).otherwise(0)


def _slot(packed: pl.Expr, slot: int) -> pl.Expr:
    return ((packed // (1 << (SLOT_BITS * slot))) % (1 << SLOT_BITS)).cast(pl.Int64)


def _pounds_expr(pence: pl.Expr) -> pl.Expr:
    return (pence.cast(pl.Decimal(20, 2)) * pl.lit(Decimal("0.01"))).cast(pl.Decimal(12, 2))


def _pounds(column: str) -> pl.Expr:
    return _pounds_expr(pl.col(column))
