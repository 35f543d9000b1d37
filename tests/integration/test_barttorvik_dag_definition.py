"""The DAG as Airflow sees it: clean import with no parse-time I/O, schedule, params, backfill."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from hoops.barttorvik.ingest import resolve_snapshot_date
from hoops.barttorvik.sources import source_for
from tests.conftest import ROOT
from tests.integration.dagrun import ny_morning, query, run

DAG_ID = "barttorvik_daily"


def test_bundle_parses_without_errors_or_any_io(airflow_db, monkeypatch, tmp_path):
    """Parsing must not touch the network, the warehouse, the lake or an Airflow connection."""
    from airflow.dag_processing.dagbag import BundleDagBag

    import hoops.settings
    import hoops.warehouse

    def forbidden(*args, **kwargs):
        raise AssertionError(f"I/O at DAG parse time: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(hoops.warehouse, "connect", forbidden)
    monkeypatch.setattr(hoops.settings, "airflow_connection", forbidden)
    monkeypatch.setenv("HOOPS_STATE_DIR", str(tmp_path / "state"))
    bag = BundleDagBag(dag_folder=str(ROOT / "dags"), bundle_path=ROOT / "dags", bundle_name="dags-folder")
    assert bag.import_errors == {}
    assert DAG_ID in bag.dag_ids
    assert not (tmp_path / "state").exists()


def test_schedule_is_0630_new_york_all_year_and_catchup_is_explicit(dagbag):
    dag = dagbag.get_dag(DAG_ID)
    assert dag.catchup is False
    timetable = dag.timetable
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    core = coerce_to_core_timetable(timetable)
    fires = {}
    for day in (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), dt.datetime(2026, 7, 15, tzinfo=dt.UTC)):
        info = core.next_dagrun_info(
            last_automated_data_interval=DataInterval(day, day),
            restriction=TimeRestriction(earliest=None, latest=None, catchup=True),  # no jump to now
        )
        fires[day.month] = info.run_after.astimezone(dt.UTC).strftime("%H:%M")
    assert fires == {1: "11:30", 7: "10:30"}  # EST and EDT: always 06:30 in New York


@pytest.mark.parametrize(
    "conf",
    [
        {"snapshot_date": "13/03/2020"},
        {"snapshot_date": "2020-02-30"},
        {"snapshot_date": "2020-03-13'; DROP TABLE bt_team_metrics_daily; --"},
        {"snapshot_date": "../../etc/passwd"},
        {"force": "yes"},
        {"refetch": 1},
    ],
)
def test_invalid_trigger_params_are_refused_before_the_run(dagbag, warehouse_dsn, conf):
    """The trigger form and `airflow dags trigger -c` validate the same JSON schema as dag.test()."""
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match="Invalid input for param"):
        run(dagbag, DAG_ID, ny_morning(dt.date(2020, 3, 13)), conf=conf)
    assert query(
        warehouse_dsn, "SELECT count(*) FROM pg_tables WHERE tablename = 'provider_ingestion_runs'"
    ) == [(0,)]  # nothing ran, not even the schema task


def test_a_future_snapshot_date_fails_the_run_with_a_clear_reason(dagbag, warehouse_dsn, lake_root, replay):
    outcome = run(dagbag, DAG_ID, ny_morning(dt.date(2020, 3, 13)), conf={"snapshot_date": "2099-01-01"})
    assert outcome.state == "failed" and outcome.tasks["check_idempotency"] == "failed"
    assert query(warehouse_dsn, "SELECT count(*) FROM provider_ingestion_runs") == [(0,)]


def test_todays_run_reads_the_live_file(dagbag, warehouse_dsn, lake_root, monkeypatch):
    from devkit.replay import ReplayServer

    today = dt.date(2020, 3, 13)
    with ReplayServer(today=today) as live:
        monkeypatch.setenv("HOOPS_BT_BASE_URL", live.base_url)
        monkeypatch.setenv("HOOPS_TODAY", today.isoformat())
        assert run(dagbag, DAG_ID, ny_morning(today)).state == "success"
    ((kind, url, loaded),) = query(
        warehouse_dsn,
        "SELECT a.source_kind, a.source_url, r.rows_loaded FROM bt_raw_artifacts a"
        " JOIN provider_ingestion_runs r USING (artifact_id)",
    )
    assert (kind, url.rsplit("/", 1)[1], loaded) == ("live", "2020_team_results.json", 353)
    assert next(lake_root.rglob("*.gz")).name.startswith("2020_team_results.json.")


def test_airflow_backfill_plans_one_run_per_day_each_read_from_the_time_machine(
    dagbag, warehouse_dsn, lake_root, replay
):
    """`airflow backfill create` over a range: the runs Airflow plans map to time-machine files D-1."""
    from airflow.models.backfill import ReprocessBehavior, _do_dry_run
    from airflow.utils.session import create_session

    assert run(dagbag, DAG_ID, ny_morning(dt.date(2020, 3, 13))).state == "success"  # serializes the DAG
    with create_session() as session:
        infos = list(
            _do_dry_run(
                dag_id=DAG_ID,
                from_date=dt.datetime(2020, 3, 9, tzinfo=dt.UTC),
                to_date=dt.datetime(2020, 3, 12, 23, tzinfo=dt.UTC),
                reverse=False,
                reprocess_behavior=ReprocessBehavior.NONE,
                session=session,
            )
        )
    today = dt.date(2026, 11, 23)
    days = [resolve_snapshot_date(None, i.logical_date, today) for i in infos]
    assert days == [dt.date(2020, 3, d) for d in (9, 10, 11, 12)]
    assert [source_for(d, today).file_name for d in days] == [
        f"202003{d:02d}_team_results.json.gz" for d in (8, 9, 10, 11)
    ]
