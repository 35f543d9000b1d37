"""A full synthetic CBBD season through the `cbbd_backfill` DAG, as JSON: wall time, calls, rows/s per
layer, and per task its wall time, CPU seconds and peak RSS; then silver and gold again, each in its own
`airflow tasks test` process the way a worker runs a task, for the peak RSS of a task process alone.

The replay server runs in its own process at real volume (scale 1.0: ~360 teams, ~6,000 games, ~2M
plays) with every answer the run will ask for rendered and gzipped before the clock starts (the bench
plans both passes the way the DAG will), so the figures are the pipeline's. Airflow runs `dags test` on
the embedded PostgreSQL in a scratch state folder:
    python bench/cbbd_backfill_dag.py [--scale 1.0] [--season 2024] [--max-calls 2000] [--no-isolated]
        [--keep-state]

By default the run may make every call the season plans (1,010 at scale 1), so all endpoints are fetched
and built; `--max-calls 0` keeps the backfill's default budget, as a first run on the free tier would.

`dags test` runs every task in one process: a task's peak there includes what the tasks before it left
in that process, so it is an upper bound of the task's own; the isolated runs give the task's own.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

KEY = "bench-key"
_TASK_LINE = re.compile(r"^(\S+Z) .*\[DAG TEST\] (starting|end task) task_id=(\S+)")


def _rate(rows: int, seconds: float | None) -> int | None:
    return round(rows / seconds) if seconds else None


class ProcessSampler:
    """Samples RSS and CPU seconds of a process tree every 0.2 s (wall-clock stamped), from /proc."""

    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with contextlib.suppress(OSError):
                todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return found

    def _run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.is_set():
            rss = cpu = 0.0
            for pid in self._tree():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), None)
                # the largest process, not the sum: the target is the peak of one task process
                rss = max(rss, int(line.split()[1]) / 1024 if line else 0)
                cpu += (int(stat[11]) + int(stat[12])) / tick
            self.samples.append((time.time(), rss, cpu))
            self._stop.wait(0.2)


def _per_task(log: Path, samples: list[tuple[float, float, float]]) -> dict[str, dict]:
    """Per task id (mapped instances together): instances, wall seconds, CPU seconds and peak RSS of the
    `dags test` process while it ran, from the log's start/end lines and the samples (for a task shorter
    than the 0.2 s sampling period, the larger of the samples either side of it)."""
    intervals: list[tuple[str, float, float]] = []
    started: dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        match = _TASK_LINE.match(line)
        if not match:
            continue
        stamp = dt.datetime.fromisoformat(match[1].replace("Z", "+00:00")).timestamp()
        if match[2] == "starting":
            started[match[3]] = stamp
        elif match[3] in started:
            intervals.append((match[3], started.pop(match[3]), stamp))
    tasks: dict[str, dict] = {}
    for task, begin, end in intervals:
        inside = [s for s in samples if begin <= s[0] <= end]
        before = [s for s in samples if s[0] < begin]
        first = before[-1] if before else (inside[0] if inside else None)
        last = inside[-1] if inside else first
        entry = tasks.setdefault(task, {"instances": 0, "wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0})
        entry["instances"] += 1
        entry["wall_s"] = round(entry["wall_s"] + end - begin, 1)
        if first and last:
            entry["cpu_s"] = round(entry["cpu_s"] + last[2] - first[2], 1)
        after = [s for s in samples if s[0] > end][:1]
        around = inside or [*before[-1:], *after]  # a task shorter than the sampling period: its neighbours
        entry["peak_rss_mb"] = round(max([entry["peak_rss_mb"], *(s[1] for s in around)]), 1)
    return tasks


def _warm(base_url: str, conf: dict, today: dt.date) -> set[tuple[str, str]]:
    """Plan both passes the way the DAG will (pass 2 from the season's teams and games, read from the
    replay's answers as the planner reads them from bronze) and have the replay render every answer."""
    import httpx

    from cbbd_fetch import _prerender
    from hoops.cbbd import pipeline, planner
    from hoops.cbbd.plan import SeasonContext

    spec = pipeline.validate_params(conf, kind="backfill", logical_date=today, today=today)
    season = conf["seasons"][0]
    first = pipeline.preview(spec)
    asked = [r for r in first.requests if r.season == season]
    _prerender(base_url, [r.path_and_query() for r in first.requests])
    values: dict[str, list] = {"school": [], "conference": [], "team_id": [], "game_id": [], "day": []}
    with httpx.Client(base_url=base_url, timeout=600, headers={"Authorization": f"Bearer {KEY}"}) as client:
        for req in asked:
            if req.endpoint not in ("teams", "games"):
                continue
            path, params = req.path_and_query()
            for row in client.get(path, params=params).json():
                if req.endpoint == "teams":
                    values["school"].append(row.get("school"))
                    values["conference"].append(row.get("conference"))
                    values["team_id"].append(row.get("id"))
                else:
                    values["game_id"].append(row.get("id"))
                    start = dt.datetime.fromisoformat(row["startDate"].replace("Z", "+00:00"))
                    values["day"].append(start.astimezone(dt.UTC).date())
    known = {k: tuple(v for v in vs if v is not None) or None for k, vs in values.items()}
    context = SeasonContext(
        teams=known["school"],
        conferences=known["conference"],
        team_ids=known["team_id"],
        game_days=known["day"],
        game_ids=known["game_id"],
    )
    second = planner.plan(
        pipeline.mode_of(spec),
        first.pending_endpoints,
        include_fanout=spec["include_fanout"],
        contexts={season: context},
        today=today,
    )
    _prerender(base_url, [r.path_and_query() for r in second.requests])
    return {_request_id(*r.path_and_query()) for r in (*first.requests, *second.requests)}


def _request_id(path: str, params: dict) -> tuple[str, str]:
    return path, json.dumps(params, sort_keys=True, default=str)


def _prerendered_share(lake, warmed: set[tuple[str, str]]) -> dict[str, int]:
    """How many of the run's requests (its manifests) the replay had rendered before the clock started."""
    from hoops.cbbd.request import Request

    asked = [
        Request.of(r["endpoint"], r["params"], r["season"])
        for key in lake.list("tmp/runs/")
        if "/manifests/" in key and key.endswith(".json")
        for r in json.loads(lake.get(key))["requests"]
    ]
    hits = sum(_request_id(*r.path_and_query()) in warmed for r in asked)
    return {"requests": len(asked), "prerendered": hits}


def _isolated(task: str, logical_date: str, env: dict[str, str], log: Path) -> dict:
    """Run one task of the finished run again with `airflow tasks test`, in its own process (as a worker's
    task process), with its wall time, CPU seconds and peak RSS."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    cmd = [airflow, "tasks", "test", "cbbd_backfill", task, logical_date]
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    return {
        "exit_code": os.waitstatus_to_exitcode(status),
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "log": str(log),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--season", type=int, default=2024)
    parser.add_argument("--plays-per-game", type=int)
    parser.add_argument(
        "--max-calls",
        type=int,
        default=2000,
        help="the trigger's call budget (default 2000: all of a season at scale 1, 1,010 calls; 0: the "
        "backfill's own, 493 on a fresh month, which leaves the per-team lineups and substitutions to the "
        "next month)",
    )
    parser.add_argument(
        "--no-isolated", action="store_true", help="skip the reruns of silver and gold in their own processes"
    )
    parser.add_argument(
        "--keep-state",
        action="store_true",
        help="keep the run's lake and databases (~370 MB) beside its logs, to profile a task again",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hoops-bench-dag-"))
    os.environ.update(
        HOOPS_STATE_DIR=str(work / "state"),
        HOOPS_TODAY="2025-01-15",
        PYTHONWARNINGS="ignore",
    )
    from cbbd_fetch import ReplayProcess
    from devkit import local, profile
    from devkit.cli_cbbd import _morning
    from hoops import paths, settings
    from hoops.cbbd import summary
    from hoops.lake import open_lake

    logical_date = _morning(settings.today(), 5)
    replay = ReplayProcess(args.plays_per_game, scale=args.scale)
    with replay as server:
        env = local.airflow_env(
            profile.OFFLINE, {"CBBD_BASE_URL": server.base_url, "CBBD_API_KEY": KEY, "HOOPS_CBBD_RPS": "0"}
        )
        local.migrate_metadata(env)
        warm_started = time.perf_counter()
        conf = {"seasons": [args.season]} | ({"max_calls": args.max_calls} if args.max_calls else {})
        warmed = _warm(server.base_url, conf, settings.today())
        warm_s = time.perf_counter() - warm_started
        cmd = [
            str(Path(sys.executable).with_name("airflow")),
            "dags",
            "test",
            "cbbd_backfill",
            logical_date,
            "-c",
            json.dumps(conf),
        ]
        started = time.perf_counter()
        with open(work / "airflow.log", "wb") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
            with ProcessSampler(proc.pid) as sampler:
                _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        isolated = {}
        if not args.no_isolated:
            for task in ("silver", "gold"):
                isolated[task] = _isolated(task, logical_date, env, work / f"isolated-{task}.log")
    lake = open_lake()
    found = summary.latest(lake, "cbbd_backfill") or {}
    durations = found.get("durations_s", {})
    silver_rows = sum(v["rows"] for v in found.get("silver", {}).get("tables", {}).values())
    gold_rows = sum(v["rows"] for v in found.get("gold", {}).get("tables", {}).values())
    per_table = {}
    for name in sorted({paths.table_of(k) for k in lake.list("silver/")}):
        sizes = [
            (profile.Profile(profile.OFFLINE).root / "lake" / k).stat().st_size
            for k in lake.list(paths.table_prefix("silver", name))
        ]
        per_table[name] = {"objects": len(sizes), "mean_file_kb": round(sum(sizes) / len(sizes) / 1024, 1)}
    fetch = found.get("fetch", {})
    tasks = _per_task(work / "airflow.log", sampler.samples)
    print(
        json.dumps(
            {
                "scenario": f"cbbd_backfill season {args.season}, scale {args.scale}, airflow dags test",
                "max_calls": args.max_calls or None,
                "dag_exit_code": os.waitstatus_to_exitcode(status),
                "airflow_log": str(work / "airflow.log"),
                "status": found.get("status"),
                "prerender_s": round(warm_s, 1),
                "replay": _prerendered_share(lake, warmed),
                "wall_s": round(wall, 1),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                "calls": found.get("calls_used"),
                "calls_deferred": found.get("calls_deferred"),
                "budget": found.get("budget", {}).get("why"),
                "rows_bronze": fetch.get("rows_bronze"),
                "fetch_s": durations.get("fetch"),
                "bronze_rows_per_s": _rate(fetch.get("rows_bronze", 0), durations.get("fetch")),
                "silver_rows": silver_rows,
                "silver_s": durations.get("silver"),
                "silver_rows_per_s": _rate(silver_rows, durations.get("silver")),
                "gold_rows": gold_rows,
                "gold_s": durations.get("gold"),
                "gold_rows_per_s": _rate(gold_rows, durations.get("gold")),
                "peak_rss_mb_airflow_process": round(usage.ru_maxrss / 1024, 1),
                "tasks_in_dags_test": tasks,
                "peak_rss_mb_task_upper_bound": max((t["peak_rss_mb"] for t in tasks.values()), default=None),
                "isolated_tasks": isolated,
                "silver_tables": per_table,
            },
            indent=1,
        )
    )
    profile.stop_postgres()
    if not args.keep_state:
        shutil.rmtree(work / "state", ignore_errors=True)


if __name__ == "__main__":
    main()
