"""The whole history in one command: every season CBBD covers, newest first, within the budget; a clean stop
that names what is owed, and a next run that resumes with nothing fetched twice."""

from __future__ import annotations

import datetime as dt

from devkit.replay import ReplayServer
from hoops import warehouse
from hoops.cbbd import pipeline, summary
from hoops.cbbd.checkpoints import open_checkpoints

KEY = "whole-history-key-123456"
DAY = dt.date(2025, 1, 15)  # season 2025 in progress
ENDPOINTS = ["games", "games_teams", "lines", "ratings_srs", "plays_date"]
BUDGET = 40


def run(server, run_id: str) -> dict:
    spec = pipeline.validate_params(
        {"all_seasons": True, "endpoints": ENDPOINTS, "max_calls": BUDGET},
        kind="backfill",
        logical_date=DAY,
        today=DAY,
    )
    assert spec["seasons"] == list(range(2003, 2026)) and spec["newest_first"]
    client = {"base_url": server.base_url, "api_key": KEY, "rate": 0, "backoff_base_s": 0.001}
    results = pipeline.fetch_stages(spec, dag_id="cbbd_backfill", run_id=run_id, client_kwargs=client)
    attempts = open_checkpoints().run_calls(run_id)
    return summary.assemble(
        "cbbd_backfill", run_id, spec, results, ("plan-pass1",), attempts=attempts, monthly_quota=1000
    )


def seasons_fetched() -> set[int | None]:
    with warehouse.connect() as conn:
        return {
            s for (s,) in conn.execute("SELECT DISTINCT season FROM cbbd_checkpoints WHERE status = 'done'")
        }


def test_all_seasons_newest_first_stop_cleanly_and_resume_without_fetching_twice(lake_root, warehouse_dsn):
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    with ReplayServer(cbbd_scale=0.02, cbbd_api_key=KEY, cbbd_plays_per_game=5, today=DAY) as server:
        first = run(server, "manual__1")
        assert first["status"] == "incomplete_budget" and first["calls_used"] <= BUDGET
        assert seasons_fetched() == {2025}  # the newest season first
        owed = {o["endpoint"]: o["seasons"] for o in first["owed"]}
        assert owed["games"][:2] == [2024, 2023] and owed["games"][-1] == 2003
        assert first["remaining"]["runs"] == -(-first["calls_deferred"] // BUDGET)
        assert first["remaining"]["months"] == -(-first["calls_deferred"] // 1000)

        second = run(server, "manual__2")
        assert second["calls_used"] <= BUDGET and 2024 in seasons_fetched()
        assert second["calls_deferred"] < first["calls_deferred"]
        answered = [r.path for r in server.requests if r.status == 200]  # path with its query string
        assert len(answered) == len(set(answered)) == first["calls_used"] + second["calls_used"]
