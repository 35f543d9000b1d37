"""Gold refresh: rebuild the gold tables of the seasons that new data landed in.

Scheduled on Assets: a BartTorvik snapshot committed to Postgres (its date's season), or a CBBD silver
build (its run's seasons), read from the triggering events' extras. A season without silver gets no gold
(nothing to join the BartTorvik metrics to). A manual run without events rebuilds every silver season.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task

from hoops.assets import BT_TEAM_METRICS_DAILY, CBBD_GOLD, CBBD_SILVER
from hoops.cbbd.dagflow import crawl_and_wait


@dag(
    dag_id="gold_refresh",
    schedule=(BT_TEAM_METRICS_DAILY | CBBD_SILVER),
    start_date=pendulum.datetime(2024, 1, 1, tz="America/New_York"),  # the zone the UI shows
    catchup=False,
    max_active_runs=1,
    tags=["gold", "lake"],
    doc_md=__doc__,
)
def gold_refresh():
    @task(outlets=[CBBD_GOLD])
    def rebuild_gold() -> dict:
        from hoops.assets import seasons_named
        from hoops.cbbd import pipeline

        ctx = get_current_context()
        events = ctx.get("triggering_asset_events") or {}
        result = pipeline.refresh_gold(
            seasons_named(events) if events else None, dag_id=ctx["dag"].dag_id, run_id=ctx["run_id"]
        )
        rows = {k: v["rows"] for k, v in result["tables"].items()}
        return {"seasons": result["seasons"], "no_silver": result["no_silver"], "rows": rows}

    @task
    def gold_crawlers() -> list[str]:
        """With Glue, the gold crawler registers a season folder the rebuild may have added."""
        from hoops import aws_catalog

        return aws_catalog.crawlers(("gold",))

    crawlers = gold_crawlers()
    rebuild_gold() >> crawlers
    crawl_and_wait(crawlers)


gold_refresh()
