"""CBBD backfill: whole seasons of the CollegeBasketballData API into the lake (raw → bronze → silver → gold).

Manual. Plans the cheapest requests for the seasons (shown in the `plan_pass1` log), fetches them in
batches mapped over manifests, builds silver and gold, refreshes the catalog, validates, and writes a run
summary to `meta/`. Checkpoints make any rerun or clear cost nothing for what is already fetched.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Param, dag

from hoops.cbbd.dagflow import cbbd_tasks, season_choices, shared_params

SEASON_CHOICES = season_choices()  # newest first, up to the current season

PARAMS = {
    **shared_params(),
    # A pick list (the form's multi-select), not a JSON editor: none picked = the current season.
    "seasons": Param(
        [],
        type="array",
        # The form's pick list sends its choices as text ("2020"), a script sends numbers: both are taken.
        items={"type": ["integer", "string"], "pattern": r"^\d{4}$", "minimum": 2003, "maximum": 2100},
        uniqueItems=True,
        examples=SEASON_CHOICES,
        title="Seasons",
        description="Seasons by their spring year (2024 = 2023-24). None picked: the current season.",
    ),
    "all_seasons": Param(
        False,
        type="boolean",
        title="All seasons",
        description="Every season CBBD covers, 2003 to the current one (the Seasons pick is ignored). The "
        "run spends at most its budget and the next run resumes: see the summary for what remains.",
    ),
    "oldest_first": Param(
        False,
        type="boolean",
        title="Oldest season first",
        description="Spend the budget on the oldest seasons first (default: the newest first).",
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
    start_date=pendulum.datetime(2024, 1, 1, tz="America/New_York"),  # the zone the UI shows
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
