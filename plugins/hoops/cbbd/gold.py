"""Gold: analysis tables over silver and the BartTorvik warehouse, one Parquet object per table and season.

Gold is a pure function of silver, the BartTorvik rows in Postgres and the team mapping: every table is
written to `gold/{name}/season={S}/part-0000.parquet`, ordered by its primary key, so a rerun rewrites the
same keys with the same bytes and adds nothing. The SQL lives in `include/sql/lake/gold/{name}.sql` and
sees one season at a time through these views:

- `silver_{table}` for each table in `SILVER`: that season's silver objects, or a typed empty view when
  silver has none (a missing table yields zero rows or null columns, never a failure);
- `bt_daily`: that season's BartTorvik daily metrics (empty but typed when the warehouse has none, so
  gold still builds with null BartTorvik columns);
- `team_map`: canonical hoops `team_id` <-> CBBD `cbbd_team_id` from the team mapping;
- the shared views in `include/sql/lake/gold/views/` (`VIEWS`), so the tables don't repeat each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from hoops import paths, warehouse
from hoops.checks.sql import primary_key_violations
from hoops.lake import Lake
from hoops.lakesql import LakeSQL, sql_text


@dataclass(frozen=True)
class GoldTable:
    """A gold table; its primary key also orders the rows, which is what makes the bytes reproducible."""

    primary_key: tuple[str, ...]
    partitioned: bool = True  # one object per season


TABLES: dict[str, GoldTable] = {
    "team_quality_daily": GoldTable(("cbbd_team_id", "date")),
    "game_features": GoldTable(("game_id", "team_id")),
    "team_season_summary": GoldTable(("team_id",)),
    "market_lines_analysis": GoldTable(("game_id", "provider")),
    "player_season_impact": GoldTable(("team_id", "athlete_id")),
}

# Shared views over the inputs, created in this order (a view may use the ones before it).
VIEWS = ("team_games", "season_teams", "bt_team_daily")

# The silver columns gold reads, typed as silver writes them: the shape of a view when silver is missing.
SILVER: dict[str, str] = {
    "fct_games": (
        "game_id INTEGER, season BIGINT, season_type VARCHAR, start_date TIMESTAMPTZ, game_date DATE, "
        "status VARCHAR, neutral_site BOOLEAN, conference_game BOOLEAN, tournament VARCHAR, "
        "home_team_id INTEGER, home_team VARCHAR, home_conference VARCHAR, home_points INTEGER, "
        "home_winner BOOLEAN, home_elo_start DOUBLE, home_elo_end DOUBLE, away_team_id INTEGER, "
        "away_team VARCHAR, away_conference VARCHAR, away_points INTEGER, away_winner BOOLEAN, "
        "away_elo_start DOUBLE, away_elo_end DOUBLE, venue_id BIGINT, asof DATE"
    ),
    "fct_game_players": (
        "game_id INTEGER, season BIGINT, game_date DATE, team_id INTEGER, athlete_id INTEGER, name VARCHAR, "
        "position VARCHAR, starter BOOLEAN, minutes DOUBLE, points INTEGER, rebounds INTEGER, "
        "assists INTEGER, steals INTEGER, blocks INTEGER, turnovers INTEGER, usage DOUBLE, "
        "offensive_rating DOUBLE, defensive_rating DOUBLE, net_rating DOUBLE, game_score DOUBLE, asof DATE"
    ),
    "fct_lines": (
        "game_id INTEGER, season BIGINT, game_date DATE, home_team_id INTEGER, away_team_id INTEGER, "
        "home_score INTEGER, away_score INTEGER, provider VARCHAR, spread DOUBLE, over_under DOUBLE, "
        "home_moneyline INTEGER, away_moneyline INTEGER, spread_open DOUBLE, over_under_open DOUBLE, "
        "asof DATE"
    ),
    "fct_ratings_adjusted": (
        "season BIGINT, team_id INTEGER, offensive_rating DOUBLE, defensive_rating DOUBLE, "
        "net_rating DOUBLE, rank_net INTEGER, asof DATE"
    ),
    "fct_ratings_srs": "season BIGINT, team_id INTEGER, rating DOUBLE, asof DATE",
    "fct_ratings_elo": "season BIGINT, team_id INTEGER, elo DOUBLE, asof DATE",
    "fct_player_season_stats": (
        "season BIGINT, team_id INTEGER, athlete_id INTEGER, name VARCHAR, position VARCHAR, games INTEGER, "
        "starts INTEGER, minutes DOUBLE, points INTEGER, usage DOUBLE, offensive_rating DOUBLE, "
        "defensive_rating DOUBLE, net_rating DOUBLE, porpag DOUBLE, win_shares_total DOUBLE, asof DATE"
    ),
}

BT_SCHEMA = pa.schema(
    [
        ("team_id", pa.string()),
        ("snapshot_date", pa.date32()),
        ("season", pa.int32()),
        ("bt_rank", pa.int32()),
        ("adjoe", pa.float64()),
        ("adjde", pa.float64()),
        ("barthag", pa.float64()),
        ("adj_tempo", pa.float64()),
        ("wab", pa.float64()),
        ("wins", pa.int32()),
        ("losses", pa.int32()),
    ]
)
_BT_QUERY = (
    "SELECT team_id, snapshot_date, season, rank, adjoe, adjde, barthag, adj_tempo, wab, wins, losses"
    " FROM bt_team_metrics_daily WHERE season = %s ORDER BY team_id, snapshot_date"
)


class GoldError(RuntimeError):
    """Gold cannot be built as declared (a primary key is violated, BartTorvik is unreachable)."""


def empty_sql(table: str) -> str:
    """A typed, empty SELECT with silver table `table`'s columns."""
    columns = (column.split(" ", 1) for column in SILVER[table].split(", "))
    return "SELECT " + ", ".join(f"NULL::{kind} AS {name}" for name, kind in columns) + " WHERE false"


def silver_seasons(lake: Lake) -> list[int]:
    """Every season some silver table gold reads has a partition for."""
    keys = (key for table in SILVER for key in lake.list(paths.table_prefix("silver", table)))
    return sorted({season for key in keys if (season := paths.season_of_key(key)) is not None})


def team_map() -> pa.Table:
    """Canonical team_id <-> CBBD id for every mapped team that CBBD knows."""
    from hoops.ref import team_mapping_table

    mapped = team_mapping_table().filter(pc.field("cbbd_team_id").is_valid())
    return mapped.select(["team_id", "cbbd_team_id"]).cast(
        pa.schema([("team_id", pa.string()), ("cbbd_team_id", pa.int32())])
    )


def bt_daily(conn: psycopg.Connection, season: int) -> pa.Table:
    """One season of BartTorvik daily metrics, typed even when there are none."""
    try:
        rows = conn.execute(_BT_QUERY, (season,)).fetchall()
    except psycopg.errors.UndefinedTable:
        raise GoldError("bt_team_metrics_daily does not exist: apply the warehouse migrations") from None
    return pa.Table.from_pylist([dict(zip(BT_SCHEMA.names, row, strict=True)) for row in rows], BT_SCHEMA)


def build(lake: Lake, seasons: list[int] | None = None) -> dict[str, dict[str, int]]:
    """Build every gold table for `seasons` (default: all in silver); per table: rows, objects, bytes."""
    seasons = sorted(set(seasons)) if seasons is not None else silver_seasons(lake)
    totals = {name: {"rows": 0, "objects": 0, "bytes": 0} for name in TABLES}
    try:
        with warehouse.connect() as conn, LakeSQL(lake) as sql:
            sql.arrow_view("team_map", team_map())
            for season in seasons:
                for table in SILVER:
                    sql.view(
                        f"silver_{table}",
                        sql.parquet_keys(paths.table_prefix("silver", table, season)),
                        empty_sql(table),
                    )
                sql.arrow_view("bt_daily", bt_daily(conn, season))
                for view in VIEWS:
                    sql.con.execute(f"CREATE OR REPLACE VIEW {view} AS {sql_text('gold/views', view)}")
                for name, table in TABLES.items():
                    out = _write(sql, name, table.primary_key, season)
                    totals[name]["rows"] += out["rows"]
                    totals[name]["bytes"] += out["bytes"]
                    totals[name]["objects"] += 1
    except warehouse.WarehouseError as exc:  # raised only by connect(): the warehouse is unreachable
        raise GoldError(f"gold reads BartTorvik metrics from the warehouse: {exc}") from None
    return totals


def _write(sql: LakeSQL, name: str, key: tuple[str, ...], season: int) -> dict[str, Any]:
    """Materialise the table once, refuse it if its primary key is null or repeated, then store it."""
    sql.con.execute(f"CREATE OR REPLACE TEMP TABLE gold_out AS {sql_text('gold', name)}")
    columns = ", ".join(key)
    violations = primary_key_violations(sql.con, "gold_out", key, partitioned=False)
    if violations:
        _, repeated, nulls = violations[0]
        raise GoldError(
            f"gold table {name}, season {season}: primary key ({columns}) has {repeated} repeated "
            f"value(s) and {nulls} row(s) with a null key part"
        )
    out = sql.write("SELECT * FROM gold_out", paths.table_object("gold", name, season), order_by=columns)
    sql.con.execute("DROP TABLE gold_out")
    return out
