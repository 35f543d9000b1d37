"""The real source samples: where they are, and the BartTorvik files' rows by position (the replay server,
the mapping build and tests).

Time-machine files are JSON arrays (gzipped or not); season CSVs have a header that is skipped, never
trusted (some downloads carry 44 names for 45 values).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from hoops.barttorvik.parse import decode
from hoops.settings import PROJECT_ROOT


def samples_dir() -> Path:
    """The real samples: env `HOOPS_SAMPLES_DIR`, default ../shared/samples beside the project root."""
    return Path(os.environ.get("HOOPS_SAMPLES_DIR") or PROJECT_ROOT.parent / "shared" / "samples").resolve()


def read_rows(path: Path) -> list[list]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            return [row for row in reader if row]
    return decode(path.read_bytes())
