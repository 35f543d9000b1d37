"""Gold refresh: rebuild the current season's gold tables when either source lands new data.

Scheduled on Assets: a BartTorvik snapshot committed to Postgres, or a CBBD silver build. So
`team_quality_daily` picks up the morning's BartTorvik metrics without waiting for the next CBBD run.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from hoops.assets import BT_TEAM_METRICS_DAILY, CBBD_GOLD, CBBD_SILVER
from hoops.cbbd.dagflow import crawl_and_wait


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
        from hoops import duckdb_catalog, settings, warehouse
        from hoops.cbbd import gold, planner
        from hoops.lake import open_lake

        with warehouse.connect() as conn:  # a fresh warehouse gets its tables: gold reads them
            warehouse.migrate(conn)
        lake = open_lake()
        season = planner.season_of(settings.today())
        with warehouse.exclusive(warehouse.LAKE_BUILD_LOCK, "building gold"):
            tables = gold.build(lake, seasons=[season])
        if settings.catalog_kind() == "duckdb":
            duckdb_catalog.refresh(lake)
        return {"season": season, "rows": {k: v["rows"] for k, v in tables.items()}}

    @task
    def gold_crawlers() -> list[str]:
        """With Glue, the gold crawler registers a season folder the rebuild may have added."""
        from hoops import aws_catalog

        return aws_catalog.crawlers(("gold",))

    crawlers = gold_crawlers()
    rebuild_gold() >> crawlers
    crawl_and_wait(crawlers)


gold_refresh()
