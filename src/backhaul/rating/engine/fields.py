"""Reading fields as columns: times, numbers and durations, with the common forms read fast.

Each reader returns the same values as the general parser it stands in front of, and
leaves to that parser only the rows it does not recognise (fractions of a second, ``Z``,
separators in numbers), so the result never depends on which path a row took.
"""

from __future__ import annotations

import polars as pl

from backhaul.rating.engine import kernels
from backhaul.rating.importers import ISO_TIME


def iso_seconds_fixed(frame: pl.DataFrame, column: str) -> pl.Series:
    """Unix seconds of ``YYYY-MM-DDTHH:MM:SS+hh:m0``, the usual form; null for any other text.

    Read by a compiled loop over the column's bytes (:mod:`.kernels`): separators, digits,
    field ranges and the day of the month are checked, and the offset must be a whole ten
    minutes. A null is not an error: the row goes to the general parser (:func:`iso_seconds`).
    """
    return kernels.iso_seconds_fixed(frame[column])


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
    """Numbers in national form, or null (see ``rules.normalise_number``)."""
    return normalised_with_keys(values)[0]


def normalised_with_keys(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Numbers in national form, or null (see ``rules.normalise_number``), and their
    integer keys (:func:`number_key`).

    Most numbers are digits only, not starting ``0044``, and need just a length test: a
    compiled loop tells them apart and reads their keys (:func:`kernels.plain_numbers`).
    Only the others are looked at closely and rewritten (separators dropped, ``0044`` and
    ``+44`` to ``0``, ``+`` to ``00``).
    """
    flags, key_values = kernels.plain_numbers(values, KEY_DIGITS)
    plain = pl.Series(flags)
    keys = pl.Series(key_values)
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
        rewritten_keys = pl.select(number_key(pl.lit(rewritten))).to_series().fill_null(-1)
        keys = keys.scatter(where, rewritten_keys)
    valid = plain & values.str.len_bytes().is_between(3, 20)
    numbers = values.zip_with(valid, pl.Series([None], dtype=pl.String))
    return numbers, keys.zip_with(valid & (keys >= 0), pl.Series([None], dtype=pl.Int64))


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
