"""The lake checks in Athena (moto's), end to end: the tables present in the lake are queried in their Glue
databases, and the answers become findings."""

from __future__ import annotations

import datetime as dt

import boto3
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends

from hoops.checks.in_athena import check_lake
from hoops.checks.tables import Declared
from hoops.lake import LocalLake

TABLES = {
    "fct_games": Declared("silver", ("game_id",), True),
    "dim_teams": Declared("silver", ("team_id",), False),
    "team_quality_daily": Declared("gold", ("team_id", "day"), True),  # no objects: not queried
}


def _answer(*cells: list[str]) -> QueryResults:
    return QueryResults(rows=[{"Data": [{"VarCharValue": v} for v in row]} for row in cells], column_info=[])


def test_answers_become_findings_for_the_seasons_checked(tmp_path, monkeypatch):
    lake = LocalLake(tmp_path / "lake")
    for key in (
        "silver/fct_games/season=2023/part-0000.parquet",
        "silver/fct_games/season=2024/part-0000.parquet",
        "silver/dim_teams/part-0000.parquet",
    ):
        lake.put(key, b"PAR1")  # only listed here: Athena reads the tables
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("HOOPS_ATHENA_OUTPUT", "s3://results/athena/")
    monkeypatch.setenv("HOOPS_ATHENA_POLL_S", "0")
    with mock_aws():
        boto3.client("athena").create_work_group(Name="hoops")
        queue = athena_backends["123456789012"]["us-east-1"].query_results_queue
        pk_header = ["season", "duplicate_keys", "null_key_rows"]
        queue.append(_answer(pk_header, ["2024", "3", "0"]))  # fct_games: primary key
        queue.append(_answer(["season", "rows"], ["2023", "6000"], ["2024", "900"]))  # fct_games: counts
        queue.append(_answer(pk_header))  # dim_teams: primary key, clean
        findings = check_lake(lake, TABLES, seasons=[2024], today=dt.date(2026, 1, 15))
        athena = boto3.client("athena")
        ids = athena.list_query_executions()["QueryExecutionIds"]
        contexts = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    assert [(f.level, f.check, f.table) for f in findings] == [
        ("error", "primary_key", "fct_games"),
        ("error", "row_count", "fct_games"),
    ]
    assert "season 2024: 3 duplicated keys" in findings[0].message
    assert "season 2024: 900 rows, neighbouring seasons have ~6000" in findings[1].message
    databases = sorted(c["QueryExecutionContext"]["Database"] for c in contexts)
    assert databases == ["hoops_silver"] * 3  # gold has no objects: nothing asked of it
