"""Rows of the real BartTorvik sample files, by position (the replay server, the mapping build and tests).

Time-machine files are JSON arrays (gzipped or not); season CSVs have a header that is skipped, never
trusted (some downloads carry 44 names for 45 values).
"""

from __future__ import annotations

import csv
from pathlib import Path

from hoops.barttorvik.parse import decode


def read_rows(path: Path) -> list[list]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            return [row for row in reader if row]
    return decode(path.read_bytes())
