"""fct_plays built in id ranges under a small DuckDB memory limit: every play in bronze twice (a copied asof
folder, as overlapping daily windows leave it) gives the rows built from one copy, in order. One query over
all of bronze ran out of memory here."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

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


def _rewrite(path, table, **options):
    pq.write_table(table, path, **options)


def test_a_bronze_file_without_statistics_is_read_by_every_part(bronze_lake, monkeypatch):
    """Parts skip the files whose footer puts them outside their id range; a file whose footer can't say
    (written without statistics) must still reach the part holding its plays."""
    monkeypatch.setattr(silver, "PART_ROWS", 2_000, raising=False)
    lake = LocalLake(bronze_lake)
    silver.build(lake, tables=["fct_plays"])
    expected = _plays(bronze_lake)
    files = sorted((bronze_lake / "bronze/plays_date/season=2024").rglob("*.parquet"))
    for path in files:
        _rewrite(path, pq.read_table(path), write_statistics=False)
    assert not pq.read_metadata(files[0]).row_group(0).column(0).is_stats_set

    silver.build(lake, tables=["fct_plays"])

    assert _plays(bronze_lake).equals(expected)


def test_a_play_without_an_id_is_refused_by_its_part_and_nothing_is_written(bronze_lake, monkeypatch):
    """Each part checks the primary key as it is built (ranges share no key): a play whose id is NULL goes
    to the first part, is refused there naming the table, and the lake keeps the previous object."""
    monkeypatch.setattr(silver, "PART_ROWS", 2_000, raising=False)
    lake = LocalLake(bronze_lake)
    silver.build(lake, tables=["fct_plays"])
    before = (bronze_lake / "silver/fct_plays/season=2024/part-0000.parquet").read_bytes()
    source = sorted((bronze_lake / "bronze/plays_date/season=2024").rglob("*.parquet"))[-1]
    rows = pq.read_table(source)
    ids = rows.column("id").to_pylist()
    ids[len(ids) // 2] = None
    _rewrite(source, rows.set_column(rows.schema.get_field_index("id"), "id", pa.array(ids, pa.int64())))

    with pytest.raises(
        silver.SilverError, match=r"fct_plays: 0 duplicated primary keys and 1 rows with a NULL"
    ):
        silver.build(lake, tables=["fct_plays"])

    assert (bronze_lake / "silver/fct_plays/season=2024/part-0000.parquet").read_bytes() == before
