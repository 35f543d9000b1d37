"""CBBD backfill: whole seasons of the CollegeBasketballData API into the lake (raw → bronze → silver → gold).

Manual. Plans the cheapest requests for the seasons (shown in the `plan_pass1` log), fetches them in
batches mapped over manifests, builds silver and gold, refreshes the catalog, validates, and writes a run
summary to `meta/`. Checkpoints make any rerun or clear cost nothing for what is already fetched.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag

from hoops.cbbd.dagflow import cbbd_tasks, shared_params

PARAMS = {
    **shared_params(),
    "seasons": Param(
        None,
        type=["null", "array"],
        items={"type": "integer", "minimum": 2003, "maximum": 2100},
        uniqueItems=True,
        title="Seasons",
        description="Seasons by their spring year (2024 = 2023-24). Empty: the current season.",
    ),
    "include_fanout": Param(
        False,
        type="boolean",
        title="Include per-game / per-player fan-out",
        description="Also call endpoints that need one request per game or player (costly: see the plan).",
    ),
}


@dag(
    dag_id="cbbd_backfill",
    schedule=None,
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # one backfill at a time: they share the API quota
    params=PARAMS,
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=1)},
    tags=["cbbd", "lake"],
    doc_md=__doc__,
)
def cbbd_backfill():
    cbbd_tasks("backfill")


cbbd_backfill()
