"""Silver: bronze Parquet → conformed, deduplicated Parquet, one SQL file per table.

Bronze keeps every response as fetched, so one record appears once per `asof` snapshot, and plays once per
overlapping date window. Silver keeps one row per primary key (the latest asof wins), with snake_case
names, `season` and `asof` columns, and list columns unnested to the table's grain, so gold and Athena
join without redoing that work.

Each table is `include/sql/lake/silver/{name}.sql`: one SELECT over views `bronze_{endpoint}` (one per
source, holding only the season being built, or `season=all` for dimensions). A source with no objects is
a typed empty view, so a table whose sources are only partly fetched still builds. The SQL reads the
partition and snapshot from each row's object key with the macros `key_season(_key)` and `key_asof(_key)`,
so it takes no parameters. `asof` is a DuckDB keyword: outside a plain select list it is written "asof".
Output names depend only on table and season, and rows are ordered by the key: a rerun rewrites the
same bytes. Dimensions (`season=all`) carry no season column.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa

from hoops import paths
from hoops.cbbd.bronze import bronze_schema
from hoops.checks.sql import primary_key_violations
from hoops.lake import Lake
from hoops.lakesql import LakeSQL, sql_text

MACROS = (
    "CREATE OR REPLACE MACRO key_season(k) AS CAST(regexp_extract(k, '/season=([0-9]+)/', 1) AS INTEGER)",
    "CREATE OR REPLACE MACRO key_asof(k) AS "
    "CAST(regexp_extract(k, '/asof=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS DATE)",
)


class SilverError(ValueError):
    """A silver table breaks its declared primary key (duplicates or NULL parts) in the written data."""


@dataclass(frozen=True)
class SilverTable:
    name: str
    sources: tuple[str, ...]
    primary_key: tuple[str, ...]
    partitioned: bool = True
    explode: str | None = None
    """The bronze list column unnested to reach the table's grain: source rows are counted at that grain,
    so `duplicates_removed` compares like with like."""


def _dim(name: str, source: str, *key: str, explode: str | None = None) -> SilverTable:
    return SilverTable(name, (source,), key, partitioned=False, explode=explode)


def _fact(name: str, sources: str | tuple[str, ...], *key: str, explode: str | None = None) -> SilverTable:
    return SilverTable(name, (sources,) if isinstance(sources, str) else sources, key, explode=explode)


TABLES: dict[str, SilverTable] = {
    t.name: t
    for t in (
        _dim("dim_conferences", "conferences", "conference_id"),
        _dim(
            "dim_conference_history",
            "conferences_history",
            "conference_id",
            "team_id",
            "start_season",
            explode="teams",
        ),
        _dim("dim_teams", "teams", "team_id"),
        _dim("dim_venues", "venues", "venue_id"),
        _dim("dim_play_types", "plays_types", "play_type_id"),
        _dim("dim_line_providers", "lines_providers", "provider_id"),
        _dim("dim_draft_positions", "draft_positions", "name"),
        _dim("dim_draft_teams", "draft_teams", "draft_team_id"),
        _fact("fct_games", "games", "game_id"),
        _fact("fct_game_teams", "games_teams", "game_id", "team_id"),
        _fact("fct_game_players", "games_players", "game_id", "team_id", "athlete_id", explode="players"),
        _fact("fct_game_media", "games_media", "game_id"),
        _fact("fct_lines", "lines", "game_id", "provider", explode="lines"),
        _fact(
            "fct_plays",
            ("plays_date", "plays_game", "plays_team", "plays_tournament", "plays_player"),
            "play_id",
        ),
        _fact(
            "fct_substitutions",
            ("substitutions_team", "substitutions_game", "substitutions_player"),
            "game_id",
            "athlete_id",
            "sub_in_period",
            "sub_in_seconds_remaining",
        ),
        _fact("fct_lineups", "lineups_team", "team_id", "id_hash"),
        _fact("fct_rankings", "rankings", "season_type", "week", "poll_type", "team_id"),
        _fact("fct_ratings_adjusted", "ratings_adjusted", "team_id", "asof"),
        _fact("fct_ratings_srs", "ratings_srs", "team_id", "asof"),
        _fact("fct_ratings_elo", "ratings_elo", "team_id", "asof"),
        _fact("fct_team_season_stats", "stats_team_season", "team_id"),
        _fact("fct_team_season_shooting", "stats_team_shooting_season", "team_id"),
        _fact("fct_player_season_stats", "stats_player_season", "team_id", "athlete_id"),
        _fact("fct_player_season_shooting", "stats_player_shooting_season", "team_id", "athlete_id"),
        _fact("fct_recruiting_players", "recruiting_players", "recruit_id"),
        _fact("fct_recruiting_teams", "recruiting_teams", "team_id"),
        _fact("fct_transfer_portal", "recruiting_portal", "portal_id"),
        _fact("fct_draft_picks", "draft_picks", "overall"),
        _fact("fct_rosters", "teams_roster", "team_id", "athlete_id", explode="players"),
    )
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _keys_by_season(lake: Lake, endpoint: str) -> dict[str, list[str]]:
    """An endpoint's bronze objects grouped by their `season=` segment ('2024', 'all')."""
    found: dict[str, list[str]] = defaultdict(list)
    for key in lake.list(paths.bronze_prefix(endpoint)):
        if key.endswith(".parquet"):
            found[paths.season_label(key)].append(key)
    return found


def bronze_seasons(lake: Lake, endpoints: tuple[str, ...] | None = None) -> list[int]:
    """Every season with bronze objects for these endpoints (default: every silver source)."""
    endpoints = endpoints or tuple(dict.fromkeys(ep for t in TABLES.values() for ep in t.sources))
    return sorted({int(s) for ep in endpoints for s in _keys_by_season(lake, ep) if s.isdigit()})


def _empty_source(endpoint: str) -> pa.Table:
    """What a bronze view holds when the endpoint has no objects: its bronze columns and `_key`, no rows."""
    return bronze_schema(endpoint).append(pa.field("_key", pa.string())).empty_table()


def _source_rows(sql: LakeSQL, view: str, explode: str | None) -> int:
    count = f"coalesce(sum(len({_quote(explode)})), 0)" if explode else "count(*)"
    return sql.con.execute(f"SELECT {count} FROM {view}").fetchone()[0]


def _check_primary_key(sql: LakeSQL, table: SilverTable, relation: str) -> None:
    """Raise before the object reaches the lake if it has duplicated keys or NULL key parts."""
    found = primary_key_violations(sql.con, relation, table.primary_key, table.partitioned)
    if found:
        duplicates, nulls = sum(f[1] for f in found), sum(f[2] for f in found)
        raise SilverError(
            f"silver table {table.name}: {duplicates} duplicated primary keys and {nulls} rows with a NULL "
            f"key part ({', '.join(table.primary_key)}); nothing written"
        )


def _partitions(table: SilverTable, sources: dict[str, dict[str, list[str]]], seasons: list[int] | None):
    """(season segment, object key) of each object to write: the bronze seasons asked for, or one for a
    dimension."""
    if not table.partitioned:
        return [(paths.ALL_SEASONS, paths.table_object("silver", table.name))]
    present = {s for by_season in sources.values() for s in by_season if s.isdigit()}
    wanted = present if seasons is None else present & {str(s) for s in seasons}
    return [(s, paths.table_object("silver", table.name, int(s))) for s in sorted(wanted, key=int)]


def _source_views(
    sql: LakeSQL, table: SilverTable, sources: dict[str, dict[str, list[str]]], season: str
) -> int:
    """Point each `bronze_{endpoint}` view at the season's objects; returns their rows (exploded if so)."""
    rows = 0
    for ep, by_season in sources.items():
        sql.view(f"bronze_{ep}", by_season.get(season, []), empty_sql=f"SELECT * FROM empty_{ep}")
        rows += _source_rows(sql, f"bronze_{ep}", table.explode)
    return rows


def build_table(lake: Lake, table: SilverTable, seasons: list[int] | None = None) -> dict[str, int]:
    """Write one silver table (one object per season, or one for a dimension); returns its figures."""
    sources = {ep: _keys_by_season(lake, ep) for ep in table.sources}
    query = sql_text("silver", table.name)
    order_by = ", ".join(_quote(c) for c in table.primary_key)
    figures = {"rows": 0, "objects": 0, "bytes": 0, "duplicates_removed": 0}
    with LakeSQL(lake) as sql:
        for macro in MACROS:
            sql.con.execute(macro)
        for ep in table.sources:
            sql.arrow_view(f"empty_{ep}", _empty_source(ep))
        for season, key in _partitions(table, sources, seasons):
            source_rows = _source_views(sql, table, sources, season)
            if not source_rows:
                continue
            result = sql.write(
                query, key, order_by=order_by, check=lambda relation: _check_primary_key(sql, table, relation)
            )
            figures["rows"] += result["rows"]
            figures["bytes"] += result["bytes"]
            figures["objects"] += 1
            figures["duplicates_removed"] += source_rows - result["rows"]
    return figures


def build(lake: Lake, seasons: list[int] | None = None, tables: list[str] | None = None) -> dict[str, dict]:
    """Build silver tables (default: all) for `seasons` (default: every season in bronze) and every
    dimension; per table `rows`, `objects`, `bytes` and `duplicates_removed` (source rows − rows)."""
    names = list(TABLES) if tables is None else tables
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown silver tables: {', '.join(unknown)}")
    return {name: build_table(lake, TABLES[name], seasons) for name in names}
