"""A full synthetic CBBD season through the `cbbd_backfill` DAG, as JSON: wall time, calls, rows/s per
layer, peak RSS of the Airflow process, object count and mean file size per silver table.

The replay server runs in its own process at real volume (scale 1.0: ~360 teams, ~6,000 games, ~2M
plays); Airflow runs `dags test` on the embedded PostgreSQL in a scratch state folder:
    python bench/cbbd_backfill_dag.py [--scale 1.0] [--season 2024]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

KEY = "bench-key"


def _rate(rows: int, seconds: float | None) -> int | None:
    return round(rows / seconds) if seconds else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--season", type=int, default=2024)
    parser.add_argument("--plays-per-game", type=int)
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

    replay = ReplayProcess(args.plays_per_game, scale=args.scale)
    with replay as server:
        env = local.airflow_env(
            profile.OFFLINE, {"CBBD_BASE_URL": server.base_url, "CBBD_API_KEY": KEY, "HOOPS_CBBD_RPS": "0"}
        )
        local.migrate_metadata(env)
        started = time.perf_counter()
        cmd = [
            str(Path(sys.executable).with_name("airflow")),
            "dags",
            "test",
            "cbbd_backfill",
            _morning(settings.today(), 5),
            "-c",
            json.dumps({"seasons": [args.season]}),
        ]
        with open(work / "airflow.log", "wb") as log:
            proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # before the replay is reaped
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
    print(
        json.dumps(
            {
                "scenario": f"cbbd_backfill season {args.season}, scale {args.scale}, airflow dags test",
                "dag_exit_code": proc.returncode,
                "airflow_log": str(work / "airflow.log"),
                "status": found.get("status"),
                "wall_s": round(wall, 1),
                "calls": found.get("calls_used"),
                "rows_bronze": fetch.get("rows_bronze"),
                "fetch_s": durations.get("fetch"),
                "bronze_rows_per_s": _rate(fetch.get("rows_bronze", 0), durations.get("fetch")),
                "silver_rows": silver_rows,
                "silver_s": durations.get("silver"),
                "silver_rows_per_s": _rate(silver_rows, durations.get("silver")),
                "gold_rows": gold_rows,
                "gold_s": durations.get("gold"),
                "gold_rows_per_s": _rate(gold_rows, durations.get("gold")),
                "peak_rss_mb_airflow_process": round(peak, 1),
                "silver_tables": per_table,
            },
            indent=1,
        )
    )
    profile.stop_postgres()


if __name__ == "__main__":
    main()
