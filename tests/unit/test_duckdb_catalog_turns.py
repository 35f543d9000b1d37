"""Two refreshes of the local DuckDB catalog at once (a backfill's catalog step and gold_refresh) take
turns instead of one failing with DuckDB's "Could not set lock on file"."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time

from hoops import duckdb_catalog
from hoops.lake import open_lake

REFRESH = (
    "from hoops import duckdb_catalog; from hoops.lake import open_lake; duckdb_catalog.refresh(open_lake())"
)


def test_a_second_process_waits_for_the_catalog_instead_of_failing(tmp_path, monkeypatch):
    catalog = tmp_path / "lake.duckdb"
    monkeypatch.setenv("HOOPS_DUCKDB_CATALOG", str(catalog))
    monkeypatch.setenv("HOOPS_LAKE_URI", (tmp_path / "lake").as_uri())
    (tmp_path / "lake").mkdir()
    with open(tmp_path / "lake.duckdb.lock", "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)  # as if another refresh were writing
        other = subprocess.Popen([sys.executable, "-c", REFRESH], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # it must still be waiting for its turn, not done or failed
            assert other.poll() is None, other.stderr.read()
            time.sleep(0.2)
    assert other.wait(timeout=60) == 0, other.stderr.read()
    assert duckdb_catalog.refresh(open_lake())["views"] == []  # and the file is usable after both
