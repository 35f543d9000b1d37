"""Silver over the small 2024 bronze season: every table builds, keys hold, reruns change nothing, the latest
snapshot wins, repeated plays collapse, and a broken key is refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from hoops.cbbd import silver
from hoops.lake import LocalLake


def _objects(root: Path, prefix: str) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / prefix).rglob("*.parquet")}


def _read(root: Path, table: str) -> duckdb.DuckDBPyRelation:
    """A table as readers see it: the season of a partitioned table comes from its `season=` folder."""
    partitioned = silver.TABLES[table].partitioned
    return duckdb.read_parquet(
        str(root / "silver" / table / "**" / "*.parquet"), hive_partitioning=partitioned
    )


def _key_violations(root: Path, table: silver.SilverTable) -> tuple[int, int]:
    """(duplicated keys, rows with a NULL key part) in a table's written objects, season included."""
    key = ("season", *table.primary_key) if table.partitioned else table.primary_key
    columns = ", ".join(f'"{c}"' for c in key)
    nulls = " OR ".join(f'"{c}" IS NULL' for c in key)
    return (
        _read(root, table.name)
        .query(
            "t",
            f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {columns} FROM t)), "
            f"count(*) FILTER (WHERE {nulls}) FROM t",
        )
        .fetchall()[0]
    )


def test_every_table_builds_with_unique_keys_and_a_rerun_rewrites_the_same_bytes(bronze_lake):
    lake = LocalLake(bronze_lake)
    fed = {
        name
        for name, t in silver.TABLES.items()
        if any(
            next(lake.list(f"bronze/{ep}/" if t.partitioned else f"bronze/{ep}/season=all/"), None)
            for ep in t.sources
        )
    }
    assert {"fct_games", "fct_plays", "fct_game_players", "dim_teams", "fct_ratings_adjusted"} <= fed

    first = silver.build(lake)
    assert set(first) == set(silver.TABLES)
    for name in fed:
        assert first[name]["rows"] > 0 and first[name]["objects"] == 1, name
        assert _key_violations(bronze_lake, silver.TABLES[name]) == (0, 0), name
        assert _read(bronze_lake, name).count("*").fetchall()[0][0] == first[name]["rows"], name
    assert (bronze_lake / "silver/fct_games/season=2024/part-0000.parquet").is_file()
    for path in (bronze_lake / "silver").glob(
        "*/season=*/*.parquet"
    ):  # Athena: no column named like a folder
        assert "season" not in pq.read_schema(path).names, path
    assert (bronze_lake / "silver/dim_teams/part-0000.parquet").is_file()

    before = _objects(bronze_lake, "silver")
    assert silver.build(lake) == first
    assert _objects(bronze_lake, "silver") == before


def test_a_season_without_bronze_writes_nothing_but_dimensions_still_build(bronze_lake):
    lake = LocalLake(bronze_lake)
    assert silver.bronze_seasons(lake) == [2024]
    built = silver.build(lake, seasons=[2023], tables=["fct_games", "dim_venues"])
    assert built["fct_games"] == {"rows": 0, "objects": 0, "bytes": 0, "duplicates_removed": 0}
    assert built["dim_venues"]["objects"] == 1
    assert not (bronze_lake / "silver" / "fct_games").exists()


def test_the_latest_snapshot_of_a_record_wins(bronze_lake):
    source = sorted((bronze_lake / "bronze/games/season=2024/asof=2025-01-15").glob("*.parquet"))[0]
    games = pq.read_table(source)
    game = games.filter(pc.equal(games["id"], games["id"][0]))
    game_id, points = game["id"][0].as_py(), game["homePoints"][0].as_py()
    later = bronze_lake / "bronze/games/season=2024/asof=2025-02-01" / source.name
    later.parent.mkdir(parents=True)
    pq.write_table(
        game.set_column(
            game.schema.get_field_index("homePoints"), "homePoints", pc.add(game["homePoints"], 7)
        ),
        later,
    )

    built = silver.build(LocalLake(bronze_lake), tables=["fct_games"])

    assert built["fct_games"]["duplicates_removed"] == 1
    rows = (
        _read(bronze_lake, "fct_games")
        .filter(f"game_id = {game_id}")
        .select('home_points, CAST("asof" AS VARCHAR)')
        .fetchall()
    )
    assert rows == [(points + 7, "2025-02-01")]
    others = _read(bronze_lake, "fct_games").filter(f"game_id <> {game_id}").select('max("asof")').fetchall()
    assert str(others[0][0]) == "2025-01-15"


def test_plays_repeated_across_bronze_files_are_kept_once(bronze_lake):
    lake = LocalLake(bronze_lake)
    once = silver.build(lake, tables=["fct_plays"])["fct_plays"]
    source = sorted((bronze_lake / "bronze/plays_date/season=2024").rglob("*.parquet"))[0]
    repeated = pq.read_metadata(source).num_rows
    (source.parent / "part-overlapping-window.parquet").write_bytes(source.read_bytes())

    twice = silver.build(lake, tables=["fct_plays"])["fct_plays"]

    assert repeated > 0 and twice["rows"] == once["rows"]
    assert twice["duplicates_removed"] == once["duplicates_removed"] + repeated
    assert _key_violations(bronze_lake, silver.TABLES["fct_plays"]) == (0, 0)


@pytest.mark.parametrize("breakage", ["key declared too coarse", "sql yields null keys"])
def test_a_broken_primary_key_is_refused_naming_the_table_and_nothing_is_written(
    bronze_lake, monkeypatch, breakage
):
    name = "fct_games" if breakage == "key declared too coarse" else "dim_conferences"
    silver.build(LocalLake(bronze_lake), tables=[name])  # a good build first: it must survive the bad one
    before = {p: p.read_bytes() for p in (bronze_lake / "silver").rglob("*.parquet")}
    if breakage == "key declared too coarse":
        monkeypatch.setitem(silver.TABLES, name, silver.SilverTable(name, ("games",), ("season_type",)))
    else:
        monkeypatch.setattr(
            silver,
            "sql_text",
            lambda layer, table: (
                "SELECT CAST(NULL AS INTEGER) AS conference_id, name FROM bronze_conferences"
            ),
        )
    with pytest.raises(silver.SilverError, match=name):
        silver.build(LocalLake(bronze_lake), tables=[name])
    after = {p: p.read_bytes() for p in (bronze_lake / "silver").rglob("*.parquet")}
    assert after == before and before  # the bad output never reached the lake
