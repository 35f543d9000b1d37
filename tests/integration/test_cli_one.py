"""`hoops one`: a debugging fetch still spends the month's quota, so it is counted like a DAG run's call."""

from __future__ import annotations

import json

import psycopg

from devkit import cli


def test_one_request_is_counted_against_the_quota(
    warehouse_dsn, lake_root, replay_server, monkeypatch, capsys
):
    monkeypatch.setenv("HOOPS_PROFILE", "live")  # the test's warehouse and lake, the replay as the API
    monkeypatch.setenv("CBBD_BASE_URL", replay_server.base_url)
    monkeypatch.setenv("CBBD_API_KEY", "test-key")
    assert cli.main(["one", "--endpoint", "conferences", "--asof", "2024-01-15"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["calls"] == 1, stats
    with psycopg.connect(warehouse_dsn) as conn:
        counted = conn.execute("SELECT run_id, calls, seen_on::text FROM cbbd_calls").fetchall()
    assert counted == [("cli-one", 1, "2024-01-15")]
    assert list((lake_root / "raw").rglob("*.json.gz")), "the raw answer is kept"
