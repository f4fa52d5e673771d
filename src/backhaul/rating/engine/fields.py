"""Reading fields as columns: times, numbers and durations, with the common forms read fast.

Each reader returns the same values as the general parser it stands in front of, and
leaves to that parser only the rows it does not recognise (fractions of a second, ``Z``,
separators in numbers), so the result never depends on which path a row took.
"""

from __future__ import annotations

import calendar
from datetime import date

import polars as pl

from backhaul.rating.engine.tables import IN_MEMORY
from backhaul.rating.importers import ISO_TIME

_BYTE = 8
_WORDS = 3  # the first 24 bytes, as three 8-byte integers
_DIGIT_BYTES_DATE = (0, 1, 2, 3, 5, 6)  # "YYYY-MM-"
_DIGIT_BYTES_DAY_TIME = (0, 1, 3, 4, 6, 7)  # "DDTHH:MM"
_DIGIT_BYTES_SECONDS = (1, 2, 4, 5, 7)  # ":SS+hh:m" (the sign is checked apart)
_FIXED_LENGTH = len("2026-03-29T01:30:00+01:00")
_SIGN_BYTE = 3  # in ":SS+hh:m"
_FAST_YEARS = (1970, 2100)  # other years take the general parser, with its messages
_MONTHS = [
    (year, month) for year in range(_FAST_YEARS[0], _FAST_YEARS[1] + 1) for month in range(1, 13)
]
#: Day number (from 1970-01-01) of the first of each month of the fast years, and its length.
_MONTH_STARTS = pl.Series(
    [(date(year, month, 1) - date(1970, 1, 1)).days for year, month in _MONTHS], dtype=pl.Int64
)
_MONTH_LENGTHS = pl.Series(
    [calendar.monthrange(year, month)[1] for year, month in _MONTHS], dtype=pl.Int64
)


def _u64(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt64)


def _mask(positions: tuple[int, ...], value: int) -> int:
    return sum(value << (_BYTE * p) for p in positions)


def _pattern(text: str, digits: tuple[int, ...]) -> tuple[int, int]:
    """(mask, expected) matching `text`'s separators exactly and any digit at `digits`."""
    mask = expected = 0
    for position in range(_BYTE):
        character = text[position] if position < len(text) else "?"
        if position in digits:
            mask |= 0xF0 << (_BYTE * position)
            expected |= 0x30 << (_BYTE * position)
        elif character != "?":
            mask |= 0xFF << (_BYTE * position)
            expected |= ord(character) << (_BYTE * position)
    return mask, expected


def _digits_ok(word: pl.Expr, text: str, digits: tuple[int, ...]) -> pl.Expr:
    mask, expected = _pattern(text, digits)
    low = _mask(digits, 0x0F)
    # A byte 0x30-0x3F is a digit when adding 6 to its low nibble does not carry.
    nibbles = (word & _u64(low)) + _u64(_mask(digits, 0x06))
    return ((word & _u64(mask)) == _u64(expected)) & ((nibbles & _u64(low << 4)) == 0)


def _pairs(word: pl.Expr) -> pl.Expr:
    """Byte k becomes ``10 * digit(k) + digit(k + 1)``: every two-digit field in one go.

    Each byte's low nibble is at most 15, so 10 x 15 + 15 fits in a byte: no carries.
    """
    nibbles = word & _u64(0x0F0F_0F0F_0F0F_0F0F)
    return nibbles * 10 + nibbles // (1 << _BYTE)


def _byte(word: pl.Expr, position: int) -> pl.Expr:
    return ((word // (1 << (_BYTE * position))) % 256).cast(pl.Int64)


def iso_seconds_fixed(frame: pl.DataFrame, column: str) -> pl.Series:
    """Unix seconds of ``YYYY-MM-DDTHH:MM:SS+hh:m0``, the usual form; null for any other text.

    The first 24 bytes are read as three little-endian integers: separators and digits
    are checked with masks and the two-digit fields taken out all at once; the last byte
    must be ``0`` (offsets of a whole ten minutes). The date's day number comes from a
    table of month starts. A null is not an error: the row goes to the general parser
    (:func:`iso_seconds`).
    """
    text = pl.col(column)
    triples = frame.select(
        text.str.slice(0, _WORDS * _BYTE)
        .cast(pl.Binary)
        .bin.reinterpret(dtype=pl.Array(pl.UInt64, _WORDS), endianness="little")
    ).to_series()
    if triples.null_count():  # shorter texts: any filler, they fail the length test
        triples = triples.fill_null(pl.Series([[0] * _WORDS], dtype=triples.dtype))
    words = triples.arr.explode()
    a, b, c = (words.gather_every(_WORDS, offset) for offset in range(_WORDS))
    pa, pb, pc = pl.col("_pa"), pl.col("_pb"), pl.col("_pc")
    year = _byte(pa, 0) * 100 + _byte(pa, 2)
    month = _byte(pa, 5)
    day = _byte(pb, 0)
    sign = _byte(pl.col("_c"), _SIGN_BYTE)
    month_index = (year - _FAST_YEARS[0]) * 12 + month - 1
    month_ok = year.is_between(*_FAST_YEARS) & month.is_between(1, 12)
    safe_index = pl.when(month_ok).then(month_index).otherwise(0)
    offset = (_byte(pc, 4) * 3600 + _byte(pl.col("_c"), 7) % 16 * 600) * pl.when(
        sign == ord("-")
    ).then(-1).otherwise(1)
    ok = (
        (text.str.len_bytes() == _FIXED_LENGTH)
        & text.str.ends_with("0")
        & _digits_ok(pl.col("_a"), "????-??-", _DIGIT_BYTES_DATE)
        & _digits_ok(pl.col("_b"), "??T??:??", _DIGIT_BYTES_DAY_TIME)
        & _digits_ok(pl.col("_c"), ":?????:?", _DIGIT_BYTES_SECONDS)
        & ((sign == ord("+")) | (sign == ord("-")))
        & month_ok
        & day.is_between(1, pl.lit(_MONTH_LENGTHS).gather(safe_index))
        & (_byte(pb, 3) <= 23)
        & (_byte(pb, 6) <= 59)
        & (_byte(pc, 1) <= 59)
        & (_byte(pc, 4) <= 23)
        & (_byte(pl.col("_c"), 7) % 16 <= 5)
    )
    seconds = (
        (pl.lit(_MONTH_STARTS).gather(safe_index) + day - 1) * 86_400
        + _byte(pb, 3) * 3600
        + _byte(pb, 6) * 60
        + _byte(pc, 1)
        - offset
    )
    return (
        frame.lazy()
        .select(
            text,
            a.alias("_a"),
            b.alias("_b"),
            c.alias("_c"),
            _pairs(pl.lit(a)).alias("_pa"),
            _pairs(pl.lit(b)).alias("_pb"),
            _pairs(pl.lit(c)).alias("_pc"),
        )
        .select(pl.when(ok).then(seconds).otherwise(None).alias(column))
        .collect(engine=IN_MEMORY)
        .to_series()
    )


def iso_seconds_general(column: pl.Expr) -> pl.Expr:
    """Unix seconds of any ISO 8601 time the canonical format allows (see ``ISO_TIME``)."""
    parsed = column.str.to_datetime(
        "%+", strict=False, time_zone="UTC", time_unit="us", cache=False
    ).dt.epoch("s")
    return pl.when(column.str.contains(ISO_TIME)).then(parsed).otherwise(None)


def iso_seconds(frame: pl.DataFrame, column: str) -> pl.Series:
    """Unix seconds of each ``answered_at``, null where it is not a valid time.

    The usual form is read by :func:`iso_seconds_fixed`; only the other rows are given to
    the general parser.
    """
    seconds = iso_seconds_fixed(frame, column)
    missing = seconds.is_null()
    if missing.any():
        where = missing.arg_true()
        others = frame.select(pl.col(column).gather(where)).select(
            iso_seconds_general(pl.col(column))
        )
        seconds = seconds.scatter(where, others.to_series())
    return seconds


def normalised(values: pl.Series) -> pl.Series:
    """Numbers in national form, or null (see ``rules.normalise_number``).

    Most numbers are digits only, not starting ``0044``, and need just a length test: an
    unsigned integer cast tells them apart (it accepts digits with at most a leading
    ``+``). Only the others are looked at closely and rewritten (separators dropped,
    ``0044`` and ``+44`` to ``0``, ``+`` to ``00``).
    """
    plain = (
        values.cast(pl.UInt64, strict=False).is_not_null()
        & ~values.str.starts_with("+")
        & ~values.str.starts_with("0044")
    )
    if not plain.all():
        where = (~plain).arg_true()
        rewritten = (
            values.gather(where)
            .str.replace_all(r"[ \-().]", "")
            .str.replace(r"^0044", "0")
            .str.replace(r"^\+44", "0")
            .str.replace(r"^\+", "00")
        )
        values = values.scatter(where, rewritten)
        plain = plain.scatter(where, ~rewritten.str.contains(r"[^0-9]"))
    valid = plain & values.str.len_bytes().is_between(3, 20)
    return values.zip_with(valid, pl.Series([None], dtype=pl.String))


#: Numbers up to this many digits have an integer key (:func:`number_key`).
KEY_DIGITS = 17


def number_key(number: pl.Expr) -> pl.Expr:
    """A national number (digits only) as one integer: its value and its length, so that
    leading zeros count. Faster to match than the text; null for longer numbers."""
    length = number.str.len_bytes().cast(pl.Int64)
    return (
        pl.when(length <= KEY_DIGITS)
        .then(number.cast(pl.Int64, strict=False) * 32 + length)
        .otherwise(None)
    )
