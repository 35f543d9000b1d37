"""Faults on the real stack: a worker killed mid-fetch, the scheduler killed mid-run, two runs of one
BartTorvik date at once. Each outcome is asserted on the data, not just the run state."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import psutil
import pytest

from devkit import airflow_stack

pytestmark = pytest.mark.xdist_group("e2e-stack")  # one worker runs them all: one stack

BT = "barttorvik_daily"


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _xcom(api, dag_id: str, run_id: str, task_id: str):
    answer = api.client.get(
        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
    )
    return answer.json()["value"] if answer.status_code == 200 else None


def test_two_runs_of_one_barttorvik_date_at_once_fetch_once_and_load_once(stack, unpaused, record_fault):
    day = dt.date(2020, 3, 11)
    runs = [stack.api.trigger(BT, {"snapshot_date": day.isoformat()}) for _ in range(2)]
    for run_id in runs:
        assert stack.api.wait_run(BT, run_id) == "success", stack.api.tasks(BT, run_id)
    statuses = stack.query(
        "SELECT status FROM provider_ingestion_runs WHERE snapshot_date = %s AND run_id = ANY(%s) ORDER BY 1",
        day,
        runs,
    )
    assert [s for (s,) in statuses] == ["SKIPPED", "SUCCESS"]
    fetched = [_xcom(stack.api, BT, r, "fetch_raw") for r in runs]
    assert sum(1 for f in fetched if f is not None and not f["reused"]) == 1, fetched
    assert stack.query("SELECT count(*) FROM bt_raw_artifacts WHERE snapshot_date = %s", day) == [(1,)]
    record_fault(
        "stack: two barttorvik_daily runs of one date at once", 2, "one fetch, one SUCCESS, one SKIPPED"
    )


def test_the_scheduler_killed_mid_run_and_restarted_completes_the_run(stack, unpaused, record_fault):
    run_id = stack.api.trigger(BT, {"snapshot_date": "2020-03-10"})
    deadline = time.monotonic() + 120
    while "success" not in stack.api.tasks(BT, run_id).values():  # mid-run: a task has finished
        assert time.monotonic() < deadline, stack.api.tasks(BT, run_id)
        time.sleep(0.5)
    airflow_stack.kill("scheduler")
    airflow_stack.restart("scheduler")
    assert stack.api.wait_run(BT, run_id, timeout_s=300) == "success", stack.api.tasks(BT, run_id)
    status = stack.query("SELECT status FROM provider_ingestion_runs WHERE run_id = %s", run_id)
    assert status == [("SUCCESS",)]
    record_fault("stack: scheduler SIGKILLed mid-run, restarted", 1, "run completed")


def test_a_worker_killed_mid_fetch_is_retried_within_a_minute_and_fetches_nothing_twice(
    stack, unpaused, record_fault, artifacts
):
    api, dag_id, season = stack.api, "cbbd_backfill", 2019
    # Three endpoints keep it short; plays_date (one call per game day) gives a fetch long enough to kill.
    run_id = api.trigger(dag_id, {"seasons": [season], "endpoints": ["teams", "games", "plays_date"]})
    deadline, victim = time.monotonic() + 600, None
    while victim is None:  # a fetch task that is running and has answered calls already; kill its worker
        assert time.monotonic() < deadline, api.tasks(dag_id, run_id)
        for ti in api.task_instances(dag_id, run_id):
            if not (ti["task_id"].startswith("fetch_") and ti["state"] == "running" and ti.get("pid")):
                continue
            if stack.query("SELECT count(*) FROM cbbd_checkpoints WHERE season = %s", season)[0][0] < 5:
                continue
            try:  # the worker that supervises (and heartbeats for) the task, with everything under it
                task = psutil.Process(ti["pid"])
                tree = [task.parent(), task, *task.children(recursive=True)]
            except psutil.NoSuchProcess:  # the batch finished meanwhile: wait for another
                continue
            for proc in tree:
                os.kill(proc.pid, signal.SIGKILL)
            victim = ti
            break
        time.sleep(0.2)
    killed = dt.datetime.now(dt.UTC)

    assert api.wait_run(dag_id, run_id, timeout_s=900) == "success", api.tasks(dag_id, run_id)
    ti_path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{victim['task_id']}/{victim['map_index']}"
    tries = [*api.get(f"{ti_path}/tries")["task_instances"], api.get(ti_path)]  # the past tries and the last
    retry = min((t for t in tries if t["try_number"] > victim["try_number"]), key=lambda t: t["try_number"])
    stall = (_at(retry["start_date"]) - killed).total_seconds()
    assert stall < 60, f"the killed batch was retried after {stall:.0f} s"
    # Checkpoints make the retry ask only what the killed attempt had not finished: at most the requests
    # in flight at the kill (concurrency 3) were asked twice.
    twice = stack.query("SELECT count(*) FROM cbbd_checkpoints WHERE season = %s AND calls > 1", season)[0][0]
    assert twice <= 3
    missing = stack.query(
        "SELECT count(*) FROM cbbd_checkpoints WHERE season = %s AND status NOT IN ('done', 'split')", season
    )[0][0]
    assert missing == 0
    (artifacts / "worker-kill.json").write_text(f'{{"stall_s": {stall:.1f}, "asked_twice": {twice}}}')
    record_fault(
        "stack: LocalExecutor worker SIGKILLed mid-fetch", 1, f"retried after {stall:.0f} s, completed"
    )
