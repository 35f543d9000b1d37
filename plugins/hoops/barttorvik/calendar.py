"""What a snapshot date means at the source: its season, whether it is in season, and which file serves it.

`snapshot_date` D means "ratings before any game of day D" (America/New_York). Today's snapshot comes
from the live season file; a past D is rebuilt from the time-machine file dated D-1, because a file
dated X already includes X's games.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Regular season opens in early November; the title game is in early April.
SEASON_START = (11, 1)
SEASON_END = (4, 15)
# The time machine starts with the 2014-15 season.
FIRST_TIMEMACHINE_DATE = dt.date(2014, 11, 1)


def season_of(day: dt.date) -> int:
    """The season is named by its spring year: 2025-11-10 belongs to 2026."""
    return day.year + 1 if day.month >= 7 else day.year


def season_window(season: int) -> tuple[dt.date, dt.date]:
    return dt.date(season - 1, *SEASON_START), dt.date(season, *SEASON_END)


def in_season(day: dt.date) -> bool:
    start, end = season_window(season_of(day))
    return start <= day <= end


@dataclass(frozen=True)
class SourceFile:
    """The file that serves a snapshot: `live` (today) or `timemachine` (a past date, file D-1)."""

    kind: str
    path: str
    file_name: str
    file_date: dt.date

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/{self.path}"


def source_for(snapshot_date: dt.date, today: dt.date) -> SourceFile:
    if snapshot_date > today:
        raise ValueError(f"snapshot_date {snapshot_date} is in the future (today is {today} in New York)")
    if snapshot_date == today:
        name = f"{season_of(snapshot_date)}_team_results.json"
        return SourceFile("live", name, name, snapshot_date)
    file_date = snapshot_date - dt.timedelta(days=1)
    name = f"{file_date:%Y%m%d}_team_results.json.gz"
    return SourceFile("timemachine", f"timemachine/team_results/{name}", name, file_date)
