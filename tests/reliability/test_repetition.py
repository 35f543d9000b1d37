"""Twenty consecutive daily `cbbd_incremental` runs over a moving window end with exactly the rows of one run
over the same days, and neither memory nor the lake grows beyond the data.

A `dag.test()` run of this DAG costs several seconds, so the first 18 days run through the DAG's own step
functions (`hoops.cbbd.pipeline`, in the DAG's order) in one child process, whose RSS is measured after each
run; the last 2 days run through `dag.test()` on the same lake and warehouse.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from devkit.replay import ReplayServer
from hoops.cbbd import gold, silver
from hoops.lake import open_lake
from tests.integration.dagrun import run
from tests.reliability import helpers_process as hp
from tests.reliability.helpers_source import fresh_database

KEY = "reliability-repetition-key-0123456789"
FIRST = dt.date(2024, 1, 5)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(20)]
STEP_RUNS = 18  # the rest through dag.test()
WINDOW = 2
RSS_GROWTH_MB = 40  # after warm-up; a leak of one run's responses or DuckDB state per run would exceed it
SCRATCH_BYTES = 64 * 1024  # a run's tmp/runs folder: manifests and step results only


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY, cbbd_plays_per_game=40) as server:
        yield server


def env_for(server, tmp) -> dict[str, str]:
    return {
        "CBBD_API_KEY": KEY,
        "CBBD_BASE_URL": server.base_url,
        "HOOPS_CBBD_RPS": "0",
        "HOOPS_TODAY": DAYS[-1].isoformat(),
        "HOOPS_CBBD_MAX_BATCHES": "4",
        "HOOPS_DUCKDB_CATALOG": str(tmp / "lake.duckdb"),
    }


def tables_without_asof(lake) -> dict[str, list[str]]:
    """Silver and gold rows without `asof` (which run last saw a row): a row re-read later is the same row.
    Every day's plays included: this test found they used to arrive a run late (the planner now waits for
    the window's /games before planning /plays/date)."""
    from hoops.lakesql import LakeSQL

    out = {}
    for layer in ("silver", "gold"):
        keys: dict[str, list[str]] = {}
        for key in lake.list(f"{layer}/"):
            if key.endswith(".parquet"):
                keys.setdefault(key.split("/")[1], []).append(key)
        with LakeSQL(lake) as sql:
            for name, listed in sorted(keys.items()):
                sql.view("t", listed)
                cols = sorted(c[0] for c in sql.con.execute("SELECT * FROM t LIMIT 0").description)
                names = ", ".join(f'"{c}"' for c in cols if c not in ("_key", "asof"))
                rows = sql.con.execute(f"SELECT {names} FROM t").fetchall()
                out[f"{layer}.{name}"] = [repr(r) for r in rows]
    return out


def one_run_over_all_days(pg_server, server, tmp) -> dict[str, list[str]]:
    """The same days in one incremental run (window = all 20 days + the first run's look-back)."""
    with fresh_database(pg_server) as dsn:
        env = {
            **env_for(server, tmp),
            "HOOPS_POSTGRES_DSN": dsn,
            "HOOPS_LAKE_URI": (tmp / "one-run").as_uri(),
        }
        with mock.patch.dict(os.environ, env):
            window = (DAYS[-1] - DAYS[0]).days + WINDOW
            assert hp.incremental_run(DAYS[-1], window, "one", hp.ENDPOINTS)["status"] == "success"
            return tables_without_asof(open_lake())


def test_twenty_daily_incrementals_give_the_rows_of_one_run_with_flat_memory_and_bounded_objects(
    dagbag, cbbd_server, warehouse_dsn, lake_root, pg_server, tmp_path, monkeypatch, record_fault
):
    for k, v in env_for(cbbd_server, tmp_path).items():
        monkeypatch.setenv(k, v)
    task = {
        "kind": "cbbd_incrementals",
        "days": [d.isoformat() for d in DAYS[:STEP_RUNS]],
        "window_days": WINDOW,
        "endpoints": hp.ENDPOINTS,
    }
    code, out, err = hp.run_child(task)
    assert code == 0, err[-3000:]
    runs = [json.loads(line[4:]) for line in out.splitlines() if line.startswith("RUN ")]
    assert [r["day"] for r in runs] == task["days"]

    lake = open_lake()
    for day in DAYS[STEP_RUNS:]:
        when = dt.datetime(day.year, day.month, day.day, 5, tzinfo=ZoneInfo("America/New_York"))
        conf = {"date": day.isoformat(), "window_days": WINDOW, "endpoints": hp.ENDPOINTS}
        outcome = run(dagbag, hp.DAG_ID, when, conf)
        assert outcome.state == "success", outcome.tasks
        summary = json.loads(lake.get(f"meta/latest/{hp.DAG_ID}.json"))
        run_id = summary["run_id"]
        runs.append(
            {
                "day": day.isoformat(),
                "status": summary["status"],
                "calls": summary["calls_used"],
                "rss_mb": None,
                **hp.lake_census(lake, hp.DAG_ID, run_id),
            }
        )

    assert [r["status"] for r in runs] == ["success"] * len(DAYS)
    # Objects: each call stores one raw body (a new `asof` each day); the built layers are one object per
    # table (and season), however many runs; each run's scratch folder is its own and small.
    bodies = [0] + [r["raw_bodies"] for r in runs]
    assert [b - a for a, b in itertools.pairwise(bodies)] == [r["calls"] for r in runs]
    built = [sum(r["layers"].get(x, 0) for x in ("silver", "gold", "ref")) for r in runs]
    assert max(built) <= len(silver.TABLES) + len(gold.TABLES) + 5, built
    assert built[-1] == built[STEP_RUNS - 1]  # the DAG runs rewrote the same keys
    assert [r["run_folders"] for r in runs] == list(range(1, len(DAYS) + 1))
    assert max(r["run_scratch_bytes"] for r in runs) < SCRATCH_BYTES
    # Memory: after a few warm-up runs the worker's RSS stays flat while the lake keeps growing.
    rss = [r["rss_mb"] for r in runs[:STEP_RUNS]]
    assert max(rss[5:]) - rss[4] < RSS_GROWTH_MB, rss

    got = tables_without_asof(lake)
    want = one_run_over_all_days(pg_server, cbbd_server, tmp_path)
    assert sum(len(v) for k, v in want.items() if k.startswith("silver.fct_")) > 0
    lost, dup = hp.tables_diff(want, got)
    record_fault(
        f"{len(DAYS)} consecutive incrementals", len(DAYS), "rows = one run over the days", lost, dup
    )
    diffs = {k: hp.row_diff(want.get(k, []), got.get(k, [])) for k in want | got}
    assert (lost, dup) == (0, 0), {k: v for k, v in diffs.items() if v != (0, 0)}
