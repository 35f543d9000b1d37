"""Calls are counted as they are made: a fetch process SIGKILLed mid-batch leaves its calls in the durable
per-attempt count, equal to what the replay server answered, and the run's summary includes them.

The child is this module run as a program: it makes the DAG's `fetch_batch` step kill its own process
right after the N-th call was counted (before the answer is stored), the worst moment for bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = "call-count-key-12345678"
DAY = dt.date(2025, 1, 15)  # season 2024 is over: every answer is final
KILL_AFTER = 10


def _child(task: dict) -> None:
    from hoops.cbbd import checkpoints, pipeline

    real, counted = checkpoints.PostgresCheckpoints.count_call, []

    def count_call(self, *args, **kwargs):
        real(self, *args, **kwargs)
        counted.append(1)
        if len(counted) == task["kill_after"]:
            os.kill(os.getpid(), signal.SIGKILL)

    checkpoints.PostgresCheckpoints.count_call = count_call
    pipeline.fetch_batch(
        task["manifest"],
        task["spec"],
        dag_id=task["dag_id"],
        run_id=task["run_id"],
        client_kwargs=task["client"],
    )


def test_a_fetch_killed_mid_batch_keeps_its_calls_in_the_count_and_the_summary(
    lake_root, warehouse_dsn, record_fault
):
    from devkit.replay import ReplayServer
    from hoops import warehouse
    from hoops.cbbd import pipeline, summary
    from hoops.cbbd.checkpoints import open_checkpoints

    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    dag_id, run_id = "cbbd_backfill", "manual__killed"
    params = {"seasons": [2024], "endpoints": ["games_teams", "games_players", "lines"], "max_calls": 200}
    spec = pipeline.validate_params(params, kind="backfill", logical_date=DAY, today=DAY)
    pipeline.save_result(dag_id, run_id, "spec", spec)
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY) as server:
        client = {"base_url": server.base_url, "api_key": KEY, "rate": 0, "concurrency": 1}
        first = pipeline.plan_stage(spec, dag_id=dag_id, run_id=run_id, stage="pass1", max_batches=1)
        (manifest,) = first["manifests"]
        task = {"manifest": manifest, "spec": spec, "dag_id": dag_id, "run_id": run_id, "client": client}
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.reliability.test_call_counting",
                json.dumps({**task, "kill_after": KILL_AFTER}),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)])},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
        answered = [s for s in server.cbbd.served if s.status == 200]
        store = open_checkpoints()
        (killed,) = store.run_calls(run_id).values()
        assert killed == len(answered) == server.cbbd.calls_used == KILL_AFTER
        assert not [
            k for k in pipeline.load_results(dag_id, run_id) if k.startswith("fetch-")
        ]  # never reported

        # The task's retry: a new attempt, same batch; the killed one's last call was never stored, so it
        # is asked again, and the summary counts both attempts.
        retry = pipeline.fetch_batch(manifest, spec, dag_id=dag_id, run_id=run_id, client_kwargs=client)
        attempts = store.run_calls(run_id)
        report = summary.assemble(
            dag_id, run_id, spec, pipeline.load_results(dag_id, run_id), ("plan-pass1",), attempts=attempts
        )
        assert (
            len(attempts) == 2
            and report["calls_used"] == server.cbbd.calls_used == KILL_AFTER + retry["calls"]
        )
        assert retry["skipped_final"] == KILL_AFTER - 1  # stored before the kill: not asked again
        explained = report["calls_explained"]
        assert (
            explained["made_by_attempts_that_did_not_finish"] == KILL_AFTER and explained["unexplained"] == 0
        )
        # The budget counts them too: pass 2 plans within max_calls minus every attempt's calls.
        second = pipeline.plan_stage(spec, dag_id=dag_id, run_id=run_id, stage="pass2", endpoints=["lines"])
        assert second["budget_left"] == 200 - report["calls_used"]
    record_fault("fetch SIGKILLed mid-batch: calls counted", 2, "calls = server log")


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
