"""Bad input: trigger params and configuration. Each is refused with a message that names what to fix,
and nothing stored changes (every lake object byte for byte, every warehouse row).

Params are checked where Airflow checks them (the DAG's JSON schema, when the run is created) and where
the bundle checks them again at run time (the first task), exactly as a run would call both. Injection
attempts must be refused by both layers. One case of each kind also goes through `dag.test()` against a
lake and warehouse holding a loaded BartTorvik date, and the replay sources, so a wrongly accepted value
would really fetch and write.
"""

from __future__ import annotations

import copy
import datetime as dt
import socket
from collections import Counter

import pytest

from devkit.replay import ReplayServer
from tests.integration.dagrun import ny_morning, run
from tests.reliability.helpers_source import (
    BT_DAY,
    CBBD_KEY,
    DAY,
    diff,
    fresh_database,
    lake_objects,
    morning,
    pg_rows,
    use_cbbd,
    warehouse_state,
)

BT, BACKFILL, INCREMENTAL = "barttorvik_daily", "cbbd_backfill", "cbbd_incremental"
SQL, TRAVERSAL, SHELL = "'; DROP TABLE bt_team_metrics_daily; --", "../../etc", "$(rm -rf /)"
VALID = {
    BT: {"snapshot_date": "2020-03-12"},
    BACKFILL: {"seasons": [2024]},
    INCREMENTAL: {"date": "2024-01-19"},
}


def injections(text: str) -> list[tuple[str, dict, str]]:
    """`text` in every string-typed param of every DAG (dates, endpoint names)."""
    return [
        (BT, {"snapshot_date": text}, "snapshot_date"),
        (INCREMENTAL, {"date": text}, "date"),
        (BACKFILL, {"endpoints": [text]}, "endpoints"),
        (INCREMENTAL, {"endpoints": ["games", text]}, "endpoints"),
    ]


# kind -> cases (dag, conf, the param the message must name)
CASES: dict[str, list[tuple[str, dict, str]]] = {
    "bad input: invalid dates": [
        (BT, {"snapshot_date": "2024-02-30"}, "snapshot_date"),
        (BT, {"snapshot_date": "20240115"}, "snapshot_date"),
        (BT, {"snapshot_date": "2099-01-01"}, "snapshot_date"),  # the future
        (BT, {"snapshot_date": "2010-01-01"}, "snapshot_date"),  # before the time machine
        (INCREMENTAL, {"date": "2024-13-01"}, "date"),
        (INCREMENTAL, {"date": "yesterday"}, "date"),
        (INCREMENTAL, {"date": "2099-01-01"}, "date"),
    ],
    "bad input: seasons out of range": [
        (BACKFILL, {"seasons": [1990]}, "seasons"),
        (BACKFILL, {"seasons": [2099]}, "seasons"),
        (BACKFILL, {"seasons": [0]}, "seasons"),
        (BACKFILL, {"seasons": [2024, -2024]}, "seasons"),
    ],
    "bad input: unknown endpoints": [
        (BACKFILL, {"endpoints": ["nope"]}, "endpoints"),
        (INCREMENTAL, {"endpoints": ["games", "plays"]}, "endpoints"),
        (BACKFILL, {"endpoints": ["all", "games"]}, "endpoints"),
        (BACKFILL, {"endpoints": []}, "endpoints"),
    ],
    "bad input: negative or zero budgets": [
        (BACKFILL, {"max_calls": -5}, "max_calls"),
        (INCREMENTAL, {"max_calls": 0}, "max_calls"),
        (INCREMENTAL, {"window_days": -3}, "window_days"),
        (INCREMENTAL, {"window_days": 0}, "window_days"),
        (INCREMENTAL, {"window_days": 61}, "window_days"),
    ],
    "bad input: wrong types": [
        # the form's pick list sends "2024" as text, which is taken; "24" or a float are not seasons
        (BACKFILL, {"seasons": ["24"]}, "seasons"),
        (BACKFILL, {"seasons": [2024.5]}, "seasons"),
        (BACKFILL, {"seasons": "2024"}, "seasons"),
        (BACKFILL, {"max_calls": "ten"}, "max_calls"),
        (BACKFILL, {"max_calls": 2.0}, "max_calls"),
        (BACKFILL, {"max_calls": 2.5}, "max_calls"),
        (INCREMENTAL, {"window_days": "7"}, "window_days"),
        (BACKFILL, {"include_fanout": "yes"}, "include_fanout"),
        (INCREMENTAL, {"force": 1}, "force"),
        (BT, {"force": "no"}, "force"),
        (BT, {"refetch": "true"}, "refetch"),
        (BT, {"snapshot_date": 20240115}, "snapshot_date"),
    ],
    "bad input: SQL injection": injections(SQL),
    "bad input: path traversal": injections(TRAVERSAL),
    "bad input: shell injection": injections(SHELL),
}

# One case of each kind through dag.test(): "schema" = refused when the run is created, else the task
# that refuses it.
THROUGH_DAG = {
    "bad input: invalid dates": (BT, {"snapshot_date": "2099-01-01"}, "check_idempotency"),
    "bad input: seasons out of range": (BACKFILL, {"seasons": [2099]}, "prepare"),
    "bad input: unknown endpoints": (INCREMENTAL, {"endpoints": ["games", "plays"]}, "schema"),
    "bad input: negative or zero budgets": (BACKFILL, {"max_calls": -5}, "schema"),
    "bad input: wrong types": (BACKFILL, {"max_calls": 2.0}, "prepare"),
    "bad input: SQL injection": (BT, {"snapshot_date": SQL}, "schema"),
    "bad input: path traversal": (INCREMENTAL, {"endpoints": [TRAVERSAL]}, "schema"),
    "bad input: shell injection": (BACKFILL, {"endpoints": [SHELL]}, "schema"),
}


def airflow_refusal(dagbag, dag_id: str, conf: dict) -> str | None:
    """What Airflow says when the run is created (the same calls `create_dagrun` makes), None if accepted."""
    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dagbag.get_dag(dag_id)))
    try:
        dag.params.deep_merge(conf).validate()
    except ValueError as exc:
        return str(exc)
    return None


def bundle_refusal(dagbag, dag_id: str, conf: dict) -> str | None:
    """What the DAG's first task says about the merged params at run time, None if accepted."""
    from hoops.barttorvik.ingest import InvalidRequest as BtInvalid
    from hoops.barttorvik.ingest import resolve_snapshot_date
    from hoops.cbbd.pipeline import InvalidRequest, validate_params

    params = {k: copy.deepcopy(p.value) for k, p in dagbag.get_dag(dag_id).params.items()} | conf
    logical = morning(DAY)
    try:
        if dag_id == BT:
            resolve_snapshot_date(params.get("snapshot_date"), logical, DAY)
        else:
            kind = "backfill" if dag_id == BACKFILL else "incremental"
            validate_params(params, kind=kind, logical_date=DAY, today=DAY)
    except (BtInvalid, InvalidRequest) as exc:
        return str(exc)
    return None


# --- a lake and warehouse with something in them, and the sources -----------------------------------


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=CBBD_KEY, cbbd_plays_per_game=40) as server:
        yield server


@pytest.fixture(scope="module")
def seeded(dagbag, pg_server, replay_server, tmp_path_factory):
    """A warehouse and lake holding one loaded BartTorvik date: what bad input must leave untouched."""
    state = tmp_path_factory.mktemp("seeded")
    with fresh_database(pg_server) as dsn:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HOOPS_POSTGRES_DSN", dsn)
            mp.setenv("HOOPS_LAKE_URI", (state / "lake").as_uri())
            mp.setenv("HOOPS_BT_BASE_URL", replay_server.base_url)
            replay_server.clear_faults()
            assert run(dagbag, BT, ny_morning(BT_DAY)).state == "success"
        yield {"dsn": dsn, "lake": state / "lake", "state": state}


@pytest.fixture
def env(seeded, cbbd_server, replay_server, monkeypatch):
    """Every DAG pointed at the seeded stores and the replay sources (a key set, today pinned)."""
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", seeded["dsn"])
    monkeypatch.setenv("HOOPS_LAKE_URI", seeded["lake"].as_uri())
    monkeypatch.setenv("HOOPS_BT_BASE_URL", replay_server.base_url)
    use_cbbd(monkeypatch, cbbd_server, seeded["state"])
    replay_server.clear_faults()
    cbbd_server.clear_faults()
    return seeded


def stored(seeded) -> dict:
    return {"lake": lake_objects(seeded["lake"]), "warehouse": warehouse_state(seeded["dsn"])}


def rows(state: dict) -> dict[str, Counter]:
    return {table: Counter(found) for table, found in state["warehouse"].items()}


def runs_with(dag_id: str, conf: dict) -> int:
    """Runs of `dag_id` in Airflow's database that were created with `conf`."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        return sum(r.conf == conf for r in session.query(DagRun).filter(DagRun.dag_id == dag_id))


def when(dag_id: str) -> dt.datetime:
    return ny_morning(dt.date(2020, 3, 12)) if dag_id == BT else morning(DAY)


# --- trigger params ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_trigger_params_are_refused_with_a_message_naming_the_param(
    dagbag, env, capfd, record_fault, kind
):
    """Every case is refused by Airflow's schema or the bundle's own check, naming the param; injection
    attempts by both. One case runs the DAG: refused, and not one stored byte or row changes."""
    for dag_id, conf in VALID.items():  # the checks accept a good trigger, so a refusal means something
        assert airflow_refusal(dagbag, dag_id, conf) is None
        assert bundle_refusal(dagbag, dag_id, conf) is None, dag_id
    for dag_id, conf, param in CASES[kind]:
        by_airflow, by_bundle = airflow_refusal(dagbag, dag_id, conf), bundle_refusal(dagbag, dag_id, conf)
        message = by_airflow or by_bundle
        assert message is not None, f"{dag_id} accepted {conf}"
        assert param in message, (conf, message)
        if "injection" in kind or "traversal" in kind:
            assert by_airflow and by_bundle, (dag_id, conf, by_airflow, by_bundle)

    dag_id, conf, refused_at = THROUGH_DAG[kind]
    before = stored(env)
    capfd.readouterr()
    if refused_at == "schema":
        with pytest.raises(ValueError, match="Invalid input for param") as refused:
            run(dagbag, dag_id, when(dag_id), conf)
        assert runs_with(dag_id, conf) == 0  # refused before a run existed
        message = str(refused.value)
    else:
        outcome = run(dagbag, dag_id, when(dag_id), conf)
        assert outcome.state == "failed" and outcome.tasks[refused_at] == "failed", outcome.tasks
        assert runs_with(dag_id, conf) >= 1
        message = capfd.readouterr().out
    check = airflow_refusal if refused_at == "schema" else bundle_refusal
    assert check(dagbag, dag_id, conf) in message  # the same words the user sees
    after = stored(env)
    assert after["lake"] == before["lake"] and after["warehouse"] == before["warehouse"]
    lost, extra = diff(rows(before), rows(after))
    outcome = f"refused: clear message ({len(CASES[kind])} cases, one via the DAG)"
    record_fault(kind, int(refused_at != "schema"), outcome, lost, extra)  # a schema refusal makes no run


# --- configuration -------------------------------------------------------------------------------------


def test_a_missing_cbbd_key_fails_cbbd_in_prepare_and_leaves_barttorvik_working(
    dagbag, env, warehouse_dsn, lake_root, monkeypatch, capfd, record_fault
):
    """No key anywhere: the CBBD DAGs stop before any call, naming both places a key can go, and change
    nothing; BartTorvik needs no key and loads its date exactly as a clean run does."""
    monkeypatch.delenv("CBBD_API_KEY")
    before = stored(env)
    capfd.readouterr()
    for dag_id in (INCREMENTAL, BACKFILL):
        outcome = run(dagbag, dag_id, morning(DAY), {"seasons": [2024]} if dag_id == BACKFILL else {})
        assert outcome.state == "failed" and outcome.tasks["prepare"] == "failed", outcome.tasks
        assert outcome.tasks["plan_pass1"] == "upstream_failed"
    log = capfd.readouterr().out
    assert "no CBBD API key" in log and "'cbbd_default'" in log and "CBBD_API_KEY" in log
    assert stored(env) == before

    clean = pg_rows(env["dsn"], "bt_team_metrics_daily", leave_out=("artifact_id", "loaded_at"))
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", warehouse_dsn)  # a fresh warehouse and lake for BartTorvik
    monkeypatch.setenv("HOOPS_LAKE_URI", lake_root.as_uri())
    assert run(dagbag, BT, ny_morning(BT_DAY)).state == "success"
    loaded = pg_rows(warehouse_dsn, "bt_team_metrics_daily", leave_out=("artifact_id", "loaded_at"))
    lost, extra = diff({"bt": clean}, {"bt": loaded})
    assert (lost, extra) == (0, 0)
    record_fault(
        "config: missing CBBD API key", 3, "cbbd refused in prepare; barttorvik success", lost, extra
    )


def test_a_misspelt_param_is_refused_not_ignored(dagbag, env, capfd, record_fault):
    """Airflow accepts conf keys no Param declares: "date" instead of "snapshot_date" would quietly load
    the logical date, "season" instead of "seasons" would backfill (and spend quota on) the current one."""
    before = stored(env)
    capfd.readouterr()
    bt = run(dagbag, BT, ny_morning(dt.date(2020, 3, 12)), {"date": "2020-03-12"})
    cbbd = run(dagbag, BACKFILL, morning(DAY), {"season": [2024]})
    assert bt.state == "failed" and cbbd.state == "failed" and cbbd.tasks["prepare"] == "failed"
    log = capfd.readouterr().out
    assert "unknown params ['date']" in log and "unknown params ['season']" in log
    after = stored(env)
    assert after == before
    lost, extra = diff(rows(before), rows(after))
    record_fault("params: misspelt param name", 2, "refused: clear message", lost, extra)


def test_a_wrong_cbbd_key_stops_each_batch_at_its_first_request(
    dagbag, env, cbbd_server, capfd, record_fault
):
    """A key the API refuses (401 "Unauthorized") fails every request the same way: the fetch stops at the
    first one with a message naming where the key goes, instead of asking (and deadlettering) the rest."""
    from hoops.cbbd import pipeline

    before = stored(env)
    served = len(cbbd_server.requests)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CBBD_API_KEY", "not-the-key")
        mp.setenv("HOOPS_CBBD_MAX_BATCHES", "1")  # one batch: every planned request in one fetch task
        capfd.readouterr()
        outcome = run(dagbag, INCREMENTAL, morning(DAY), {"window_days": 2})
    assert outcome.state == "failed" and outcome.tasks["fetch_pass1"] == "failed", outcome.tasks
    log = capfd.readouterr().out
    assert "CBBD refused the API key (HTTP 401)" in log and "'cbbd_default'" in log
    asked = len(cbbd_server.requests) - served
    planned = pipeline.load_results(INCREMENTAL, outcome.run_id)["plan-pass1"]["calls_planned"]
    assert 1 <= asked <= 3 < planned  # at most the requests already in flight (concurrency 3)
    after = stored(env)
    failed = after["warehouse"].pop("cbbd_checkpoints")  # bookkeeping: failed, not final, asked next run
    assert len(failed) == asked and all("'failed', False" in c for c in failed), failed
    before["warehouse"].pop("cbbd_checkpoints")
    assert after["warehouse"] == before["warehouse"]
    new = sorted(set(after["lake"]) - set(before["lake"]))
    assert all(k.startswith(("deadletter/cbbd/", "tmp/runs/", "meta/")) for k in new), new
    lost, extra = diff(rows(before), rows(after))
    record_fault(
        "config: wrong CBBD API key (401)", 1, "stopped at first request: clear message", lost, extra
    )


@pytest.mark.parametrize("uri", ["ftp://x", "s3://", "s3:///no-bucket"])
def test_an_unusable_lake_uri_is_refused_before_anything_is_stored(
    dagbag, env, monkeypatch, capfd, record_fault, uri
):
    """A lake URI that cannot work fails every DAG with a message naming HOOPS_LAKE_URI, before any run
    is recorded in the warehouse (no run left RUNNING) and before any object is written."""
    monkeypatch.setenv("HOOPS_LAKE_URI", uri)
    before = stored(env)
    capfd.readouterr()
    cbbd = run(dagbag, INCREMENTAL, morning(DAY))
    assert cbbd.state == "failed" and cbbd.tasks["prepare"] == "failed", cbbd.tasks
    bt = run(dagbag, BT, ny_morning(dt.date(2020, 3, 12)))
    assert bt.state == "failed" and "success" not in (bt.tasks["fetch_raw"], bt.tasks["load_snapshot"])
    log = capfd.readouterr().out
    assert log.count(f"HOOPS_LAKE_URI={uri!r} is not supported") >= 2  # once per DAG
    after = stored(env)
    assert after["lake"] == before["lake"] and after["warehouse"] == before["warehouse"]
    lost, extra = diff(rows(before), rows(after))
    record_fault(f"config: lake URI {uri}", 2, "refused: clear message, nothing stored", lost, extra)


def test_an_unreachable_warehouse_fails_with_a_clear_message_and_nothing_is_stored(
    dagbag, env, monkeypatch, capfd, record_fault
):
    """A DSN to a closed port: every DAG fails on connecting, says which warehouse and how to configure
    it, and writes no object (the lake is reachable, so a write would show)."""
    with socket.socket() as probe:  # a port nothing listens on: bound for a moment, then released
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", f"postgresql://hoops@127.0.0.1:{port}/hoops")
    before = stored(env)
    capfd.readouterr()
    cbbd = run(dagbag, INCREMENTAL, morning(DAY))
    assert cbbd.state == "failed" and cbbd.tasks["prepare"] == "failed", cbbd.tasks
    bt = run(dagbag, BT, ny_morning(dt.date(2020, 3, 12)))
    assert bt.state == "failed" and bt.tasks["ensure_schema"] == "failed", bt.tasks
    log = capfd.readouterr().out
    assert (
        log.count(f"cannot connect to the warehouse (dbname=hoops host=127.0.0.1 port={port} user=hoops)")
        >= 2
    )
    assert "Set HOOPS_POSTGRES_DSN or the Airflow connection 'hoops_postgres'" in log
    after = stored(env)
    assert after["lake"] == before["lake"] and after["warehouse"] == before["warehouse"]
    lost, extra = diff(rows(before), rows(after))
    record_fault("config: unreachable Postgres", 2, "failed: clear message, nothing stored", lost, extra)


def test_a_lake_that_refuses_writes_fails_the_run_and_records_why(
    dagbag, env, tmp_path, monkeypatch, capfd, record_fault
):
    """A well-formed URI whose folder is a file: found only when writing. The BartTorvik run is recorded
    FAILED with the lake's message (never left RUNNING) and nothing else changes; CBBD stops in prepare."""
    blocker = tmp_path / "lake-is-a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HOOPS_LAKE_URI", blocker.as_uri())
    before = stored(env)
    capfd.readouterr()
    bt = run(dagbag, BT, ny_morning(dt.date(2020, 3, 12)))
    assert bt.state == "failed" and bt.tasks["fetch_raw"] == "failed", bt.tasks
    cbbd = run(dagbag, INCREMENTAL, morning(DAY))
    assert cbbd.state == "failed" and cbbd.tasks["prepare"] == "failed", cbbd.tasks
    assert capfd.readouterr().out.count(f"cannot write {blocker.as_uri()}/") >= 2

    after = stored(env)
    assert after["lake"] == before["lake"] and blocker.read_text() == "not a folder"
    runs = rows(after).pop("provider_ingestion_runs") - rows(before).pop("provider_ingestion_runs")
    ((added, count),) = runs.items()
    assert count == 1 and "'FAILED', 'lake_error: cannot write file://" in added, added
    assert "'RUNNING'" not in "".join(after["warehouse"]["provider_ingestion_runs"])
    unchanged = {t: r for t, r in rows(before).items() if t != "provider_ingestion_runs"}
    lost, extra = diff(unchanged, {t: r for t, r in rows(after).items() if t != "provider_ingestion_runs"})
    assert (lost, extra) == (0, 0)
    record_fault(
        "config: lake folder not writable", 2, "failed: run recorded FAILED with reason", lost, extra
    )
