"""CBBD incremental: every morning after the night's games, the rolling window of recent days plus the
season-level endpoints that change in season, into the lake (raw → bronze → silver → gold).

Runs at 05:00 America/New_York (DST-correct). The window (param `window_days`, default from
`HOOPS_CBBD_WINDOW_DAYS`) is re-read each day to pick up late scores and corrections.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag

from hoops.cbbd.dagflow import cbbd_tasks, shared_params

PARAMS = {
    **shared_params(),
    "date": Param(
        None,
        type=["null", "string"],
        format="date",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        title="Last day of the window",
        description="New York time (sent as YYYY-MM-DD). Empty: the run's logical date.",
    ),
    "window_days": Param(
        None,
        type=["null", "integer"],
        minimum=1,
        maximum=60,
        title="Window (days)",
        description="Days before the date to read again. Empty: HOOPS_CBBD_WINDOW_DAYS (7).",
    ),
}


@dag(
    dag_id="cbbd_incremental",
    schedule=CronTriggerTimetable("0 5 * * *", timezone="America/New_York"),
    # Any date CBBD covers can be run (or backfilled); the New York zone is the one the UI shows.
    start_date=pendulum.datetime(2002, 11, 1, tz="America/New_York"),
    catchup=False,  # history comes from cbbd_backfill; a missed day is covered by the next window
    max_active_runs=1,  # runs share the API quota and the season's silver partitions
    params=PARAMS,
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=5)},
    tags=["cbbd", "lake"],
    doc_md=__doc__,
)
def cbbd_incremental():
    cbbd_tasks("incremental")


cbbd_incremental()
