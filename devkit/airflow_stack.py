"""`make airflow`: a real local Airflow (api-server, scheduler, dag-processor, triggerer, LocalExecutor)
on the embedded PostgreSQL, with the replay server standing in for the sources unless a CBBD key is set.

`up` starts every process in its own session, records their pids in the state folder and returns once
the API reports every component healthy and the DAGs are parsed; `down` stops exactly those processes
(and the embedded PostgreSQL when `up` started it). `<state>/airflow.env` lets another shell use the
`airflow` CLI against the same stack. Settings are sized for a laptop: parallelism = cores, short
heartbeat timeouts so a killed worker's task is retried within a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from hoops import settings

PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
DAG_IDS = ("barttorvik_daily", "cbbd_backfill", "cbbd_incremental", "gold_refresh")
OFFLINE_KEY = "offline-replay-key"
REPLAY_ARGS = ("--cbbd-scale", "0.05", "--cbbd-plays-per-game", "60")  # the demo's small season


# Shared with docker-compose.yaml (a test keeps them equal): what makes a small local Airflow behave.
TUNING = {
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "America/New_York",
    "AIRFLOW__API__WORKERS": "1",
    # A worker that died stops heartbeating: its task is failed (and retried) after 20 s, not 300 s.
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    # A scheduler that died leaves its running tasks to the next one, which takes them over only once the
    # dead one's heartbeat is older than the health threshold (30 s) and only when it next looks for
    # orphans: every 300 s by default, so a task whose worker died with it stayed `running` for 5 minutes.
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "15",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
}


def stack_dir() -> Path:
    return settings.state_dir() / "airflow-stack"


def env_file() -> Path:
    return settings.state_dir() / "airflow.env"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _secret(name: str) -> str:
    """A per-state-folder secret, made once: every process of the stack must sign tokens alike."""
    path = stack_dir() / "secrets.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    if name not in known:
        known[name] = secrets.token_urlsafe(32)
        path.write_text(json.dumps(known))
        path.chmod(0o600)
    return known[name]


def stack_settings(port: int, replay_url: str | None, user: str, password: str) -> dict[str, str]:
    """The Airflow and hoops settings of the local stack (docker-compose.yaml mirrors the Airflow ones)."""
    home = stack_dir()
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({user: password}))
    passwords.chmod(0o600)
    base = f"http://127.0.0.1:{port}"
    env = {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # LocalExecutor starts up to `parallelism` worker processes: one per core, not 32 (~6 GB).
        "AIRFLOW__CORE__PARALLELISM": str(max(2, os.cpu_count() or 2)),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager."
        "SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{user}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__API__SECRET_KEY": _secret("api_secret_key"),
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret("jwt_secret"),
        **TUNING,
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "task-logs"),
    }
    if replay_url:
        env |= {
            "HOOPS_BT_BASE_URL": replay_url,
            "CBBD_BASE_URL": replay_url,
            "CBBD_API_KEY": OFFLINE_KEY,
            "HOOPS_CBBD_RPS": "0",
            "HOOPS_CBBD_MONTHLY_QUOTA": "1000000",  # the replay server's quota, not the free tier's 1,000
        }
    return env


def _alive(entry: dict[str, Any]) -> bool:
    """The recorded process still runs and is the one we started (pids are reused)."""
    import psutil

    try:
        return abs(psutil.Process(entry["pid"]).create_time() - entry["created"]) < 1
    except psutil.Error:
        return False


def _start(name: str, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    import psutil

    logs = stack_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as out:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=settings.PROJECT_ROOT,
            start_new_session=True,
        )
    return {"pid": proc.pid, "created": psutil.Process(proc.pid).create_time(), "argv": argv}


def _pids_file() -> Path:
    return stack_dir() / "pids.json"


def _recorded() -> dict[str, Any]:
    path = _pids_file()
    return json.loads(path.read_text()) if path.exists() else {"processes": {}}


def _save(state: dict[str, Any]) -> None:
    _pids_file().write_text(json.dumps(state, indent=1))


def token(base_url: str, user: str, password: str) -> str:
    """A JWT for the REST API (simple auth manager's /auth/token)."""
    answer = httpx.post(f"{base_url}/auth/token", json={"username": user, "password": password}, timeout=30)
    answer.raise_for_status()
    return answer.json()["access_token"]


def wait_healthy(base_url: str, user: str, password: str, timeout_s: float = 240) -> None:
    """Until every component reports healthy and the API lists every DAG without import errors."""
    deadline, last = time.monotonic() + timeout_s, "no answer yet"
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{base_url}/api/v2/monitor/health", timeout=5).json()
            sick = [k for k, v in health.items() if isinstance(v, dict) and v.get("status") != "healthy"]
            if not sick:
                headers = {"Authorization": f"Bearer {token(base_url, user, password)}"}
                dags = httpx.get(f"{base_url}/api/v2/dags", headers=headers, timeout=10).json()
                errors = httpx.get(f"{base_url}/api/v2/importErrors", headers=headers, timeout=10).json()
                if errors.get("total_entries"):
                    raise SystemExit(f"DAG import errors: {errors['import_errors']}")
                found = {d["dag_id"] for d in dags.get("dags", [])}
                if found >= set(DAG_IDS):
                    return
                last = f"DAGs parsed so far: {sorted(found)}"
            else:
                last = f"not healthy yet: {sick}"
        except (httpx.HTTPError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(1)
    raise SystemExit(
        f"the stack did not become healthy in {timeout_s:.0f} s ({last}); logs: {stack_dir()}/logs"
    )


def _bootstrap(env: dict[str, str], key: str | None) -> None:
    """Migrate the metadata database, then the pool and the connections, in one Airflow process."""
    from devkit import local

    if local.airflow(["db", "migrate"], env, quiet=True).returncode != 0:
        raise SystemExit("`airflow db migrate` failed; run it with `source .state/airflow.env` to see why")
    script = """
import json, sys
from airflow.models import Connection
from airflow.models.pool import Pool
from airflow.utils.session import create_session
spec = json.loads(sys.stdin.read())
with create_session() as session:
    Pool.create_or_update_pool("cbbd_api", 1, "CBBD API calls: one slot makes the rate limit global", False)
    for conn_id, fields in spec.items():
        session.query(Connection).filter(Connection.conn_id == conn_id).delete()
        session.add(Connection(conn_id=conn_id, **fields))
"""
    from urllib.parse import parse_qs, urlparse

    dsn = urlparse(env["HOOPS_POSTGRES_DSN"])
    conns = {
        "hoops_postgres": {
            "conn_type": "postgres",
            "host": parse_qs(dsn.query).get("host", [dsn.hostname])[0],
            "port": dsn.port,
            "login": dsn.username,
            "password": dsn.password,
            "schema": dsn.path.lstrip("/"),
        }
    }
    if key:
        conns["cbbd_default"] = {"conn_type": "http", "password": key}
    subprocess.run([sys.executable, "-c", script], env=env, input=json.dumps(conns), text=True, check=True)


def up(
    port: int = 8080, user: str = "admin", password: str | None = None, offline: bool | None = None
) -> dict:
    """Start the stack (or find it running); returns its URL, login and figures."""
    from devkit import local, profile

    started = time.monotonic()
    stack_dir().mkdir(parents=True, exist_ok=True)
    password = password or os.environ.get("HOOPS_AIRFLOW_PASSWORD", "admin")
    state = _recorded()
    running = {n: e for n, e in state["processes"].items() if _alive(e)}
    if running and set(running) >= set(PROCESSES):
        base = state["base_url"]
        wait_healthy(base, state["user"], password)
        return {**state, "password": password, "seconds_to_healthy": round(time.monotonic() - started, 1)}
    if running:
        down()
    key = None if offline else settings.cbbd_api_key()
    offline = offline if offline is not None else not key
    pg_was_running = (profile.pgdata() / "postmaster.pid").exists()
    state = {"processes": {}, "user": user, "base_url": f"http://127.0.0.1:{port}"}
    state["started_postgres"] = not pg_was_running
    replay_url = None
    if offline:
        replay_port = _free_port()
        replay_url = f"http://127.0.0.1:{replay_port}"
        state["processes"]["replay"] = _start(
            "replay",
            [sys.executable, "-m", "devkit", "replay", "--port", str(replay_port), *REPLAY_ARGS],
            dict(os.environ),
        )
        _save(state)
        key = OFFLINE_KEY
    env = local.airflow_env(
        profile.OFFLINE if offline else profile.LIVE, stack_settings(port, replay_url, user, password)
    )
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    _bootstrap(env, key)
    airflow = str(Path(sys.executable).with_name("airflow"))
    for name in PROCESSES:
        state["processes"][name] = _start(name, [airflow, name], env)
        _save(state)
    _write_env_file(env)
    wait_healthy(state["base_url"], user, password)
    state["replay_url"] = replay_url
    _save(state)
    return {**state, "password": password, "seconds_to_healthy": round(time.monotonic() - started, 1)}


def kill(name: str) -> None:
    """SIGKILL one recorded process and its workers (fault tests: what a crash does)."""
    entry = _recorded()["processes"][name]
    if _alive(entry):
        os.killpg(entry["pid"], signal.SIGKILL)


def restart(name: str) -> None:
    """Start a recorded process again with the stack's settings (`airflow.env`); its new pid is recorded."""
    state = _recorded()
    # The stack's settings are its env file's alone: no AIRFLOW/HOOPS/CBBD variable of this shell leaks in.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HOOPS_", "CBBD_"))}
    env = {**base, **_read_env_file()}
    state["processes"][name] = _start(name, state["processes"][name]["argv"], env)
    _save(state)


def _read_env_file() -> dict[str, str]:
    out = {}
    for line in env_file().read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            out[key] = shlex.split(value)[0] if value else ""
    return out


def _write_env_file(env: dict[str, str]) -> None:
    # Never a real CBBD key (the connection cbbd_default holds it); the Airflow secrets are the stack's own.
    real_key = env.get("CBBD_API_KEY") not in (None, OFFLINE_KEY)
    wanted = [
        k
        for k in sorted(env)
        if (k.startswith(("AIRFLOW", "HOOPS_", "CBBD_")) or k == "PYTHONPATH")
        and not (k == "CBBD_API_KEY" and real_key)
    ]
    lines = [f"export {k}={shlex.quote(env[k])}" for k in wanted]
    path = env_file()
    path.write_text(
        "# source this file to use the airflow CLI against `make airflow`'s stack\n" + "\n".join(lines)
    )
    path.chmod(0o600)


def down(timeout_s: float = 30) -> list[str]:
    """Stop exactly the processes `up` recorded (with their children), then the embedded PostgreSQL if
    `up` started it. Returns the names stopped."""
    import psutil

    from devkit import profile

    state = _recorded()
    stopped, victims = [], []
    for name, entry in state["processes"].items():
        if not _alive(entry):
            continue
        proc = psutil.Process(entry["pid"])
        victims += [proc, *proc.children(recursive=True)]
        os.killpg(entry["pid"], signal.SIGTERM)  # its own session: the group is it and its workers
        stopped.append(name)
    _, left = psutil.wait_procs(victims, timeout=timeout_s)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    if state.get("started_postgres") and stopped:
        profile.stop_postgres()
    _pids_file().unlink(missing_ok=True)
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit.airflow_stack", description=__doc__)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("HOOPS_AIRFLOW_PORT", "8080")))
    parser.add_argument("--offline", action="store_true", help="the replay server even with a CBBD key")
    args = parser.parse_args(argv)
    if args.action == "down":
        names = down()
        print(f"stopped: {', '.join(names) or 'nothing was running'}")
        return 0
    info = up(port=args.port, offline=True if args.offline else None)
    sources = f"replay server at {info['replay_url']}" if info.get("replay_url") else "the real sources"
    print(
        f"Airflow is up in {info['seconds_to_healthy']} s: {info['base_url']}  (login {info['user']} / "
        f"{'admin' if info['password'] == 'admin' else '$HOOPS_AIRFLOW_PASSWORD'})\n"
        f"sources: {sources}\n"
        f"CLI in another shell: source {env_file()} && .venv/bin/airflow dags list\n"
        f"logs: {stack_dir()}/logs   stop: make airflow-stop"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
