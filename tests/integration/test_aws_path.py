"""The AWS path end to end under moto: the lake on S3, checkpoints in DynamoDB, the Glue crawlers and the
Athena checks, with the same DAGs (dag.test() runs tasks in this process, so `mock_aws` reaches them).

moto's Glue crawler never reaches READY, so the sensor's poke is replaced here by a stand-in that checks
the crawler was started; production keeps the real sensor.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from devkit.replay import ReplayServer
from hoops.cbbd import checkpoints, gold, silver
from tests.integration.dagrun import ny_morning, run

BUCKET = "hoops-edge"
REGION = "us-east-1"
KEY = "aws-path-test-key"
SEASON = 2024
LAYERS = ("silver", "gold", "ref")


@pytest.fixture(scope="module")
def cbbd_server():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=KEY, cbbd_plays_per_game=40) as server:
        yield server


@pytest.fixture
def aws(monkeypatch, warehouse_dsn, cbbd_server, tmp_path, moto_atomic_updates):
    """moto S3/DynamoDB/Glue/Athena with what Terraform would have made (the bucket is an input)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "HOOPS_LAKE_URI": f"s3://{BUCKET}",
        "HOOPS_CHECKPOINTS": "dynamodb",
        "CBBD_CHECKPOINT_TABLE": "cbbd_checkpoints",
        "HOOPS_CATALOG": "glue",
        "HOOPS_ATHENA_POLL_S": "0",
        "CBBD_API_KEY": KEY,
        "CBBD_BASE_URL": cbbd_server.base_url,
        "HOOPS_CBBD_RPS": "0",
        "HOOPS_TODAY": "2025-01-15",
        "HOOPS_DUCKDB_CATALOG": str(tmp_path / "unused.duckdb"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        checkpoints.ensure_table(boto3.client("dynamodb"), "cbbd_checkpoints")
        glue = boto3.client("glue")
        for layer in LAYERS:
            glue.create_database(DatabaseInput={"Name": f"hoops_{layer}"})
            glue.create_crawler(
                Name=f"hoops_{layer}",
                Role="arn:aws:iam::123456789012:role/hoops-lake-worker",
                DatabaseName=f"hoops_{layer}",
                Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/{layer}/"}]},
            )
        boto3.client("athena").create_work_group(
            Name="hoops", Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/athena/"}}
        )
        yield cbbd_server


@pytest.fixture
def crawls(monkeypatch):
    """Replaces only the crawler wait (the sensor's poke): records each crawler it waited for, which must
    be running (started by the operator), and reports the crawl as succeeded."""
    from airflow.providers.amazon.aws.sensors.glue_crawler import GlueCrawlerSensor

    waited: list[str] = []

    def poke(self, context) -> bool:
        state = boto3.client("glue").get_crawler(Name=self.crawler_name)["Crawler"]["State"]
        assert state == "RUNNING", f"{self.crawler_name} was not started ({state})"
        waited.append(self.crawler_name)
        return True

    monkeypatch.setattr(GlueCrawlerSensor, "poke", poke)
    return waited


def objects() -> dict[str, bytes]:
    s3 = boto3.client("s3")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    ]
    return {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


def data(found: dict[str, bytes]) -> dict[str, bytes]:
    """The lake's data: not the run's bookkeeping (meta/, tmp/) nor Athena's query results."""
    return {k: v for k, v in found.items() if k.split("/")[0] not in ("meta", "tmp", "athena")}


def athena_queries() -> list[dict]:
    client = boto3.client("athena")
    ids = client.list_query_executions(WorkGroup="hoops")["QueryExecutionIds"]
    return [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


def checkpoint_items() -> int:
    """Request checkpoints only: the call counters share the table under `#`-prefixed keys."""
    found = boto3.client("dynamodb").scan(
        TableName="cbbd_checkpoints",
        Select="COUNT",
        FilterExpression="NOT begins_with(pk, :counter)",
        ExpressionAttributeValues={":counter": {"S": "#"}},
    )
    return found["Count"]


def test_backfill_on_s3_dynamodb_glue_and_athena_and_a_rerun_adds_nothing(dagbag, aws, crawls):
    when = dt.datetime(2025, 1, 15, 5, tzinfo=ZoneInfo("America/New_York"))
    outcome = run(dagbag, "cbbd_backfill", when, {"seasons": [SEASON]})
    assert outcome.state == "success", outcome.tasks

    found = objects()
    patterns = {
        "raw": rf"raw/cbbd/games/season={SEASON}/asof=2025-01-15/[0-9a-f]+\.json\.gz",
        "bronze": rf"bronze/plays_date/season={SEASON}/asof=2025-01-15/part-[0-9a-f]+\.parquet",
        "silver": rf"silver/fct_games/season={SEASON}/part-0000\.parquet",
        "dimension": r"silver/dim_teams/part-0000\.parquet",
        "gold": rf"gold/team_quality_daily/season={SEASON}/part-0000\.parquet",
        "ref": r"ref/team_mapping/.+\.parquet",
        "summary": r"meta/latest/cbbd_backfill\.json",
    }
    for what, pattern in patterns.items():
        assert any(re.fullmatch(pattern, k) for k in found), f"no {what} object like {pattern}"
    for name in (*silver.TABLES, *gold.TABLES):
        assert any(k.startswith((f"silver/{name}/", f"gold/{name}/")) for k in found), name
    summary = json.loads(found["meta/latest/cbbd_backfill.json"])
    assert summary["status"] == "success" and summary["validation"]["errors"] == 0
    assert checkpoint_items() == summary["calls_used"] > 0  # one checkpoint per call, all in DynamoDB
    counted = checkpoints.DynamoCheckpoints().run_calls(summary["run_id"])  # counted as made, in DynamoDB
    assert sum(counted.values()) == summary["calls_used"] == sum(s.status == 200 for s in aws.cbbd.served)

    assert sorted(crawls) == [f"hoops_{layer}" for layer in sorted(LAYERS)]  # each touched layer, once

    queries = athena_queries()
    assert queries and all(q["Status"]["State"] == "SUCCEEDED" for q in queries)
    assert {q["WorkGroup"] for q in queries} == {"hoops"}
    assert all(
        q["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{BUCKET}/athena/") for q in queries
    )
    text = "\n".join(q["Query"] for q in queries)
    assert '"hoops_silver"."fct_plays"' in text and '"hoops_gold"."game_features"' in text
    assert "duplicate_keys" in text and "row_count" in text

    served = len(aws.cbbd.served)
    again = run(dagbag, "cbbd_backfill", when, {"seasons": [SEASON]})
    assert again.state == "success", again.tasks
    assert len(aws.cbbd.served) == served  # DynamoDB checkpoints: not one call
    after = objects()
    assert data(after) == data(found)  # same keys, same bytes
    assert checkpoint_items() == summary["calls_used"]
    assert len(crawls) == 2 * len(LAYERS)


def test_an_athena_finding_fails_the_run_with_the_table_named(dagbag, aws, crawls):
    """moto answers every query with no rows unless results are queued: the first query (a primary-key
    check) reports duplicates, as Athena would, and the run must fail."""
    from moto.athena.models import QueryResults, athena_backends

    header = [{"VarCharValue": c} for c in ("season", "duplicate_keys", "null_key_rows")]
    found = [{"VarCharValue": v} for v in (str(SEASON), "3", "0")]
    backend = athena_backends["123456789012"][REGION]
    backend.query_results_queue.append(QueryResults(rows=[{"Data": header}, {"Data": found}], column_info=[]))
    outcome = run(dagbag, "cbbd_incremental", ny_morning(dt.date(2024, 1, 20), 0), {"window_days": 2})
    assert outcome.state == "failed"
    assert outcome.tasks["validate"] == "success" and outcome.tasks["summary"] == "failed"
    summary = json.loads(objects()["meta/latest/cbbd_incremental.json"])
    assert summary["status"] != "success"
    findings = summary["validation"]["findings"]
    assert [f["check"] for f in findings] == ["primary_key"]
    assert findings[0]["message"].startswith(f"season {SEASON}: 3 duplicated keys")


def test_the_barttorvik_dag_keeps_its_raw_file_in_s3(dagbag, aws, replay):
    outcome = run(dagbag, "barttorvik_daily", ny_morning(dt.date(2020, 3, 13)))
    assert outcome.state == "success", outcome.tasks
    raw = [k for k in objects() if k.startswith("raw/barttorvik/")]
    assert raw and all("20200312" in k or "2020-03-13" in k for k in raw), raw


def test_glue_catalog_with_a_local_lake_is_refused_before_any_call(dagbag, aws, monkeypatch, tmp_path):
    monkeypatch.setenv("HOOPS_LAKE_URI", (tmp_path / "lake").as_uri())
    served = len(aws.cbbd.served)
    outcome = run(dagbag, "cbbd_backfill", ny_morning(dt.date(2025, 1, 15)), {"seasons": [SEASON]})
    assert outcome.state == "failed" and outcome.tasks["prepare"] == "failed"
    assert len(aws.cbbd.served) == served and not (tmp_path / "lake").exists()


def test_gold_refresh_rebuilds_on_s3_and_crawls_gold(dagbag, aws, crawls):
    """A manual gold_refresh (no events) rebuilds every season with silver, byte for byte what the
    backfill wrote, and no gold for a season without silver (the current one here); then crawls gold."""
    when = dt.datetime(2025, 1, 15, 5, tzinfo=ZoneInfo("America/New_York"))
    assert run(dagbag, "cbbd_backfill", when, {"seasons": [SEASON]}).state == "success"
    gold = {k: v for k, v in objects().items() if k.startswith("gold/")}
    assert gold
    s3 = boto3.client("s3")
    for key in gold:
        s3.delete_object(Bucket=BUCKET, Key=key)
    crawls.clear()

    outcome = run(dagbag, "gold_refresh", dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC))
    assert outcome.state == "success", outcome.tasks
    assert crawls == ["hoops_gold"]
    assert {k: v for k, v in objects().items() if k.startswith("gold/")} == gold
    assert not any("season=2025" in k for k in gold)
