"""Split builds (fct_plays by play id, fct_lineups by team) in ranges under a small DuckDB memory limit:
every play in bronze twice (a copied asof folder, as overlapping daily windows leave it) gives the rows
built from one copy, in order. One query over all of bronze ran out of memory here."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hoops.cbbd import silver
from hoops.lake import LocalLake


def _plays(root):
    return pq.read_table(root / "silver/fct_plays/season=2024/part-0000.parquet").drop_columns(["asof"])


@pytest.fixture
def small_parts(bronze_lake, monkeypatch):
    """Parts of a fifth of the season's bronze plays; returns the cuts each split build used."""
    footers = [pq.read_metadata(f) for f in (bronze_lake / "bronze").glob("plays_*/season=2024/**/*.parquet")]
    size = sum(m.row_group(g).total_byte_size for m in footers for g in range(m.num_row_groups))
    monkeypatch.setattr(silver, "PART_BYTES", size // 5)
    used, cuts = [], silver._cuts

    def recorded(footers, parts):
        used.append(cuts(footers, parts))
        return used[-1]

    monkeypatch.setattr(silver, "_cuts", recorded)
    return used


def test_plays_twice_in_bronze_build_in_parts_within_a_small_memory_limit(
    bronze_lake, monkeypatch, small_parts
):
    monkeypatch.setenv("HOOPS_DUCKDB_MEMORY_LIMIT", "40MB")
    lake = LocalLake(bronze_lake)
    once = silver.build(lake, tables=["fct_plays"])["fct_plays"]
    expected = _plays(bronze_lake)
    for folder in (bronze_lake / "bronze").glob("plays_*/season=2024/asof=*"):
        shutil.copytree(folder, folder.with_name("asof=2099-01-01"))

    twice = silver.build(lake, tables=["fct_plays"])["fct_plays"]

    assert len(small_parts[0]) >= 3 and len(small_parts[1]) >= 8  # bronze twice: twice the parts
    assert twice["rows"] == once["rows"] == expected.num_rows > 0
    assert twice["duplicates_removed"] == once["duplicates_removed"] + once["rows"]
    assert _plays(bronze_lake).equals(expected)


def _rewrite(path, table, **options):
    pq.write_table(table, path, **options)


def test_a_bronze_file_without_statistics_is_read_by_every_part(bronze_lake, small_parts):
    """Parts skip the files whose footer puts them outside their id range; a file whose footer can't say
    (written without statistics) must still reach the part holding its plays."""
    lake = LocalLake(bronze_lake)
    silver.build(lake, tables=["fct_plays"])
    expected = _plays(bronze_lake)
    files = sorted((bronze_lake / "bronze/plays_date/season=2024").rglob("*.parquet"))
    for path in files[::2]:
        _rewrite(path, pq.read_table(path), write_statistics=False)
    assert not pq.read_metadata(files[0]).row_group(0).column(0).is_stats_set

    silver.build(lake, tables=["fct_plays"])

    assert len(small_parts[1]) >= 2 and _plays(bronze_lake).equals(expected)


def test_a_play_without_an_id_is_refused_by_its_part_and_nothing_is_written(bronze_lake, small_parts):
    """Each part checks the primary key as it is built (ranges share no key): a play whose id is NULL goes
    to the first part, is refused there naming the table, and the lake keeps the previous object."""
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


def test_lineups_build_by_team_in_parts_as_in_one_query(bronze_lake, monkeypatch, small_parts):
    """fct_lineups (wide rows) is split by team: the parts joined equal the table built in one query."""
    lake = LocalLake(bronze_lake)
    table = silver.TABLES["fct_lineups"]
    whole = silver.build_table(lake, silver.SilverTable(table.name, table.sources, table.primary_key))
    expected = pq.read_table(bronze_lake / "silver/fct_lineups/season=2024/part-0000.parquet")
    monkeypatch.setattr(silver, "PART_BYTES", 1)

    split = silver.build(lake, tables=["fct_lineups"])["fct_lineups"]

    assert len(small_parts[-1]) >= 3 and whole["rows"] > 0
    assert {k: split[k] for k in ("rows", "duplicates_removed")} == {
        k: whole[k] for k in ("rows", "duplicates_removed")
    }
    built = pq.read_table(bronze_lake / "silver/fct_lineups/season=2024/part-0000.parquet")
    assert built.to_pylist() == expected.to_pylist()  # values and order (one query marks columns NOT NULL)


def _footer(low, high, size):
    return silver._Footer(f"k{low}", size, size, low, high)


@pytest.mark.parametrize(
    ("footers", "parts", "expected"),
    [
        ([_footer(1, 100, 100), _footer(101, 200, 100)], 2, [100]),  # evenly spread: the halfway value
        ([_footer(1, 100, 300), _footer(101, 200, 100)], 2, [67]),  # the heavy object is cut inside
        ([_footer(7, 7, 50), _footer(8, 8, 50), _footer(9, 9, 50)], 3, [7, 8]),  # one value per object
        ([_footer(5, 5, 900), _footer(6, 6, 10)], 4, [5]),  # a value can't be split: fewer parts
        ([silver._Footer("no-stats", 10, 10), _footer(1, 10, 10)], 2, [5]),  # unbounded: not counted
        ([_footer(1, 10, 10)], 1, []),
    ],
)
def test_cuts_balance_the_bytes_the_footers_report(footers, parts, expected):
    assert silver._cuts(footers, parts) == expected
