"""cbbd_backfill and gold_refresh on the real stack: a small season through the scheduler, the pool,
the run summary, and gold rebuilt for exactly the seasons the asset events name."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time

import duckdb
import pytest

pytestmark = pytest.mark.xdist_group("e2e-stack")  # one worker runs them all: one stack

SEASON = 2020  # the replay's small synthetic season (the demo's)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="session")
def backfill_run(stack, unpaused, artifacts) -> str:
    """One backfill of SEASON; its figures (wall time, fetch stages vs pure fetch time) go to artifacts."""
    started = time.monotonic()
    run_id = stack.api.trigger("cbbd_backfill", {"seasons": [SEASON]})
    state = stack.api.wait_run("cbbd_backfill", run_id, timeout_s=900)
    assert state == "success", stack.api.failures("cbbd_backfill", run_id)
    tis = stack.api.task_instances("cbbd_backfill", run_id)
    fetch = [ti for ti in tis if ti["task_id"].startswith("fetch_")]
    stages = {}
    for ti in fetch:
        lo, hi = stages.get(ti["task_id"], (ti["start_date"], ti["end_date"]))
        stages[ti["task_id"]] = (min(lo, ti["start_date"]), max(hi, ti["end_date"]))
    from hoops.cbbd.pipeline import run_prefix

    results = stack.lake / run_prefix("cbbd_backfill", run_id) / "results"
    pure = sum(json.loads(p.read_text())["seconds"] for p in results.glob("fetch-*.json"))
    figures = {
        "run_id": run_id,
        "wall_s": round(time.monotonic() - started, 1),
        "task_instances": len(tis),
        "fetch_task_instances": len(fetch),
        "fetch_stage_wall_s": round(sum((_at(b) - _at(a)).total_seconds() for a, b in stages.values()), 1),
        "pure_fetch_s": round(pure, 1),
    }
    (artifacts / "backfill-figures.json").write_text(json.dumps(figures, indent=1))
    return run_id


def test_a_small_season_backfills_through_the_scheduler_within_the_pool(stack, backfill_run):
    tis = stack.api.task_instances("cbbd_backfill", backfill_run)
    fetch = sorted(
        ((_at(ti["start_date"]), _at(ti["end_date"])) for ti in tis if ti["pool"] == "cbbd_api"),
        key=lambda x: x[0],
    )
    assert fetch, "no task ran in the cbbd_api pool"
    for (_, end), (start, _) in itertools.pairwise(fetch):
        assert start >= end, "two cbbd_api tasks ran at once in a one-slot pool"
    assert stack.api.get("/pools/cbbd_api")["slots"] == 1

    # Batches sized by work: at least MIN_BATCH_CALLS planned calls per mapped fetch task.
    from hoops.cbbd.pipeline import MIN_BATCH_CALLS, run_prefix

    results = stack.lake / run_prefix("cbbd_backfill", backfill_run) / "results"
    for stage in ("pass1", "pass2"):
        planned = json.loads((results / f"plan-{stage}.json").read_text())["calls_planned"]
        mapped = sum(1 for ti in tis if ti["task_id"] == f"fetch_{stage}")
        assert mapped <= max(1, -(-planned // MIN_BATCH_CALLS)), (stage, planned, mapped)

    summaries = [
        json.loads(p.read_text()) for p in (stack.lake / "meta" / "runs" / "cbbd_backfill").glob("*.json")
    ]
    (mine,) = [s for s in summaries if s["run_id"] == backfill_run]
    assert mine["status"] == "success" and mine["calls_used"] > 0
    assert mine["rows_by_table"]["fct_games"] > 0


def _gold_seasons(stack) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for folder in (stack.lake / "gold").glob("*/season=*"):
        out.setdefault(folder.parent.name, set()).add(int(folder.name.split("=")[1]))
    return out


def test_gold_refresh_rebuilds_the_seasons_its_events_name_and_joins_bartorvik(stack, bt_run, backfill_run):
    api = stack.api
    deadline = time.monotonic() + 300
    while True:  # gold_refresh runs once the events land: wait for the one that saw the backfill's silver
        runs = api.runs("gold_refresh")
        seen = {
            r["dag_run_id"]: api.get(f"/dags/gold_refresh/dagRuns/{r['dag_run_id']}/upstreamAssetEvents")[
                "asset_events"
            ]
            for r in runs
        }
        mine = [
            rid for rid, events in seen.items() if any(e["source_run_id"] == backfill_run for e in events)
        ]
        settled = all(r["state"] in ("success", "failed") for r in runs)
        if mine and settled:
            break
        assert time.monotonic() < deadline, f"gold_refresh did not run for {backfill_run}: {runs}"
        time.sleep(1)

    silver = {int(p.name.split("=")[1]) for p in (stack.lake / "silver").glob("*/season=*")}
    rebuilt_by_run = {}
    for run in runs:
        assert run["state"] == "success", api.failures("gold_refresh", run["dag_run_id"])
        named = set()
        for event in seen[run["dag_run_id"]]:
            extra = event.get("extra") or {}
            named.update(extra.get("seasons", []))
        rebuilt = api.get(
            f"/dags/gold_refresh/dagRuns/{run['dag_run_id']}/taskInstances/rebuild_gold/xcomEntries/return_value"
        )["value"]
        # exactly the named seasons, split by whether silver existed when the run looked
        assert set(rebuilt["seasons"]) | set(rebuilt["no_silver"]) == named, (named, rebuilt)
        assert set(rebuilt["seasons"]) <= silver and not set(rebuilt["seasons"]) & set(rebuilt["no_silver"])
        rebuilt_by_run[run["dag_run_id"]] = set(rebuilt["seasons"])
    assert all(SEASON in rebuilt_by_run[rid] for rid in mine)
    for table, seasons in _gold_seasons(stack).items():
        assert seasons <= silver, f"gold/{table} has seasons without silver: {seasons - silver}"

    gold = stack.lake / "gold" / "team_quality_daily" / f"season={SEASON}" / "part-0000.parquet"
    joined = duckdb.sql(
        f"SELECT count(*) FILTER (WHERE adjoe IS NOT NULL) FROM '{gold}' WHERE date = DATE '2020-03-13'"
    ).fetchall()[0][0]
    assert joined > 0  # that day's BartTorvik metrics reached the past season's gold
