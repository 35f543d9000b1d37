"""Which teams (name, conference) a generated BartTorvik snapshot lists, taken from the real samples.

Real names keep generated files joinable with the team crosswalks. Order of preference for a season:
a time-machine file of that season, a season CSV of that season, then the season CSV nearest in time.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from devkit.samples import read_rows
from hoops.barttorvik.sources import season_of

TIMEMACHINE_NAME = re.compile(r"^(\d{8})_team_results\.json(\.gz)?$")
SEASON_CSV_NAME = re.compile(r"^(\d{4})_team_results.*\.csv$")
# Used only when no sample is available at all (e.g. a checkout without ../shared/samples).
FALLBACK_TEAM_COUNT = 353
FALLBACK_CONFERENCE_SIZE = 11


class Team(NamedTuple):
    name: str
    conf: str


def timemachine_dir(samples_dir: Path) -> Path:
    return samples_dir / "barttorvik" / "timemachine"


def season_csv_dir(samples_dir: Path) -> Path:
    return samples_dir / "barttorvik" / "season_csv"


def timemachine_files(samples_dir: Path) -> dict[dt.date, Path]:
    """Real time-machine samples by file date; the plain `.json` copy wins over the `.gz` of the same date."""
    found: dict[dt.date, Path] = {}
    folder = timemachine_dir(samples_dir)
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir(), key=lambda p: p.name, reverse=True):
        match = TIMEMACHINE_NAME.match(path.name)
        if match:
            day = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
            if day not in found or not match.group(2):
                found[day] = path
    return found


def read_timemachine_json(path: Path) -> bytes:
    """The decompressed JSON text of a real sample."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def _teams_from_rows(rows: list[list[object]]) -> tuple[Team, ...]:
    seen: dict[str, Team] = {}
    for row in rows:
        if len(row) > 2 and isinstance(row[1], str) and row[1] and row[1] not in seen:
            seen[row[1]] = Team(row[1], str(row[2]))
    return tuple(seen.values())


def _teams_from_csv(path: Path) -> tuple[Team, ...]:
    return _teams_from_rows(read_rows(path))


def _fallback_teams() -> tuple[Team, ...]:
    size = FALLBACK_CONFERENCE_SIZE
    return tuple(Team(f"Team {i + 1:03d}", f"C{i // size + 1:02d}") for i in range(FALLBACK_TEAM_COUNT))


@lru_cache(maxsize=32)
def teams_for_season(samples_dir: Path, season: int) -> tuple[Team, ...]:
    """The team list a generated file of `season` uses (cached: samples are read-only)."""
    in_season = [day for day in timemachine_files(samples_dir) if season_of(day) == season]
    if in_season:
        path = timemachine_files(samples_dir)[max(in_season)]
        teams = _teams_from_rows(json.loads(read_timemachine_json(path)))
        if teams:
            return teams
    csvs: dict[int, Path] = {}
    folder = season_csv_dir(samples_dir)
    if folder.is_dir():
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            match = SEASON_CSV_NAME.match(path.name)
            if match:
                csvs.setdefault(int(match.group(1)), path)
    if not csvs:
        return _fallback_teams()
    nearest = min(csvs, key=lambda year: (abs(year - season), -year))
    return _teams_from_csv(csvs[nearest]) or _fallback_teams()
