"""Real process control for the reliability suite: child workers, deterministic SIGKILL points, and the
comparisons a faulted run is judged by (lake objects and bytes, table rows against a clean run).

A child is `python -m tests.reliability.helpers_process '<json task>'`: a fresh interpreter (nothing
inherited but the environment) that runs package steps and can be told to
- `kill_put`: SIGKILL itself inside `LocalLake.put`, after the temporary file is written and fsynced and
  before `os.replace` publishes it (the n-th put whose key starts with a prefix);
- `kill_commit`: SIGKILL itself inside BartTorvik's load transaction, after every row is inserted and
  the run marked SUCCESS, before COMMIT;
- `hold_commit` / `hold_fetch`: stop at that point, print a line, and wait for the parent's `go` on stdin
  (how the concurrency tests line two processes up without sleeping).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
VOLATILE_META = ("fetched_at", "calls_remaining", "run_id")  # raw `.meta.json` fields that name the run
DAG_ID = "cbbd_incremental"
BOOKKEEPING = ("meta/runs/", "meta/latest/", "tmp/runs/")
# The endpoints the CBBD fault runs ask: reference (conferences), season-level (teams), date-windowed (games,
# games_teams, lines) and one planned in pass 2 from what pass 1 stored (plays_date per game day). All 40
# behave alike in the engine; six keep each run near a second.
ENDPOINTS = ["conferences", "teams", "games", "games_teams", "plays_date", "lines"]


# ---------------------------------------------------------------- parent side


def spawn(task: dict[str, Any], *, prefix: list[str] | None = None, env: dict[str, str] | None = None):
    """Start a child worker on `task`; stdin/stdout are pipes for the hold/go protocol. `prefix` wraps the
    command (e.g. `setpriv` to drop capabilities)."""
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "plugins"), str(ROOT)])
    return subprocess.Popen(
        [*(prefix or []), sys.executable, "-m", "tests.reliability.helpers_process", json.dumps(task)],
        cwd=ROOT,
        env=child_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_child(task: dict[str, Any], **kwargs) -> tuple[int, str, str]:
    proc = spawn(task, **kwargs)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def expect_line(proc, wanted: str) -> str:
    """Block until the child prints a line starting with `wanted` (its own report of where it stands)."""
    for line in proc.stdout:
        if line.startswith(wanted):
            return line.strip()
    raise AssertionError(f"child exited ({proc.wait()}) before {wanted!r}: {proc.stderr.read()[-3000:]}")


def go(proc) -> None:
    proc.stdin.write("go\n")
    proc.stdin.flush()


def lake_objects(lake) -> dict[str, bytes]:
    """Every object a reader can list, minus per-run bookkeeping; raw metadata without the run's own
    wall-clock, quota and run-id fields (they name the run, not the data)."""
    out = {}
    for key in lake.list(""):
        if key.startswith(BOOKKEEPING):
            continue
        data = lake.get(key)
        if key.startswith("raw/") and key.endswith(".meta.json"):
            meta = {k: v for k, v in json.loads(data).items() if k not in VOLATILE_META}
            data = json.dumps(meta, sort_keys=True).encode()
        out[key] = data
    return out


def hidden_files(root: Path) -> list[str]:
    """Files on disk that `Lake.list` hides (temporary names of interrupted writes)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(".*") if p.is_file())


def assert_no_partial_objects(lake) -> None:
    """No temporary name is listed, and every listed Parquet object opens and reads in full."""
    import pyarrow.parquet as pq

    keys = list(lake.list(""))
    assert not [k for k in keys if k.rsplit("/", 1)[-1].startswith(".") or k.endswith(".tmp")], keys
    for key in keys:
        if key.endswith(".parquet"):
            pq.read_table(lake.root / key)  # a truncated file raises here


def layer_rows(lake, layer: str) -> dict[str, list[str]]:
    """Each silver/gold table's rows (as reprs, so NaN and nested values compare), read through LakeSQL so
    `season` comes from the `season=` folder whether or not the file carries it."""
    from hoops.lakesql import LakeSQL

    by_table: dict[str, list[str]] = collections.defaultdict(list)
    for key in lake.list(f"{layer}/"):
        if key.endswith(".parquet"):
            by_table[key.split("/")[1]].append(key)
    out = {}
    with LakeSQL(lake) as sql:
        for name, keys in sorted(by_table.items()):
            sql.view("t", keys)
            cols = sorted(c[0] for c in sql.con.execute("SELECT * FROM t LIMIT 0").description)
            listed = ", ".join(f'"{c}"' for c in cols if c != "_key")
            out[name] = [repr(r) for r in sql.con.execute(f"SELECT {listed} FROM t").fetchall()]
    return out


def row_diff(clean: list, got: list) -> tuple[int, int]:
    """(rows lost, rows extra) of `got` against `clean`, as multisets: a duplicate counts as extra."""
    want, have = collections.Counter(clean), collections.Counter(got)
    return sum((want - have).values()), sum((have - want).values())


def tables_diff(clean: dict[str, list], got: dict[str, list]) -> tuple[int, int]:
    lost = dup = 0
    for name in clean.keys() | got.keys():
        a, b = row_diff(clean.get(name, []), got.get(name, []))
        lost, dup = lost + a, dup + b
    return lost, dup


# ---------------------------------------------------------------- child side


def _say(line: str) -> None:
    print(line, flush=True)


def _wait_go() -> None:
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("parent went away")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _hook_put(prefix: str, nth: int) -> None:
    """Kill inside `LocalLake.put` between the written temporary file and its rename (the publish)."""
    from hoops import lake as lake_mod

    real_replace = os.replace
    seen = {"n": 0}
    root = Path(lake_mod.open_lake().root)

    def replace(src, dst, *args, **kwargs):
        try:
            key = Path(dst).relative_to(root).as_posix()
        except ValueError:
            key = ""
        if key.startswith(prefix):
            seen["n"] += 1
            if seen["n"] == nth:
                size = Path(src).stat().st_size
                _say(f"KILLING {key} tmp={Path(src).name} bytes={size}")
                _die()
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace  # LocalLake.put publishes with os.replace; only lake keys under `prefix` count


def _hook_commit(mode: str) -> None:
    """At BartTorvik's SUCCESS record (inside the load transaction, rows inserted): kill or hold."""
    from hoops.barttorvik import runs

    real = runs.record_run

    def record_run(conn, day, run_id, status, **kwargs):
        real(conn, day, run_id, status, **kwargs)
        if status == "SUCCESS" and kwargs.get("rows_loaded") is not None:
            (rows,) = conn.execute(
                "SELECT count(*) FROM bt_team_metrics_daily WHERE snapshot_date = %s", (day,)
            ).fetchone()
            _say(f"IN_TXN rows={rows}")
            if mode == "kill":
                _die()
            _wait_go()

    runs.record_run = record_run


def _hook_fetch() -> None:
    """After the fetcher decided what to ask (checkpoints read), report and wait for the parent's go."""
    from hoops.cbbd import engine

    real, held = engine.Fetcher._expand, []

    def expand(self, requests):
        todo = real(self, requests)
        if not held:  # once per process: the first batch's fetcher
            held.append(True)
            _say(f"READY todo={len(todo)}")
            _wait_go()
        return todo

    engine.Fetcher._expand = expand


def _steps(task: dict[str, Any]) -> Any:
    kind = task["kind"]
    if kind == "cbbd_fetch":
        from hoops.cbbd import pipeline

        return [
            pipeline.fetch_batch(m, task["spec"], dag_id=task["dag_id"], run_id=task["run_id"])["completed"]
            for m in task["manifests"]
        ]
    if kind in ("cbbd_silver", "cbbd_gold"):
        from hoops.cbbd import pipeline

        build = pipeline.build_silver if kind == "cbbd_silver" else pipeline.build_gold
        return sorted(build(task["spec"], dag_id=task["dag_id"], run_id=task["run_id"])["tables"])
    if kind == "cbbd_incrementals":
        return run_incrementals(task["days"], task["window_days"], _say, task.get("endpoints"))
    if kind == "bt_load":
        from hoops.barttorvik import ingest

        return ingest.load(dt.date.fromisoformat(task["day"]), task["run_id"], task["artifact_id"])
    raise ValueError(f"unknown child task {kind!r}")


def main(argv: list[str]) -> int:
    task = json.loads(argv[0])
    if "kill_put" in task:
        _hook_put(task["kill_put"]["prefix"], task["kill_put"].get("nth", 1))
    if task.get("kill_commit"):
        _hook_commit("kill")
    if task.get("hold_commit"):
        _hook_commit("hold")
    if task.get("hold_fetch"):
        _hook_fetch()
    result = _steps(task)
    _say("DONE " + json.dumps(result, default=str))
    return 0


# ---------------------------------------------------------------- CBBD runs as the DAG's steps


def incremental_spec(day: dt.date, window_days: int, endpoints: list[str] | None = None) -> dict[str, Any]:
    from hoops.cbbd import pipeline

    params = {"date": day.isoformat(), "window_days": window_days, "endpoints": endpoints}
    return pipeline.validate_params(params, kind="incremental", logical_date=day, today=day)


def plan_pass1(spec: dict[str, Any], dag_id: str, run_id: str) -> list[str]:
    from hoops.cbbd import pipeline

    pipeline.prepare()
    pipeline.save_result(dag_id, run_id, "spec", spec)
    return pipeline.plan_stage(spec, dag_id=dag_id, run_id=run_id, stage="pass1")["manifests"]


def fetch_run(spec: dict[str, Any], dag_id: str, run_id: str, *, pass1: bool = True) -> None:
    """The DAG's fetch tasks after `plan_pass1`: pass 1's batches (unless `pass1=False`), plan pass 2 and
    its batches (the same step functions, in the DAG's order)."""
    from hoops.cbbd import pipeline

    first = pipeline.load_results(dag_id, run_id)["plan-pass1"]
    if pass1:
        for key in first["manifests"]:
            pipeline.fetch_batch(key, spec, dag_id=dag_id, run_id=run_id)
    second = pipeline.plan_stage(
        spec,
        dag_id=dag_id,
        run_id=run_id,
        stage="pass2",
        endpoints=first["pending_endpoints"],
        calls_used=pipeline.calls_used(dag_id, run_id, "pass1"),
    )
    for key in second["manifests"]:
        pipeline.fetch_batch(key, spec, dag_id=dag_id, run_id=run_id)


def build_run(spec: dict[str, Any], dag_id: str, run_id: str) -> dict[str, Any]:
    """The DAG's tasks after the fetches: silver, gold, catalog, validate, summary."""
    from hoops.cbbd import pipeline

    pipeline.build_silver(spec, dag_id=dag_id, run_id=run_id)
    pipeline.build_gold(spec, dag_id=dag_id, run_id=run_id)
    pipeline.refresh_catalog(spec, dag_id=dag_id, run_id=run_id)
    pipeline.validate_lake(spec, dag_id=dag_id, run_id=run_id)
    return pipeline.summarize(dag_id=dag_id, run_id=run_id)


def incremental_run(
    day: dt.date, window_days: int, run_id: str, endpoints: list[str] | None = None, dag_id: str = DAG_ID
) -> dict:
    spec = incremental_spec(day, window_days, endpoints)
    plan_pass1(spec, dag_id, run_id)
    fetch_run(spec, dag_id, run_id)
    return build_run(spec, dag_id, run_id)


def rss_mb() -> float:
    """Resident set size now (psutil), or the peak (getrusage) when psutil is missing."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover - psutil is in the environment
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def lake_census(lake, dag_id: str, run_id: str) -> dict[str, Any]:
    """Objects per top-level layer (`raw`, `bronze`, …; bookkeeping as `tmp`/`meta`), and the run's own
    scratch folder: its object count and bytes."""
    from hoops.cbbd import pipeline

    layers: collections.Counter = collections.Counter(k.split("/", 1)[0] for k in lake.list(""))
    scratch = [k for k in lake.list(pipeline.run_prefix(dag_id, run_id) + "/")]
    return {
        "layers": dict(layers),
        "raw_bodies": sum(1 for k in lake.list("raw/") if k.endswith(".json.gz")),
        "run_scratch_objects": len(scratch),
        "run_scratch_bytes": sum(len(lake.get(k)) for k in scratch),
        "run_folders": len({k.split("/")[3] for k in lake.list(f"tmp/runs/{dag_id}/")}),
    }


def run_incrementals(
    days: list[str], window_days: int, report=None, endpoints: list[str] | None = None
) -> list[dict[str, Any]]:
    """One incremental run per day, in order (the DAG's steps); per run its status, calls, the lake's census
    and the process's RSS after it."""
    from hoops.lake import open_lake

    out = []
    for day in days:
        run_id = f"scheduled__{day}"
        summary = incremental_run(dt.date.fromisoformat(day), window_days, run_id, endpoints)
        row = {
            "day": day,
            "status": summary["status"],
            "calls": summary["calls_used"],
            "rss_mb": round(rss_mb(), 1),
            **lake_census(open_lake(), "cbbd_incremental", run_id),
        }
        out.append(row)
        if report:
            report("RUN " + json.dumps(row))
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def bt_state(dsn: str, artifacts: bool = True) -> dict[str, list[str]]:
    """The snapshot's rows without the columns that only say when they were written or where the lake is."""

    def rows(sql: str, drop: tuple[str, ...]) -> list[str]:
        with psycopg.connect(dsn) as conn:
            cur = conn.execute(sql)
            keep = [i for i, c in enumerate(cur.description) if c.name not in drop]
            return [repr(tuple(r[i] for i in keep)) for r in cur.fetchall()]

    state = {
        "metrics": rows("SELECT * FROM bt_team_metrics_daily", ("loaded_at",)),
        "quarantine": rows("SELECT * FROM bt_ingestion_quarantine", ("quarantined_at",)),
    }
    if artifacts:
        state["artifacts"] = rows("SELECT * FROM bt_raw_artifacts", ("fetched_at", "lake_uri"))
    return state


@dataclass
class CbbdState:
    objects: dict[str, bytes]
    tables: dict[str, list[str]]  # silver, gold and the checkpoints, as row reprs


def cbbd_state(dsn: str, layers: tuple[str, ...] = ("silver", "gold")) -> CbbdState:
    """What a CBBD run leaves: the lake's objects, the layers' rows and the checkpoints (less timestamps)."""
    from hoops.lake import open_lake

    lake = open_lake()
    tables = {f"{layer}.{k}": v for layer in layers for k, v in layer_rows(lake, layer).items()}
    with psycopg.connect(dsn) as conn:
        tables["cbbd_checkpoints"] = [
            repr(r)
            for r in conn.execute(
                "SELECT endpoint, param_hash, params::text, season, status, final, rows, raw_key"
                " FROM cbbd_checkpoints"
            ).fetchall()
        ]
    return CbbdState(lake_objects(lake), tables)
