"""The CBBD DAGs as Airflow sees them: schedule, params, pool, assets, and trigger validation."""

from __future__ import annotations

import datetime as dt

import pytest

from hoops.cbbd import pipeline

TODAY = dt.date(2025, 1, 15)


def test_incremental_runs_at_0500_new_york_all_year_and_catchup_is_explicit(dagbag):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    dag = dagbag.get_dag("cbbd_incremental")
    assert dag.catchup is False and dag.max_active_runs == 1
    core = coerce_to_core_timetable(dag.timetable)
    fires = {}
    for day in (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), dt.datetime(2026, 7, 15, tzinfo=dt.UTC)):
        info = core.next_dagrun_info(
            last_automated_data_interval=DataInterval(day, day),
            restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
        )
        fires[day.month] = info.run_after.astimezone(dt.UTC).strftime("%H:%M")
    assert fires == {1: "10:00", 7: "09:00"}


def test_fetch_tasks_are_mapped_in_the_api_pool_and_the_layers_are_assets(dagbag):
    for dag_id in ("cbbd_backfill", "cbbd_incremental"):
        dag = dagbag.get_dag(dag_id)
        assert dag.get_task("fetch_pass1").pool == "cbbd_api"
        assert dag.get_task("fetch_pass2").pool == "cbbd_api"
        assert [a.name for a in dag.get_task("silver").outlets] == ["cbbd_silver"]
        assert [a.name for a in dag.get_task("gold").outlets] == ["cbbd_gold"]
        assert dag.get_task("summary").trigger_rule == "all_done"
    assert dagbag.get_dag("cbbd_backfill").schedule is None
    assert dagbag.get_dag("gold_refresh").get_task("rebuild_gold").outlets[0].name == "cbbd_gold"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"seasons": [1999]}, "out of range"),
        ({"seasons": [TODAY.year + 5]}, "out of range"),
        ({"seasons": ["24"]}, "list of years"),  # "2024" is taken: the trigger form sends text
        ({"seasons": "2024; rm -rf /"}, "list of years"),
        ({"endpoints": ["games", "../../etc/passwd"]}, "unknown endpoints"),
        ({"endpoints": ["games'; DROP TABLE cbbd_checkpoints; --"]}, "unknown endpoints"),
        ({"max_calls": -5}, "max_calls"),
        ({"max_calls": "100"}, "max_calls"),
        ({"max_calls": True}, "max_calls"),
    ],
)
def test_backfill_params_that_cannot_work_are_refused_with_the_reason(params, message):
    with pytest.raises(pipeline.InvalidRequest, match=message):
        pipeline.validate_params(params, kind="backfill", logical_date=TODAY, today=TODAY)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date": "2025-02-30"}, "not a calendar date"),
        ({"date": "15/01/2025"}, "YYYY-MM-DD"),
        ({"date": "2025-01-15/../../x"}, "YYYY-MM-DD"),
        ({"date": "2026-01-01"}, "in the future"),
        ({"window_days": 0}, "window_days"),
        ({"window_days": 500}, "window_days"),
    ],
)
def test_incremental_params_that_cannot_work_are_refused_with_the_reason(params, message):
    with pytest.raises(pipeline.InvalidRequest, match=message):
        pipeline.validate_params(params, kind="incremental", logical_date=TODAY, today=TODAY)


def test_defaults_name_the_current_season_and_the_configured_window(monkeypatch):
    monkeypatch.setenv("HOOPS_CBBD_WINDOW_DAYS", "5")
    spec = pipeline.validate_params({}, kind="backfill", logical_date=TODAY, today=TODAY)
    assert spec["seasons"] == [2025] and spec["endpoints"] == "all" and spec["max_calls"] is None
    inc = pipeline.validate_params({}, kind="incremental", logical_date=TODAY, today=TODAY)
    assert inc["window_days"] == 5 and inc["date"] == inc["asof"] == "2025-01-15" and inc["seasons"] == [2025]


def test_a_bad_trigger_fails_in_prepare_and_changes_nothing(dagbag, lake_root, warehouse_dsn, monkeypatch):
    from tests.integration.dagrun import run

    monkeypatch.setenv("CBBD_API_KEY", "unused-key")
    monkeypatch.setenv("HOOPS_TODAY", TODAY.isoformat())
    outcome = run(dagbag, "cbbd_backfill", dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC), {"seasons": [2030]})
    assert outcome.state == "failed" and outcome.tasks["prepare"] == "failed"
    assert not lake_root.exists() or not any(p.is_file() for p in lake_root.rglob("*"))


def test_a_missing_api_key_fails_fast_naming_the_connection(lake_root, warehouse_dsn, monkeypatch):
    for name in ("CBBD_API_KEY", "BEARER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pipeline.InvalidRequest, match="cbbd_default"):
        pipeline.prepare()


def test_glue_crawls_are_mapped_between_catalog_and_validate_and_really_wait(dagbag):
    """The crawlers run as the provider's operator and sensor, one mapped instance per layer the catalog
    step names; the wait is the real sensor (tests under moto replace its poke, production must not)."""
    for dag_id in ("cbbd_backfill", "cbbd_incremental"):
        dag = dagbag.get_dag(dag_id)
        crawl, wait = dag.get_task("crawl"), dag.get_task("crawl_wait")
        assert crawl.operator_name == "GlueCrawlerRunOperator" and wait.operator_name == "GlueCrawlerSensor"
        assert crawl.partial_kwargs["fail_on_already_running"] is False
        assert wait.partial_kwargs["mode"] == "reschedule"
        assert crawl.upstream_task_ids == {"catalog"} and crawl.downstream_task_ids == {"crawl_wait"}
        assert wait.downstream_task_ids == {"validate"}
        assert dag.get_task("validate").trigger_rule == "none_failed"  # no crawl (DuckDB) is not a failure
    refresh = dagbag.get_dag("gold_refresh")
    assert refresh.get_task("crawl").upstream_task_ids == {"gold_crawlers"}
    assert refresh.get_task("gold_crawlers").upstream_task_ids == {"rebuild_gold"}


def test_unknown_params_and_dates_before_cbbd_are_refused_and_the_names_match_the_dags(dagbag):
    """A typo ("season") would otherwise run the defaults and spend the quota on the wrong thing."""
    from hoops.cbbd import pipeline

    for kind in ("backfill", "incremental"):
        assert pipeline.PARAM_NAMES[kind] == set(dagbag.get_dag(f"cbbd_{kind}").params)
    with pytest.raises(pipeline.InvalidRequest, match=r"unknown params \['season'\]"):
        pipeline.validate_params({"season": [2020]}, kind="backfill", logical_date=TODAY, today=TODAY)
    with pytest.raises(pipeline.InvalidRequest, match="CBBD data covers 2003"):
        pipeline.validate_params({"date": "1990-01-20"}, kind="incremental", logical_date=TODAY, today=TODAY)
