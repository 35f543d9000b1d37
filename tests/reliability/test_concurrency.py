"""Two runs of the same work at once: the same BartTorvik date from two processes, the same CBBD fetch batch
from two processes, two writers of one checkpoint. No duplicates, no lost update; the second waits (a
Postgres advisory lock per snapshot date) or is refused with a clear message (conditional checkpoint
writes). Processes are lined up with a hold/go protocol over their pipes, never with sleeps.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from unittest import mock

import pytest

from devkit.replay import ReplayServer
from hoops import settings
from hoops.lake import open_lake
from tests.integration.dagrun import query
from tests.reliability import helpers_process as hp
from tests.reliability.helpers_source import fresh_database

BT_DAY = dt.date(2020, 3, 13)
KEY = "reliability-concurrency-key-0123456789"
DAY = dt.date(2024, 1, 20)
WINDOW = 2
RUN = f"scheduled__{DAY}"


def wait_for(condition, what: str, timeout_s: float = 60.0):
    """Poll a condition (here: what Postgres reports); it orders nothing, the processes wait on each other."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        threading.Event().wait(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def kansas_unknown(tmp_path) -> str:
    """A team mapping that no longer knows "Kansas": a second load of the date quarantines that row, so
    the two loads give different results and a mix of them would show."""
    mapping = json.loads(settings.team_mapping_path().read_text())
    kansas = next(t for t in mapping["teams"] if t["team_id"] == "kansas")
    kansas["aliases"], kansas["name"] = ["Kansas Jayhawks"], "Kansas Jayhawks"
    path = tmp_path / "team_mapping.json"
    path.write_text(json.dumps(mapping))
    return str(path)


def serial_reference(pg_server, replay_server, tmp_path, mapping_b: str) -> dict[str, list[str]]:
    """The same two loads one after the other, in a database of their own: what concurrency must equal."""
    from hoops.barttorvik import ingest

    with fresh_database(pg_server) as dsn:
        env = {
            "HOOPS_POSTGRES_DSN": dsn,
            "HOOPS_LAKE_URI": (tmp_path / "serial-lake").as_uri(),
            "HOOPS_BT_BASE_URL": replay_server.base_url,
        }
        with mock.patch.dict(os.environ, env):
            ingest.ensure_schema()
            artifact = ingest.fetch_raw(BT_DAY, "a", refetch=False, today=settings.today())["artifact_id"]
            ingest.load(BT_DAY, "a", artifact)
            with mock.patch.dict(os.environ, {"HOOPS_TEAM_MAPPING": mapping_b}):
                ingest.load(BT_DAY, "b", artifact)
            return hp.bt_state(dsn, artifacts=False)


def test_two_loads_of_one_barttorvik_date_at_once_the_second_waits_and_the_result_is_serial(
    pg_server, replay, lake_root, warehouse_dsn, kansas_unknown, tmp_path, record_fault
):
    from hoops.barttorvik import ingest

    ingest.ensure_schema()
    for run_id in ("a", "b"):  # two runs passed the idempotency check before either loaded
        ingest.plan(BT_DAY, run_id, force=False)
    artifact = ingest.fetch_raw(BT_DAY, "a", refetch=False, today=settings.today())["artifact_id"]
    task = {"kind": "bt_load", "day": BT_DAY.isoformat(), "artifact_id": artifact}

    first = hp.spawn({**task, "run_id": "a", "hold_commit": True})
    hp.expect_line(first, "IN_TXN")  # a has upserted every row and holds its transaction open
    second = hp.spawn({**task, "run_id": "b"}, env={"HOOPS_TEAM_MAPPING": kansas_unknown})
    try:
        waiting = wait_for(
            lambda: query(
                warehouse_dsn,
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
            ),
            "the second load to wait on the date's lock",
        )
        assert len(waiting) == 1
        assert query(warehouse_dsn, "SELECT count(*) FROM bt_team_metrics_daily") == [(0,)]  # a not committed
        hp.go(first)
        assert first.wait(timeout=120) == 0, first.stderr.read()[-3000:]
        out, err = second.communicate(timeout=120)
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
    assert second.returncode == 0, err[-3000:]
    assert json.loads(out.split("DONE ", 1)[1])["rows_quarantined"] == 1

    ingest.verify(BT_DAY, "b")  # the table holds exactly what the last run recorded
    expected = serial_reference(pg_server, replay, tmp_path, kansas_unknown)
    lost, dup = hp.tables_diff(expected, hp.bt_state(warehouse_dsn, artifacts=False))
    record_fault("two BartTorvik loads of one date at once", 2, "second waited; = serial result", lost, dup)
    assert (lost, dup) == (0, 0)


# ---------------------------------------------------------------- CBBD


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY, cbbd_plays_per_game=40) as server:
        yield server


@pytest.fixture
def cbbd(cbbd_server, warehouse_dsn, lake_root, monkeypatch, tmp_path):
    env = {
        "CBBD_API_KEY": KEY,
        "CBBD_BASE_URL": cbbd_server.base_url,
        "HOOPS_CBBD_RPS": "0",
        "HOOPS_TODAY": DAY.isoformat(),
        "HOOPS_CBBD_MAX_BATCHES": "4",
        "HOOPS_DUCKDB_CATALOG": str(tmp_path / "lake.duckdb"),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return cbbd_server


def test_the_same_cbbd_fetch_batch_twice_at_once_gives_one_copy_and_loses_no_checkpoint_update(
    cbbd, lake_root, warehouse_dsn, pg_server, tmp_path, record_fault
):
    """Both processes read the checkpoints, decide to fetch everything, then start together. The lake
    converges (same keys, same bytes: deterministic names, atomic renames); every checkpoint write is
    conditional on the version read, so the loser re-reads and builds on the winner's row instead of
    overwriting it: the `calls` counters add up to exactly the calls the API answered."""
    spec = hp.incremental_spec(DAY, WINDOW, hp.ENDPOINTS)
    manifests = hp.plan_pass1(spec, hp.DAG_ID, RUN)
    served_before = len(cbbd.cbbd.served)
    task = {"kind": "cbbd_fetch", "manifests": manifests, "spec": spec, "dag_id": hp.DAG_ID, "run_id": RUN}
    procs = [hp.spawn({**task, "hold_fetch": True}) for _ in range(2)]
    try:
        todo = [hp.expect_line(p, "READY") for p in procs]
        assert todo[0] == todo[1] and todo[0] != "READY todo=0"  # both will ask for the same requests
        for p in procs:
            hp.go(p)
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in results]
    served = len(cbbd.cbbd.served) - served_before
    calls = query(warehouse_dsn, "SELECT coalesce(sum(calls), 0), count(*) FROM cbbd_checkpoints")[0]
    assert calls[0] == served  # no lost update: each answered call is counted once, in one row per request
    hp.assert_no_partial_objects(open_lake())

    hp.fetch_run(spec, hp.DAG_ID, RUN, pass1=False)
    assert hp.build_run(spec, hp.DAG_ID, RUN)["status"] == "success"
    got = hp.cbbd_state(warehouse_dsn, layers=("silver",))

    with fresh_database(pg_server) as dsn:  # the same run, one process at a time, for comparison
        env = {"HOOPS_POSTGRES_DSN": dsn, "HOOPS_LAKE_URI": (tmp_path / "one").as_uri()}
        with mock.patch.dict(os.environ, env):
            assert hp.incremental_run(DAY, WINDOW, RUN, hp.ENDPOINTS)["status"] == "success"
            want = hp.cbbd_state(dsn, layers=("silver",))
    lost, dup = hp.tables_diff(want.tables, got.tables)
    record_fault("same CBBD fetch batch twice at once", 2, "one copy; checkpoint calls add up", lost, dup)
    assert (lost, dup) == (0, 0)
    assert got.objects == want.objects


def test_two_writers_of_one_checkpoint_at_once_one_wins_and_the_other_is_refused_clearly(
    warehouse_dsn, record_fault
):
    """Conditional writes, started together by a barrier: create-if-absent, then update-if-at-version."""
    from hoops import warehouse
    from hoops.cbbd.checkpoints import Checkpoint, CheckpointConflict, PostgresCheckpoints

    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    store = PostgresCheckpoints()
    refusals: list[str] = []
    written: list[Checkpoint] = []

    def race(expected: int | None) -> None:
        barrier = threading.Barrier(2)

        def writer(n: int) -> None:
            cp = Checkpoint("games", "h1", {"n": n}, 2024, "done", False, rows=n, raw_key=f"k{n}", calls=1)
            barrier.wait()
            try:
                written.append(store.put(cp, expected_version=expected))
            except CheckpointConflict as exc:
                refusals.append(str(exc))

        threads = [threading.Thread(target=writer, args=(n,)) for n in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    race(None)
    race(1)
    stored = store.get("games", "h1")
    assert len(written) == 2 and len(refusals) == 2  # one winner and one refusal per round
    assert "expected it absent, found it at version 1" in refusals[0]
    assert "expected it at version 1, found it at version 2" in refusals[1]
    assert stored.version == 2
    rows = query(warehouse_dsn, "SELECT count(*) FROM cbbd_checkpoints")[0][0]
    lost = int(stored != written[-1])  # the last accepted write is what is stored
    record_fault("two writers of one checkpoint at once", 2, "one wins, other refused", lost, rows - 1)
    assert (lost, rows) == (0, 1)


def test_a_silver_build_waits_for_another_and_then_reads_what_landed_meanwhile(
    bronze_lake, warehouse_dsn, record_fault
):
    """A backfill and the schedule building silver at once: the second build waits on the lake-build lock
    and lists bronze only once it holds it, so a response fetched meanwhile is in its output (no lost
    update from a build working off an older listing)."""
    import shutil

    from hoops import warehouse
    from hoops.cbbd import pipeline, silver
    from hoops.lake import LocalLake

    spec = {"seasons": [2024]}
    reference = bronze_lake.parent / "reference-lake"  # every response present, built alone
    shutil.copytree(bronze_lake, reference)
    silver.build(LocalLake(reference), seasons=[2024])
    expected = hp.layer_rows(LocalLake(reference), "silver")

    games = sorted((bronze_lake / "bronze" / "games").rglob("*.parquet"))
    late = games[-1]  # stands for a games response another run fetches while this build waits
    parked = bronze_lake.parent / "late.parquet.parked"
    shutil.move(late, parked)

    held, release = threading.Event(), threading.Event()

    def other_build() -> None:
        with warehouse.exclusive(warehouse.LAKE_BUILD_LOCK, "building silver"):
            held.set()
            release.wait(120)

    holder = threading.Thread(target=other_build)
    holder.start()
    assert held.wait(60)
    result: dict = {}
    builder = threading.Thread(
        target=lambda: result.update(pipeline.build_silver(spec, dag_id="cbbd_incremental", run_id="r2"))
    )
    builder.start()
    try:
        wait_for(
            lambda: query(
                warehouse_dsn,
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'",
            ),
            "the second build to wait on the lake-build lock",
        )
        assert not (bronze_lake / "silver").exists()  # nothing built while the other build holds the lock
        shutil.move(parked, late)  # the other run's fetch lands
    finally:
        release.set()
        holder.join(120)
        builder.join(300)
    assert result["tables"]["fct_games"]["rows"] > 0
    lost, dup = hp.tables_diff(expected, hp.layer_rows(open_lake(), "silver"))
    record_fault(
        "two silver builds at once (backfill + schedule)", 2, "second waited; read the latest", lost, dup
    )
    assert (lost, dup) == (0, 0)
