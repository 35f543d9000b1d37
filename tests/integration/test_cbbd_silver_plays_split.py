"""fct_plays built in id ranges under a small DuckDB memory limit: every play in bronze twice (a copied asof
folder, as overlapping daily windows leave it) gives the rows built from one copy, in order. One query over
all of bronze ran out of memory here."""

from __future__ import annotations

import shutil

import pyarrow.parquet as pq

from hoops.cbbd import silver
from hoops.lake import LocalLake


def _plays(root):
    return pq.read_table(root / "silver/fct_plays/season=2024/part-0000.parquet").drop_columns(["asof"])


def test_plays_twice_in_bronze_build_in_parts_within_a_small_memory_limit(bronze_lake, monkeypatch):
    monkeypatch.setenv("HOOPS_DUCKDB_MEMORY_LIMIT", "40MB")
    monkeypatch.setattr(silver, "PART_ROWS", 2_000, raising=False)
    lake = LocalLake(bronze_lake)
    once = silver.build(lake, tables=["fct_plays"])["fct_plays"]
    expected = _plays(bronze_lake)
    for folder in (bronze_lake / "bronze").glob("plays_*/season=2024/asof=*"):
        shutil.copytree(folder, folder.with_name("asof=2099-01-01"))

    twice = silver.build(lake, tables=["fct_plays"])["fct_plays"]

    assert twice["rows"] == once["rows"] == expected.num_rows > 2_000
    assert twice["duplicates_removed"] == once["duplicates_removed"] + once["rows"]
    assert _plays(bronze_lake).equals(expected)
