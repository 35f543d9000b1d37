"""One real local Airflow (`make airflow`'s stack) for the whole e2e session, on its own state folder
and port, driven through the REST API like a user's script or the UI would.

Every e2e module is in one xdist group (`pytestmark`), so with `--dist loadgroup` one worker starts the
stack once.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.reliability.conftest import record_fault  # noqa: F401  (the fault tests' rows of the table)

TERMINAL = {"success", "failed"}


def pytest_configure(config):
    config.addinivalue_line("markers", "xdist_group(name): tests xdist keeps on one worker (pytest-xdist)")


class Api:
    """The Airflow REST API (v2) with a JWT from /auth/token."""

    def __init__(self, base_url: str, user: str, password: str):
        from devkit.airflow_stack import token

        self.base_url = base_url
        self.client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token(base_url, user, password)}"},
            timeout=60,
        )

    def get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(f"/api/v2{path}", params=params)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(f"/api/v2{path}", json=body)

    def unpause(self, dag_id: str) -> None:
        self.client.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}).raise_for_status()

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        answer = self.post(f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})
        assert answer.status_code == 200, answer.text
        return answer.json()["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.get(f"/dags/{dag_id}/dagRuns", order_by="run_after", limit=100)["dag_runs"]

    def wait_run(self, dag_id: str, run_id: str, timeout_s: float = 300) -> str:
        """Poll the run until it is finished (a deadline, no fixed sleep); returns its state."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in TERMINAL:
                return state
            time.sleep(1)
        raise AssertionError(
            f"{dag_id} {run_id} still {state} after {timeout_s} s: {self.tasks(dag_id, run_id)}"
        )

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=1000)["task_instances"]

    def failures(self, dag_id: str, run_id: str) -> str:
        """The end of each failed task's log: what an assertion on a failed run should show."""
        out = []
        for ti in self.task_instances(dag_id, run_id):
            if ti["state"] in ("failed", "upstream_failed") and ti["try_number"]:
                ti_path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}"
                path = f"{ti_path}/logs/{ti['try_number']}"
                answer = self.client.get(
                    path, params={"map_index": ti["map_index"]}, headers={"accept": "text/plain"}
                )
                out.append(f"--- {ti['task_id']}[{ti['map_index']}]\n{answer.text[-3000:]}")
        return "\n".join(out) or "no failed task"

    def tasks(self, dag_id: str, run_id: str) -> dict[str, str]:
        """task id (with map index) → state."""
        out = {}
        for ti in self.task_instances(dag_id, run_id):
            suffix = f"[{ti['map_index']}]" if ti["map_index"] >= 0 else ""
            out[ti["task_id"] + suffix] = ti["state"]
        return out


class Stack:
    def __init__(self, info: dict[str, Any], env: dict[str, str]):
        self.info, self.env = info, env
        self.api = Api(info["base_url"], info["user"], info["password"])
        self.lake = Path(env["HOOPS_LAKE_URI"].removeprefix("file://"))

    def query(self, sql: str, *args: Any) -> list[tuple]:
        with psycopg.connect(self.env["HOOPS_POSTGRES_DSN"]) as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="session")
def stack():
    """`make airflow` on a fresh state folder and a free port; stopped (exactly its processes) at the end."""
    from devkit import airflow_stack

    # Not under pytest's 0700 tmp folder: the embedded PostgreSQL runs as its own user when we are root.
    state = Path(tempfile.mkdtemp(prefix="hoops-e2e-"))
    state.chmod(0o755)
    before = dict(os.environ)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOOPS_STATE_DIR", str(state))
        for var in ("HOOPS_POSTGRES_DSN", "HOOPS_LAKE_URI", "HOOPS_DUCKDB_CATALOG"):
            patch.delenv(var, raising=False)
        patch.delenv("AIRFLOW__CORE__UNIT_TEST_MODE", raising=False)
        started, peak = time.monotonic(), _PeakMemory()
        try:
            info = airflow_stack.up(port=airflow_stack._free_port(), offline=True)
            env = airflow_stack._read_env_file()
            # `up` applies the local profile to this process: the other tests this worker runs must not
            # inherit the stack's warehouse, lake or missing unit-test mode. Only the state folder stays
            # (the stack's records, for kill/restart/down).
            os.environ.clear()
            os.environ.update({**before, "HOOPS_STATE_DIR": str(state)})
            peak.start()
            yield Stack(info, env)
        finally:
            peak.stop()
            figures = {
                "seconds_to_healthy": locals().get("info", {}).get("seconds_to_healthy"),
                "session_wall_s": round(time.monotonic() - started, 1),
                "peak_rss_mb": peak.mb,
            }
            (_artifacts_dir() / "stack-figures.json").write_text(json.dumps(figures, indent=1))
            airflow_stack.down()
            shutil.rmtree(state, ignore_errors=True)


class _PeakMemory(threading.Thread):
    """The most memory (RSS) the stack's processes and their workers held at once, sampled each second."""

    def __init__(self):
        super().__init__(daemon=True)
        self.mb, self._done = 0.0, threading.Event()

    def run(self) -> None:
        import psutil

        from devkit import airflow_stack

        while not self._done.wait(1):
            total = 0
            for entry in airflow_stack._recorded()["processes"].values():
                try:
                    root = psutil.Process(entry["pid"])
                    total += sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                except psutil.Error:
                    continue
            self.mb = max(self.mb, round(total / 2**20, 1))

    def stop(self) -> None:
        self._done.set()


def _artifacts_dir() -> Path:
    root = Path(
        os.environ.get(
            "HOOPS_E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / ".state" / "e2e-artifacts"
        )
    )
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def unpaused(stack) -> None:
    """The DAGs the tests run, unpaused once (DAGs start paused). gold_refresh too: it must see the events.

    Unpausing barttorvik_daily makes the scheduler run its latest slot (today, from the replay server).
    """
    for dag_id in ("barttorvik_daily", "cbbd_backfill", "gold_refresh"):
        stack.api.unpause(dag_id)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where e2e tests leave screenshots and figures for CI to keep (HOOPS_E2E_ARTIFACTS)."""
    return _artifacts_dir()


@pytest.fixture(scope="session")
def bt_run(stack, unpaused) -> str:
    """One barttorvik_daily run of 2020-03-13 (the real time-machine file of 03-12), triggered through the
    API like a user's script would; its id. Shared by the BartTorvik and the gold tests."""
    run_id = stack.api.trigger("barttorvik_daily", {"snapshot_date": "2020-03-13"})
    assert stack.api.wait_run("barttorvik_daily", run_id) == "success", stack.api.tasks(
        "barttorvik_daily", run_id
    )
    return run_id
