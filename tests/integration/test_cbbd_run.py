"""A whole planned season through the DAG's own steps (pipeline.fetch_stages) against the replay server."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from devkit.replay import ReplayServer
from hoops import warehouse
from hoops.cbbd import pipeline
from hoops.lake import open_lake

KEY = "run-test-key-1234567890"
SEASON = 2024
DAY = dt.date(2025, 1, 15)  # the season and its draft/recruiting year are over: all final


@pytest.fixture
def server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY, cbbd_plays_per_game=40) as s:
        yield s


def season_run(server, run_id: str, **params) -> dict:
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    spec = pipeline.validate_params(
        {"seasons": [SEASON], **params}, kind="backfill", logical_date=DAY, today=DAY
    )
    client = {"base_url": server.base_url, "api_key": KEY, "rate": 0, "backoff_base_s": 0.001}
    return pipeline.fetch_stages(spec, dag_id="cbbd_backfill", run_id=run_id, client_kwargs=client)


def fetched(results: dict) -> list[dict]:
    return [r for name, r in results.items() if name.startswith("fetch-")]


def calls(results: dict) -> int:
    return sum(r["calls"] for r in fetched(results))


def data_objects(root):
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for layer in ("raw", "bronze")
        for p in (root / layer).rglob("*")
        if p.is_file()
    }


def test_a_full_season_plan_lands_every_endpoint_in_raw_and_bronze_and_reruns_for_free(
    server, lake_root, warehouse_dsn
):
    result = season_run(server, "first")
    assert result["plan-pass2"]["manifests"]  # teams and games made the rest concrete
    assert not any(r["quota_exhausted"] for r in fetched(result))
    planned = {name for stage in ("plan-pass1", "plan-pass2") for name in result[stage]["by_endpoint"]}
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
    assert sum(r["calls_by_endpoint"].get("lineups_team", 0) for r in fetched(result)) == teams.num_rows
    assert sum(open_checkpoints_calls("first").values()) == calls(result) == server.cbbd.calls_used

    before, used = data_objects(lake_root), server.cbbd.calls_used
    again = season_run(server, "second")
    assert calls(again) == 0 and server.cbbd.calls_used == used and data_objects(lake_root) == before


def open_checkpoints_calls(run_id: str) -> dict[str, int]:
    from hoops.cbbd.checkpoints import open_checkpoints

    return open_checkpoints().run_calls(run_id)


def test_quota_exhaustion_mid_backfill_resumes_next_run_with_nothing_twice(server, lake_root, warehouse_dsn):
    server.cbbd.set_quota(40)
    first = season_run(server, "first")
    assert open_lake().exists(f"{pipeline.run_prefix('cbbd_backfill', 'first')}/quota_exhausted")
    assert calls(first) == 40 and "plan-pass2" not in first  # nothing planned after a quota stop
    server.cbbd.set_quota(100_000)
    second = season_run(server, "second")
    assert not any(r["quota_exhausted"] for r in fetched(second))
    ok_paths = [r.path for r in server.requests if r.status == 200]  # path with its query string
    assert len(ok_paths) == len(set(ok_paths))  # no request answered twice
    assert calls(season_run(server, "third")) == 0  # and nothing is missing
