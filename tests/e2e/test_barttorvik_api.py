"""barttorvik_daily on the real stack, through the REST API: trigger with a date, a refused param, a clear."""

from __future__ import annotations

import gzip
import json

import pytest

from devkit.samples import samples_dir

pytestmark = pytest.mark.xdist_group("e2e-stack")  # one worker runs them all: one stack

DAG_ID = "barttorvik_daily"
DAY = "2020-03-13"  # served by the real time-machine file dated 2020-03-12
REAL_FILE = samples_dir() / "barttorvik" / "timemachine" / "20200312_team_results.json.gz"


def rows(stack) -> list[tuple]:
    return stack.query(
        "SELECT team_name, rank, adjoe, adjde, barthag, wab, adj_tempo, artifact_id"
        " FROM bt_team_metrics_daily"
        " WHERE snapshot_date = %s ORDER BY team_id",
        DAY,
    )


def test_a_triggered_date_is_loaded_with_the_source_values(stack, bt_run):
    tasks = stack.api.tasks(DAG_ID, bt_run)
    assert set(tasks.values()) == {"success"}, tasks
    source = json.loads(gzip.decompress(REAL_FILE.read_bytes()))
    loaded = {r[0]: r for r in rows(stack)}
    assert len(loaded) == len(source) == 353
    for row in source[:25]:  # by position: rank 0, name 1, adjoe 4, adjde 6, barthag 8, wab 41, tempo 44
        team = loaded[row[1]]
        assert team[1:7] == (int(row[0]), row[4], row[6], row[8], row[41], row[44]), row[1]
    ((status, count, url),) = stack.query(
        "SELECT r.status, r.rows_loaded, a.source_url FROM provider_ingestion_runs r"
        " JOIN bt_raw_artifacts a USING (artifact_id) WHERE r.run_id = %s",
        bt_run,
    )
    assert (status, count) == ("SUCCESS", 353) and url.endswith("20200312_team_results.json.gz")


def test_an_invalid_date_is_refused_with_the_params_message_and_no_run(stack, unpaused):
    before = {r["dag_run_id"] for r in stack.api.runs(DAG_ID)}
    answer = stack.api.post(
        f"/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": {"snapshot_date": "2020-02-30"}}
    )
    assert answer.status_code == 400, answer.text
    assert "snapshot_date" in answer.json()["detail"] and "2020-02-30" in answer.json()["detail"]
    assert {r["dag_run_id"] for r in stack.api.runs(DAG_ID)} == before


def test_clearing_load_snapshot_reruns_it_and_verify_with_the_same_rows(stack, bt_run):
    def tries() -> dict[str, int]:
        return {ti["task_id"]: ti["try_number"] for ti in stack.api.task_instances(DAG_ID, bt_run)}

    before, first = rows(stack), tries()
    answer = stack.api.post(
        f"/dags/{DAG_ID}/clearTaskInstances",
        {
            "dry_run": False,
            "dag_run_id": bt_run,
            "task_ids": ["load_snapshot"],
            "include_downstream": True,
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    assert answer.status_code == 200, answer.text
    cleared = {ti["task_id"] for ti in answer.json()["task_instances"]}
    assert cleared == {"load_snapshot", "verify_snapshot"}
    assert stack.api.wait_run(DAG_ID, bt_run) == "success", stack.api.tasks(DAG_ID, bt_run)
    again = tries()
    assert again["load_snapshot"] == first["load_snapshot"] + 1
    assert again["verify_snapshot"] == first["verify_snapshot"] + 1
    assert again["fetch_raw"] == first["fetch_raw"]  # upstream of the clear: not run again
    assert rows(stack) == before
