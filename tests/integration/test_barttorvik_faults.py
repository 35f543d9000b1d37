"""Every replay fault ends as described, and nothing stored for any other date changes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.integration.dagrun import ny_morning, query, run

pytestmark = pytest.mark.usefixtures("lake_root")  # a lake is configuration: no test runs without one

DAG_ID = "barttorvik_daily"
OTHER = dt.date(2020, 3, 12)  # loaded first; must survive every fault untouched
D = dt.date(2020, 3, 13)


def state_of(dsn, lake_root, day):
    files = sorted(
        (p.relative_to(lake_root).as_posix(), p.read_bytes())
        for p in lake_root.rglob("*")
        if p.is_file() and f"snapshot_date={day}" in p.as_posix()
    )
    return {
        "metrics": query(
            dsn, "SELECT * FROM bt_team_metrics_daily WHERE snapshot_date = %s ORDER BY team_id", day
        ),
        "artifacts": query(dsn, "SELECT * FROM bt_raw_artifacts WHERE snapshot_date = %s", day),
        "runs": query(dsn, "SELECT * FROM provider_ingestion_runs WHERE snapshot_date = %s", day),
        "files": files,
    }


@pytest.fixture
def loaded_other(dagbag, warehouse_dsn, lake_root, replay):
    assert run(dagbag, DAG_ID, ny_morning(OTHER)).state == "success"
    return state_of(warehouse_dsn, lake_root, OTHER)


@pytest.mark.parametrize(
    ("kind", "reason", "extra"),
    [
        ("403", "blocked_403", {}),
        ("bot", "bot_check", {}),
        ("5xx", "http_503", {}),
        ("truncated", "malformed", {}),
        ("malformed", "malformed", {}),
        ("slow", "timeout", {"delay_s": 5.0}),
    ],
)
def test_fault_fails_the_run_with_its_reason_keeps_the_body_and_touches_nothing_else(
    dagbag, warehouse_dsn, lake_root, replay, loaded_other, monkeypatch, kind, reason, extra
):
    monkeypatch.setenv("HOOPS_BT_TIMEOUT_S", "0.5")
    replay.set_fault(kind, **extra)
    outcome = run(dagbag, DAG_ID, ny_morning(D))
    assert outcome.state == "failed" and outcome.tasks["fetch_raw"] == "failed"
    assert outcome.tasks["load_snapshot"] == "upstream_failed"

    ((status, run_reason, deadletter),) = query(
        warehouse_dsn,
        "SELECT status, reason, deadletter_uri FROM provider_ingestion_runs WHERE snapshot_date = %s",
        D,
    )
    assert status == "FAILED" and run_reason.startswith(f"{reason}: ")
    assert query(warehouse_dsn, "SELECT count(*) FROM bt_team_metrics_daily WHERE snapshot_date = %s", D) == [
        (0,)
    ]
    assert query(warehouse_dsn, "SELECT count(*) FROM bt_raw_artifacts WHERE snapshot_date = %s", D) == [(0,)]
    if kind != "slow":  # a timeout has no body to keep
        assert deadletter.startswith((lake_root / "deadletter").as_uri())
        meta = json.loads(next((lake_root / "deadletter").rglob("*.json")).read_text())
        assert meta["reason"] == reason and meta["source_url"].endswith("20200312_team_results.json.gz")
        if kind in ("403", "bot"):
            assert deadletter.endswith(".html")
    assert state_of(warehouse_dsn, lake_root, OTHER) == loaded_other

    replay.clear_faults()  # the source recovers: the next run loads the date
    assert run(dagbag, DAG_ID, ny_morning(D, minute=45)).state == "success"
    assert query(warehouse_dsn, "SELECT count(*) FROM bt_team_metrics_daily WHERE snapshot_date = %s", D) == [
        (353,)
    ]
    assert state_of(warehouse_dsn, lake_root, OTHER) == loaded_other


def test_a_transient_fault_is_retried_by_airflow_and_the_run_succeeds(dagbag, warehouse_dsn, replay):
    replay.set_fault("bot", times=1)
    outcome = run(dagbag, DAG_ID, ny_morning(D), retries=1)
    assert outcome.state == "success"
    fetches = [r for r in replay.requests if "20200312" in r.path]
    assert [r.status for r in fetches[-2:]] == [200, 200]  # bot page (HTTP 200 HTML), then the file
    assert query(warehouse_dsn, "SELECT status FROM provider_ingestion_runs") == [("SUCCESS",)]


def test_the_dag_declares_retries_with_exponential_backoff(dagbag):
    fetch = dagbag.get_dag(DAG_ID).get_task("fetch_raw")
    assert fetch.retries >= 3 and fetch.retry_exponential_backoff >= 2
    assert fetch.max_retry_delay >= dt.timedelta(minutes=10)


def test_off_season_dates_record_skipped(dagbag, warehouse_dsn, replay):
    outcome = run(dagbag, DAG_ID, ny_morning(dt.date(2020, 7, 4)))
    assert outcome.state == "success" and outcome.tasks["check_idempotency"] == "skipped"
    ((status, reason),) = query(warehouse_dsn, "SELECT status, reason FROM provider_ingestion_runs")
    assert status == "SKIPPED" and reason.startswith("off-season")
    assert not [r for r in replay.requests if "20200703" in r.path]  # the source was not asked


def test_a_send_a_real_user_agent_setting_exists(dagbag, warehouse_dsn, replay, monkeypatch):
    from hoops.settings import BROWSER_USER_AGENT

    monkeypatch.setenv("HOOPS_BT_USER_AGENT", "browser")
    replay.clear_requests()
    assert run(dagbag, DAG_ID, ny_morning(D)).state == "success"
    # Every request for its file: the "slow" fault test's handler, answering 5 s after its client gave up,
    # once logged a default-agent request here; the replay now drops answers to requests made before
    # clear_requests.
    asked = [r.user_agent for r in replay.requests if (D - dt.timedelta(days=1)).strftime("%Y%m%d") in r.path]
    assert asked and set(asked) == {BROWSER_USER_AGENT}, asked
