"""`hoops validate`: quiet on a good lake, non-zero with a readable report when something is off."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from devkit import cli
from hoops.cbbd import silver, tables
from hoops.checks.findings import report
from hoops.checks.in_duckdb import check_lake
from hoops.lake import LocalLake


@pytest.fixture
def silver_lake(bronze_lake):
    silver.build(LocalLake(bronze_lake), seasons=[2024])
    return bronze_lake


def _copy_season(root, table: str, season: int, keep_share: float = 1.0, blank: str | None = None) -> None:
    """Copy the 2024 partition of a silver table to `season`, keeping a share of rows or blanking a column."""
    src = root / "silver" / table / "season=2024" / "part-0000.parquet"
    dst = root / "silver" / table / f"season={season}" / "part-0000.parquet"
    dst.parent.mkdir(parents=True, exist_ok=True)
    select = f"* REPLACE ({season} AS season{f', NULL AS {blank}' if blank else ''})"
    duckdb.sql(
        f"COPY (SELECT {select} FROM read_parquet('{src}') USING SAMPLE {keep_share * 100}% (reservoir, 7)) "
        f"TO '{dst}' (FORMAT parquet)"
    )


def test_a_freshly_built_lake_passes(silver_lake, capsys):
    assert check_lake(LocalLake(silver_lake), tables.declared(), seasons=[2024]) == []
    assert cli.main(["validate", "--season", "2024"]) == 0
    assert "no run summary yet" in capsys.readouterr().out  # a warning, not a failure


def test_duplicated_keys_are_reported_as_errors(silver_lake):
    path = silver_lake / "silver" / "fct_games" / "season=2024" / "part-0000.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_parquet('{path}') UNION ALL "
        f"SELECT * FROM read_parquet('{path}') LIMIT 1000) TO '{path}.tmp' (FORMAT parquet)"
    )
    shutil.move(f"{path}.tmp", path)
    findings = check_lake(LocalLake(silver_lake), tables.declared(), seasons=[2024])
    assert [(f.level, f.check, f.table) for f in findings] == [("error", "primary_key", "fct_games")]
    assert "duplicated keys" in report(findings)


def test_a_season_with_far_fewer_rows_than_its_neighbours_is_an_error(silver_lake, monkeypatch):
    monkeypatch.setenv("HOOPS_TODAY", "2026-01-15")
    _copy_season(silver_lake, "fct_plays", 2022)
    _copy_season(silver_lake, "fct_plays", 2023, keep_share=0.2)
    findings = check_lake(LocalLake(silver_lake), tables.declared(), seasons=[2023])
    assert any(
        f.check == "row_count" and f.table == "fct_plays" and "season 2023" in f.message for f in findings
    )
    assert not any(f.check == "row_count" and "season 2022" in f.message for f in findings)


def test_a_column_that_went_empty_is_an_error(silver_lake, monkeypatch):
    monkeypatch.setenv("HOOPS_TODAY", "2026-01-15")
    _copy_season(silver_lake, "fct_games", 2022)
    _copy_season(silver_lake, "fct_games", 2023, blank="home_points")
    findings = check_lake(LocalLake(silver_lake), tables.declared(), seasons=[2023])
    assert [(f.check, f.table) for f in findings] == [("null_rate", "fct_games")]
    assert "home_points" in findings[0].message


def test_the_command_exits_non_zero_on_a_bad_last_run(silver_lake, capsys):
    summary = {
        "dag_id": "cbbd_backfill",
        "run_id": "r1",
        "status": "incomplete_quota",
        "written_at": "x",
        "deadletter_count": 2,
        "calls_deferred": 0,
    }
    (silver_lake / "meta" / "latest").mkdir(parents=True)
    (silver_lake / "meta" / "latest" / "cbbd_backfill.json").write_text(json.dumps(summary))
    assert cli.main(["validate"]) == 1
    out = capsys.readouterr().out
    assert "last run status incomplete_quota" in out and "2 requests in deadletter/" in out
