"""Gold refresh: rebuild the current season's gold tables when either source lands new data.

Scheduled on Assets: a BartTorvik snapshot committed to Postgres, or a CBBD silver build. So
`team_quality_daily` picks up the morning's BartTorvik metrics without waiting for the next CBBD run.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from hoops.assets import BT_TEAM_METRICS_DAILY, CBBD_GOLD, CBBD_SILVER


@dag(
    dag_id="gold_refresh",
    schedule=(BT_TEAM_METRICS_DAILY | CBBD_SILVER),
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["gold", "lake"],
    doc_md=__doc__,
)
def gold_refresh():
    @task(outlets=[CBBD_GOLD])
    def rebuild_gold() -> dict:
        from hoops import duckdb_catalog, settings
        from hoops.cbbd import gold, planner
        from hoops.lake import open_lake

        lake = open_lake()
        season = planner.season_of(settings.today())
        tables = gold.build(lake, seasons=[season])
        if settings.catalog_kind() == "duckdb":
            duckdb_catalog.refresh(lake)
        return {"season": season, "rows": {k: v["rows"] for k, v in tables.items()}}

    rebuild_gold()


gold_refresh()
