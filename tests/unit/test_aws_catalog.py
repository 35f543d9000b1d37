"""The Glue/Athena side of the catalog: names, configuration checks and reading Athena's answers."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from hoops import aws_catalog, checks
from hoops.checks import in_athena, in_duckdb
from hoops.lake import open_lake


def test_crawlers_and_checks_follow_the_catalog_and_the_terraform_names(monkeypatch):
    monkeypatch.setenv("HOOPS_CATALOG", "duckdb")
    assert aws_catalog.crawlers() == [] and checks.checker() is in_duckdb.check_lake
    assert checks.engine() == "duckdb"
    monkeypatch.setenv("HOOPS_CATALOG", "glue")
    assert checks.checker() is in_athena.check_lake and checks.engine() == "athena"
    assert aws_catalog.crawlers() == ["hoops_silver", "hoops_gold", "hoops_ref"]
    assert aws_catalog.crawlers(("gold", "bronze")) == ["hoops_gold"]  # bronze is never crawled
    monkeypatch.setenv("HOOPS_GLUE_DATABASE_PREFIX", "edge")
    assert aws_catalog.crawlers() == ["edge_silver", "edge_gold", "edge_ref"]


@pytest.mark.parametrize(
    ("catalog", "uri", "message"),
    [
        ("glue", "file:///tmp/lake", "needs the lake on S3"),
        ("hive", "s3://hoops-edge", "must be 'duckdb' or 'glue'"),
    ],
)
def test_a_catalog_that_cannot_work_is_refused(monkeypatch, catalog, uri, message):
    monkeypatch.setenv("HOOPS_CATALOG", catalog)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(aws_catalog.CatalogError, match=message):
        aws_catalog.check_configuration(open_lake(uri))


def test_athena_results_go_under_the_lake_unless_configured(monkeypatch):
    monkeypatch.setenv("HOOPS_LAKE_URI", "s3://hoops-edge/lake")
    from hoops import settings

    assert settings.athena_output() == "s3://hoops-edge/lake/athena/"
    monkeypatch.setenv("HOOPS_ATHENA_OUTPUT", "s3://results/x/")
    assert settings.athena_output() == "s3://results/x/"


def test_queries_run_in_the_workgroup_and_rows_come_back_as_numbers(monkeypatch):
    """Against moto's Athena: the header row is dropped, values become ints, empty cells None."""
    from moto.athena.models import QueryResults, athena_backends

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("HOOPS_LAKE_URI", "s3://hoops-edge")
    monkeypatch.setenv("HOOPS_ATHENA_WORKGROUP", "analytics")
    monkeypatch.setenv("HOOPS_ATHENA_POLL_S", "0")
    with mock_aws():
        boto3.client("athena").create_work_group(Name="analytics")
        cells = [["season", "duplicate_keys", "null_key_rows"], ["2024", "2", "0"], ["", "1", "5"]]
        rows = [{"Data": [{"VarCharValue": v} if v else {} for v in r]} for r in cells]
        athena_backends["123456789012"]["us-east-1"].query_results_queue.append(
            QueryResults(rows=rows, column_info=[])
        )
        answers = in_athena.Athena().run([("hoops_silver", "SELECT 1"), ("hoops_gold", "SELECT 2")])
        assert [r for _, r in answers] == [[[2024, 2, 0], [None, 1, 5]], []]
        executions = [
            boto3.client("athena").get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            for qid, _ in answers
        ]
    assert [e["QueryExecutionContext"]["Database"] for e in executions] == ["hoops_silver", "hoops_gold"]
    assert {e["WorkGroup"] for e in executions} == {"analytics"}


def test_a_failed_query_is_reported_with_athenas_reason(monkeypatch):
    """moto cannot fail a query, so this stands in for Athena's answers to one that did."""
    monkeypatch.setenv("HOOPS_ATHENA_OUTPUT", "s3://results/athena/")  # a deployment names its lake or this

    class FailingAthena:
        def run_query(self, **_):
            return "q-1"

        def poll_query_status(self, qid, sleep_time=None):
            return "FAILED"

        def get_state_change_reason(self, qid):
            return "TABLE_NOT_FOUND: line 1:15: Table 'hoops_silver.fct_games' does not exist"

    assert in_athena.Athena(FailingAthena()).run([("hoops_silver", "SELECT 1")]) == [
        ("q-1", "FAILED: TABLE_NOT_FOUND: line 1:15: Table 'hoops_silver.fct_games' does not exist")
    ]


def test_partitioned_checks_read_only_the_seasons_near_the_run():
    relation = in_athena._relation("silver", "fct_games", True, [2023, 2024, 2025])
    assert relation == (
        '(SELECT * FROM "hoops_silver"."fct_games" WHERE CAST(season AS INTEGER) IN (2023, 2024, 2025)) AS t'
    )
    assert in_athena._relation("silver", "dim_teams", False, [2024]) == '"hoops_silver"."dim_teams"'
