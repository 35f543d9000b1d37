"""Source faults during a run: the replay server's switches, real DAG runs (dag.test), the embedded
PostgreSQL and a local lake. Each fault either is retried and the run succeeds, or stops the run with a
clear message and a summary; once the fault clears, a run leaves exactly the rows of a clean run.

The clean run is made once per module on its own database and lake, and compared row by row (silver and
gold for CBBD, bronze too for the backfill; the warehouse tables for BartTorvik), so a lost, duplicated or
changed row shows.
"""

from __future__ import annotations

import datetime as dt

import pytest

from devkit.replay import ReplayServer
from tests.integration.dagrun import ny_morning, query, run
from tests.reliability.helpers_source import (
    BT_DAY,
    CBBD_KEY,
    CONF,
    DAY,
    bronze_of_failed_requests,
    deadletters,
    diff,
    fresh_database,
    lake_tables,
    latest_summary,
    morning,
    partial_objects,
    pg_rows,
    total_rows,
    use_cbbd,
)

INCREMENTAL = "cbbd_incremental"
BT = "barttorvik_daily"


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=CBBD_KEY, cbbd_plays_per_game=40) as server:
        yield server


@pytest.fixture(scope="module")
def clean_cbbd(dagbag, pg_server, cbbd_server, tmp_path_factory):
    """Silver and gold of a fault-free run of the small window: what every recovered run must equal."""
    state = tmp_path_factory.mktemp("clean-cbbd")
    with pytest.MonkeyPatch.context() as mp, fresh_database(pg_server) as dsn:
        mp.setenv("HOOPS_POSTGRES_DSN", dsn)
        mp.setenv("HOOPS_LAKE_URI", (state / "lake").as_uri())
        use_cbbd(mp, cbbd_server, state)
        cbbd_server.clear_faults()
        outcome = run(dagbag, INCREMENTAL, morning(DAY), CONF)
    assert outcome.state == "success", outcome.tasks
    tables = lake_tables(state / "lake")
    assert total_rows(tables) > 0 and tables["silver/fct_plays"], sorted(tables)
    return tables


@pytest.fixture
def cbbd(cbbd_server, warehouse_dsn, lake_root, monkeypatch, tmp_path):
    use_cbbd(monkeypatch, cbbd_server, tmp_path)
    cbbd_server.clear_faults()
    cbbd_server.clear_requests()
    cbbd_server.cbbd.set_quota(1_000_000)
    yield cbbd_server
    cbbd_server.clear_faults()
    cbbd_server.cbbd.set_quota(1_000_000)


# --- CBBD: faults the client retries within the run --------------------------------------------------

RETRIED = {
    "cbbd: burst of 5xx": {"kind": "5xx", "times": 4, "status": 503},
    "cbbd: timeouts": {"kind": "slow", "times": 2, "delay_s": 2.0},
    "cbbd: 429 with Retry-After": {"kind": "429", "times": 3, "retry_after_s": 0.2},
}


@pytest.mark.parametrize("fault", sorted(RETRIED))
def test_cbbd_transient_fault_is_retried_and_the_run_equals_a_clean_run(
    dagbag, cbbd, clean_cbbd, lake_root, monkeypatch, record_fault, fault
):
    """Transient answers cost retries, not data: the run succeeds with the clean run's rows."""
    monkeypatch.setenv("HOOPS_CBBD_TIMEOUT_S", "0.5")  # the "slow" fault holds each answer for 2 s
    cbbd.set_fault(**RETRIED[fault])
    outcome = run(dagbag, INCREMENTAL, morning(DAY), CONF)
    assert outcome.state == "success", outcome.tasks
    assert cbbd.faults.active() == []  # every injected failure was served and survived
    statuses = [r.status for r in cbbd.requests]
    kind = RETRIED[fault]["kind"]
    if kind != "slow":
        assert statuses.count(503 if kind == "5xx" else 429) == RETRIED[fault]["times"]

    summary = latest_summary(lake_root, INCREMENTAL)
    assert summary["status"] == "success" and summary["failures"] == 0 and summary["deadletter_count"] == 0
    assert partial_objects(lake_root) == []
    lost, extra = diff(clean_cbbd, lake_tables(lake_root))
    assert (lost, extra) == (0, 0)
    record_fault(fault, 1, "retried, success", lost, extra)


# --- CBBD: faults that stop the run; the next run after the fault clears completes --------------------

STOPPING = {
    # Without Retry-After a 429 is not the API's "wait a second" (cbbd.md §3): the client stops as for the
    # quota rather than spend calls guessing, and the next run resumes.
    "cbbd: 429 without Retry-After": (
        {"kind": "5xx", "status": 429, "path_contains": "/plays/date"},
        "quota",
    ),
    "cbbd: HTML bot page": ({"kind": "bot", "path_contains": "/games/teams"}, "malformed"),
    "cbbd: malformed JSON": ({"kind": "malformed", "path_contains": "/games?"}, "malformed"),
    "cbbd: truncated JSON": ({"kind": "truncated", "path_contains": "/plays/date"}, "malformed"),
}


@pytest.mark.parametrize("fault", sorted(STOPPING))
def test_cbbd_fault_stops_the_run_with_a_summary_and_the_next_run_equals_a_clean_run(
    dagbag, cbbd, clean_cbbd, lake_root, warehouse_dsn, capfd, record_fault, fault
):
    """The run ends failed with the reason in its summary and log, leaves no half-written object and
    no bronze for what failed; after the source recovers, the next run has the clean run's rows."""
    switch, reason = STOPPING[fault]
    cbbd.set_fault(**switch)
    stopped = run(dagbag, INCREMENTAL, morning(DAY), CONF)
    assert stopped.state == "failed" and stopped.tasks["summary"] == "failed", stopped.tasks
    assert stopped.tasks["prepare"] == "success"
    summary = latest_summary(lake_root, INCREMENTAL)
    log = capfd.readouterr().out
    if reason == "quota":
        assert summary["status"] == "incomplete_quota" and summary["fetch"]["quota_exhausted"]
        assert summary["fetch"]["unfinished"] >= 1
        assert "run incomplete_quota" in log and "resumes where this one stopped" in log
    else:
        assert summary["status"] == "completed_with_failures" and summary["failures"] >= 1
        letters = deadletters(lake_root)
        assert len(letters) == summary["deadletter_count"] == summary["failures"]
        assert all(d["reason"] == reason and d["message"] for d in letters), letters
        assert "run completed_with_failures" in log
    assert partial_objects(lake_root) == []
    assert bronze_of_failed_requests(lake_root, warehouse_dsn, DAY) == []
    assert diff(clean_cbbd, lake_tables(lake_root))[0] > 0  # the fault did cost rows in this run

    cbbd.clear_faults()
    again = run(dagbag, INCREMENTAL, morning(DAY), CONF)
    assert again.state == "success", again.tasks
    assert latest_summary(lake_root, INCREMENTAL)["status"] == "success"
    assert query(warehouse_dsn, "SELECT count(*) FROM cbbd_checkpoints WHERE status = 'failed'") == [(0,)]
    assert partial_objects(lake_root) == []
    lost, extra = diff(clean_cbbd, lake_tables(lake_root))
    assert (lost, extra) == (0, 0)
    record_fault(fault, 2, f"stopped ({summary['status']}, summary written); next run success", lost, extra)


# --- CBBD backfill: the quota runs out mid-season ------------------------------------------------------

BACKFILL = "cbbd_backfill"
SEASON_DONE = dt.date(2025, 1, 15)  # season 2024 is over: its requests are final once fetched
# Date windows and the season's team directory (one JSON object): 25 calls in one pass, and final
# checkpoints that a resume must honour. The directory has no silver table, so bronze is compared too.
BACKFILL_CONF = {"seasons": [2024], "endpoints": ["games", "games_teams", "lines", "teams_directory"]}
LAYERS = ("bronze", "silver", "gold")


@pytest.fixture(scope="module")
def clean_backfill(dagbag, pg_server, cbbd_server, tmp_path_factory):
    state = tmp_path_factory.mktemp("clean-backfill")
    with pytest.MonkeyPatch.context() as mp, fresh_database(pg_server) as dsn:
        mp.setenv("HOOPS_POSTGRES_DSN", dsn)
        mp.setenv("HOOPS_LAKE_URI", (state / "lake").as_uri())
        use_cbbd(mp, cbbd_server, state, today=SEASON_DONE)
        cbbd_server.clear_faults()
        outcome = run(dagbag, BACKFILL, morning(SEASON_DONE), BACKFILL_CONF)
    assert outcome.state == "success", outcome.tasks
    tables = lake_tables(state / "lake", LAYERS, ignore=("asof",))
    assert tables["silver/fct_lines"] and tables["bronze/teams_directory"], sorted(tables)
    return tables


def test_cbbd_quota_exhausted_mid_backfill_stops_and_the_next_run_fetches_only_the_rest(
    dagbag, cbbd, clean_backfill, lake_root, warehouse_dsn, monkeypatch, capfd, record_fault
):
    """The monthly quota (the server's real metering) runs out after 10 calls: the run stops at once
    with `incomplete_quota` in its summary; next month's run asks only what is missing (no request twice)
    and the season's silver and gold equal a clean backfill's."""
    monkeypatch.setenv("HOOPS_TODAY", SEASON_DONE.isoformat())
    cbbd.cbbd.set_quota(10)
    stopped = run(dagbag, BACKFILL, morning(SEASON_DONE), BACKFILL_CONF)
    assert stopped.state == "failed" and stopped.tasks["summary"] == "failed", stopped.tasks
    summary = latest_summary(lake_root, BACKFILL)
    assert summary["status"] == "incomplete_quota" and summary["calls_used"] == 10
    assert "run incomplete_quota" in capfd.readouterr().out
    assert partial_objects(lake_root) == []

    # The quota is monthly: the server's last word (0 left) holds until the month turns, so the resume is
    # the first run of the next month, when the server has calls again.
    cbbd.cbbd.set_quota(1_000_000)
    next_month = (SEASON_DONE.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    monkeypatch.setenv("HOOPS_TODAY", next_month.isoformat())
    done = run(dagbag, BACKFILL, morning(next_month), BACKFILL_CONF)
    assert done.state == "success", done.tasks
    assert latest_summary(lake_root, BACKFILL)["calls_used"] == summary["calls_planned"] - 10
    assert query(warehouse_dsn, "SELECT count(*) FROM cbbd_checkpoints WHERE calls > 1") == [(0,)]
    # the resumed requests are the next day's snapshot: `asof` says so, every other value is the same
    lost, extra = diff(clean_backfill, lake_tables(lake_root, LAYERS, ignore=("asof",)))
    assert (lost, extra) == (0, 0)
    record_fault(
        "cbbd: quota exhausted mid-backfill", 2, "stopped (incomplete_quota); next run success", lost, extra
    )


def test_cbbd_a_malformed_object_answer_is_not_checkpointed_as_done_and_the_next_backfill_gets_it(
    dagbag, cbbd, clean_backfill, lake_root, warehouse_dsn, monkeypatch, record_fault
):
    """`/teams/directory` answers one object. A body of another shape (an error object with HTTP 200)
    must fail that request, not be stored as a done, final request with no rows that no later run asks
    for again: the run says completed_with_failures, and the next one fetches the directory."""
    monkeypatch.setenv("HOOPS_TODAY", SEASON_DONE.isoformat())
    cbbd.set_fault("malformed", path_contains="/teams/directory")
    stopped = run(dagbag, BACKFILL, morning(SEASON_DONE), BACKFILL_CONF)
    summary = latest_summary(lake_root, BACKFILL)
    assert stopped.state == "failed" and summary["status"] == "completed_with_failures", summary["status"]
    assert [d["reason"] for d in deadletters(lake_root)] == ["malformed"]
    assert bronze_of_failed_requests(lake_root, warehouse_dsn, SEASON_DONE) == []

    cbbd.clear_faults()
    done = run(dagbag, BACKFILL, morning(SEASON_DONE + dt.timedelta(days=1)), BACKFILL_CONF)
    assert done.state == "success", done.tasks
    assert latest_summary(lake_root, BACKFILL)["calls_used"] == 1  # only the directory was asked again
    lost, extra = diff(clean_backfill, lake_tables(lake_root, LAYERS, ignore=("asof",)))
    assert (lost, extra) == (0, 0)
    record_fault(
        "cbbd: malformed object answer", 2, "stopped (completed_with_failures); next run success", lost, extra
    )


# --- CBBD: an empty season, and a response at the row cap ---------------------------------------------


def test_cbbd_an_empty_season_so_far_succeeds_with_no_rows_and_does_not_block_the_next_run(
    dagbag, cbbd, clean_cbbd, lake_root, monkeypatch, record_fault
):
    """Before the first game every answer is `[]`: that is a successful, empty run (no failure, no
    deadletter, no invented rows), and it must not checkpoint anything that hides later games."""
    opening = dt.date(2023, 11, 3)  # the replay's 2024 season tips off on 2023-11-06
    monkeypatch.setenv("HOOPS_TODAY", opening.isoformat())
    empty = run(dagbag, INCREMENTAL, morning(opening), CONF)
    assert empty.state == "success", empty.tasks
    summary = latest_summary(lake_root, INCREMENTAL)
    assert summary["status"] == "success" and summary["calls_used"] > 0
    assert sum(summary["rows_by_endpoint"].values()) == 0 and summary["deadletter_count"] == 0
    assert total_rows(lake_tables(lake_root, ("silver",))) == 0
    assert deadletters(lake_root) == [] and partial_objects(lake_root) == []

    monkeypatch.setenv("HOOPS_TODAY", DAY.isoformat())
    later = run(dagbag, INCREMENTAL, morning(DAY), CONF)
    assert later.state == "success", later.tasks
    lost, extra = diff(clean_cbbd, lake_tables(lake_root))
    assert (lost, extra) == (0, 0)
    record_fault(
        "cbbd: empty season (no games yet)", 2, "success with 0 rows; next run complete", lost, extra
    )


def _fetch(server, lake_root, requests, asof):
    import asyncio

    from hoops.cbbd import planner
    from hoops.cbbd.checkpoints import PostgresCheckpoints
    from hoops.cbbd.client import ApiClient
    from hoops.cbbd.engine import Fetcher
    from hoops.lake import open_lake

    async def go():
        async with ApiClient(
            base_url=server.base_url, api_key=CBBD_KEY, rate=0, backoff_base_s=0.001
        ) as client:
            fetcher = Fetcher(
                client,
                open_lake(lake_root.as_uri()),
                PostgresCheckpoints(),
                asof=asof,
                run_id="cap",
                is_final=planner.is_final,
            )
            return await fetcher.run(requests)

    return asyncio.run(go())


def test_cbbd_a_response_at_the_row_cap_is_split_and_no_game_is_missing(
    pg_server, warehouse_dsn, tmp_path, monkeypatch, record_fault
):
    """/games silently stops at 3,000 rows. The planner's windows stay under the cap for every replay
    season, so the engine is given a season-wide window (what a stale plan or a denser season gives): it
    must split until no answer is capped, and silver must hold exactly the games of the planner's windows."""
    from hoops import warehouse
    from hoops.cbbd import catalog, planner, silver
    from hoops.cbbd.request import Request
    from hoops.lake import open_lake

    asof = dt.date(2025, 1, 15)
    season = Request.of(
        "games",
        {
            "season": 2024,
            "startDateRange": "2023-11-01T00:00:00.000Z",
            "endDateRange": "2024-04-10T23:59:59.999Z",
        },
    )
    windows = planner.plan(planner.backfill([2024]), ["games"], today=asof).requests
    capped, clean = tmp_path / "capped", tmp_path / "clean"
    with ReplayServer(cbbd_scale=1.0, cbbd_api_key=CBBD_KEY) as server:  # every D1 team: ~6,000 games
        with warehouse.connect() as conn:
            warehouse.migrate(conn)
        split = _fetch(server, capped, [season], asof)
        with fresh_database(pg_server) as dsn:
            monkeypatch.setenv("HOOPS_POSTGRES_DSN", dsn)
            with warehouse.connect() as conn:
                warehouse.migrate(conn)
            plain = _fetch(server, clean, windows, asof)
    assert split.splits >= 1 and split.failed == 0 and plain.splits == 0
    assert max(server.cbbd.served_rows) == catalog.get("games").row_cap  # the cap was really hit
    for root in (capped, clean):
        silver.build(open_lake(root.as_uri()), seasons=[2024], tables=["fct_games"])
    want, got = lake_tables(clean, ("silver",)), lake_tables(capped, ("silver",))
    assert sum(want["silver/fct_games"].values()) > catalog.get("games").row_cap
    lost, extra = diff(want, got)
    assert (lost, extra) == (0, 0)
    record_fault("cbbd: response at the row cap", 1, "window split until complete", lost, extra)


# --- BartTorvik ----------------------------------------------------------------------------------------


def bt_tables(dsn: str) -> dict:
    """The warehouse's BartTorvik rows, without serials and load timestamps (a rerun changes those)."""
    stamps = ("artifact_id", "loaded_at", "quarantined_at", "updated_at")
    names = ("bt_team_metrics_daily", "bt_ingestion_quarantine", "bt_teams")
    return {n: pg_rows(dsn, n, leave_out=stamps) for n in names}


@pytest.fixture(scope="module")
def clean_bt(dagbag, pg_server, replay_server, tmp_path_factory):
    state = tmp_path_factory.mktemp("clean-bt")
    with pytest.MonkeyPatch.context() as mp, fresh_database(pg_server) as dsn:
        mp.setenv("HOOPS_POSTGRES_DSN", dsn)
        mp.setenv("HOOPS_LAKE_URI", (state / "lake").as_uri())
        mp.setenv("HOOPS_BT_BASE_URL", replay_server.base_url)
        replay_server.clear_faults()
        assert run(dagbag, BT, ny_morning(BT_DAY)).state == "success"
        tables = bt_tables(dsn)
    assert sum(tables["bt_team_metrics_daily"].values()) > 300
    return tables


BT_RETRIED = {
    "bt: burst of 5xx": ({"kind": "5xx", "times": 2}, 2),
    "bt: timeout": ({"kind": "slow", "times": 1, "delay_s": 3.0}, 1),
}


@pytest.mark.parametrize("fault", sorted(BT_RETRIED))
def test_bt_transient_fault_is_retried_by_airflow_and_the_rows_equal_a_clean_run(
    dagbag, replay, clean_bt, warehouse_dsn, lake_root, monkeypatch, record_fault, fault
):
    """fetch_raw's Airflow retries absorb a short outage: one run, the clean run's rows."""
    monkeypatch.setenv("HOOPS_BT_TIMEOUT_S", "1")  # the "slow" fault holds the file for 3 s
    switch, retries = BT_RETRIED[fault]
    replay.set_fault(**switch)
    outcome = run(dagbag, BT, ny_morning(BT_DAY), retries=retries)
    assert outcome.state == "success", outcome.tasks
    assert replay.faults.active() == []  # every injected failure was served
    assert query(warehouse_dsn, "SELECT status FROM provider_ingestion_runs") == [("SUCCESS",)]
    assert partial_objects(lake_root) == []
    lost, extra = diff(clean_bt, bt_tables(warehouse_dsn))
    assert (lost, extra) == (0, 0)
    record_fault(fault, 1, "retried, success", lost, extra)


BT_STOPPING = {
    "bt: HTML bot page": ("bot", "bot_check"),
    "bt: malformed JSON": ("malformed", "malformed"),
    "bt: truncated JSON": ("truncated", "malformed"),
}


@pytest.mark.parametrize("fault", sorted(BT_STOPPING))
def test_bt_fault_fails_the_run_with_its_reason_and_the_next_run_equals_a_clean_run(
    dagbag, replay, clean_bt, warehouse_dsn, lake_root, record_fault, fault
):
    """A body that is not the file fails the run (reason recorded, body in deadletter, nothing loaded);
    the next run after the source recovers loads exactly the clean run's rows."""
    kind, reason = BT_STOPPING[fault]
    replay.set_fault(kind)
    stopped = run(dagbag, BT, ny_morning(BT_DAY))
    assert stopped.state == "failed" and stopped.tasks["fetch_raw"] == "failed", stopped.tasks
    ((status, why),) = query(warehouse_dsn, "SELECT status, reason FROM provider_ingestion_runs")
    assert status == "FAILED" and why.startswith(f"{reason}: ")
    assert sum(bt_tables(warehouse_dsn)["bt_team_metrics_daily"].values()) == 0
    assert list((lake_root / "deadletter").rglob("*.json")) and not (lake_root / "raw").exists()
    assert partial_objects(lake_root) == []

    replay.clear_faults()
    assert run(dagbag, BT, ny_morning(BT_DAY, minute=45)).state == "success"
    lost, extra = diff(clean_bt, bt_tables(warehouse_dsn))
    assert (lost, extra) == (0, 0)
    record_fault(fault, 2, "failed with reason, body in deadletter; next run success", lost, extra)
