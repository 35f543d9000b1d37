"""`barttorvik_daily` end to end: dag.test() against the replay server, a real PostgreSQL and a local lake."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json

import pytest

from devkit.samples import samples_dir
from hoops import settings
from tests.integration.dagrun import ny_morning, query, run

DAG_ID = "barttorvik_daily"
D = dt.date(2020, 3, 13)  # served by the real time-machine file 20200312
REAL_FILE = samples_dir() / "barttorvik" / "timemachine" / "20200312_team_results.json.gz"

pytestmark = pytest.mark.usefixtures("replay", "lake_root")


def fetches(replay) -> int:
    """Requests for D's source file (other tests' slow requests may still be landing in the log)."""
    return sum(1 for r in replay.requests if "20200312_team_results" in r.path)


def metrics(dsn, day=D):
    return query(dsn, "SELECT * FROM bt_team_metrics_daily WHERE snapshot_date = %s ORDER BY team_id", day)


def test_loads_the_snapshot_with_every_column_typed(dagbag, warehouse_dsn, lake_root):
    outcome = run(dagbag, DAG_ID, ny_morning(D))
    assert outcome.state == "success", outcome.tasks
    assert set(outcome.tasks.values()) == {"success"}

    source = json.loads(gzip.decompress(REAL_FILE.read_bytes()))
    rows = metrics(warehouse_dsn)
    assert len(rows) == len(source) == 353

    types = dict(
        query(
            warehouse_dsn,
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'bt_team_metrics_daily'",
        )
    )
    assert types["adjoe"] == "double precision" and types["rank"] == "integer"
    assert types["wab"] == "double precision" and types["adj_tempo"] == "double precision"
    assert types["record"] == "text" and types["snapshot_date"] == "date"

    ((status, loaded, quarantined, url),) = query(
        warehouse_dsn, "SELECT status, rows_loaded, rows_quarantined, source_url FROM provider_ingestion_runs"
    )
    assert (status, loaded, quarantined) == ("SUCCESS", 353, 0)
    assert url.endswith("/timemachine/team_results/20200312_team_results.json.gz")

    ((sha, size, art_status, lake_uri),) = query(
        warehouse_dsn, "SELECT sha256, bytes, status, lake_uri FROM bt_raw_artifacts"
    )
    assert sha == hashlib.sha256(REAL_FILE.read_bytes()).hexdigest() and size == REAL_FILE.stat().st_size
    assert art_status == "LOADED"
    stored = [p for p in lake_root.rglob("*") if p.is_file()]
    assert [p.relative_to(lake_root).parts[:4] for p in stored] == [
        ("raw", "barttorvik", "team_results", "snapshot_date=2020-03-13")
    ]
    assert stored[0].read_bytes() == REAL_FILE.read_bytes() and lake_uri == stored[0].as_uri()


def test_kansas_on_2020_03_12_matches_the_source_file_exactly(dagbag, warehouse_dsn):
    from hoops.barttorvik.layout import COLUMNS

    assert run(dagbag, DAG_ID, ny_morning(D)).state == "success"
    source = json.loads(gzip.decompress(REAL_FILE.read_bytes()))
    names = ", ".join(c.name for c in COLUMNS)
    for team in ("Kansas", "Gonzaga", "Michigan St."):
        expected = next(r for r in source if r[1] == team)
        (stored,) = query(
            warehouse_dsn, f"SELECT {names} FROM bt_team_metrics_daily WHERE team_name = %s", team
        )
        assert list(stored) == expected  # all 45 values, floats bit-for-bit


def snapshot_state(dsn):
    """Everything a rerun must leave unchanged, loaded_at included."""
    return {
        "metrics": query(dsn, "SELECT * FROM bt_team_metrics_daily ORDER BY snapshot_date, team_id"),
        "artifacts": query(dsn, "SELECT artifact_id, snapshot_date, sha256, lake_uri FROM bt_raw_artifacts"),
        "quarantine": query(dsn, "SELECT * FROM bt_ingestion_quarantine ORDER BY snapshot_date, row_index"),
    }


def test_a_second_run_for_the_same_date_is_skipped_and_changes_nothing(dagbag, warehouse_dsn, replay):
    assert run(dagbag, DAG_ID, ny_morning(D)).state == "success"
    before, calls = snapshot_state(warehouse_dsn), fetches(replay)

    second = run(dagbag, DAG_ID, ny_morning(D, minute=45))  # another run, same New York day
    assert second.state == "success"
    assert second.tasks["check_idempotency"] == "skipped" and second.tasks["load_snapshot"] == "skipped"
    assert snapshot_state(warehouse_dsn) == before and fetches(replay) == calls
    statuses = query(warehouse_dsn, "SELECT status, reason FROM provider_ingestion_runs ORDER BY started_at")
    assert [s for s, _ in statuses] == ["SUCCESS", "SKIPPED"]
    assert "already loaded by run" in statuses[1][1] and "force=true" in statuses[1][1]


def test_force_reprocesses_the_stored_bytes_without_the_network(dagbag, warehouse_dsn, replay):
    assert run(dagbag, DAG_ID, ny_morning(D)).state == "success"
    before, calls = snapshot_state(warehouse_dsn), fetches(replay)
    forced = run(dagbag, DAG_ID, ny_morning(D, minute=50), conf={"force": True})
    assert forced.state == "success" and forced.tasks["load_snapshot"] == "success"
    assert fetches(replay) == calls  # stored artifact reused
    assert snapshot_state(warehouse_dsn) == before  # identical data: not even loaded_at moves
    assert [r[0] for r in query(warehouse_dsn, "SELECT status FROM provider_ingestion_runs")] == [
        "SUCCESS"
    ] * 2


def test_refetch_downloads_again_and_keeps_one_artifact(dagbag, warehouse_dsn, replay):
    assert run(dagbag, DAG_ID, ny_morning(D)).state == "success"
    calls = fetches(replay)
    assert (
        run(dagbag, DAG_ID, ny_morning(D, minute=55), conf={"force": True, "refetch": True}).state
        == "success"
    )
    assert fetches(replay) == calls + 1
    assert len(query(warehouse_dsn, "SELECT 1 FROM bt_raw_artifacts")) == 1  # same bytes, same artifact


def test_clearing_the_tasks_of_a_run_reruns_them_to_the_same_rows(dagbag, warehouse_dsn, replay):
    """Clearing re-executes the tasks with the same run id; drive the task callables as Airflow would."""
    from hoops.barttorvik import ingest

    assert run(dagbag, DAG_ID, ny_morning(D)).state == "success"
    (run_id,) = query(warehouse_dsn, "SELECT run_id FROM provider_ingestion_runs")[0]
    before, calls = snapshot_state(warehouse_dsn), fetches(replay)
    for _ in range(2):  # clear the whole run, then clear it again
        ingest.plan(D, run_id, force=False)  # same run: not skipped
        raw = ingest.fetch_raw(D, run_id, refetch=False, today=dt.date(2026, 11, 23))
        ingest.load(D, run_id, raw["artifact_id"])
        ingest.verify(D, run_id)
    assert snapshot_state(warehouse_dsn) == before and fetches(replay) == calls
    ((status, attempts),) = query(warehouse_dsn, "SELECT status, attempts FROM provider_ingestion_runs")
    assert (status, attempts) == ("SUCCESS", 3)


def test_unknown_team_is_quarantined_and_a_mapping_fix_then_rerun_empties_the_quarantine(
    dagbag, warehouse_dsn, tmp_path, monkeypatch
):
    mapping = json.loads(settings.team_mapping_path().read_text())
    kansas = next(t for t in mapping["teams"] if t["team_id"] == "kansas")
    kansas["aliases"] = ["Kansas Jayhawks"]  # a mapping that no longer knows "Kansas"
    kansas["name"] = "Kansas Jayhawks"
    broken = tmp_path / "team_mapping.json"
    broken.write_text(json.dumps(mapping))
    monkeypatch.setenv("HOOPS_TEAM_MAPPING", str(broken))

    assert run(dagbag, DAG_ID, ny_morning(D)).state == "success"
    ((row_index, name, reason),) = query(
        warehouse_dsn, "SELECT row_index, team_name, reason FROM bt_ingestion_quarantine"
    )
    assert (row_index, name) == (0, "Kansas") and "unknown team name 'Kansas'" in reason
    assert len(metrics(warehouse_dsn)) == 352
    assert query(warehouse_dsn, "SELECT rows_loaded, rows_quarantined FROM provider_ingestion_runs") == [
        (352, 1)
    ]

    monkeypatch.delenv("HOOPS_TEAM_MAPPING")  # the fix is deployed
    assert run(dagbag, DAG_ID, ny_morning(D, minute=40), conf={"force": True}).state == "success"
    assert query(warehouse_dsn, "SELECT count(*) FROM bt_ingestion_quarantine") == [(0,)]
    assert len(metrics(warehouse_dsn)) == 353
    assert query(warehouse_dsn, "SELECT adjoe FROM bt_team_metrics_daily WHERE team_id = 'kansas'") == [
        (116.08273920534913,)
    ]
