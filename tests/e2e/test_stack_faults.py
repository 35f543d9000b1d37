"""Faults on the real stack: a worker killed mid-fetch, the scheduler killed mid-fetch, two runs of one
BartTorvik date at once. Each outcome is asserted on the data, not just the run state."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time

import duckdb
import psutil
import pytest

from devkit import airflow_stack
from hoops import paths

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


def test_the_scheduler_killed_mid_fetch_and_restarted_takes_the_task_over_and_completes(
    stack, unpaused, record_fault, artifacts
):
    """The hard case: the scheduler dies (with its LocalExecutor workers) while a fetch task runs, so
    the task is left `running` under a dead scheduler's job; the restarted one must take it over."""
    api, dag_id, season = stack.api, "cbbd_backfill", 2018
    run_id = api.trigger(dag_id, {"seasons": [season], "endpoints": ["teams", "games", "plays_date"]})
    victim = _running_fetch(stack, dag_id, run_id, season)
    assert victim is not None  # the scheduler must die while a task runs, not between tasks
    airflow_stack.kill("scheduler")
    killed = dt.datetime.now(dt.UTC)
    airflow_stack.restart("scheduler")

    assert api.wait_run(dag_id, run_id, timeout_s=300) == "success", api.failures(dag_id, run_id)
    taken_over = _next_try(api, dag_id, run_id, victim)
    recovered = (_at(taken_over["start_date"]) - killed).total_seconds()
    assert recovered < 120, f"the orphaned task started again {recovered:.0f} s after the scheduler died"
    assert _unfinished_checkpoints(stack, season) == 0
    (artifacts / "scheduler-kill.json").write_text(json.dumps({"recovered_s": round(recovered, 1)}))
    record_fault(
        "stack: scheduler SIGKILLed mid-fetch, restarted", 1, f"task taken over after {recovered:.0f} s"
    )


def test_a_worker_killed_mid_fetch_is_retried_within_a_minute_with_the_rows_and_calls_of_a_clean_run(
    stack, unpaused, record_fault, artifacts
):
    api, dag_id, season = stack.api, "cbbd_backfill", 2019
    # Three endpoints keep it short; plays_date (one call per game day) gives a fetch long enough to kill.
    spec = {"seasons": [season], "endpoints": ["teams", "games", "plays_date"]}
    run_id = api.trigger(dag_id, spec)
    victim = _running_fetch(stack, dag_id, run_id, season)
    assert victim is not None, api.tasks(dag_id, run_id)
    try:  # the worker that supervises (and heartbeats for) the task, with everything under it
        task = psutil.Process(victim["pid"])
        tree = [task.parent(), task, *task.children(recursive=True)]
    except psutil.NoSuchProcess:
        pytest.fail(f"the fetch task {victim['task_id']} ended before it could be killed")
    for proc in tree:
        os.kill(proc.pid, signal.SIGKILL)
    killed = dt.datetime.now(dt.UTC)

    assert api.wait_run(dag_id, run_id, timeout_s=900) == "success", api.failures(dag_id, run_id)
    stall = (_at(_next_try(api, dag_id, run_id, victim)["start_date"]) - killed).total_seconds()
    assert stall < 60, f"the killed batch was retried after {stall:.0f} s"
    # Checkpoints make the retry ask only what the killed attempt had not finished: at most the requests
    # in flight at the kill (concurrency 3) were asked twice.
    twice = stack.query("SELECT count(*) FROM cbbd_checkpoints WHERE season = %s AND calls > 1", season)[0][0]
    assert twice <= 3
    assert _unfinished_checkpoints(stack, season) == 0
    after_kill, asked = _silver(stack, season), _asked(stack, season)
    killed_summary = _summary(stack, dag_id, run_id)

    # The same work again without a fault (force: every call asked again) is the clean run to compare.
    clean_id = api.trigger(dag_id, {**spec, "force": True})
    assert api.wait_run(dag_id, clean_id, timeout_s=900) == "success", api.failures(dag_id, clean_id)
    clean_summary = _summary(stack, dag_id, clean_id)
    assert after_kill == _silver(stack, season)  # same rows, same values, table by table
    assert killed_summary["rows_by_table"] == clean_summary["rows_by_table"]
    # Same calls: the killed run asked exactly the requests the clean run asks (each once more now), and
    # its only extra calls are the requests in flight at the kill.
    asked_again = _asked(stack, season)
    explained = (killed_summary["calls_explained"], clean_summary["calls_explained"])
    assert asked.keys() == asked_again.keys(), (asked.keys() ^ asked_again.keys(), explained)
    assert {k: asked_again[k] - n for k, n in asked.items()} == dict.fromkeys(asked, 1), explained
    extra = sum(asked.values()) - len(asked)
    assert extra <= 3
    (artifacts / "worker-kill.json").write_text(
        json.dumps({"stall_s": round(stall, 1), "asked_twice": twice, "extra_calls": extra})
    )
    record_fault(
        "stack: LocalExecutor worker SIGKILLed mid-fetch",
        1,
        f"retried after {stall:.0f} s; rows of a clean run, {extra} extra calls",
    )


def _running_fetch(stack, dag_id: str, run_id: str, season: int, timeout_s: float = 600) -> dict | None:
    """The plays_date fetch (pass 2, one call per game day) once it runs and has answered a few calls:
    far from its end, so the kill lands mid-work (pass 1 is a few calls and can end before the kill)."""
    deadline = time.monotonic() + timeout_s
    sql = "SELECT count(*) FROM cbbd_checkpoints WHERE season = %s AND endpoint = 'plays_date'"
    while time.monotonic() < deadline:
        for ti in stack.api.task_instances(dag_id, run_id):
            running = ti["task_id"] == "fetch_pass2" and ti["state"] == "running" and ti.get("pid")
            if running and stack.query(sql, season)[0][0] >= 3 and psutil.pid_exists(ti["pid"]):
                return ti
        if stack.api.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"] in ("success", "failed"):
            return None  # it ended without a fetch task worth killing
        time.sleep(0.2)
    return None


def _next_try(api, dag_id: str, run_id: str, ti: dict) -> dict:
    """The first try of `ti` after the one that was running: its retry or the run that took it over."""
    path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/{ti['map_index']}"
    tries = [*api.get(f"{path}/tries")["task_instances"], api.get(path)]  # the past tries and the last
    return min((t for t in tries if t["try_number"] > ti["try_number"]), key=lambda t: t["try_number"])


def _unfinished_checkpoints(stack, season: int) -> int:
    sql = "SELECT count(*) FROM cbbd_checkpoints WHERE season = %s AND status NOT IN ('done', 'split')"
    return stack.query(sql, season)[0][0]


def _asked(stack, season: int) -> dict[tuple[str, str], int]:
    """Each request of the season (endpoint, parameters' hash) and how many times it was asked."""
    sql = "SELECT endpoint, param_hash, calls FROM cbbd_checkpoints WHERE season = %s"
    return {(e, h): calls for e, h, calls in stack.query(sql, season)}


def _summary(stack, dag_id: str, run_id: str) -> dict:
    return json.loads((stack.lake / paths.run_summary(dag_id, run_id)).read_text())


def _silver(stack, season: int) -> dict[str, tuple[int, str]]:
    """Each silver table's rows of the season and a digest of their values (the `asof` a row was fetched
    on differs between runs by design, so it is left out)."""
    out = {}
    with duckdb.connect() as db:
        for folder in sorted((stack.lake / "silver").glob(f"*/season={season}")):
            files = f"{folder}/*.parquet"
            columns = [c for (c,) in db.execute(f"SELECT name FROM parquet_schema('{files}')").fetchall()]
            keep = '* EXCLUDE ("asof")' if "asof" in columns else "*"
            out[folder.parent.name] = db.execute(
                f"SELECT count(*), md5(string_agg(r, '|' ORDER BY r)) "
                f"FROM (SELECT CAST(t AS VARCHAR) AS r FROM (SELECT {keep} FROM read_parquet('{files}')) t)"
            ).fetchone()
    assert out, f"no silver for season {season}"
    return out
