"""`barttorvik_daily` end to end: dag.test() against the replay server, a real PostgreSQL and a local lake."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json

import pytest

from hoops import settings
from tests.integration.dagrun import ny_morning, query, run

DAG_ID = "barttorvik_daily"
D = dt.date(2020, 3, 13)  # served by the real time-machine file 20200312
REAL_FILE = settings.samples_dir() / "barttorvik" / "timemachine" / "20200312_team_results.json.gz"

pytestmark = pytest.mark.usefixtures("replay", "lake_root")


def metrics(dsn, day=D):
    return query(dsn, "SELECT * FROM bt_team_metrics_daily WHERE snapshot_date = %s ORDER BY team_id", day)


def test_loads_the_snapshot_with_every_column_typed(dagbag, warehouse_dsn, lake_root):
    outcome = run(dagbag, DAG_ID, ny_morning(D))
    assert outcome.state == "success", outcome.tasks
    assert set(outcome.tasks.values()) == {"success"}

    source = json.loads(gzip.decompress(REAL_FILE.read_bytes()))
    rows = metrics(warehouse_dsn)
    assert len(rows) == len(source) == 353

    types = dict(
        query(
            warehouse_dsn,
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'bt_team_metrics_daily'",
        )
    )
    assert types["adjoe"] == "double precision" and types["rank"] == "integer"
    assert types["wab"] == "double precision" and types["adj_tempo"] == "double precision"
    assert types["record"] == "text" and types["snapshot_date"] == "date"

    ((status, loaded, quarantined, url),) = query(
        warehouse_dsn, "SELECT status, rows_loaded, rows_quarantined, source_url FROM provider_ingestion_runs"
    )
    assert (status, loaded, quarantined) == ("SUCCESS", 353, 0)
    assert url.endswith("/timemachine/team_results/20200312_team_results.json.gz")

    ((sha, size, art_status, lake_uri),) = query(
        warehouse_dsn, "SELECT sha256, bytes, status, lake_uri FROM bt_raw_artifacts"
    )
    assert sha == hashlib.sha256(REAL_FILE.read_bytes()).hexdigest() and size == REAL_FILE.stat().st_size
    assert art_status == "LOADED"
    stored = [p for p in lake_root.rglob("*") if p.is_file()]
    assert [p.relative_to(lake_root).parts[:4] for p in stored] == [
        ("raw", "barttorvik", "team_results", "snapshot_date=2020-03-13")
    ]
    assert stored[0].read_bytes() == REAL_FILE.read_bytes() and lake_uri == stored[0].as_uri()
