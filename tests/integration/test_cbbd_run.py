"""A whole planned season through the engine against the replay server (a small season)."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from devkit.replay import ReplayServer
from hoops import warehouse
from hoops.cbbd import planner
from hoops.cbbd.checkpoints import PostgresCheckpoints
from hoops.cbbd.run import run_plan
from hoops.lake import open_lake

KEY = "run-test-key-1234567890"
SEASON = 2024


@pytest.fixture
def server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY, cbbd_plays_per_game=40) as s:
        yield s


def season_run(server, lake_root):
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    return run_plan(
        planner.backfill([SEASON]),
        lake=open_lake(lake_root.as_uri()),
        checkpoints=PostgresCheckpoints(),
        asof=dt.date(2025, 1, 15),  # the season and its draft/recruiting year are over: all final
        run_id="test",
        client_kwargs={"base_url": server.base_url, "api_key": KEY, "rate": 0, "backoff_base_s": 0.001},
    )


def objects(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_full_season_plan_lands_every_endpoint_in_raw_and_bronze_and_reruns_for_free(
    server, lake_root, warehouse_dsn
):
    result = season_run(server, lake_root)
    assert not result.quota_exhausted and len(result.passes) == 2  # teams and games made the rest concrete
    planned = {name for p in result.plans for name in p["by_endpoint"]}
    assert {
        "plays_date",
        "substitutions_team",
        "lineups_team",
        "stats_team_shooting_season",
        "games",
    } <= planned
    for name in planned:
        assert list((lake_root / "raw" / "cbbd" / name).rglob("*.json.gz")), name
        assert list((lake_root / "bronze" / name).rglob("*.parquet")), name
    served = sum(s.rows for s in server.cbbd.served if s.status == 200)
    in_bronze = sum(pq.read_table(p).num_rows for p in (lake_root / "bronze").rglob("*.parquet"))
    assert in_bronze == served  # nothing lost between the wire and bronze
    teams = pq.read_table(next((lake_root / "bronze" / "teams" / f"season={SEASON}").rglob("*.parquet")))
    assert sum(p["calls_by_endpoint"].get("lineups_team", 0) for p in result.passes) == teams.num_rows

    before, calls = objects(lake_root), server.cbbd.calls_used
    again = season_run(server, lake_root)
    assert again.calls == 0 and server.cbbd.calls_used == calls and objects(lake_root) == before


def test_quota_exhaustion_mid_backfill_resumes_next_run_with_nothing_twice(server, lake_root, warehouse_dsn):
    server.cbbd.set_quota(40)
    first = season_run(server, lake_root)
    assert first.quota_exhausted and first.calls == 40
    server.cbbd.set_quota(100_000)
    second = season_run(server, lake_root)
    assert not second.quota_exhausted
    ok_paths = [r.path for r in server.requests if r.status == 200]  # path with its query string
    assert len(ok_paths) == len(set(ok_paths))  # no request answered twice
    assert season_run(server, lake_root).calls == 0  # and nothing is missing
