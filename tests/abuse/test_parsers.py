"""Reading every report format from the fixtures written for it (no database)."""

from __future__ import annotations

import email.policy
import re
from datetime import UTC, datetime
from email.parser import BytesParser

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.abuse.parsers import Limits, parse_feed, parse_message
from backhaul.abuse.parsers.mail import (
    POLICY,
    _BoundaryLine,
    _QuickBoundaries,
    parse_bytes,
    raw_header,
    raw_headers,
)
from backhaul.abuse.parsers.safe_yaml import YamlRejected, load_bounded
from tests.abuse.conftest import FIXTURES, fixture

LIMITS = Limits()


def read(name: str, limits: Limits = LIMITS):
    return parse_message(fixture(name), limits=limits)


def only(parsed):
    assert parsed.rejected == ""
    assert len(parsed.incidents) == 1
    return parsed.incidents[0]


def test_arf_with_arrival_date_and_original_message() -> None:
    parsed = read("arf-lf.eml")
    incident = only(parsed)
    assert parsed.format == "arf"
    assert parsed.automated
    assert (parsed.reporter_email, parsed.recipients) == (
        "fbl@feedback.example.net",
        ("abuse@plus.net",),
    )
    assert (incident.category, incident.ip, incident.port) == ("spam", "192.0.2.10", None)
    assert (incident.at, incident.time_source) == (
        datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
        "arrival-date",
    )
    assert incident.full_headers
    assert incident.details["reported-domain"] == "example.com"
    # The folded Authentication-Results field is kept whole in the evidence.
    assert "spf=fail smtp.mail=somespammer@example.com" in incident.evidence


def test_crlf_and_lf_line_endings_read_alike() -> None:
    lf, crlf = only(read("arf-lf.eml")), only(read("arf-crlf.eml"))
    # The CRLF copy is the same report about .11 at 08:45.
    assert (crlf.ip, crlf.at, crlf.full_headers, crlf.category) == (
        "192.0.2.11",
        datetime(2026, 11, 20, 8, 45, tzinfo=UTC),
        True,
        "spam",
    )
    assert crlf.details["user-agent"] == lf.details["user-agent"] == "ExampleFBL/1.0"
    assert "\r" not in crlf.evidence.replace("\r\n", "\n")


def test_historic_received_date_folded_headers_and_rfc822_headers_part() -> None:
    parsed = read("arf-received-date.eml")
    incident = only(parsed)
    assert parsed.subject == "Complaint about message from 198.51.100.23"  # RFC 2047 decoded
    assert (incident.at, incident.time_source) == (
        datetime(2026, 11, 19, 21, 58, 12, tzinfo=UTC),
        "received-date",
    )
    assert incident.ip == "198.51.100.23"
    assert incident.full_headers  # text/rfc822-headers with a folded Received trace


def test_base64_encoded_feedback_and_original_parts() -> None:
    incident = only(read("arf-base64.eml"))
    assert (incident.ip, incident.at, incident.full_headers) == (
        "198.51.100.23",
        datetime(2026, 11, 20, 17, 5, tzinfo=UTC),
        True,
    )
    assert incident.details["user-agent"] == "Base64FBL/3.1"


def test_arf_missing_optional_parts_falls_back_to_the_report_date() -> None:
    parsed = read("arf-no-original.eml")
    incident = only(parsed)
    assert (incident.ip, incident.time_source, incident.full_headers) == (
        "192.0.2.10",
        "report-date",
        False,
    )
    assert incident.at == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert "original message not included" in parsed.notes


def test_not_spam_feedback_is_not_a_complaint() -> None:
    assert read("arf-not-spam.eml").rejected == "not a complaint (Feedback-Type: not-spam)"


def test_xarf_version_0_1() -> None:
    parsed = read("xarf-0.1.eml")
    incident = only(parsed)
    assert parsed.format == "xarf-0.1"
    assert (incident.category, incident.ip, incident.port, incident.at) == (
        "intrusion-attempt",
        "192.0.2.10",
        22,
        datetime(2026, 11, 20, 7, 12, 44, tzinfo=UTC),
    )
    assert "Failed password for admin" in incident.evidence
    assert incident.details["service"] == "ssh"


def test_xarf_0_2_with_a_base64_report_part_and_crlf() -> None:
    parsed = read("xarf-0.2-base64.eml")
    incident = only(parsed)
    assert parsed.format == "xarf-0.2"
    assert (incident.category, incident.ip, incident.port, incident.at) == (
        "port-scan",
        "203.0.113.50",
        1500,
        datetime(2026, 11, 20, 12, 0, 5, tzinfo=UTC),
    )


def test_xarf_v4_json_file_and_attachment() -> None:
    parsed = parse_feed(fixture("xarf4.json"), kind="json", limits=LIMITS)
    incident = only(parsed)
    assert parsed.reporter_email == "abuse-desk@loginguard.example.org"
    assert (incident.category, incident.ip, incident.port) == (
        "intrusion-attempt",
        "203.0.113.50",
        2100,
    )
    assert "Failed password for root" in incident.evidence
    mailed = only(read("xarf4-in-email.eml"))
    assert (mailed.category, mailed.ip, mailed.full_headers) == ("spam", "198.51.100.23", True)


def test_csv_feed_keeps_bad_rows_with_their_line() -> None:
    parsed = parse_feed(fixture("shadowserver.csv"), kind="csv", limits=LIMITS)
    rows = [(i.line, i.category, i.ip, i.port, i.problem) for i in parsed.incidents]
    assert rows == [
        (2, "intrusion-attempt", "192.0.2.10", 51515, ""),
        (3, "malware", "198.51.100.23", 6881, ""),
        (4, "intrusion-attempt", None, 22, "line 4: ip: not an IP address: '999.1.2.3'"),
        (5, "intrusion-attempt", "192.0.2.10", 22, "line 5: timestamp: not a date: 'yesterday'"),
        (6, "intrusion-attempt", "192.0.2.99", 22, ""),
    ]
    assert parsed.incidents[0].at == datetime(2026, 11, 20, 3, 0, 1, tzinfo=UTC)


def test_csv_feed_without_the_columns_is_rejected_whole() -> None:
    parsed = parse_feed(b"when,address\n2026-11-20,192.0.2.1\n", kind="csv", limits=LIMITS)
    assert parsed.rejected == "CSV feed without ip or timestamp column (columns: when, address)"


def test_pasted_headers_in_the_body_give_sender_and_time() -> None:
    incident = only(read("plain-spam-headers.eml"))
    # The reporter's own LMTP hop from 127.0.0.1 is skipped; the next hop names the sender.
    assert (incident.category, incident.ip, incident.at, incident.full_headers) == (
        "spam",
        "192.0.2.10",
        datetime(2026, 11, 20, 9, 41, 2, tzinfo=UTC),
        True,
    )


def test_spam_without_headers_is_read_but_has_none() -> None:
    incident = only(read("plain-spam-no-headers.eml"))
    assert (incident.category, incident.ip, incident.full_headers, incident.time_source) == (
        "spam",
        "192.0.2.10",
        False,
        "report-date",
    )


def test_firewall_log_counts_its_lines() -> None:
    incident = only(read("plain-firewall-log.eml"))
    assert (incident.category, incident.log_lines) == ("intrusion-attempt", 30)


def test_address_with_port_and_timestamp_in_free_text() -> None:
    incident = only(read("plain-port-scan.eml"))
    assert (incident.category, incident.ip, incident.port, incident.at) == (
        "port-scan",
        "203.0.113.50",
        2051,
        datetime(2026, 11, 20, 12, 14, 7, tzinfo=UTC),
    )


def test_vulnerability_in_our_network() -> None:
    assert only(read("security-vulnerability.eml")).category == "security-vulnerability"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("not-an-email.eml", "not an email: binary data"),
        ("not-an-email.txt", "not an email: the first line is not a header field ('')"),
        ("broken-mime.eml", "broken MIME: StartBoundaryNotFoundDefect in multipart/report"),
        (
            "xarf-yaml-bomb.eml",
            "X-ARF report: YAML expands to more than 5000 nodes (aliases repeated too often)",
        ),
    ],
)
def test_malformed_input_is_rejected_with_a_reason(name: str, reason: str) -> None:
    parsed = read(name)
    assert parsed.incidents == ()
    assert parsed.rejected == reason


def test_an_attachment_is_not_decoded_and_a_large_text_part_is_not_read() -> None:
    parsed = read("huge-attachment.eml")
    assert only(parsed).ip == "192.0.2.10"
    assert parsed.notes == ("attachment screenshot.png not read as text",)
    # A text part over the part limit is skipped, the rest of the report still read.
    limits = Limits(max_part_bytes=16)
    skipped = read("plain-port-scan.eml", limits)
    assert skipped.notes == ("part text/plain of 135 bytes not read (limit 16)",)
    assert only(skipped).ip is None


def test_yaml_bounds() -> None:
    bounds = {"max_bytes": 1000, "max_nodes": 50, "max_depth": 5}
    assert load_bounded("Source: 192.0.2.1\nPort: 22\n", **bounds) == {
        "Source": "192.0.2.1",
        "Port": 22,
    }
    for text, reason in [
        ("a: &a [*a]", "recursive alias"),
        ("x: " + "[" * 8 + "]" * 8, "nested deeper than 5"),
        ("x: " + "y" * 2000, "2003 bytes"),
        ("x: !!python/object/apply:os.system [ls]", "not valid YAML"),
    ]:
        with pytest.raises(YamlRejected, match=reason):
            load_bounded(text, **bounds)


def test_a_flat_report_counts_its_nodes_like_any_other_document() -> None:
    """A flat mapping of n scalars is 2n + 1 nodes, aliases to scalars included; a mapping
    with one nested value counts its children the same way."""
    bounds = {"max_bytes": 10000, "max_depth": 5}
    flat = "".join(f"k{n}: v{n}\n" for n in range(24))  # 49 nodes
    assert len(load_bounded(flat, max_nodes=49, **bounds)) == 24
    with pytest.raises(YamlRejected, match="more than 48 nodes"):
        load_bounded(flat, max_nodes=48, **bounds)
    aliased = "a: &x 1\nb: *x\n"  # 5 nodes
    assert load_bounded(aliased, max_nodes=5, **bounds) == {"a": 1, "b": 1}
    with pytest.raises(YamlRejected, match="more than 4 nodes"):
        load_bounded(aliased, max_nodes=4, **bounds)
    nested = "a: [1, 2]\nb: 3\n"  # 1 + (1 + 3) + 2 = 7 nodes
    assert load_bounded(nested, max_nodes=7, **bounds) == {"a": [1, 2], "b": 3}
    with pytest.raises(YamlRejected, match="more than 6 nodes"):
        load_bounded(nested, max_nodes=6, **bounds)
    with pytest.raises(YamlRejected, match="nested deeper than 0"):
        load_bounded("a: 1\n", max_nodes=50, max_bytes=100, max_depth=0)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_parsing_never_raises_for_any_bytes(raw: bytes) -> None:
    parsed = parse_message(raw, limits=LIMITS)
    assert parsed.rejected or parsed.incidents


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=1500))
def test_parsing_never_raises_for_header_like_text(text: str) -> None:
    raw = (
        f"From: x@example.org\nSubject: spam\nContent-Type: multipart/report; boundary=b\n\n{text}"
    )
    parsed = parse_message(raw.encode("utf-8", "surrogatepass"), limits=LIMITS)
    assert parsed.rejected or parsed.incidents


def mime_reading(raw: bytes, policy) -> list[tuple]:  # type: ignore[no-untyped-def]
    """What intake asks of every part's MIME headers."""
    message = BytesParser(policy=policy).parsebytes(raw)
    return [
        (
            part.get_content_type(),
            part.get_params(),
            part.get_params(header="content-disposition"),
            part.get_boundary(),
            part.get_filename(),
            part.get_content_charset(),
            part.get_content_disposition(),
            part.is_multipart(),
            [type(defect).__name__ for defect in part.defects],
        )
        for part in message.walk()
    ]


FIXTURE_FILES = sorted(p for p in FIXTURES.iterdir() if p.is_file())


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_every_fixture_reads_as_under_the_standard_policy(path) -> None:  # type: ignore[no-untyped-def]
    raw = path.read_bytes()
    assert mime_reading(raw, POLICY) == mime_reading(raw, email.policy.default)


# Mostly what mail software writes (tokens, quoted boundaries such as "----=_Part_1.2"),
# some of what it should not: RFC 2231 names, comments, escapes, encoded words.
PLAIN_WORD = st.text(alphabet="abcXYZ019_.+-", min_size=1, max_size=6)
MIME_WORD = st.one_of(
    PLAIN_WORD, PLAIN_WORD, st.text(alphabet="abcXYZ019!#$%&'*+.^_`|~-", min_size=1, max_size=6)
)
SPACE = st.sampled_from(["", " ", "\t", "  ", "\r\n ", "\r\n\t"])
QUOTED = st.one_of(
    st.text(alphabet="aZ0 _.+,/:=?-", max_size=12),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8),
)


@st.composite
def mime_values(draw) -> str:  # type: ignore[no-untyped-def]
    """Content-Type and Content-Disposition values, mostly plain, some not."""
    value = draw(MIME_WORD)
    if draw(st.booleans()):
        value += "/" + draw(MIME_WORD)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        name = draw(
            st.sampled_from(["boundary", "charset", "name", "filename", "Name", "filename*"])
        )
        text = draw(MIME_WORD) if draw(st.booleans()) else '"' + draw(QUOTED) + '"'
        value += f"{draw(SPACE)};{draw(SPACE)}{name}{draw(SPACE)}={draw(SPACE)}{text}"
    if draw(st.booleans()):
        value += draw(SPACE) + ";"
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        value += draw(st.sampled_from([" (comment)", " =?utf-8?q?x?=", "é", '"', "\\"]))
    return value


@settings(max_examples=2000, deadline=None)
@given(content_type=mime_values(), disposition=mime_values())
def test_mime_headers_read_as_under_the_standard_policy(content_type, disposition) -> None:  # type: ignore[no-untyped-def]
    raw = (
        f"From: a@example.org\r\nContent-Type: {content_type}\r\n"
        f"Content-Disposition: {disposition}\r\n\r\nbody\r\n"
    ).encode()
    assert mime_outcome(raw, POLICY) == mime_outcome(raw, email.policy.default)


def mime_outcome(raw: bytes, policy) -> object:  # type: ignore[no-untyped-def]
    """`mime_reading`, or the exception it raises: the standard library's header parser
    itself fails on some odd values (an IndexError for ``filename*="'" (comment)``), and
    then both must fail alike (intake keeps such a message as rejected)."""
    try:
        return mime_reading(raw, policy)
    except Exception as exc:  # compared, not hidden
        return ("raises", type(exc).__name__)


def test_a_header_the_standard_parser_fails_on_fails_alike() -> None:
    raw = (
        b"From: a@example.org\r\nContent-Type: 9.YY_\r\n"
        b'Content-Disposition: 0;filename*="\'" (comment)\r\n\r\nbody\r\n'
    )
    assert mime_outcome(raw, email.policy.default) == ("raises", "IndexError")
    assert mime_outcome(raw, POLICY) == ("raises", "IndexError")


def structure(message) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Every part as the parser left it: headers, preamble, epilogue, payload, defects."""
    return [
        (
            list(part.raw_items()),
            part.preamble,
            part.epilogue,
            None if part.is_multipart() else part.get_payload(),
            [type(defect).__name__ for defect in part.defects],
        )
        for part in message.walk()
    ]


def standard(raw: bytes):  # type: ignore[no-untyped-def]
    return BytesParser(policy=email.policy.default).parsebytes(raw)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_every_fixture_parses_as_under_the_standard_parser(path) -> None:  # type: ignore[no-untyped-def]
    raw = path.read_bytes()
    ours, theirs = parse_bytes(raw), standard(raw)
    assert structure(ours) == structure(theirs)
    assert ours.as_bytes() == theirs.as_bytes()


def feedparser_boundary(separator: str) -> re.Pattern[str]:
    """The pattern the standard parser compiles for a multipart's boundary lines."""
    return re.compile(
        "(?P<sep>" + re.escape(separator) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    )


BOUNDARY_TEXT = st.text(alphabet="aZ09'()+_,-./:=? \t\\[]*$^|", min_size=1, max_size=12)
LINE_END = st.sampled_from(["", "\n", "\r", "\r\n", "\r\n\n", "\n\n", "\r\r", "\n\r", "x", " x"])


@settings(max_examples=3000, deadline=None)
@given(
    boundary=BOUNDARY_TEXT,
    before=st.sampled_from(["", "--", "-", " ", "x"]),
    end=st.sampled_from(["", "--", "-", "---"]),
    blanks=st.sampled_from(["", " ", "\t", " \t "]),
    after=LINE_END,
)
def test_boundary_lines_match_as_the_standard_pattern_does(
    boundary: str, before: str, end: str, blanks: str, after: str
) -> None:
    separator = "--" + boundary
    pattern = feedparser_boundary(separator)
    quick = _QuickBoundaries().compile(pattern.pattern)
    assert isinstance(quick, _BoundaryLine)
    for line in (before + separator + end + blanks + after, separator[:-1] + after):
        expected, got = pattern.match(line), quick.match(line)
        if expected is None:
            assert got is None, line
            continue
        assert got is not None, line
        for group in (0, "sep", "end", "ws", "linesep"):
            assert got.group(group) == expected.group(group), (line, group)


def test_the_parser_in_use_compiles_its_boundary_patterns_through_quick_boundaries() -> None:
    # On this Python the standard parser's code is reused with the quick matcher: a
    # multipart message is read with a `_BoundaryLine`, not a compiled pattern.
    from email import feedparser

    from backhaul.abuse.parsers import mail

    assert mail._FeedParser is not feedparser.FeedParser
    assert mail._FeedParser._parsegen.__globals__["re"].__class__ is _QuickBoundaries


def test_other_patterns_are_compiled_by_re() -> None:
    assert _QuickBoundaries().compile(r"(\r\n|\r|\n)").pattern == r"(\r\n|\r|\n)"
    assert _QuickBoundaries().escape("a.b") == r"a\.b"


@settings(max_examples=300, deadline=None)
@given(
    boundary=BOUNDARY_TEXT.filter(lambda b: b.strip(" \t") == b and '"' not in b),
    newline=st.sampled_from(["\n", "\r\n"]),
    bodies=st.lists(
        st.sampled_from(["text", "", "--", "-- x", "--{b}x", "--{b} ", "--{b}--x", "line\n--{b}-"]),
        min_size=0,
        max_size=3,
    ),
    closed=st.booleans(),
    epilogue=st.sampled_from(["", "after", "\n"]),
)
def test_multipart_messages_parse_as_under_the_standard_parser(
    boundary: str, newline: str, bodies: list[str], closed: bool, epilogue: str
) -> None:
    lines = [
        "From: a@example.org",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        "preamble",
    ]
    for body in bodies:
        lines += [f"--{boundary}", "Content-Type: text/plain", "", body.format(b=boundary)]
    if closed:
        lines += [f"--{boundary}--", epilogue]
    raw = newline.join(lines).encode()
    ours, theirs = parse_bytes(raw), standard(raw)
    assert structure(ours) == structure(theirs)
    assert ours.as_bytes() == theirs.as_bytes()


def test_headers_are_read_again_after_they_change() -> None:
    message = parse_bytes(fixture("xarf-0.1.eml"))
    assert message.get_content_type() == "multipart/mixed"
    message.replace_header("Content-Type", "text/plain; charset=latin-1")
    assert (message.get_content_type(), message.get_content_charset()) == ("text/plain", "latin-1")
    del message["Content-Type"]
    assert (message.get_content_type(), raw_header(message, "Content-Type")) == ("text/plain", "")
    message["Content-Type"] = "text/html"
    message["X-Extra"] = "one"
    message.add_header("X-Extra", "two")
    assert message.get_content_type() == "text/html"
    assert raw_headers(message, "x-extra") == ["one", "two"]


@pytest.mark.parametrize(
    "document",
    [
        "Source: 192.0.2.1\nPort: 22\nDate: 2026-11-20T08:30:00Z\nUp: true\nNone: ~\nRate: 1.5",
        "a: 1\na: 2\n",
        "1: one\n2.5: two\nyes: three\n",
        "Date: 2026-11-20\nName: 'quoted'\nEmpty:\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
        "<<: {x: 1}\ny: 2\n",
        "=: value\n",
        "!!str 12: !!int '7'\n",
        "- a\n- b\n",
    ],
)
def test_a_yaml_report_loads_as_safe_load_does(document: str) -> None:
    loaded = load_bounded(document, max_bytes=10000, max_nodes=1000, max_depth=10)
    assert loaded == yaml.safe_load(document)
    assert type(loaded) is type(yaml.safe_load(document))
