"""The engine's fast field readers give exactly what the general parsers give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from backhaul.rating.engine.batch import BatchRater
from backhaul.rating.engine.fields import (
    iso_seconds,
    iso_seconds_fixed,
    iso_seconds_general,
    normalised,
    normalised_with_keys,
    number_key,
)
from backhaul.rating.engine.kernels import billsec_seconds, call_id_bad, destination_classes
from backhaul.rating.engine.tables import compile_tariff
from backhaul.rating.importers import BILLSEC, CALL_ID, CALL_ID_MAX_CHARACTERS
from backhaul.rating.rules import LineInfo, Subscribers, normalise_number
from backhaul.rating.tariffs import tariff_from_catalogue_file
from tests.conftest import PLUSNET

OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timedelta(minutes=m))


def _iso(instant: datetime, offset: timedelta) -> str:
    local = instant.astimezone(timezone(offset))
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{local:%Y-%m-%dT%H:%M:%S}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _mangled(text: str, position: int, character: str) -> str:
    position %= len(text)
    return text[:position] + character + text[position + 1 :]


texts = st.one_of(
    st.builds(
        _iso,
        st.datetimes(
            min_value=datetime(1960, 1, 1), max_value=datetime(2110, 12, 31), timezones=st.just(UTC)
        ),
        OFFSETS,
    ),
    st.builds(
        _mangled,
        st.builds(_iso, st.datetimes(timezones=st.just(UTC)), OFFSETS),
        st.integers(0, 24),
        st.sampled_from(list("0123456789:-+T Z/a\u00e9")),
    ),
    st.sampled_from(
        [
            "2026-02-29T10:00:00+00:00",
            "2024-02-29T23:59:59-05:30",
            "2026-13-01T00:00:00+00:00",
            "2026-03-29T01:00:00Z",
            "2026-03-29T01:00:00.5+01:00",
            "2026-03-29T24:00:00+00:00",
            "2026-03-29T01:00:60+00:00",
            "2026-03-29T01:00:00+24:00",
            "",
        ]
    ),
    st.text(max_size=30),
)


@given(st.lists(texts, min_size=1, max_size=40))
def test_answered_at_reads_the_same_by_either_path(values: list[str]) -> None:
    frame = pl.DataFrame({"answered_at": values}, schema={"answered_at": pl.String})
    general = frame.select(iso_seconds_general(pl.col("answered_at"))).to_series()
    fast = iso_seconds_fixed(frame, "answered_at")
    assert iso_seconds(frame, "answered_at").to_list() == general.to_list()
    # Where the fast reader gives a value it is the general parser's.
    for quick, slow in zip(fast.to_list(), general.to_list(), strict=True):
        assert quick is None or quick == slow


def test_the_usual_form_takes_the_fast_path() -> None:
    frame = pl.DataFrame({"answered_at": ["2026-03-29T01:30:00+01:00", "2026-10-25T01:30:00Z"]})
    # 00:30 UTC on 29 March 2026; the second form is left to the general parser.
    assert iso_seconds_fixed(frame, "answered_at").to_list() == [1774744200, None]


def test_number_keys_keep_leading_zeros_apart() -> None:
    numbers = pl.DataFrame({"n": ["01142000001", "1142000001", "001142000001", "1" * 18]})
    keys = numbers.select(number_key(pl.col("n"))).to_series().to_list()
    assert len(set(keys[:3])) == 3
    assert keys[3] is None


number_texts = st.one_of(
    st.text(alphabet="0123456789 +-().x", max_size=24),
    st.builds(
        lambda prefix, digits: prefix + digits,
        st.sampled_from(["", "0", "00", "0044", "+44", "+", "+0044", "0044+44", "44"]),
        st.text(alphabet="0123456789", max_size=22),
    ),
    st.text(max_size=8),
)


@given(st.lists(number_texts, max_size=30))
def test_numbers_are_normalised_as_the_reference_does(texts: list[str]) -> None:
    got = normalised(pl.Series(texts, dtype=pl.String)).to_list()
    assert got == [normalise_number(text) for text in texts]


@given(st.lists(number_texts, max_size=30))
def test_keys_read_with_the_numbers_are_the_keys_of_the_normalised_numbers(
    texts: list[str],
) -> None:
    numbers, keys = normalised_with_keys(pl.Series(texts, dtype=pl.String))
    expected = pl.select(number_key(pl.lit(numbers))).to_series()
    assert keys.to_list() == expected.to_list()


billsec_texts = st.one_of(
    st.from_regex(r"-?[0-9]{0,12}", fullmatch=True),
    st.text(alphabet="0123456789 +-.e\u0663", max_size=12),
    st.text(max_size=14),
)


@given(st.lists(billsec_texts, min_size=1, max_size=30))
def test_billsec_is_read_as_its_pattern_and_an_integer_cast_say(texts: list[str]) -> None:
    series = pl.Series(texts, dtype=pl.String)
    seconds, ok = billsec_seconds(series)
    whole = series.str.contains(BILLSEC).to_list()
    assert ok.to_list() == whole
    assert seconds.to_list() == [
        int(text) if good else None for text, good in zip(texts, whole, strict=True)
    ]


def test_long_texts_and_nulls_are_read_from_their_buffers() -> None:
    # Texts over twelve bytes are not inside their Arrow views; a null has no text at all.
    series = pl.Series(["123456789", "1234567890123", None, "12"], dtype=pl.String)
    seconds, ok = billsec_seconds(series)
    assert seconds.to_list() == [123456789, None, None, 12]
    assert ok.to_list() == [True, False, False, True]


def test_a_number_dialled_0044_with_digits_only_is_national() -> None:
    numbers = pl.Series(["00441132345678", "0044 113 234 5678", "01132345678", "0033123"])
    assert normalised(numbers).to_list() == [
        "01132345678",
        "01132345678",
        "01132345678",
        "0033123",
    ]


call_ids = st.one_of(
    st.text(max_size=120),
    st.text(alphabet="ab\u00e9\u20ac\U0001f600\x00\x1f\x7f\x80", min_size=95, max_size=105),
)


@given(st.lists(call_ids, min_size=1, max_size=30))
def test_call_ids_are_refused_as_the_pattern_says(texts: list[str]) -> None:
    series = pl.Series(texts, dtype=pl.String)
    got = call_id_bad(series, CALL_ID_MAX_CHARACTERS).to_list()
    assert got == (~series.str.contains(CALL_ID)).to_list()


def test_a_missing_call_id_is_neither_good_nor_bad() -> None:
    # As the pattern: a null is tested by the check that a field is there, not this one.
    series = pl.Series(["c1", None, "\x01"], dtype=pl.String)
    assert call_id_bad(series, CALL_ID_MAX_CHARACTERS).to_list() == [False, None, True]


callees = st.one_of(
    st.text(alphabet="0123456789", min_size=3, max_size=20),
    st.sampled_from(["118118", "100", "999", "08000280282", "03451400200", "01142000001"]),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from(["07", "0845", "0870", "09", "00", "01", "02", "03"]),
        st.text(alphabet="0123456789", max_size=12),
    ),
    st.text(alphabet="0123456789 +", max_size=14),
)


@given(st.lists(callees, min_size=1, max_size=40))
def test_destination_classes_are_those_of_the_expression(numbers: list[str]) -> None:
    # The compiled lookup (whole numbers and on-net numbers by key, then the prefix table)
    # gives what the Polars expression it stands for gives.
    tariff = compile_tariff(tariff_from_catalogue_file(PLUSNET))
    subscribers = Subscribers(
        lines={
            "01142000001": LineInfo(
                number="01142000001",
                account="A1",
                plan="business-phone-line",
                start=datetime(2020, 1, 1, tzinfo=UTC),
            )
        },
        account_plans={"A1": "business-phone-line"},
    )
    rater = BatchRater(
        compiled=tariff,
        subscribers=subscribers,
        plan=None,
        fmt="canonical",
        asterisk_utc=False,
        already_rated=None,
    )
    assert rater._class_by_kernel
    normal, keys = normalised_with_keys(pl.Series(numbers, dtype=pl.String))
    frame = pl.DataFrame({"callee_n": normal, "callee_key": keys})
    expected = frame.select(rater._class.alias("class")).to_series()
    got = destination_classes(
        normal,
        keys,
        exact=rater._exact_table,
        on_net=rater._on_net_table,
        on_net_code=tariff.on_net_code,
        prefix_offsets=rater._prefix_offsets,
        prefix_table=rater._prefix_table,
        width=tariff.prefix_width,
    )
    assert got.to_list() == expected.cast(pl.Int32).to_list()
