from __future__ import annotations

import pytest

from hoops import warehouse


def test_migrations_apply_once_in_order(warehouse_dsn):
    with warehouse.connect() as conn:
        first = warehouse.migrate(conn)
        again = warehouse.migrate(conn)
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert first[0] == "001_barttorvik.sql" and again == []
    assert {
        "bt_raw_artifacts",
        "bt_team_metrics_daily",
        "bt_ingestion_quarantine",
        "provider_ingestion_runs",
        "bt_teams",
        "schema_migrations",
    } <= tables


def test_an_edited_migration_is_refused(warehouse_dsn, tmp_path):
    (tmp_path / "001_a.sql").write_text("CREATE TABLE a (x int);")
    with warehouse.connect() as conn:
        warehouse.migrate(conn, tmp_path)
        (tmp_path / "001_a.sql").write_text("CREATE TABLE a (x bigint);")
        with pytest.raises(warehouse.WarehouseError, match="changed after it was applied"):
            warehouse.migrate(conn, tmp_path)


def test_unreachable_postgres_error_names_the_setting_and_hides_the_password(monkeypatch):
    dsn = "host=127.0.0.1 port=1 user=u password=s3cr3t-pw dbname=x connect_timeout=2"
    with pytest.raises(warehouse.WarehouseError) as info, warehouse.connect(dsn):
        pass
    assert "HOOPS_POSTGRES_DSN" in str(info.value) and "s3cr3t-pw" not in str(info.value)
    assert "s3cr3t-pw" not in warehouse.describe(dsn)


def test_airflow_connection_is_used_when_no_dsn_is_set(monkeypatch):
    monkeypatch.delenv("HOOPS_POSTGRES_DSN", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_HOOPS_POSTGRES", "postgresql://bob:pw@db.example:5433/wh")
    assert warehouse.dsn() == "host=db.example port=5433 user=bob password=pw dbname=wh"
