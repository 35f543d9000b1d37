"""Which BartTorvik file serves a snapshot date (seasons and windows are in `hoops.calendar`).

`snapshot_date` D means "ratings before any game of day D" (America/New_York). Today's snapshot comes
from the live season file; a past D is rebuilt from the time-machine file dated D-1, because a file
dated X already includes X's games.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hoops.calendar import season_of

# The time machine starts with the 2014-15 season.
FIRST_TIMEMACHINE_DATE = dt.date(2014, 11, 1)


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
