"""Reading call detail record files: the two formats, their checks, and chunked reading.

Two formats are read:

- ``canonical``: a CSV file whose first line is exactly the header
  ``call_id,account,caller,callee,answered_at,billsec,disposition,operator_assisted``; each
  further line holds those eight fields separated by commas, unquoted (no field contains a
  comma). See ``docs/rating.md``.
- ``asterisk``: Asterisk's ``Master.csv`` from ``cdr_csv``, no header, the standard column
  order (16 fields, 17 with ``loguniqueid``, 18 with ``loguserfield``), fields quoted as
  CSV. Times are the switch's local wall-clock time (the brand's timezone), or UTC when
  the switch runs with ``usegmtime``.

A file that cannot be call records at all (missing, empty, binary, a wrong header, a line
longer than :data:`MAX_LINE_BYTES`) raises :class:`CdrFileError` and nothing is rated.
Anything else that is wrong is one bad line: it is rejected with its line number and
reason, and the rest of the file is rated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from backhaul.core.errors import InvalidInput

CANONICAL = "canonical"
ASTERISK = "asterisk"
FORMATS = (CANONICAL, ASTERISK)

CANONICAL_COLUMNS = (
    "call_id",
    "account",
    "caller",
    "callee",
    "answered_at",
    "billsec",
    "disposition",
    "operator_assisted",
)
CANONICAL_HEADER = ",".join(CANONICAL_COLUMNS)
ASTERISK_COLUMNS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
)
ASTERISK_MIN_FIELDS = 16
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
ANSWERED = "ANSWERED"

# Field formats, the same for every reader.
_DATE = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
#: ``answered_at`` (canonical): ISO 8601 with seconds and an offset (or Z).
ISO_TIME = rf"^{_DATE}T{_CLOCK}(\.[0-9]{{1,6}})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
#: ``start`` and ``answer`` (Asterisk): local wall-clock time.
LOCAL_TIME = rf"^{_DATE} {_CLOCK}$"
#: ``call_id``: 1 to 100 characters, no control characters.
CALL_ID = r"^[^\x00-\x1f\x7f]{1,100}$"
#: The same test in two cheaper parts: a control character anywhere, and the length.
CALL_ID_CONTROL = r"[\x00-\x1f\x7f]"
CALL_ID_MAX_CHARACTERS = 100
BILLSEC = r"^[0-9]{1,9}$"
NEGATIVE_BILLSEC = r"^-[0-9]+$"

#: A line longer than this is not a call record: the file is refused.
MAX_LINE_BYTES = 1 << 20
#: How much of the file is read and rated at a time.
CHUNK_BYTES = 16 << 20
_LINE_FEED = ord("\n")
_BOM = b"\xef\xbb\xbf"


class CdrFileError(InvalidInput):
    """A file that is not call detail records; the message names the file and the problem."""


@dataclass(frozen=True)
class Chunk:
    """Whole lines of a file: `data` starts at line `first_line` and ends at a line end
    (or at the end of the file)."""

    first_line: int
    data: bytes


def _size_text(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"


def _shown(text: bytes | str, limit: int = 80) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def open_checked(path: Path, fmt: str, *, max_line_bytes: int = MAX_LINE_BYTES) -> BinaryIO:
    """Open a CDR file positioned at its first record, after the file-level checks.

    Refuses an unknown format, a missing or empty file, and a first line that is binary
    (a NUL byte, not UTF-8), too long, or (canonical) not exactly :data:`CANONICAL_HEADER`.
    Garbage further on is rejected line by line.
    """
    if fmt not in FORMATS:
        raise CdrFileError(f"--format: expected {' or '.join(FORMATS)}, not {fmt!r}")
    if not path.is_file():
        raise CdrFileError(f"{path}: no such file")
    handle = path.open("rb")
    try:
        first = handle.readline(max_line_bytes + 1)
        if not first:
            raise CdrFileError(f"{path}: the file is empty")
        nul = first.find(b"\x00")
        if nul >= 0:
            raise CdrFileError(
                f"{path}: binary data, not a CSV file of call records (a NUL byte at offset {nul})"
            )
        if len(first) > max_line_bytes and not first.endswith(b"\n"):
            raise CdrFileError(
                f"{path}: line 1 is longer than {_size_text(max_line_bytes)}: "
                "not a file of call records"
            )
        try:
            text = first.removeprefix(_BOM).decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise CdrFileError(
                f"{path}: line 1 is not UTF-8 text: binary data, not a file of call records"
            ) from None
        if fmt == CANONICAL:
            if text != CANONICAL_HEADER:
                raise CdrFileError(
                    f"{path}: line 1: expected the header {CANONICAL_HEADER!r}, "
                    f"found {_shown(text)}"
                )
        else:
            handle.seek(len(_BOM) if first.startswith(_BOM) else 0)
    except BaseException:
        handle.close()
        raise
    return handle


def iter_chunks(
    path: Path,
    fmt: str,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[Chunk]:
    """Yield the file's records as chunks of whole lines, about `chunk_bytes` each.

    Each chunk is a block of the file and the rest of the line the block ends in. Raises
    :class:`CdrFileError` when that line goes on for more than `max_line_bytes`; lines that
    are too long inside a chunk are found by whoever splits the chunk (:func:`line_too_long`).
    """
    chunk_bytes = max(chunk_bytes, 1)
    with open_checked(path, fmt, max_line_bytes=max_line_bytes) as handle:
        first_line = 2 if fmt == CANONICAL else 1
        while True:
            data = handle.read(chunk_bytes)
            if not data:
                return
            if not data.endswith(b"\n"):
                rest = handle.readline(max_line_bytes + 1)
                if len(rest) > max_line_bytes and not rest.endswith(b"\n"):
                    raise line_too_long(path, first_line + _line_ends(data), max_line_bytes)
                data += rest
            yield Chunk(first_line=first_line, data=data)
            first_line += _line_ends(data) + (0 if data.endswith(b"\n") else 1)


def _line_ends(data: bytes) -> int:
    """How many line feeds `data` holds (a vector comparison: a third of ``bytes.count``'s
    time on a large chunk)."""
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _LINE_FEED))


def line_too_long(path: Path, line: int, max_line_bytes: int = MAX_LINE_BYTES) -> CdrFileError:
    return CdrFileError(
        f"{path}: line {line} is longer than {_size_text(max_line_bytes)}: "
        "not a file of call records"
    )


# --- splitting one line into fields (the exact, line-by-line path) -------------------------


def decode_line(raw: bytes) -> str | None:
    """A line as text without its line end, or None if it is not UTF-8."""
    try:
        return raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        return None


def is_blank(text: str) -> bool:
    """Blank lines (nothing but spaces) carry no record and are skipped, not counted."""
    return not text.strip()


def split_canonical(text: str) -> list[str] | str:
    """The eight fields of a canonical line, or the reason the line has the wrong shape."""
    fields = text.split(",")
    if len(fields) != len(CANONICAL_COLUMNS):
        return f"expected {len(CANONICAL_COLUMNS)} fields, found {len(fields)}"
    return fields


def split_asterisk(text: str) -> list[str] | str:
    """The fields of a ``Master.csv`` line mapped to the canonical columns, or a reason.

    ``call_id`` is the ``uniqueid`` when the switch logs it, otherwise the channel and start
    time together; ``answered_at`` is the answer time, or the start time of a call that was
    not answered. ``operator_assisted`` comes from the destination class alone.
    """
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error:
        return "bad CSV quoting"
    fields = rows[0] if rows else []
    if not ASTERISK_MIN_FIELDS <= len(fields) <= len(ASTERISK_COLUMNS):
        return (
            f"expected {ASTERISK_MIN_FIELDS} to {len(ASTERISK_COLUMNS)} fields, found {len(fields)}"
        )
    record = dict(zip(ASTERISK_COLUMNS, fields, strict=False))
    unique = record.get("uniqueid", "")
    call_id = unique or f"{record['channel']}@{record['start']}"
    answered = record["answer"] or record["start"]
    return [
        call_id,
        record["accountcode"],
        record["src"],
        record["dst"],
        answered,
        record["billsec"],
        record["disposition"],
        "false",
    ]


def split_line(text: str, fmt: str) -> list[str] | str:
    return split_canonical(text) if fmt == CANONICAL else split_asterisk(text)
