"""One real local Airflow (`make airflow`'s stack) for the whole e2e session, on its own state folder
and port, driven through the REST API like a user's script or the UI would.

All e2e tests share one xdist group, so one worker starts the stack once (`--dist loadgroup`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

TERMINAL = {"success", "failed"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("e2e-stack"))
            item.add_marker(pytest.mark.e2e)


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


def _env_file(path: Path) -> dict[str, str]:
    import shlex

    out = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            out[key] = shlex.split(value)[0] if value else ""
    return out


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """`make airflow` on a fresh state folder and a free port; stopped (exactly its processes) at the end."""
    from devkit import airflow_stack

    state = tmp_path_factory.mktemp("stack")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOOPS_STATE_DIR", str(state))
        for var in ("HOOPS_POSTGRES_DSN", "HOOPS_LAKE_URI", "HOOPS_DUCKDB_CATALOG"):
            patch.delenv(var, raising=False)
        patch.delenv("AIRFLOW__CORE__UNIT_TEST_MODE", raising=False)
        started = time.monotonic()
        try:
            info = airflow_stack.up(port=airflow_stack._free_port(), offline=True)
            info["wall_s"] = round(time.monotonic() - started, 1)
            yield Stack(info, _env_file(airflow_stack.env_file()))
        finally:
            airflow_stack.down()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where e2e tests leave screenshots and logs for CI to keep."""
    root = Path(
        os.environ.get(
            "HOOPS_E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / ".state" / "e2e-artifacts"
        )
    )
    root.mkdir(parents=True, exist_ok=True)
    return root
