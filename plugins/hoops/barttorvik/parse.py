"""Bytes of a `team_results` file → typed rows, by position.

The file is a JSON array of 45-element arrays, gzipped for the time machine. Ints and floats mix in
the same column across files, so every value is coerced to its column's type. A row that can't be
typed is returned as a reject with the reason (it goes to quarantine); a body that isn't the layout at
all raises `MalformedSnapshot`.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import zlib
from dataclasses import dataclass
from typing import Any

from hoops.barttorvik.layout import COLUMNS, WIDTH

GZIP_MAGIC = b"\x1f\x8b"
_RECORD = re.compile(r"^\s*(\d+)-(\d+)\s*$")


class MalformedSnapshot(ValueError):
    """The body is not a team_results file (truncated, not JSON, not an array of rows)."""


@dataclass(frozen=True)
class Reject:
    row_index: int
    team_name: str | None
    reason: str
    raw_row: Any


def decode(payload: bytes) -> list[Any]:
    """Gunzip when the gzip magic is there (servers differ), parse JSON, check the outer shape."""
    if payload[:2] == GZIP_MAGIC:
        try:
            payload = gzip.decompress(payload)
        except (EOFError, OSError, zlib.error) as exc:
            raise MalformedSnapshot(f"gzip body is truncated or corrupt ({exc})") from None
    head = payload.lstrip()[:1]
    if head == b"<":
        raise MalformedSnapshot("body is HTML, not a team_results JSON array")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedSnapshot(
            f"body is not valid JSON ({exc.msg if hasattr(exc, 'msg') else exc})"
        ) from None
    if not isinstance(data, list):
        raise MalformedSnapshot(f"expected a JSON array of team rows, got a JSON {type(data).__name__}")
    if not data:
        raise MalformedSnapshot("the file has no team rows")
    if not any(isinstance(row, list) for row in data):
        raise MalformedSnapshot("expected an array of positional arrays; no row is an array")
    return data


def _to_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip()):
        result = float(value)
    else:
        return None
    if not math.isfinite(result):
        raise ValueError(f"{value!r}")
    return result


def _to_int(value: Any) -> int | None:
    number = _to_float(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"{value!r}, not a whole number")
    return int(number)


def _to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    raise ValueError(f"{value!r}, not text")


_COERCE = {"int": _to_int, "float": _to_float, "text": _to_text}


def split_record(record: str | None) -> tuple[int | None, int | None]:
    match = _RECORD.match(record or "")
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def parse_row(row: Any) -> tuple[Any, ...]:
    """One positional row → typed values in layout order; ValueError says which column is wrong."""
    if not isinstance(row, list):
        raise ValueError(f"row is a JSON {type(row).__name__}, not an array")
    if len(row) != WIDTH:
        raise ValueError(f"row has {len(row)} values, expected {WIDTH}")
    values = []
    for column in COLUMNS:
        try:
            values.append(_COERCE[column.kind](row[column.index]))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"column {column.index} ({column.name}) has {exc}") from None
    return tuple(values)


def parse_rows(data: list[Any]) -> tuple[list[tuple[int, tuple[Any, ...]]], list[Reject]]:
    """Typed rows with their position in the file, and the rows that could not be typed."""
    rows, rejects = [], []
    for index, raw in enumerate(data):
        try:
            rows.append((index, parse_row(raw)))
        except ValueError as exc:
            name = raw[1] if isinstance(raw, list) and len(raw) > 1 and isinstance(raw[1], str) else None
            rejects.append(Reject(index, name, str(exc), raw))
    return rows, rejects
