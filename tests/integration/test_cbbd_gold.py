"""Gold over the real silver of the small replayed 2024 season: the silver contract gold relies on holds."""

from __future__ import annotations

import duckdb

from hoops import warehouse
from hoops.cbbd import gold, silver
from hoops.lake import LocalLake


def test_gold_builds_from_real_silver_with_the_declared_grain(bronze_lake, warehouse_dsn):
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    lake = LocalLake(bronze_lake)
    silver.build(lake, [2024])
    totals = gold.build(lake)

    def one(query: str):
        (row,) = duckdb.sql(query.replace("$lake", str(bronze_lake))).fetchall()
        return row

    teams, days, games = one(
        "SELECT (SELECT count(DISTINCT team_id) FROM '$lake/silver/fct_game_teams/**/*.parquet'),"
        " (SELECT max(game_date) - min(game_date) + 1 FROM '$lake/silver/fct_games/**/*.parquet'),"
        " (SELECT count(*) FROM '$lake/silver/fct_games/**/*.parquet')"
    )
    assert teams > 0 and days > 0
    assert totals["team_quality_daily"]["rows"] == teams * days
    assert totals["game_features"]["rows"] == 2 * games
    assert totals["team_season_summary"]["rows"] == teams
    assert all(figures["objects"] == 1 and figures["rows"] > 0 for figures in totals.values())
    (unmapped,) = one(
        "SELECT count(*) FROM '$lake/gold/team_quality_daily/**/*.parquet' WHERE team_id IS NULL"
    )
    assert unmapped == 0  # every replayed team is in the mapping
