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

    teams, non_d1, d1_listed, days, games, vs_non_d1 = one(
        "SELECT (SELECT count(DISTINCT team_id) FROM '$lake/silver/fct_game_teams/**/*.parquet'"
        "        WHERE conference IS NOT NULL),"
        " (SELECT count(DISTINCT team_id) FROM '$lake/silver/fct_game_teams/**/*.parquet'"
        "        WHERE conference IS NULL),"
        " (SELECT count(DISTINCT id) FROM '$lake/bronze/teams/season=2024/**/*.parquet'),"
        " (SELECT max(game_date) - min(game_date) + 1 FROM '$lake/silver/fct_games/**/*.parquet'),"
        " (SELECT count(*) FROM '$lake/silver/fct_games/**/*.parquet'),"
        " (SELECT count(*) FROM '$lake/silver/fct_games/**/*.parquet'"
        "        WHERE home_conference IS NULL OR away_conference IS NULL)"
    )
    assert teams > 0 and days > 0 and non_d1 > 0 and vs_non_d1 > 0  # the replay has non-D1 opponents
    assert teams == d1_listed  # D1 by the games' conferences = the API's D1 list of the season
    assert totals["team_quality_daily"]["rows"] == teams * days  # D1 teams only
    assert totals["team_season_summary"]["rows"] == teams
    assert totals["game_features"]["rows"] == 2 * games  # every game, non-D1 opponents included
    (flagged,) = one(
        "SELECT count(DISTINCT game_id) FROM '$lake/gold/game_features/**/*.parquet' WHERE NOT opponent_is_d1"
    )
    assert flagged == vs_non_d1
    assert all(figures["objects"] == 1 and figures["rows"] > 0 for figures in totals.values())
    (unmapped,) = one(
        "SELECT count(*) FROM '$lake/gold/team_quality_daily/**/*.parquet' WHERE team_id IS NULL"
    )
    assert unmapped == 0  # every replayed team is in the mapping


def test_gold_refresh_rebuilds_the_current_season_locally_without_crawling(
    dagbag, bronze_lake, warehouse_dsn, monkeypatch, tmp_path
):
    """The Asset-triggered DAG on the embedded defaults: the season in progress is rebuilt into the same
    object names, the local catalog sees it, and the Glue crawl is skipped (no crawler to name)."""
    import datetime as dt

    from tests.integration.dagrun import run

    monkeypatch.setenv("HOOPS_TODAY", "2024-01-20")
    monkeypatch.setenv("HOOPS_DUCKDB_CATALOG", str(tmp_path / "lake.duckdb"))
    lake = LocalLake(bronze_lake)
    silver.build(lake, [2024])
    outcome = run(dagbag, "gold_refresh", dt.datetime(2024, 1, 20, 12, tzinfo=dt.UTC))
    assert outcome.state == "success", outcome.tasks
    assert outcome.tasks["crawl"] == outcome.tasks["crawl_wait"] == "skipped"
    key = bronze_lake / "gold" / "team_quality_daily" / "season=2024" / "part-0000.parquet"
    first = key.read_bytes()
    views = duckdb.connect(str(tmp_path / "lake.duckdb"), read_only=True)
    assert views.sql("SELECT count(*) FROM gold.team_quality_daily WHERE season = 2024").fetchall()[0][0] > 0
    views.close()
    assert run(dagbag, "gold_refresh", dt.datetime(2024, 1, 20, 13, tzinfo=dt.UTC)).state == "success"
    assert key.read_bytes() == first  # a rebuild of the same inputs writes the same bytes
