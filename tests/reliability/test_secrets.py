"""Secrets never reach an output. The DAGs run with a recognisable CBBD key and a warehouse password
(the embedded PostgreSQL trusts local connections, so a password in the DSN is sent and ignored), through
retries, deadletters, 401s, a quota stop and an unreachable warehouse; then every output is searched:
task logs and exception texts (all the process printed), log records, XCom and the rest of Airflow's
metadata database, every lake object (decompressed, Parquet read), the warehouse tables and the catalog.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from psycopg.conninfo import make_conninfo

from devkit.replay import ReplayServer
from tests.integration.dagrun import ny_morning, run
from tests.reliability.helpers_source import (
    BT_DAY,
    CBBD_KEY,
    CONF,
    DAY,
    lake_objects,
    latest_summary,
    morning,
    use_cbbd,
    warehouse_state,
)

PG_PASSWORD = "PGPASS-canary-51c2"
CANARIES = (CBBD_KEY, PG_PASSWORD)
INCREMENTAL, BT = "cbbd_incremental", "barttorvik_daily"


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=CBBD_KEY, cbbd_plays_per_game=40) as server:
        yield server


@pytest.fixture
def secret_env(cbbd_server, replay, warehouse_dsn, lake_root, monkeypatch, tmp_path):
    """The CBBD DAGs on the replay season with the canary key, the warehouse DSN carrying the canary
    password; yields the password-bearing DSN."""
    use_cbbd(monkeypatch, cbbd_server, tmp_path)
    dsn = make_conninfo(warehouse_dsn, password=PG_PASSWORD)
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", dsn)
    cbbd_server.clear_faults()
    cbbd_server.cbbd.set_quota(1_000_000)
    yield dsn
    cbbd_server.clear_faults()
    cbbd_server.cbbd.set_quota(1_000_000)
    cbbd_server.cbbd.api_key = CBBD_KEY


def _text(path: Path, data: bytes) -> str:
    """An object as searchable text: gzip opened, Parquet read row by row, the bytes kept as well."""
    parts = [data.decode("utf-8", "replace")]
    if path.suffix == ".gz":
        parts.append(gzip.decompress(data).decode("utf-8", "replace"))
    elif path.suffix == ".parquet":
        parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
    return "\n".join(parts)


def outputs(capfd, caplog, lake_root: Path, warehouse_dsn: str, catalog: Path) -> dict[str, str]:
    """Everything the runs produced, by where it came from."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    printed = capfd.readouterr()
    found = {
        "task logs and exceptions (stdout/stderr)": printed.out + printed.err,
        "log records": caplog.text
        + "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
    }
    with create_session() as session:
        found["xcom"] = "\n".join(repr(x.value) for x in session.query(XComModel).all())
    metadata = Path(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    found["airflow metadata db"] = "".join(
        p.read_bytes().decode("latin-1") for p in metadata.parent.glob(metadata.name + "*")
    )
    logs = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    found["airflow log folder"] = "".join(
        p.read_text("utf-8", "replace") for p in logs.rglob("*") if p.is_file()
    )
    for key, data in lake_objects(lake_root).items():
        found[f"lake {key}"] = _text(lake_root / key, data)
    found["warehouse"] = repr(warehouse_state(warehouse_dsn))
    found["catalog"] = catalog.read_bytes().decode("latin-1") if catalog.exists() else ""
    return found


def leaks(found: dict[str, str]) -> list[str]:
    return [f"{secret} in {where}" for where, text in found.items() for secret in CANARIES if secret in text]


def test_no_secret_in_any_output_of_runs_with_retries_deadletters_and_a_connection_key(
    dagbag,
    cbbd_server,
    replay,
    secret_env,
    warehouse_dsn,
    lake_root,
    tmp_path,
    monkeypatch,
    capfd,
    caplog,
    record_fault,
):
    """The key comes from the Airflow connection `cbbd_default` this time; a 5xx burst is retried and a
    malformed answer goes to deadletter (the run fails with its summary); BartTorvik retries a 5xx.
    Airflow masks a connection's password in its own logs, so the next test uses CBBD_API_KEY, which
    nothing masks; the lake, XCom and the databases are searched as they are in both."""
    monkeypatch.delenv("CBBD_API_KEY")
    monkeypatch.setenv("AIRFLOW_CONN_CBBD_DEFAULT", json.dumps({"conn_type": "http", "password": CBBD_KEY}))
    cbbd_server.set_fault("5xx", times=2)
    cbbd_server.set_fault("malformed", path_contains="/games/teams")
    cbbd = run(dagbag, INCREMENTAL, morning(DAY), CONF)
    assert cbbd.state == "failed" and cbbd.tasks["summary"] == "failed", cbbd.tasks
    summary = latest_summary(lake_root, INCREMENTAL)
    assert summary["status"] == "completed_with_failures" and summary["calls_used"] > 0  # the key worked
    replay.set_fault("5xx", times=1)
    bt = run(dagbag, BT, ny_morning(BT_DAY), retries=1)
    assert bt.state == "success", bt.tasks

    found = outputs(capfd, caplog, lake_root, warehouse_dsn, tmp_path / "lake.duckdb")
    # the search really covers what the runs wrote: logs, XCom, deadletter, decompressed raw, Parquet
    everything = "\n".join(found.values())
    assert (
        "plays_date" in found["xcom"]
        and summary["run_id"] in found["task logs and exceptions (stdout/stderr)"]
    )
    assert any(k.startswith("lake deadletter/cbbd/") for k in found) and "malformed" in everything
    assert any(k.startswith("lake raw/cbbd/") and k.endswith(".json.gz") for k in found)
    assert any(k.endswith(".parquet") for k in found) and "team_results" in found["warehouse"]
    assert leaks(found) == []
    record_fault("secrets: key via connection, retries, deadletter", 2, "no secret in any output")


def test_no_secret_in_the_errors_of_a_refused_key_a_quota_stop_and_an_unreachable_warehouse(
    dagbag,
    cbbd_server,
    replay,
    secret_env,
    warehouse_dsn,
    lake_root,
    tmp_path,
    monkeypatch,
    capfd,
    caplog,
    record_fault,
):
    """Failures are where secrets leak: a 401 for the key, a quota stop, a warehouse that refuses the
    connection with the password in its DSN. Each run fails with its message, and none holds a secret."""
    cbbd_server.cbbd.api_key = "the-key-the-api-expects"  # the canary key is refused: 401
    refused = run(dagbag, INCREMENTAL, morning(DAY), CONF)
    assert refused.state == "failed", refused.tasks
    letters = list((lake_root / "deadletter").rglob("*.json"))
    assert letters and all(json.loads(p.read_text())["reason"] == "auth" for p in letters)
    cbbd_server.cbbd.api_key = CBBD_KEY

    cbbd_server.cbbd.set_quota(0)
    stopped = run(dagbag, INCREMENTAL, morning(DAY, minute=30), CONF)
    assert (
        stopped.state == "failed" and latest_summary(lake_root, INCREMENTAL)["status"] == "incomplete_quota"
    )
    cbbd_server.cbbd.set_quota(1_000_000)

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = f"postgresql://hoops:{PG_PASSWORD}@127.0.0.1:{port}/hoops"
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", closed)
    assert run(dagbag, INCREMENTAL, morning(DAY, minute=45), CONF).tasks["prepare"] == "failed"
    assert run(dagbag, BT, ny_morning(BT_DAY)).tasks["ensure_schema"] == "failed"

    found = outputs(capfd, caplog, lake_root, warehouse_dsn, tmp_path / "lake.duckdb")
    printed = found["task logs and exceptions (stdout/stderr)"]
    assert "CBBD refused the API key (HTTP 401" in "".join(v for k, v in found.items() if "deadletter" in k)
    assert "run incomplete_quota" in printed
    assert f"cannot connect to the warehouse (dbname=hoops host=127.0.0.1 port={port} user=hoops)" in printed
    assert leaks(found) == []
    record_fault(
        "secrets: 401, quota stop, unreachable warehouse", 4, "failed with messages; no secret in any"
    )
