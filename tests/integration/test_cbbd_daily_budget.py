"""Thirty scheduled days against the replay server on a free-tier key: the default budget keeps the month
within 1,000 calls, and the daily data (games, box scores, plays, lines) is complete every day."""

from __future__ import annotations

import datetime as dt

from devkit.replay import ReplayServer
from hoops import warehouse
from hoops.cbbd import pipeline, summary
from hoops.cbbd.checkpoints import open_checkpoints
from hoops.cbbd.context import season_context
from hoops.cbbd.request import Request
from hoops.lake import open_lake

KEY = "budget-month-key-123456"
DAILY = {"games", "games_teams", "games_players", "lines", "plays_date"}
DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(30)]


def test_thirty_daily_runs_fit_the_free_tier_with_the_daily_data_complete_every_day(
    lake_root, warehouse_dsn, monkeypatch
):
    monkeypatch.setenv("HOOPS_CBBD_MONTHLY_QUOTA", "1000")
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    store, reports = open_checkpoints(), []
    # A small season (scale 0.02, few plays) keeps each run near a second; the calls do not depend on it
    # except through the game days, which a small season still has nearly every day.
    with ReplayServer(
        cbbd_scale=0.02, cbbd_api_key=KEY, cbbd_quota=1000, cbbd_plays_per_game=5, today=dt.date(2024, 2, 1)
    ) as server:
        client = {"base_url": server.base_url, "api_key": KEY, "rate": 0, "backoff_base_s": 0.001}
        for day in DAYS:
            spec = pipeline.validate_params(
                {"date": day.isoformat()}, kind="incremental", logical_date=day, today=day
            )
            run_id = f"scheduled__{day}"
            results = pipeline.fetch_stages(
                spec, dag_id="cbbd_incremental", run_id=run_id, client_kwargs=client
            )
            report = summary.assemble(
                "cbbd_incremental",
                run_id,
                spec,
                results,
                expected_steps=("plan-pass1",),
                attempts=store.run_calls(run_id),
                monthly_quota=1000,
            )
            reports.append(report)
            assert not DAILY & {o["endpoint"] for o in report["owed"]}, (day, report["owed"])
            assert report["fetch"]["unfinished"] == report["fetch"]["failed"] == 0, day
            assert report["calls_used"] <= report["budget"]["calls"], day
            assert report["calls_explained"]["unexplained"] == 0, day
        used = sum(r["calls_used"] for r in reports)
        assert used == server.cbbd.calls_used <= 1000

    # Every January game day's plays were fetched (in that day's run: plays wait for /games, pass 2).
    game_days = [d for d in season_context(open_lake(), 2024).game_days if DAYS[0] <= d <= DAYS[-1]]
    keys = [
        (r.endpoint, r.param_hash) for r in (Request.of("plays_date", {"date": str(d)}) for d in game_days)
    ]
    found = store.get_many(keys)
    assert len(game_days) >= 25 and all(found[k].status == "done" for k in keys)
    # The slow aggregates took what the share left: read at least once, never at the daily data's expense.
    assert any(r["fetch"]["calls_by_endpoint"].get("lineups_team") for r in reports)
    print(f"30 days: {used} calls, per day {[r['calls_used'] for r in reports]}")
