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
import pyarrow.parquet as pq

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
    split_by: str | None = None
    """A bronze integer column, the first of the primary key, whose value ranges split a large build into
    parts built one after another (see `_write_in_parts`); source rows are then counted from footers, so
    a split table has no `explode`."""


def _dim(name: str, source: str, *key: str, explode: str | None = None) -> SilverTable:
    return SilverTable(name, (source,), key, partitioned=False, explode=explode)


def _fact(
    name: str,
    sources: str | tuple[str, ...],
    *key: str,
    explode: str | None = None,
    split_by: str | None = None,
) -> SilverTable:
    sources = (sources,) if isinstance(sources, str) else sources
    return SilverTable(name, sources, key, explode=explode, split_by=split_by)


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
            split_by="id",
        ),
        _fact(
            "fct_substitutions",
            ("substitutions_team", "substitutions_game", "substitutions_player"),
            "game_id",
            "athlete_id",
            "sub_in_period",
            "sub_in_seconds_remaining",
        ),
        _fact("fct_lineups", "lineups_team", "team_id", "id_hash", split_by="teamId"),
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


PART_BYTES = 6_000_000
"""Bronze a part of a split build reads at most, in Parquet's uncompressed bytes (about 50k plays or 27k
lineups): DuckDB holds a part at ~16 times that while it picks winners and sorts. Bytes, not rows, so a
wide table gets parts as light as a narrow one. A season of plays in parts of 250k/100k/50k/20k rows
peaked at 317/207/186/161 MB over the process, in about the same wall time."""
PART_ROW_GROUP = 30720
"""Rows per row group of a split table's object: DuckDB buffers a whole row group before writing it, and
122,880 plays held ~110 MB."""


@dataclass(frozen=True)
class _Footer:
    """What an object's Parquet footer says about a split build's column: rows, uncompressed bytes, and
    the range the values fall in (None when the footer can't bound it: no statistics, NULLs, or no such
    column)."""

    key: str
    rows: int
    bytes: int
    low: object = None
    high: object = None


def _footers(sql: LakeSQL, keys: list[str], column: str) -> list[_Footer]:
    """Each object's `_Footer`, read with pyarrow: a DuckDB view over a season of wide files with
    `union_by_name` bound every footer and held ~90 MB (lineups), and reading the column itself for
    exact cuts held ~85 MB of pyarrow's pool for plays."""
    footers = []
    for key, path in zip(keys, sql.local_paths(keys), strict=True):
        meta = pq.read_metadata(path)
        names = [meta.schema.column(i).path for i in range(meta.num_columns)]
        stats = []
        if column in names:
            index = names.index(column)
            stats = [meta.row_group(g).column(index).statistics for g in range(meta.num_row_groups)]
        size = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
        if stats and all(s is not None and s.has_min_max and not s.null_count for s in stats):
            low, high = min(s.min for s in stats), max(s.max for s in stats)
            footers.append(_Footer(key, meta.num_rows, size, low, high))
        else:
            footers.append(_Footer(key, meta.num_rows, size))
    return footers


def _cuts(footers: list[_Footer], parts: int) -> list[int]:
    """Values splitting the bounded objects' bytes into about `parts` equal ranges, estimated from the
    footers alone (each object's bytes spread evenly over its range); objects without bounds are read by
    every part and don't count."""
    bounded = [f for f in footers if f.low is not None]
    total = sum(f.bytes for f in bounded)
    if parts < 2 or not total:
        return []

    def at_most(x: int) -> float:
        return sum(
            f.bytes if x >= f.high else f.bytes * (x - f.low + 1) / (f.high - f.low + 1)
            for f in bounded
            if x >= f.low
        )

    cuts, first, last = set(), min(f.low for f in bounded), max(f.high for f in bounded)
    for i in range(1, parts):
        low, high = first, last
        while low < high:  # the smallest value with at least i/parts of the bytes at or under it
            middle = (low + high) // 2
            low, high = (middle + 1, high) if at_most(middle) < total * i / parts else (low, middle)
        cuts.add(low)
    return sorted(cuts)


def _overlapping(footers: list[_Footer], low, high) -> list[str]:
    """Keys of the objects that may hold values in (low, high]: None bounds are open."""
    return [
        f.key
        for f in footers
        if f.low is None or ((low is None or f.high > low) and (high is None or f.low <= high))
    ]


def _write_in_parts(
    sql: LakeSQL,
    table: SilverTable,
    footers: dict[str, list[_Footer]],
    query: str,
    key: str,
    order_by: str,
    check,
) -> dict[str, int]:
    """Build the object in ranges of `table.split_by` (cut so each reads about `PART_BYTES` of bronze), one
    at a time, and join the parts in range order.

    A season of plays in one query needs hash tables and a sort as big as bronze: at DuckDB's memory limit
    that spills, and with every play in bronze twice it ran out of memory. Every copy of a play has the
    same id, so each range holds all of them and picks its winners alone; sorted ranges, joined in order,
    are the sorted table. Each range reads only the objects whose footer says they may hold it (ids
    follow dates, as bronze objects do), so a part binds and scans a few files, not the season's.
    The primary key is checked part by part: ranges share no key, and a season-wide check held a hash
    table of every play id (the build's peak). One thread: two held twice the buffers for no memory gained.
    """
    column = _quote(table.split_by)
    found = [f for by_source in footers.values() for f in by_source]
    cuts = _cuts(found, -(-sum(f.bytes for f in found) // PART_BYTES))
    sql.con.execute("SET threads = 1")
    folder = sql.scratch / "parts"
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, (low, high) in enumerate(zip([None, *cuts], [*cuts, None], strict=True)):
        where = " AND ".join(
            [f"{column} > {low}"] * (low is not None) + [f"{column} <= {high}"] * (high is not None)
        )
        if not where:
            where = "true"
        elif low is None:  # rows without the column stay in the build, for the key check to refuse
            where = f"{column} IS NULL OR {where}"
        for ep in table.sources:
            sql.view(
                f"part_{ep}", _overlapping(footers[ep], low, high), empty_sql=f"SELECT * FROM empty_{ep}"
            )
            sql.con.execute(f"CREATE OR REPLACE VIEW bronze_{ep} AS SELECT * FROM part_{ep} WHERE {where}")
        part = folder / f"part-{i:04d}.parquet"
        sql.con.execute(
            f"COPY (SELECT * FROM ({query}) ORDER BY {order_by}) TO '{part}' "
            f"(FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE {PART_ROW_GROUP})"
        )
        parts.append(f"'{part}'")
        check(f"read_parquet('{part}', hive_partitioning = false)")
    try:
        return sql.write(
            f"SELECT * FROM read_parquet([{', '.join(parts)}], hive_partitioning = false)",
            key,
            row_group_size=PART_ROW_GROUP,
        )
    finally:
        for part in folder.iterdir():
            part.unlink()


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

            def check(relation: str) -> None:
                _check_primary_key(sql, table, relation)

            if table.split_by is None:
                source_rows = _source_views(sql, table, sources, season)
                result = sql.write(query, key, order_by=order_by, check=check) if source_rows else None
            else:
                footers = {
                    ep: _footers(sql, by.get(season, []), table.split_by) for ep, by in sources.items()
                }
                source_rows = sum(f.rows for by_source in footers.values() for f in by_source)
                result = (
                    _write_in_parts(sql, table, footers, query, key, order_by, check) if source_rows else None
                )
            if result is None:
                continue
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
