"""No silent local fallback: a DAG without configuration fails in its first task, naming what to set, and
writes nothing anywhere; the dev kit's profiles are the only way to the embedded defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.dagrun import ny_morning, run
from tests.unit.test_settings import refusing_secrets  # noqa: F401 (fixture)

DAY = dt.date(2020, 3, 12)


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No warehouse, no lake; a state folder of its own, to see that nothing lands there either."""
    for name in ("HOOPS_POSTGRES_DSN", "HOOPS_LAKE_URI", "AIRFLOW_CONN_HOOPS_POSTGRES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOOPS_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def test_without_configuration_the_first_task_fails_naming_what_to_set_and_nothing_is_written(
    dagbag, replay, nowhere, monkeypatch, capfd
):
    asked = len(replay.requests)
    capfd.readouterr()
    outcome = run(dagbag, "barttorvik_daily", ny_morning(DAY))
    assert outcome.state == "failed" and outcome.tasks["ensure_schema"] == "failed", outcome.tasks
    assert "no lake configured: set HOOPS_LAKE_URI" in capfd.readouterr().out

    lake = nowhere / "lake"
    monkeypatch.setenv("HOOPS_LAKE_URI", lake.as_uri())
    monkeypatch.setenv("CBBD_API_KEY", "unused-key")
    for dag_id, first, when in (
        ("barttorvik_daily", "ensure_schema", ny_morning(DAY)),
        ("cbbd_backfill", "prepare", dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)),
    ):
        outcome = run(dagbag, dag_id, when, {"seasons": [2024]} if dag_id == "cbbd_backfill" else {})
        assert outcome.state == "failed" and outcome.tasks[first] == "failed", outcome.tasks
        log = capfd.readouterr().out
        assert "no warehouse configured: create the Airflow connection 'hoops_postgres'" in log, dag_id
        assert "HOOPS_POSTGRES_DSN" in log
    assert not lake.exists()  # no lake folder
    assert not (nowhere / "state").exists()  # no embedded PostgreSQL, no local lake
    assert len(replay.requests) == asked  # the source was not asked


@pytest.mark.usefixtures("refusing_secrets")
def test_a_failing_connection_lookup_fails_the_first_task_as_such(dagbag, nowhere, monkeypatch, capfd):
    monkeypatch.setenv("HOOPS_LAKE_URI", (nowhere / "lake").as_uri())
    capfd.readouterr()
    outcome = run(dagbag, "barttorvik_daily", ny_morning(DAY))
    assert outcome.state == "failed" and outcome.tasks["ensure_schema"] == "failed", outcome.tasks
    log = capfd.readouterr().out
    assert "looking up the Airflow connection 'hoops_postgres' failed" in log
    assert "hoops-worker may not read hoops_postgres" in log  # the cause, chained
    assert "no warehouse configured" not in log  # not mistaken for an absent connection
    assert not (nowhere / "lake").exists() and not (nowhere / "state").exists()
