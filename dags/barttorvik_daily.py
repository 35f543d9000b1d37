"""BartTorvik daily team-metrics snapshot → PostgreSQL. Wiring only; the work is in `hoops.barttorvik.ingest`.

Runs at 06:30 New York time (DST-correct). `snapshot_date` D = ratings before any game of day D: today's
run reads the live file; a past date (backfill, manual trigger) is rebuilt from time-machine file D-1.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from hoops.assets import BT_TEAM_METRICS_DAILY, bt_extra

PARAMS = {
    "snapshot_date": Param(
        None,
        type=["null", "string"],
        format="date",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        title="Snapshot date",
        description="Ratings before any game of this day, New York time (sent as YYYY-MM-DD). "
        "Empty: the run's logical date.",
    ),
    "force": Param(
        False, type="boolean", title="Force", description="Reprocess a date that another run already loaded."
    ),
    "refetch": Param(
        False,
        type="boolean",
        title="Refetch",
        description="Download the file again instead of reprocessing the stored raw bytes.",
    ),
}


def _run() -> tuple[dt.date, str, dict]:
    """This run's snapshot date, run id and params, validated; bad params fail without retries."""
    from hoops import settings
    from hoops.barttorvik.ingest import InvalidRequest, resolve_snapshot_date

    ctx = get_current_context()
    params, run = ctx["params"], ctx["dag_run"]
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:  # a typo such as "date" would otherwise load the logical date instead
        raise AirflowFailException(f"unknown params {[str(u)[:40] for u in unknown]}: takes {sorted(PARAMS)}")
    try:
        day = resolve_snapshot_date(
            params.get("snapshot_date"), ctx.get("logical_date") or run.run_after, settings.today()
        )
    except InvalidRequest as exc:
        raise AirflowFailException(str(exc)) from None
    return day, run.run_id, params


@dag(
    dag_id="barttorvik_daily",
    schedule=CronTriggerTimetable("30 6 * * *", timezone="America/New_York"),
    # The time machine starts here; the New York zone makes the UI and the API show the schedule in it.
    start_date=pendulum.datetime(2014, 11, 2, tz="America/New_York"),
    catchup=False,  # history comes from an explicit backfill, which reads the time machine
    max_active_runs=4,
    params=PARAMS,
    default_args={
        "retries": 3,
        "retry_delay": dt.timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(minutes=30),
    },
    tags=["barttorvik", "postgres"],
    doc_md=__doc__,
)
def barttorvik_daily():
    @task
    def ensure_schema() -> dict:
        from hoops.barttorvik import ingest

        try:
            return ingest.ensure_schema()
        except ingest.LakeError as exc:  # configuration: retrying cannot help
            raise AirflowFailException(str(exc)) from None

    @task
    def check_idempotency() -> dict:
        from hoops.barttorvik import ingest

        day, run_id, params = _run()
        try:
            return ingest.plan(day, run_id, force=bool(params.get("force")))
        except ingest.Skipped as exc:
            raise AirflowSkipException(str(exc)) from None

    @task
    def fetch_raw(plan: dict) -> dict:
        from hoops import settings
        from hoops.barttorvik import ingest

        day, run_id, params = _run()
        try:
            with ingest.exclusive_date(day, run_id, force=bool(params.get("force"))):
                return ingest.fetch_raw(
                    day, run_id, refetch=bool(params.get("refetch")), today=settings.today()
                )
        except ingest.Skipped as exc:
            raise AirflowSkipException(str(exc)) from None
        except ingest.SourceError as exc:
            if not exc.retryable:
                raise AirflowFailException(str(exc)) from None
            raise

    @task(outlets=[BT_TEAM_METRICS_DAILY])
    def load_snapshot(raw: dict) -> dict:
        from hoops.barttorvik import ingest

        day, run_id, params = _run()
        try:
            with ingest.exclusive_date(day, run_id, force=bool(params.get("force"))):
                loaded = ingest.load(day, run_id, raw["artifact_id"])
        except ingest.Skipped as exc:  # another run of the date loaded it while this one waited
            raise AirflowSkipException(str(exc)) from None
        except ingest.DataCheckFailed as exc:
            raise AirflowFailException(str(exc)) from None
        # gold_refresh rebuilds the season this date belongs to, not "the current one".
        get_current_context()["outlet_events"][BT_TEAM_METRICS_DAILY].extra = bt_extra(day)
        return loaded

    @task(retries=0)
    def verify_snapshot(loaded: dict) -> dict:
        from hoops.barttorvik import ingest

        day, run_id, _ = _run()
        try:
            return ingest.verify(day, run_id)
        except ingest.DataCheckFailed as exc:
            raise AirflowFailException(str(exc)) from None

    plan = check_idempotency()
    ensure_schema() >> plan
    verify_snapshot(load_snapshot(fetch_raw(plan)))


barttorvik_daily()
