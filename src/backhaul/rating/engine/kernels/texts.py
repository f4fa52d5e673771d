"""Reading a record's texts: the time answered, the duration, numbers and the call id."""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

from backhaul.rating.engine.kernels.arrays import (
    digit,
    digits_value,
    located,
    string_views,
    two_digits,
    word,
)

_ISO_LENGTH = len("2026-03-29T01:30:00+01:00")
_FIRST_FAST_YEAR, _LAST_FAST_YEAR = 1970, 2100
_BILLSEC_DIGITS = 9  # importers.BILLSEC
_PLAIN_DIGITS = 19  # any 19 digits fit in 64 bits
_0044 = int.from_bytes(b"0044", "little")


@njit(cache=True, nogil=True, inline="always")
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    shifted = month + 9 if month <= 2 else month - 3
    day_of_year = (153 * shifted + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@njit(cache=True, nogil=True, inline="always")
def _month_length(year: int, month: int) -> int:
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@njit(cache=True, nogil=True)
def _iso_seconds_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    size = valid.shape[0]
    seconds = np.zeros(size, dtype=np.int64)
    ok = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = located(views, starts, row)
        if inline or length != _ISO_LENGTH:
            continue
        text = data
        if (
            text[at + 4] != 45  # -
            or text[at + 7] != 45
            or text[at + 10] != 84  # T
            or text[at + 13] != 58  # :
            or text[at + 16] != 58
            or text[at + 22] != 58
            or text[at + 24] != 48  # the offset in whole tens of minutes
            or (text[at + 19] != 43 and text[at + 19] != 45)  # + or -
        ):
            continue
        century, years = two_digits(text, at), two_digits(text, at + 2)
        month, day = two_digits(text, at + 5), two_digits(text, at + 8)
        hour, minute, second = (
            two_digits(text, at + 11),
            two_digits(text, at + 14),
            two_digits(text, at + 17),
        )
        offset_hours, offset_tens = two_digits(text, at + 20), digit(text[at + 23])
        if min(century, years, month, day, hour, minute, second, offset_hours, offset_tens) < 0:
            continue
        year = century * 100 + years
        if not (_FIRST_FAST_YEAR <= year <= _LAST_FAST_YEAR and 1 <= month <= 12):
            continue
        if not (1 <= day <= _month_length(year, month)):
            continue
        if hour > 23 or minute > 59 or second > 59 or offset_hours > 23 or offset_tens > 5:
            continue
        offset = offset_hours * 3600 + offset_tens * 600
        if text[at + 19] == 45:
            offset = -offset
        seconds[row] = (
            _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
        )
        ok[row] = True
    return seconds, ok


def iso_seconds_fixed(series: pl.Series) -> pl.Series:
    """Unix seconds of ``YYYY-MM-DDTHH:MM:SS+hh:m0``, the usual form; null for any other
    text (which then goes to the general parser)."""
    seconds, ok = _iso_seconds_kernel(*string_views(series))
    return pl.Series(series.name, seconds).zip_with(
        pl.Series(ok), pl.Series([None], dtype=pl.Int64)
    )


# --- durations and numbers -------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _billsec_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    size = valid.shape[0]
    values = np.zeros(size, dtype=np.int64)
    ok = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = located(views, starts, row)
        if not 1 <= length <= _BILLSEC_DIGITS:
            continue
        value = digits_value(views if inline else data, at, length)
        if value >= 0:
            values[row] = value
            ok[row] = True
    return values, ok


def billsec_seconds(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``billsec`` as seconds where it is 1 to 9 digits (``importers.BILLSEC``), else null;
    and whether it is."""
    values, ok = _billsec_kernel(*string_views(series))
    flags = pl.Series(ok)
    return pl.Series(values).zip_with(flags, pl.Series([None], dtype=pl.Int64)), flags


@njit(cache=True, nogil=True)
def _number_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray, key_digits: int
) -> tuple[np.ndarray, np.ndarray]:
    size = valid.shape[0]
    keys = np.full(size, -1, dtype=np.int64)
    plain = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = located(views, starts, row)
        if not 1 <= length <= _PLAIN_DIGITS:
            continue
        text = views if inline else data
        if length >= 4 and word(text, at) == _0044:
            continue  # 0044...: rewritten to national form elsewhere
        value = digits_value(text, at, length)
        if value < 0:
            continue
        plain[row] = True
        if length <= key_digits:
            keys[row] = value * 32 + length
    return plain, keys


def plain_numbers(series: pl.Series, key_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Which numbers are digits only (1 to 19 of them, not starting ``0044``), and for those
    of up to `key_digits` digits the integer key ``value * 32 + length`` (else -1)."""
    return _number_kernel(*string_views(series), key_digits)


# --- checks ----------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _call_id_kernel(
    views: np.ndarray, data: np.ndarray, starts: np.ndarray, valid: np.ndarray, most: int
) -> np.ndarray:
    size = valid.shape[0]
    bad = np.zeros(size, dtype=np.bool_)
    for row in range(size):
        if not valid[row]:
            continue
        inline, at, length = located(views, starts, row)
        text = views if inline else data
        characters = 0
        control = False
        for position in range(at, at + length):
            byte = text[position]
            if byte < 0x20 or byte == 0x7F:
                control = True
                break
            characters += (byte & 0xC0) != 0x80  # not a UTF-8 continuation byte
        bad[row] = control or not 1 <= characters <= most
    return bad


def call_id_bad(series: pl.Series, most: int) -> pl.Series:
    """Call ids with a control character, or not 1 to `most` characters (``importers.CALL_ID``);
    null where the id is null."""
    views, data, starts, valid = string_views(series)
    bad = pl.Series(_call_id_kernel(views, data, starts, valid, most))
    if series.null_count() == 0:
        return bad
    return bad.zip_with(pl.Series(valid), pl.Series([None], dtype=pl.Boolean))
