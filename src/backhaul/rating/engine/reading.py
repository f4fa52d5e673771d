"""A chunk of whole lines as a frame of string columns, and the lines rejected for their shape."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from backhaul.rating import importers
from backhaul.rating.importers import CANONICAL, CANONICAL_COLUMNS, Chunk

REJECT_SCHEMA = {"line": pl.Int64, "reason": pl.String, "text": pl.String}
_FIELD_SEPARATORS = len(CANONICAL_COLUMNS) - 1


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_SCHEMA)


def empty_records() -> pl.DataFrame:
    return pl.DataFrame(
        schema={**dict.fromkeys(CANONICAL_COLUMNS, pl.String), "line": pl.Int64, "text": pl.String}
    )


def chunk_frame(
    chunk: Chunk, path: Path, *, fmt: str, max_line_bytes: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The chunk's records as string columns (with ``line``, and ``text`` where the line was
    split by hand), and the lines rejected for their shape."""
    if fmt == CANONICAL:
        fast = _fast_canonical(chunk, path, max_line_bytes)
        if fast is not None:
            return fast, empty_rejects()
    return _exact(chunk, path, fmt, max_line_bytes)


def _fast_canonical(chunk: Chunk, path: Path, max_line_bytes: int) -> pl.DataFrame | None:
    """The chunk parsed by Polars' CSV reader, or None when a line needs a closer look.

    The reader is told nothing about line shapes, so its result is accepted only when it
    provably has one row per line and eight fields per row: no carriage return, no row
    whose last field is empty (a short line leaves it empty, and an empty
    ``operator_assisted`` is wrong anyway), and the fields' bytes plus seven commas and a
    line end per row add up to the chunk's size (a long line would leave bytes over).
    Anything else takes the line-by-line path.
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
    rows = frame.height
    if frame.width != len(CANONICAL_COLUMNS) or rows == 0:
        return None
    measures = frame.select(
        (pl.col("operator_assisted").str.len_bytes() == 0).any(),
        *[pl.col(c).str.len_bytes().sum().alias(f"{c}_sum") for c in CANONICAL_COLUMNS],
        *[pl.col(c).str.len_bytes().max().alias(f"{c}_max") for c in CANONICAL_COLUMNS],
    ).row(0)
    fields = len(CANONICAL_COLUMNS)
    short, total, widest = measures[0], sum(measures[1 : 1 + fields]), sum(measures[1 + fields :])
    line_ends = rows if data.endswith(b"\n") else rows - 1
    if short or total + _FIELD_SEPARATORS * rows + line_ends != len(data):
        return None
    if widest + _FIELD_SEPARATORS > max_line_bytes:
        # Some line may be too long: find the longest one exactly.
        length = pl.sum_horizontal(pl.col(c).str.len_bytes() for c in CANONICAL_COLUMNS)
        longest, at = frame.select(length.max(), length.arg_max()).row(0)
        if longest + _FIELD_SEPARATORS > max_line_bytes:
            raise importers.line_too_long(path, chunk.first_line + at, max_line_bytes)
    return frame.with_columns(
        pl.int_range(chunk.first_line, chunk.first_line + rows, dtype=pl.Int64).alias("line"),
        pl.lit(None, dtype=pl.String).alias("text"),
    )


def _exact(
    chunk: Chunk, path: Path, fmt: str, max_line_bytes: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Line by line: for CRLF files, garbage, and Asterisk's quoted CSV."""
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
        if len(raw) > max_line_bytes:
            raise importers.line_too_long(path, number, max_line_bytes)
        text = importers.decode_line(raw)
        if text is None:
            rejected_lines.append(number)
            reasons.append("line: not UTF-8 text")
            rejected_texts.append(raw.decode("utf-8", errors="replace"))
            continue
        if importers.is_blank(text):
            continue
        fields = importers.split_line(text, fmt)
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
        schema={**dict.fromkeys(CANONICAL_COLUMNS, pl.String), "line": pl.Int64, "text": pl.String},
    )
    rejects = pl.DataFrame(
        {"line": rejected_lines, "reason": reasons, "text": rejected_texts},
        schema=REJECT_SCHEMA,
    )
    return frame, rejects
