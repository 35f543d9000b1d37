from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from hoops.lake import LakeError, LocalLake, S3Lake, open_lake


def test_local_lake_round_trip_without_leftover_temp_files(tmp_path):
    lake = open_lake(tmp_path.as_uri())
    uri = lake.put("raw/x/snapshot_date=2020-03-13/a.gz", b"one")
    lake.put("raw/x/snapshot_date=2020-03-13/a.gz", b"two")  # rewrite in place
    assert uri == (tmp_path / "raw/x/snapshot_date=2020-03-13/a.gz").as_uri()
    assert lake.get("raw/x/snapshot_date=2020-03-13/a.gz") == b"two"
    assert list(lake.list("raw")) == ["raw/x/snapshot_date=2020-03-13/a.gz"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.gz"]


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "raw/../../x", "raw//x", ""])
def test_keys_cannot_escape_the_lake(tmp_path, key):
    with pytest.raises(LakeError, match="invalid lake key"):
        LocalLake(tmp_path).put(key, b"x")


def test_an_unwritable_lake_gives_a_clear_error(tmp_path):
    (tmp_path / "lake").write_text("a file where the lake folder should be")  # root ignores chmod
    with pytest.raises(LakeError, match="cannot write file://"):
        LocalLake(tmp_path / "lake").put("raw/a", b"x")


def test_unsupported_uri():
    with pytest.raises(LakeError, match="not supported"):
        open_lake("ftp://x")


@mock_aws
def test_s3_lake_under_a_prefix(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3").create_bucket(Bucket="hoops-edge")
    lake = open_lake("s3://hoops-edge/lake")
    assert lake.uri("raw/a.gz") == "s3://hoops-edge/lake/raw/a.gz"
    assert not lake.exists("raw/a.gz")
    lake.put("raw/a.gz", b"abc")
    assert lake.exists("raw/a.gz") and lake.get("raw/a.gz") == b"abc"
    assert list(lake.list("raw")) == ["raw/a.gz"]


@pytest.mark.parametrize("uri", ["s3://hoops-edge", "s3://hoops-edge/lake"])
def test_s3_and_local_lakes_list_a_folder_alike(uri, tmp_path, monkeypatch):
    """A trailing `/` names a folder on both backends: `games/` does not match `games_x/`."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    keys = ["bronze/games/season=2024/a.parquet", "bronze/games_x/b.parquet", "raw/c.gz"]
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="hoops-edge")
        boto3.client("s3").put_object(Bucket="hoops-edge", Key="lakeside/x.txt", Body=b"not the lake's")
        for lake in (open_lake(uri), open_lake((tmp_path / "lake").as_uri())):
            for key in keys:
                lake.put(key, b"x")
            assert list(lake.list("bronze/games/")) == ["bronze/games/season=2024/a.parquet"]
            assert sorted(lake.list("bronze/")) == keys[:2]
            bucket_root = isinstance(lake, S3Lake) and not lake.prefix  # then the whole bucket is the lake
            assert sorted(lake.list("")) == sorted(keys + (["lakeside/x.txt"] if bucket_root else []))
