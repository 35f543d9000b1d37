"""The barttorvik.com routes: the live season file and the time machine.

Real samples are served byte for byte where they exist; other in-season dates get generated data,
and dates the real site would not have answer 404.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from devkit.replay.barttorvik_generate import generate_rows, to_gzip, to_json
from devkit.replay.barttorvik_teams import (
    read_timemachine_json,
    teams_for_season,
    timemachine_dir,
    timemachine_files,
)
from devkit.replay.response import NOT_FOUND, Response
from hoops.barttorvik.sources import FIRST_TIMEMACHINE_DATE
from hoops.calendar import bt_snapshot_window, in_bt_snapshot_window, season_of

LIVE_PATH = re.compile(r"^/(\d{4})_team_results\.json$")
TIMEMACHINE_PATH = re.compile(r"^/timemachine/team_results/(\d{8})_team_results\.json\.gz$")
JSON_TYPE = "application/json"
GZIP_TYPE = "application/x-gzip"


@lru_cache(maxsize=64)
def generated_json(samples_dir: Path, day: dt.date) -> bytes:
    """A generated file, anchored to the season's real sample when there is one (no overnight jumps)."""
    season = season_of(day)
    real = [d for d in timemachine_files(samples_dir) if season_of(d) == season]
    anchor = None
    if real:
        nearest = min(real, key=lambda d: (abs((d - day).days), d))
        anchor = (nearest, json.loads(read_timemachine_json(timemachine_files(samples_dir)[nearest])))
    return to_json(generate_rows(teams_for_season(samples_dir, season), day, anchor))


@lru_cache(maxsize=64)
def generated_gzip(samples_dir: Path, day: dt.date) -> bytes:
    return to_gzip(generated_json(samples_dir, day), day)


class BartTorvikSource:
    """Answers like barttorvik.com as of `today()` (data through yesterday, as the site publishes)."""

    def __init__(self, samples_dir: Path, today: Callable[[], dt.date]):
        self.samples_dir = samples_dir
        self.today = today

    def handle(self, path: str, query: Mapping[str, str]) -> Response | None:
        if match := LIVE_PATH.match(path):
            return self.live(int(match.group(1)))
        if match := TIMEMACHINE_PATH.match(path):
            try:
                day = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
            except ValueError:
                return NOT_FOUND
            return self.timemachine(day)
        return None

    def live(self, season: int) -> Response:
        """The season file as of today: through yesterday, or the final file once the season is over."""
        start, end = bt_snapshot_window(season)
        today = self.today()
        if today < start:
            return NOT_FOUND
        return Response(200, self.json_for(min(today - dt.timedelta(days=1), end)), JSON_TYPE)

    def timemachine(self, day: dt.date) -> Response:
        real = timemachine_dir(self.samples_dir) / f"{day:%Y%m%d}_team_results.json.gz"
        if real.is_file():
            return Response(200, real.read_bytes(), GZIP_TYPE)
        if day < FIRST_TIMEMACHINE_DATE or not in_bt_snapshot_window(day):
            return NOT_FOUND
        return Response(200, generated_gzip(self.samples_dir, day), GZIP_TYPE)

    def json_for(self, day: dt.date) -> bytes:
        """The decompressed JSON of the snapshot dated `day`, real when a sample has it."""
        real = timemachine_files(self.samples_dir).get(day)
        if real is not None:
            return read_timemachine_json(real)
        return generated_json(self.samples_dir, day)
