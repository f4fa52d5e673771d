"""The vectorised engine against the reference rater, and the engine on bad input.

The differential test draws calls at any time (clock-change days, band edges, month ends),
of any length up to past the maximum, to any destination, on any plan, from known and
unknown callers, with bad fields and repeated ids, and checks both raters agree to the
penny on every call and on every rejected line. Small chunks make the engine split the file
into many batches, so allowances, duplicates and the clock change cross batch edges.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backhaul.rating.engine import rate_file
from backhaul.rating.importers import CdrFileError
from backhaul.rating.reference import rate_file_reference
from backhaul.rating.rules import LineInfo, Subscribers
from tests.rating.conftest import NUMBERS, rate_both, write_cdrs

PLANS = list(NUMBERS)
LINES = [number for number, _account in NUMBERS.values()]
ACCOUNTS = [account for _number, account in NUMBERS.values()]
LONG_NUMBER = "011420000000000001"  # 18 digits
CALLEES = [
    "01632960001",
    "02079460000",
    "03001234567",
    "+44 1632 960002",
    "0044 20 7946 0001",
    "00442079460001",
    "08451234567",
    "08701234567",
    "07100000000",
    "07200000001",
    "07400000000",
    "07500000000",
    "07700900000",
    "07800000000",
    "07900000000",
    "07624000000",
    "100",
    "155",
    "118118",
    "09012345678",
    "0012125551234",
    "+1 212 555 1234",
    "999",
    "112",
    "08000280282",
    "+44 345 140 0200",
    "08001234567",
    "08081234567",
    *LINES,
    LONG_NUMBER,
]
BAD_CALLEES = ["abc", "12", "0600000000", "", "+", "1471", "0114-200-0001x"]
EDGES = [
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # clocks go forward
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # clocks go back
    datetime(2026, 3, 30, 5, 0, tzinfo=UTC),  # 06:00 BST on the Monday after
    datetime(2026, 10, 26, 6, 0, tzinfo=UTC),  # 06:00 GMT on the Monday after
    datetime(2026, 3, 29, 23, 0, tzinfo=UTC),  # Sunday to Monday, BST
    datetime(2026, 10, 25, 0, 0, tzinfo=UTC),  # Saturday to Sunday, BST
    datetime(2026, 6, 12, 17, 0, tzinfo=UTC),  # Friday 18:00 BST
    datetime(2026, 6, 12, 23, 0, tzinfo=UTC),  # Friday to Saturday, BST
    datetime(2026, 1, 9, 18, 0, tzinfo=UTC),  # Friday 18:00 GMT
    datetime(2026, 3, 31, 23, 0, tzinfo=UTC),  # 1 April 00:00 BST: a new month
    datetime(2026, 12, 31, 23, 59, tzinfo=UTC),  # a new year
]
OFFSETS = [timedelta(0), timedelta(hours=1), timedelta(hours=-5), timedelta(hours=5, minutes=30)]


def stamp(instant: datetime, offset: timedelta, style: int) -> str:
    local = instant.astimezone(__import__("datetime").timezone(offset))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if style == 1:
        text += ".5"
    if offset == timedelta(0) and style == 2:
        return text + "Z"
    return text + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]


instants = st.one_of(
    st.builds(
        lambda edge, seconds: edge + timedelta(seconds=seconds),
        st.sampled_from(EDGES),
        st.integers(-3 * 3600, 3 * 3600),
    ),
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
)
billsecs = st.one_of(
    st.sampled_from(["0", "1", "59", "60", "61", "119", "7200", "7201"]),
    st.integers(0, 7300).map(str),
    st.sampled_from(["-5", "abc", "", "1.5", "90000"]),
)


def subscribers_start(subscribers: Subscribers):  # type: ignore[no-untyped-def]
    return next(iter(subscribers.lines.values())).start


@st.composite
def records(draw: st.DrawFn, index: int) -> str:
    bad = draw(st.integers(0, 19)) == 0
    field = draw(st.integers(0, 7))
    caller = draw(st.sampled_from([*LINES, *LINES, "01142999999", "+44 114 200 0003", LONG_NUMBER]))
    account = draw(st.sampled_from(["", "", "", *ACCOUNTS, "PB999999", "PB100009"]))
    callee = draw(st.sampled_from(CALLEES + (BAD_CALLEES if bad else [])))
    instant = draw(instants)
    answered_at = stamp(instant, draw(st.sampled_from(OFFSETS)), draw(st.integers(0, 2)))
    fields = [
        draw(st.sampled_from([f"c{index}", f"c{max(0, index - 3)}"])),
        account,
        caller,
        callee,
        answered_at,
        draw(billsecs),
        draw(st.sampled_from(["ANSWERED"] * 6 + ["NO ANSWER", "BUSY", "FAILED", "CONGESTION"])),
        draw(st.sampled_from(["false"] * 8 + ["true", "TRUE"])),
    ]
    if bad:
        fields[field] = draw(st.sampled_from(["", "x", "2026-02-30T10:00:00Z", "-1", "\x01"]))
    line = ",".join(fields)
    if draw(st.integers(0, 39)) == 0:
        line = draw(st.sampled_from([line + ",extra", ",".join(fields[:7]), "", "  ", "garbage"]))
    return line


@st.composite
def files(draw: st.DrawFn) -> list[str]:
    count = draw(st.integers(1, 60))
    return [draw(records(index)) for index in range(count)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    rows=files(),
    plan=st.one_of(st.none(), st.sampled_from(PLANS)),
    chunk=st.sampled_from([200, 700, 1 << 20]),
    used=st.integers(0, 3000),
    unkeyed=st.booleans(),
)
def test_engine_and_reference_agree_to_the_penny(
    tariff, compiled, subscribers, rows, plan, chunk, used, unkeyed
) -> None:
    if unkeyed:
        # A number too long for an integer key: callers and callees are then matched by
        # their text (the expressions), not by the compiled lookups.
        long_line = LineInfo(LONG_NUMBER, ACCOUNTS[0], PLANS[0], subscribers_start(subscribers))
        subscribers = Subscribers(
            lines={**subscribers.lines, LONG_NUMBER: long_line},
            account_plans=subscribers.account_plans,
        )
    allowance = {
        (account, plan_key, month): used
        for plan_key, (_number, account) in NUMBERS.items()
        for month in (202603, 202606, 202610)
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = write_cdrs(Path(tmp) / "cdrs.csv", rows)
        engine = rate_both(
            path,
            tariff,
            compiled,
            Path(tmp),
            subscribers=subscribers,
            plan=plan,
            used=allowance,
            engine_options={"chunk_bytes": chunk, "max_line_bytes": 150},
        )
    result = engine["result"]
    assert result.read == result.rated + result.rejected
    assert result.rated == len(engine["rated"])


def test_totals_reconcile_with_the_rows(compiled, subscribers, cdr_file, tmp_path) -> None:
    rows = [
        ["a", "", LINES[0], "01632960001", "2026-06-08T10:00:00+01:00", "61", "ANSWERED", "false"],
        ["b", "", LINES[2], "07700900000", "2026-06-13T10:00:00+01:00", "601", "ANSWERED", "false"],
        ["c", "", LINES[2], "07700900000", "2026-06-13T10:00:00+01:00", "-1", "ANSWERED", "false"],
    ]
    out = tmp_path / "rated.csv"
    result = rate_file(cdr_file(rows), tariff=compiled, subscribers=subscribers, rated_path=out)
    rated = pl.read_csv(out, infer_schema=False)
    assert (result.read, result.rated, result.rejected) == (3, 2, 1)
    pence = sum(int(value.replace(".", "")) for value in rated["charge_ex_vat"])
    assert pence == result.total_ex_pence
    # 2 x 0.015 + 0.05 = 0.08; 11 x 0.0995 + 0.05 = 1.1445 -> 1.15; total 1.23.
    assert result.total_ex_pence == 123
    assert result.by_destination["mobile-fm3"]["minutes"] == 11


# --- bad input -------------------------------------------------------------------------------


def rate(path: Path, compiled, **kwargs):
    return rate_file(path, tariff=compiled, plan="broadband-phone-payg", **kwargs)


def test_an_empty_file_is_refused(compiled, tmp_path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CdrFileError, match=r"empty.csv: the file is empty$"):
        rate(path, compiled)


def test_binary_garbage_is_refused(compiled, tmp_path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(CdrFileError, match=r"binary data, not a CSV file of call records"):
        rate(path, compiled)


def test_a_wrong_header_is_refused(compiled, tmp_path) -> None:
    path = write_cdrs(tmp_path / "wrong.csv", [], header="id,from,to,when,seconds")
    with pytest.raises(CdrFileError) as caught:
        rate(path, compiled)
    assert str(caught.value) == (
        f"{path}: line 1: expected the header 'call_id,account,caller,callee,answered_at,"
        "billsec,disposition,operator_assisted', found 'id,from,to,when,seconds'"
    )


def test_a_two_gigabyte_line_is_refused_after_reading_a_few_megabytes(compiled, tmp_path) -> None:
    path = write_cdrs(tmp_path / "long.csv", [])
    with path.open("r+b") as handle:
        handle.seek(0, 2)
        handle.write(b"x" * (16 << 20))  # real bytes first, then a hole up to 2 GB
        handle.seek(2 << 30)
        handle.write(b"\n")
    out = tmp_path / "rated.parquet"
    with pytest.raises(CdrFileError, match=r"long.csv: line 2 is longer than 1 MiB"):
        rate(path, compiled, rated_path=out)
    assert not out.exists()


def test_a_long_line_inside_a_chunk_is_refused(compiled, tmp_path) -> None:
    path = write_cdrs(
        tmp_path / "long.csv",
        ["a,,01142000003,01632960001,2026-06-08T10:00:00Z,60,ANSWERED,false", "b" * 400],
    )
    with pytest.raises(CdrFileError, match=r"line 3 is longer than 300 bytes"):
        rate(path, compiled, max_line_bytes=300)
    with pytest.raises(CdrFileError, match=r"line 3 is longer than 300 bytes"):
        rate_file_reference(
            path, tariff=compiled.tariff, plan="broadband-phone-payg", max_line_bytes=300
        )


def test_garbage_lines_are_rejected_with_their_line_numbers(compiled, tmp_path) -> None:
    good = "a,,01142000003,01632960001,2026-06-08T10:00:00Z,60,ANSWERED,false"
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"call_id,account,caller,callee,answered_at,billsec,disposition,operator_assisted\n"
        + good.encode()
        + b"\n\xff\xfe\x00garbage\n\nb,,x\nc,,01142000003,01632960001,yesterday,60,ANSWERED,"
        b"false\nd,,01142000003,01632960001,2026-06-08T10:00:00Z,-60,ANSWERED,false\n"
    )
    rejects = tmp_path / "rejects.csv"
    result = rate(path, compiled, rejects_path=rejects)
    assert (result.read, result.rated, result.rejected) == (5, 1, 4)
    assert pl.read_csv(rejects)["line"].to_list() == [3, 5, 6, 7]
    assert pl.read_csv(rejects)["reason"].to_list() == [
        "line: not UTF-8 text",
        "line: expected 8 fields, found 3",
        "answered_at: not an ISO 8601 time with offset: 'yesterday'",
        "billsec: negative duration: '-60'",
    ]


def test_a_failed_run_leaves_no_output_behind(compiled, tmp_path) -> None:
    good = "a,,01142000003,01632960001,2026-06-08T10:00:00Z,60,ANSWERED,false"
    path = write_cdrs(tmp_path / "late.csv", [good] * 50 + ["x" * 400])
    out, rejects = tmp_path / "rated.csv", tmp_path / "rejects.csv"
    with pytest.raises(CdrFileError):
        rate(
            path,
            compiled,
            rated_path=out,
            rejects_path=rejects,
            chunk_bytes=500,
            max_line_bytes=300,
        )
    assert not out.exists() and not rejects.exists()


# --- Asterisk ---------------------------------------------------------------------------------

MASTER = (
    '"","01142000003","01632960001","from-internal","""Reception"" <01142000003>",'
    '"SIP/1003-00000001","SIP/trunk-00000002","Dial","SIP/trunk/01632960001,60,tT",'
    '"2026-06-10 17:57:00","2026-06-10 17:57:30","2026-06-10 18:03:00",360,330,"ANSWERED",'
    '"DOCUMENTATION","1781110650.1",""\n'
    '"","01142000003","07700900000","from-internal","""Reception"" <01142000003>",'
    '"SIP/1003-00000003","","Dial","SIP/trunk/07700900000,60",'
    '"2026-10-25 01:30:00","","2026-10-25 01:30:20",20,0,"NO ANSWER","DOCUMENTATION",'
    '"1792888200.3",""\n'
    '"","01142000003","07700900000","from-internal","""Reception"" <01142000003>",'
    '"SIP/1003-00000004","SIP/trunk-00000005","Dial","SIP/trunk/07700900000,60",'
    '"2026-03-29 01:30:00","2026-03-29 01:30:05","2026-03-29 01:40:00",595,590,"ANSWERED",'
    '"DOCUMENTATION"\n'
    "not,enough,fields\n"
)


def test_asterisk_master_csv(tariff, compiled, subscribers, tmp_path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text(MASTER, encoding="utf-8")
    engine = rate_both(path, tariff, compiled, tmp_path, subscribers=subscribers, fmt="asterisk")
    # Line 1: answered 17:57:30 BST for 330 s on Broadband Phone PAYG: 3 daytime and 3
    # evening minutes: 3 x 0.015 + 3 x 0.010 + 0.05 = 0.125 -> 0.13.
    assert engine["rated"][1]["call_id"] == "1781110650.1"
    assert engine["rated"][1]["charge_ex_vat"] == __import__("decimal").Decimal("0.13")
    # Line 2: not answered, at 01:30 on 25 October, an hour the clock shows twice: the
    # switch's local time cannot say which, so the record is rejected.
    assert engine["rejected"][2] == "answer: not a valid Europe/London time: '2026-10-25 01:30:00'"
    # Line 3: 01:30 on 29 March never happened (the clock went from 01:00 to 02:00).
    assert engine["rejected"][3].startswith("answer: not a valid Europe/London time")
    assert engine["rejected"][4] == "line: expected 16 to 18 fields, found 3"


def test_asterisk_in_utc(tariff, compiled, subscribers, tmp_path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text(MASTER, encoding="utf-8")
    engine = rate_both(
        path,
        tariff,
        compiled,
        tmp_path,
        subscribers=subscribers,
        fmt="asterisk",
        asterisk_utc=True,
    )
    assert set(engine["rated"]) == {1, 2, 3}
    assert engine["rated"][3]["call_id"] == "SIP/1003-00000004@2026-03-29 01:30:00"


def test_account_totals_survive_many_batches(tariff, compiled, subscribers, tmp_path) -> None:
    rows = [
        f"m{n},,{LINES[n % len(LINES)]},07700900{n:03d},2026-06-{1 + n % 28:02d}T10:00:00+01:00,"
        f"{60 * (1 + n % 7)},ANSWERED,false"
        for n in range(80)
    ]
    path = write_cdrs(tmp_path / "many.csv", rows)
    result = rate_file(path, tariff=compiled, subscribers=subscribers, chunk_bytes=200)
    reference = rate_file_reference(path, tariff=tariff, subscribers=subscribers)
    by_account: dict[str, int] = {}
    for row in reference.rows:
        pence = int(row.rated.ex_vat * 100)
        by_account[row.account] = by_account.get(row.account, 0) + pence
    months = result.account_months
    assert months is not None
    assert dict(zip(months["account_key"], months["ex_pence"], strict=True)) == by_account
    assert months["calls"].sum() == 80
    assert result.last_calls is not None and set(result.last_calls["caller_n"]) == set(LINES)
