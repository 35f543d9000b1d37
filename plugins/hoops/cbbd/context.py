"""What the lake already knows about a season (teams, conferences, game days, ids), read from bronze.

The planner needs these to turn estimated groups (per team, per game day) into concrete requests; they
come from the season's `/teams` and `/games` responses, so the engine reads them after fetching those.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from hoops import paths
from hoops.cbbd.plan import SeasonContext
from hoops.lake import Lake


def _column_values(lake: Lake, prefix: str, columns: list[str]) -> dict[str, list]:
    values: dict[str, list] = {c: [] for c in columns}
    for key in lake.list(prefix):
        if key.endswith(".parquet"):
            table = pq.read_table(pa.BufferReader(lake.get(key)), columns=columns)
            for column in columns:
                values[column].extend(v for v in table[column].to_pylist() if v is not None)
    return values


def season_context(lake: Lake, season: int) -> SeasonContext:
    teams = _column_values(lake, paths.bronze_prefix("teams", season), ["school", "conference", "id"])
    games = _column_values(lake, paths.bronze_prefix("games", season), ["id", "startDate"])
    days = {d.astimezone(dt.UTC).date() for d in games["startDate"]}
    return SeasonContext(
        teams=tuple(teams["school"]) or None,
        conferences=tuple(teams["conference"]) or None,
        team_ids=tuple(teams["id"]) or None,
        game_days=tuple(days) or None,
        game_ids=tuple(games["id"]) or None,
    )
