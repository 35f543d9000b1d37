"""`cbbd_backfill` and `cbbd_incremental` end to end: dag.test() against the CBBD replay server (a small
season), the embedded PostgreSQL for checkpoints and BartTorvik, and a local lake."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import duckdb
import pytest

from devkit.replay import ReplayServer
from hoops.cbbd import gold, silver
from tests.integration.dagrun import query, run

KEY = "dag-test-key-ZZ9PLURALZALPHA"
NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY, cbbd_plays_per_game=40) as server:
        yield server


@pytest.fixture
def cbbd(cbbd_server, warehouse_dsn, lake_root, monkeypatch, tmp_path):
    cbbd_server.cbbd.set_quota(1_000_000)
    monkeypatch.setenv("CBBD_API_KEY", KEY)
    monkeypatch.setenv("CBBD_BASE_URL", cbbd_server.base_url)
    monkeypatch.setenv("HOOPS_CBBD_RPS", "0")
    monkeypatch.setenv("HOOPS_DUCKDB_CATALOG", str(tmp_path / "lake.duckdb"))
    yield cbbd_server
    cbbd_server.cbbd.set_quota(1_000_000)


def morning(day: dt.date, hour: int = 5) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=NY)


def data_objects(root) -> dict[str, bytes]:
    """Every object except the per-run bookkeeping (`meta/runs`, `meta/latest`, `tmp/runs`)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] not in ("meta", "tmp")
    }


def table_rows(root, layer: str, name: str) -> int:
    files = sorted((root / layer / name).rglob("*.parquet"))
    if not files:
        return 0
    return duckdb.sql(f"SELECT count(*) FROM read_parquet({[str(f) for f in files]})").fetchall()[0][0]


def latest(root, dag_id: str) -> dict:
    return json.loads((root / "meta" / "latest" / f"{dag_id}.json").read_text())


def test_backfill_builds_every_silver_and_gold_table_and_a_rerun_adds_nothing(
    dagbag, cbbd, lake_root, monkeypatch
):
    monkeypatch.setenv("HOOPS_TODAY", "2025-01-15")  # season 2024 and its off-season are over: all final
    when = morning(dt.date(2025, 1, 15))
    outcome = run(dagbag, "cbbd_backfill", when, {"seasons": [2024]})
    assert outcome.state == "success", outcome.tasks

    summary = latest(lake_root, "cbbd_backfill")
    assert summary["status"] == "success" and summary["calls_used"] > 0
    assert summary["calls_used"] == summary["calls_planned"]
    assert summary["failures"] == 0 and summary["deadletter_count"] == 0
    assert summary["rows_by_endpoint"]["plays_date"] > 0
    assert (lake_root / "meta" / "runs" / "cbbd_backfill").is_dir()

    for name in silver.TABLES:  # every silver table has a bulk source in a default backfill
        rows = table_rows(lake_root, "silver", name)
        assert rows == summary["rows_by_table"][name] and rows > 0, name
    for name in gold.TABLES:
        assert table_rows(lake_root, "gold", name) > 0, name
        assert summary["rows_by_table"][name] > 0
    assert summary["validation"]["errors"] == 0, summary["validation"]
    assert (lake_root / "ref" / "team_mapping" / "team_mapping.json").exists()
    assert (
        duckdb.connect(str(lake_root.parent / "lake.duckdb"), read_only=True)
        .sql("SELECT count(*) FROM gold.game_features")
        .fetchall()[0][0]
        == summary["rows_by_table"]["game_features"]
    )

    before, served = data_objects(lake_root), len(cbbd.cbbd.served)
    again = run(dagbag, "cbbd_backfill", when, {"seasons": [2024]})
    assert again.state == "success", again.tasks
    assert len(cbbd.cbbd.served) == served  # checkpoints: not one call
    assert latest(lake_root, "cbbd_backfill")["calls_used"] == 0
    after = data_objects(lake_root)
    assert after.keys() == before.keys()
    assert all(after[k] == before[k] for k in after if k.startswith(("silver/", "gold/", "bronze/")))


def test_incremental_reads_the_window_and_a_second_run_of_the_date_adds_no_rows_or_objects(
    dagbag, cbbd, lake_root, monkeypatch
):
    day = dt.date(2024, 1, 20)
    monkeypatch.setenv("HOOPS_TODAY", day.isoformat())
    outcome = run(dagbag, "cbbd_incremental", morning(day), {"window_days": 3})
    assert outcome.state == "success", outcome.tasks
    summary = latest(lake_root, "cbbd_incremental")
    assert summary["status"] == "success"
    assert summary["spec"]["date"] == "2024-01-20" and summary["spec"]["window_days"] == 3
    games = f"read_parquet('{lake_root}/silver/fct_games/**/*.parquet')"
    games_days = duckdb.sql(f"SELECT min(game_date), max(game_date) FROM {games}").fetchall()[0]
    assert dt.date(2024, 1, 17) <= games_days[0] and games_days[1] <= day
    for name in gold.TABLES:
        assert table_rows(lake_root, "gold", name) > 0, name

    rows = {n: table_rows(lake_root, "silver", n) for n in silver.TABLES}
    before = data_objects(lake_root)
    again = run(dagbag, "cbbd_incremental", morning(day), {"window_days": 3})
    assert again.state == "success", again.tasks
    assert data_objects(lake_root).keys() == before.keys()
    assert {n: table_rows(lake_root, "silver", n) for n in silver.TABLES} == rows


def test_a_fanout_larger_than_max_map_length_runs_in_batches(dagbag, cbbd, lake_root, monkeypatch):
    from airflow.configuration import conf

    monkeypatch.setenv("HOOPS_TODAY", "2025-01-15")
    monkeypatch.setenv("HOOPS_CBBD_MAX_BATCHES", "8")
    max_map_length = 40
    monkeypatch.setitem(conf._sections.setdefault("core", {}), "max_map_length", str(max_map_length))
    conf_ = {"seasons": [2024], "endpoints": ["games", "teams", "plays_game"], "include_fanout": True}
    outcome = run(dagbag, "cbbd_backfill", morning(dt.date(2025, 1, 15)), conf_)
    assert outcome.state == "success", outcome.tasks

    summary = latest(lake_root, "cbbd_backfill")
    per_game = summary["fetch"]["calls_by_endpoint"]["plays_game"]
    assert per_game > max_map_length  # one task per game could not have been mapped
    dag = dagbag.get_dag("cbbd_backfill")
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        dr = session.query(DagRun).filter(DagRun.dag_id == dag.dag_id).order_by(DagRun.id.desc()).first()
        fetch_tis = [ti for ti in dr.get_task_instances(session=session) if ti.task_id.startswith("fetch_")]
    sizes = {}
    for ti in fetch_tis:
        sizes[ti.task_id] = sizes.get(ti.task_id, 0) + 1
    assert sizes and max(sizes.values()) <= 8, sizes


def test_quota_exhaustion_mid_backfill_leaves_a_summary_and_the_next_run_completes(
    dagbag, cbbd, lake_root, monkeypatch, warehouse_dsn
):
    monkeypatch.setenv("HOOPS_TODAY", "2025-01-15")
    cbbd.cbbd.set_quota(40)
    stopped = run(dagbag, "cbbd_backfill", morning(dt.date(2025, 1, 15)), {"seasons": [2024]})
    assert stopped.state == "failed" and stopped.tasks["summary"] == "failed"
    summary = latest(lake_root, "cbbd_backfill")
    assert summary["status"] == "incomplete_quota" and summary["fetch"]["quota_exhausted"]
    assert summary["calls_used"] <= 40

    # The same month the quota stays spent: a run plans nothing and says why (nothing is lost: all owed).
    waited = run(dagbag, "cbbd_backfill", morning(dt.date(2025, 1, 16)), {"seasons": [2024]})
    assert waited.state == "success"  # incomplete_budget is not a failure
    summary = latest(lake_root, "cbbd_backfill")
    assert summary["status"] == "incomplete_budget" and summary["calls_used"] == 0
    assert "0 calls left" in summary["budget"]["why"] and summary["owed"]

    cbbd.cbbd.set_quota(1_000_000)  # a new month
    monkeypatch.setenv("HOOPS_TODAY", "2025-02-01")
    done = run(dagbag, "cbbd_backfill", morning(dt.date(2025, 2, 1)), {"seasons": [2024]})
    assert done.state == "success", done.tasks
    assert latest(lake_root, "cbbd_backfill")["status"] == "success"
    twice = query(warehouse_dsn, "SELECT endpoint, params FROM cbbd_checkpoints WHERE calls > 1")
    assert twice == []  # nothing fetched twice
    missing = query(
        warehouse_dsn,
        "SELECT endpoint, params FROM cbbd_checkpoints WHERE status <> 'done' AND status <> 'split'",
    )
    assert missing == []
