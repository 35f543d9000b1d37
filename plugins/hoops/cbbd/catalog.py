"""The 40 CBBD GET endpoints, each declared once: path, parameters, row schema, key and planning hints.

The planner, the async fetcher, the bronze writer and the replay server all read these declarations,
so a fact about an endpoint lives here and nowhere else. Source: the cbbd 1.30.1 client as recorded in
`reference/cbbd_endpoints.json` and `reference/cbbd.md`; the unit test checks every declaration
against that JSON field by field, but nothing here reads it at runtime.

Forward compatibility: each schema ends with a nullable string column `_extra` holding, as JSON,
any top-level key the API adds later, so a new field is kept in bronze instead of being dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from hoops.cbbd.coerce import CoercionError, Converter, converter, null_violations, unknown_keys
from hoops.cbbd.schema import ENUMS, MODELS, SchemaError

EXTRA_COLUMN = "_extra"

SCOPES = ("reference", "season", "date", "game", "player", "live")
"""How an endpoint is swept: once (reference), per season, per date window or day, per game id,
per player id, or live only (`/scoreboard`, "other" in the JSON)."""

PARAM_TYPES = {"int": "integer", "num": "number", "str": "string", "bool": "boolean", "datetime": "datetime"}

__all__ = [
    "ENDPOINTS",
    "EXTRA_COLUMN",
    "REFRESH_DAYS",
    "SCOPES",
    "CoercionError",
    "Endpoint",
    "Param",
    "by_path",
    "coerce_record",
    "covered_by",
    "get",
    "null_violations",
    "split_known",
    "to_row",
    "to_table",
    "unknown_paths",
]


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "query" | "path"
    type: str  # "integer" | "number" | "string" | "boolean" | "datetime" (ISO-8601 text on the wire)
    required: bool = False
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Endpoint:
    """One GET endpoint. Plain fields only, so planners and tests can read and compare them directly."""

    name: str  # stable snake_case id, used in lake paths and task ids
    path: str  # with {placeholders} for path parameters
    model: str  # the response model's name in the cbbd client, for people reading both
    scope: str  # one of SCOPES
    params: tuple[Param, ...]
    schema: pa.Schema  # one response row (the single object for non-list responses), then `_extra`
    primary_key: tuple[str, ...]  # columns unique at the row grain; `a.b` reaches into a struct
    row_cap: int | None = None  # the server silently truncates at this many rows
    response_is_list: bool = True
    tier: int = 0  # Patreon tier required (0 = free key)
    counts_against_quota: bool = True
    season_param: str | None = None  # "season" or "year": the parameter that selects a season
    min_season: int | None = None  # first season (or draft/recruiting year) with data
    skip_seasons: tuple[int, ...] = ()  # seasons after min_season with no data at all
    date_window: bool = False  # capped, so swept by startDateRange/endDateRange windows split when full
    bulk_for: tuple[str, ...] = ()  # endpoints whose rows this one returns far more cheaply
    default_in_plan: bool = True  # False: fan-out, live or paid endpoints, only on request
    key_params: tuple[str, ...] = ()  # request params completing the key because rows lack them
    refresh_days: int | None = None  # cadence of the daily run (REFRESH_DAYS); None: backfills only

    @property
    def schema_without_extra(self) -> pa.Schema:
        """The response row exactly as the API documents it (no `_extra`)."""
        return self.schema.remove(self.schema.get_field_index(EXTRA_COLUMN))

    @cached_property
    def known_fields(self) -> frozenset[str]:
        return frozenset(self.schema.names) - {EXTRA_COLUMN}

    @property
    def path_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == "path")

    @property
    def query_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == "query")

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r}; it takes {[p.name for p in self.params]}")

    def has_season(self, season: int) -> bool:
        """Whether the API has data for `season` (for reference endpoints: always)."""
        if self.min_season is None:
            return True
        return season >= self.min_season and season not in self.skip_seasons

    def url_path(self, **path_params: object) -> str:
        """`/plays/game/{gameId}` with gameId=5 -> `/plays/game/5` (values URL-encoded)."""
        wanted = {p.name for p in self.path_params}
        if set(path_params) != wanted or any(v is None or v == "" for v in path_params.values()):
            raise ValueError(f"{self.name}: {self.path} needs exactly {sorted(wanted)}, got {path_params}")
        return re.sub(r"\{(\w+)\}", lambda m: quote(str(path_params[m[1]]), safe=""), self.path)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if a concrete request path (no query string) is this endpoint's."""
        found = self._path_regex.fullmatch(path)
        return found.groupdict() if found else None

    @cached_property
    def _path_regex(self) -> re.Pattern[str]:
        parts = re.split(r"\{(\w+)\}", self.path)
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
        return re.compile(pattern)

    @cached_property
    def _row_type(self) -> pa.StructType:
        return pa.struct(list(self.schema_without_extra))

    @cached_property
    def _converters(self) -> tuple[tuple[str, Converter], ...]:
        return tuple(
            (f.name, conv) for f in self.schema_without_extra if (conv := converter(f.type)) is not None
        )


# ---------------------------------------------------------------------------------------------------
# Declarations. Params use the schema grammar: `*` marks a required parameter, a `{name}` in the path
# makes it a path parameter, and an enum type (SeasonType, GameStatus) carries its allowed values.

_PARAM = re.compile(r"^(?P<req>\*?)(?P<name>[A-Za-z_]\w*):(?P<type>\w+)$")


def _params(path: str, spec: str) -> tuple[Param, ...]:
    placeholders = set(re.findall(r"\{(\w+)\}", path))
    out: list[Param] = []
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        m = _PARAM.match(item)
        if not m or (m["type"] not in PARAM_TYPES and m["type"] not in ENUMS):
            raise SchemaError(f"{path}: cannot parse parameter {item!r}")
        enum = ENUMS.get(m["type"])
        kind = "string" if enum else PARAM_TYPES[m["type"]]
        location = "path" if m["name"] in placeholders else "query"
        out.append(Param(m["name"], location, kind, bool(m["req"]), enum))
    if {p.name for p in out if p.location == "path" and p.required} != placeholders:
        raise SchemaError(f"{path}: every placeholder must be declared as a required parameter")
    return tuple(out)


REFRESH_DAYS: dict[str, int] = {
    # Daily, for the rolling window: what people use the morning after (scores, box scores, plays, lines,
    # broadcasts) and the ratings gold keeps one snapshot per day of. About 17 calls a day in season.
    **dict.fromkeys(("games", "games_teams", "games_players", "games_media", "lines", "plays_date"), 1),
    **dict.fromkeys(("ratings_adjusted", "ratings_srs", "ratings_elo"), 1),
    # Per-game repairs, when named: the window's games.
    **dict.fromkeys(("lineups_game", "plays_game", "substitutions_game"), 1),
    # Weekly: season-to-date aggregates that move a little each game day, the polls (published weekly)
    # and the season's D1 list. The per-team and per-conference ones are the expensive ones (~362 calls
    # each for lineups and substitutions, ~31 each for shooting): read daily they would cost ~24,000 calls
    # a month, weekly ~3,300, and under the free tier they take whatever the daily share leaves.
    **dict.fromkeys(
        (
            "rankings", "teams", "teams_roster", "stats_team_season", "stats_player_season",
            "stats_team_shooting_season", "stats_player_shooting_season", "stats_team_leaderboard",
            "lineups_team", "substitutions_team", "plays_team", "plays_tournament", "teams_overview",
            "plays_player", "substitutions_player",
        ),
        7,
    ),
}  # fmt: skip
"""Days between two reads of the same request by the daily run, chosen by value and cost (cbbd.md §2).
Not listed: reference lists (read once, final), draft, recruiting and the directory (they change between
seasons: backfills), and /scoreboard (live only)."""


def _ep(name: str, path: str, model: str, scope: str, params: str = "", **facts: Any) -> Endpoint:
    facts.setdefault("refresh_days", REFRESH_DAYS.get(name))
    if model not in MODELS:
        raise SchemaError(f"{name}: unknown response model {model!r}")
    fields = [*MODELS[model], pa.field(EXTRA_COLUMN, pa.string(), nullable=True)]
    return Endpoint(name, path, model, scope, _params(path, params), pa.schema(fields), **facts)


_GAME_FILTERS = (
    "startDateRange:datetime, endDateRange:datetime, team:str, conference:str, season:num, "
    "seasonType:SeasonType, tournament:str"
)
_SEASON_STATS_FILTERS = (
    "seasonType:SeasonType, team:str, conference:str, startDateRange:datetime, endDateRange:datetime"
)
_NO_PBP = (2004, 2005)  # play-by-play and shooting splits: 2003, then 2006 on (cbbd.md §2)

# fmt: off
_DECLARATIONS = (
    # One row per conference; the membership spans are the nested teams[].
    _ep("conferences_history", "/conferences/history", "ConferenceHistory", "reference", "conference:str",
        primary_key=("id",)),
    _ep("conferences", "/conferences", "ConferenceInfo", "reference", primary_key=("id",)),
    # The overall pick number is unique within a draft year.
    _ep("draft_picks", "/draft/picks", "DraftPick", "season",
        "year:int, draftTeam:str, sourceTeam:str, position:str",
        primary_key=("year", "overall"), season_param="year", min_season=2001),
    _ep("draft_positions", "/draft/positions", "DraftPosition", "reference", primary_key=("name",)),
    _ep("draft_teams", "/draft/teams", "DraftTeam", "reference", primary_key=("id",)),
    # One row per game; broadcasts[] is nested.
    _ep("games_media", "/games/media", "GameMediaInfo", "date", _GAME_FILTERS,
        primary_key=("gameId",), row_cap=3000, season_param="season", min_season=2011, date_window=True),
    # One row per team-game; the players are the nested players[], so the player grain
    # (gameId, teamId, players[].athleteSourceId) only exists after unnesting in silver.
    _ep("games_players", "/games/players", "GameBoxScorePlayers", "date", _GAME_FILTERS,
        primary_key=("gameId", "teamId"), row_cap=1000, season_param="season", min_season=2003,
        date_window=True),
    _ep("games_teams", "/games/teams", "GameBoxScoreTeam", "date", _GAME_FILTERS,
        primary_key=("gameId", "teamId"), row_cap=3000, season_param="season", min_season=2003,
        date_window=True),
    _ep("games", "/games", "GameInfo", "date",
        "startDateRange:datetime, endDateRange:datetime, team:str, conference:str, season:int, "
        "seasonType:SeasonType, status:GameStatus, tournament:str",
        primary_key=("id",), row_cap=3000, season_param="season", min_season=1949, date_window=True),
    # Live only, no history, not metered, Tier 1.
    _ep("scoreboard", "/scoreboard", "ScoreboardGame", "live", "conference:str",
        primary_key=("id",), tier=1, counts_against_quota=False, default_in_plan=False),
    # One row per game; (gameId, provider) is the grain after unnesting lines[].
    _ep("lines", "/lines", "GameLines", "date",
        "season:int, team:str, conference:str, startDateRange:datetime, endDateRange:datetime",
        primary_key=("gameId",), row_cap=3000, season_param="season", min_season=2013, date_window=True),
    _ep("lines_providers", "/lines/providers", "LineProviderInfo", "reference", primary_key=("id",)),
    # idHash is the lineup's player ids joined with "-". Rows carry no gameId: it comes from the path.
    _ep("lineups_game", "/lineups/game/{gameId}", "LineupStats", "game", "*gameId:int",
        primary_key=("teamId", "idHash"), key_params=("gameId",), min_season=2024, default_in_plan=False),
    # Season aggregate per lineup. Rows carry no season, and the same five can play together again
    # next season, so the request's season completes the key.
    _ep("lineups_team", "/lineups/team", "LineupStats", "season",
        "*season:int, *team:str, startDateRange:datetime, endDateRange:datetime",
        primary_key=("teamId", "idHash"), key_params=("season",), season_param="season", min_season=2024),
    _ep("plays_types", "/plays/types", "PlayTypeInfo", "reference", primary_key=("id",)),
    _ep("plays_game", "/plays/game/{gameId}", "PlayInfo", "game", "*gameId:int, shootingPlaysOnly:bool",
        primary_key=("id",), min_season=2003, skip_seasons=_NO_PBP, default_in_plan=False),
    # The bulk path for play-by-play: one call per game day instead of one per game. `date` is typed
    # date-time by the client but documented as YYYY-MM-DD.
    _ep("plays_date", "/plays/date", "PlayInfo", "date",
        "*date:datetime, shootingPlaysOnly:bool, utcOffset:num",
        primary_key=("id",), min_season=2003, skip_seasons=_NO_PBP,
        bulk_for=("plays_game", "plays_player", "plays_team", "plays_tournament")),
    _ep("plays_player", "/plays/player/{playerId}", "PlayInfo", "player",
        "*playerId:int, *season:int, shootingPlaysOnly:bool",
        primary_key=("id",), season_param="season", min_season=2003, skip_seasons=_NO_PBP,
        default_in_plan=False),
    # Both sides' plays of every game the team played: a per-team sweep fetches each game twice.
    _ep("plays_team", "/plays/team", "PlayInfo", "season", "*season:int, *team:str, shootingPlaysOnly:bool",
        primary_key=("id",), season_param="season", min_season=2003, skip_seasons=_NO_PBP,
        default_in_plan=False),
    _ep("plays_tournament", "/plays/tournament", "PlayInfo", "season",
        "*tournament:str, *season:num, shootingPlaysOnly:bool",
        primary_key=("id",), season_param="season", min_season=2003, skip_seasons=_NO_PBP,
        default_in_plan=False),
    # A row is one stint on the floor: a player cannot check in twice at the same instant of a game.
    # (The cbbd.md key; subOut is left out so a corrected exit time does not make a new key.)
    _ep("substitutions_game", "/substitutions/game/{gameId}", "PlayerSubsititution", "game", "*gameId:int",
        primary_key=("gameId", "athleteId", "subIn.period", "subIn.secondsRemaining"),
        min_season=2024, default_in_plan=False),
    _ep("substitutions_player", "/substitutions/player/{playerId}", "PlayerSubsititution", "player",
        "*playerId:int, *season:int",
        primary_key=("gameId", "athleteId", "subIn.period", "subIn.secondsRemaining"),
        season_param="season", min_season=2024, default_in_plan=False),
    # The bulk path for substitutions: one call per team, only that team's players, so no overlap.
    _ep("substitutions_team", "/substitutions/team", "PlayerSubsititution", "season",
        "*season:int, *team:str",
        primary_key=("gameId", "athleteId", "subIn.period", "subIn.secondsRemaining"),
        season_param="season", min_season=2024, bulk_for=("substitutions_game", "substitutions_player")),
    # One call per season covers every week of both polls (pollType: ap | coaches).
    _ep("rankings", "/rankings", "PollTeamInfo", "season",
        "season:int, seasonType:SeasonType, week:int, pollType:str, team:str, conference:str",
        primary_key=("season", "seasonType", "week", "pollType", "teamId"), season_param="season",
        min_season=1949),
    _ep("ratings_adjusted", "/ratings/adjusted", "AdjustedEfficiencyInfo", "season",
        "season:int, team:str, conference:str",
        primary_key=("season", "teamId"), season_param="season", min_season=2014),
    _ep("ratings_elo", "/ratings/elo", "TeamElo", "season", "season:int, team:str, conference:str",
        primary_key=("season", "teamId"), season_param="season", min_season=1950),
    _ep("ratings_srs", "/ratings/srs", "SrsInfo", "season", "season:int, team:str, conference:str",
        primary_key=("season", "teamId"), season_param="season", min_season=1950),
    _ep("recruiting_portal", "/recruiting/portal", "Transfer", "season",
        "year:num, sourceTeam:str, destinationTeam:str, sourceConference:str, destinationConference:str, "
        "position:str",
        primary_key=("id",), season_param="year", min_season=2021),
    _ep("recruiting_players", "/recruiting/players", "Recruit", "season",
        "year:int, team:str, conference:str, position:str",
        primary_key=("id",), season_param="year", min_season=2007),
    _ep("recruiting_teams", "/recruiting/teams", "TeamRecruitingRanking", "season",
        "year:int, team:str, conference:str",
        primary_key=("year", "teamId"), season_param="year", min_season=2003),
    # Player season rows are per team: a mid-season transfer would have one row for each team.
    _ep("stats_player_shooting_season", "/stats/player/shooting/season", "PlayerSeasonShootingStats",
        "season", "*season:int, " + _SEASON_STATS_FILTERS,
        primary_key=("season", "teamId", "athleteId"), season_param="season", min_season=2003,
        skip_seasons=_NO_PBP),
    _ep("stats_player_season", "/stats/player/season", "PlayerSeasonStats", "season",
        "*season:num, " + _SEASON_STATS_FILTERS,
        primary_key=("season", "teamId", "athleteId"), season_param="season", min_season=2003),
    # Tier 2 only.
    _ep("stats_team_leaderboard", "/stats/team/leaderboard", "TeamStatsLeaderboardRecord", "season",
        "season:num, team:str, conference:str",
        primary_key=("season", "teamId"), tier=2, season_param="season", min_season=2015,
        default_in_plan=False),
    _ep("stats_team_shooting_season", "/stats/team/shooting/season", "SeasonShootingStats", "season",
        "*season:int, " + _SEASON_STATS_FILTERS,
        primary_key=("season", "teamId"), season_param="season", min_season=2003, skip_seasons=_NO_PBP),
    # The server joins stats to conference membership: a team that changed conference can come back
    # once per conference with identical numbers (Stephen F. Austin in the 2023 sample). Same key,
    # deduplicated like window overlaps; take the conference from conferences_history instead.
    _ep("stats_team_season", "/stats/team/season", "TeamSeasonStats", "season",
        "season:num, " + _SEASON_STATS_FILTERS,
        primary_key=("season", "teamId"), season_param="season", min_season=2003),
    # A single object per season (teams[] and conferences[] nested). First season undocumented:
    # 2003 assumed, as for rosters.
    _ep("teams_directory", "/teams/directory", "TeamDirectory", "season", "*season:int",
        primary_key=("season",), response_is_list=False, season_param="season", min_season=2003),
    # A single object per (team, season). One call per team (~364 a season) and marked optional in
    # cbbd.md's call budget, so it is left out of default plans like the other fan-outs.
    _ep("teams_overview", "/teams/{teamId}/season/{season}/overview", "TeamSeasonOverview", "season",
        "*teamId:int, *season:int",
        primary_key=("season", "teamId"), response_is_list=False, season_param="season", min_season=2014,
        default_in_plan=False),
    # One row per team and season; players[] is nested.
    _ep("teams_roster", "/teams/roster", "TeamRoster", "season", "*season:int, team:str",
        primary_key=("season", "teamId"), season_param="season", min_season=2003),
    # Without parameters: the master list (~1.5k teams, D1 and not). With season=S: that season's D1
    # teams, and the rows do not say which season, so a given season completes the key. First season
    # undocumented: 1949 assumed, as for games.
    _ep("teams", "/teams", "TeamInfo", "reference", "conference:str, season:int",
        primary_key=("id",), key_params=("season",), season_param="season", min_season=1949),
    _ep("venues", "/venues", "VenueInfo", "reference", primary_key=("id",)),
)
# fmt: on

ENDPOINTS: dict[str, Endpoint] = {ep.name: ep for ep in _DECLARATIONS}
"""Every endpoint by name, in the order of `reference/cbbd_endpoints.json`."""

_BY_TEMPLATE = {ep.path: ep for ep in _DECLARATIONS}


def _field_at(schema: pa.Schema, dotted: str) -> pa.Field | None:
    head, *rest = dotted.split(".")
    if head not in schema.names:
        return None
    field = schema.field(head)
    for part in rest:
        if not pa.types.is_struct(field.type) or field.type.get_field_index(part) < 0:
            return None
        field = field.type.field(part)
    return field


def _check(declarations: Iterable[Endpoint]) -> None:
    """Import-time consistency checks: a broken declaration must fail loudly, not at 3 a.m."""
    eps = list(declarations)
    problems: list[str] = []
    for attr in ("name", "path"):
        values = [getattr(ep, attr) for ep in eps]
        problems += [
            f"duplicate endpoint {attr} {v!r}" for v in sorted({v for v in values if values.count(v) > 1})
        ]
    names = {ep.name for ep in eps}
    for ep in eps:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", ep.name):
            problems.append(f"{ep.name}: name is not snake_case")
        if ep.scope not in SCOPES:
            problems.append(f"{ep.name}: unknown scope {ep.scope!r}")
        if not ep.primary_key:
            problems.append(f"{ep.name}: no primary key")
        for column in ep.primary_key:
            if _field_at(ep.schema_without_extra, column) is None:
                problems.append(f"{ep.name}: primary key column {column!r} is not in the schema")
        params = {p.name for p in ep.params}
        for param in (ep.season_param, *ep.key_params):
            if param is not None and param not in params:
                problems.append(f"{ep.name}: {param!r} is not one of its parameters")
        if ep.date_window and (ep.row_cap is None or not {"startDateRange", "endDateRange"} <= params):
            problems.append(f"{ep.name}: date_window needs a row cap and startDateRange/endDateRange")
        problems += [f"{ep.name}: bulk_for names unknown {n!r}" for n in ep.bulk_for if n not in names]
    if problems:
        raise SchemaError("CBBD catalog is inconsistent:\n  " + "\n  ".join(problems))


_check(_DECLARATIONS)


# ---------------------------------------------------------------------------------------------------
# Lookups.


def get(name: str) -> Endpoint:
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown CBBD endpoint {name!r}; valid names: {', '.join(ENDPOINTS)}") from None


def by_path(path: str) -> Endpoint:
    """The endpoint for a path template (`/plays/game/{gameId}`) or a request path (`/plays/game/5?x=1`)."""
    if path in _BY_TEMPLATE:
        return _BY_TEMPLATE[path]
    concrete = path.split("?", 1)[0].split("#", 1)[0]
    concrete = concrete.rstrip("/") or "/"
    if concrete in _BY_TEMPLATE:
        return _BY_TEMPLATE[concrete]
    for ep in _DECLARATIONS:
        if ep.path_params and ep.match(concrete) is not None:
            return ep
    raise KeyError(f"no CBBD endpoint for path {path!r}; known paths: {', '.join(_BY_TEMPLATE)}")


def covered_by(name: str) -> Endpoint | None:
    """The bulk endpoint whose rows include `name`'s (e.g. plays_game -> plays_date), if there is one."""
    get(name)
    return next((ep for ep in _DECLARATIONS if name in ep.bulk_for), None)


# ---------------------------------------------------------------------------------------------------
# Records -> Arrow rows, for the bronze writer.


def split_known(record: Mapping[str, Any], endpoint: Endpoint) -> tuple[dict[str, Any], dict[str, Any]]:
    """(keys the schema declares, keys it does not). The second part is what goes into `_extra`."""
    known_fields = endpoint.known_fields
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in record.items():
        (known if key in known_fields else extra)[key] = value
    return known, extra


def coerce_record(record: Mapping[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    """A copy of `record` whose values pyarrow accepts for the schema: ISO text to UTC datetimes and
    dates, whole floats to ints, at any depth. Keys outside the schema are left untouched.

    Raises CoercionError (a ValueError naming the field path) on a value that does not fit.
    """
    out = dict(record)
    for name, conv in endpoint._converters:
        value = out.get(name)
        if value is not None:
            out[name] = conv(value, f"{endpoint.name}.{name}")
    return out


def to_row(record: Mapping[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    """One API record as a row of `endpoint.schema`: known fields coerced, the rest as JSON in `_extra`.

    `_extra` is deterministic (sorted keys) so rewriting the same response gives the same bytes.
    """
    if not isinstance(record, Mapping):
        raise CoercionError(endpoint.name, f"expected an object, got {type(record).__name__}")
    known, extra = split_known(record, endpoint)
    row = coerce_record(known, endpoint)
    row[EXTRA_COLUMN] = (
        json.dumps(extra, sort_keys=True, ensure_ascii=False, separators=(",", ":")) if extra else None
    )
    return row


def to_table(records: Iterable[Mapping[str, Any]], endpoint: Endpoint) -> pa.Table:
    """API records (a list response, or `[obj]` for a single-object one) as a table of `endpoint.schema`.

    Nullability is not checked here (pyarrow does not); see `null_violations`.
    """
    return pa.Table.from_pylist([to_row(r, endpoint) for r in records], schema=endpoint.schema)


def unknown_paths(record: Mapping[str, Any], endpoint: Endpoint) -> list[str]:
    """Every key in `record` the schema does not declare, nested ones as dotted paths (`teamStats.x`,
    `players[].y`). Top-level ones are kept in `_extra`; nested ones are only in the raw layer, so
    the writer can log them as schema drift."""
    return sorted(unknown_keys(dict(record), endpoint._row_type, ""))
