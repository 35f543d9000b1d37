from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from hoops.lake import LakeError, LocalLake, open_lake


@pytest.mark.parametrize("backend", ["file", "s3"])
def test_put_file_stores_the_file_as_put_would(backend, tmp_path, monkeypatch):
    """A multi-part-sized file lands whole under its key, the source stays, no temp file is left."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    source = tmp_path / "out.parquet"
    data = bytes(range(256)) * (40 << 10)  # 10 MB: more than one 8 MB upload part
    source.write_bytes(data)
    with mock_aws():
        if backend == "s3":
            boto3.client("s3").create_bucket(Bucket="hoops-edge")
            lake = open_lake("s3://hoops-edge/lake")
        else:
            lake = open_lake((tmp_path / "lake").as_uri())
        key = "silver/t/season=2024/part-0000.parquet"
        lake.put(key, b"older")
        assert lake.put_file(key, source, "application/vnd.apache.parquet") == lake.uri(key)
        assert lake.get(key) == data
        assert list(lake.list("silver/")) == [key]
    assert source.read_bytes() == data
    if backend == "file":
        assert [p.name for p in (tmp_path / "lake").rglob("*") if p.is_file()] == ["part-0000.parquet"]


def test_put_file_checks_the_key(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(LakeError, match="invalid lake key"):
        LocalLake(tmp_path / "lake").put_file("../x", tmp_path / "f")
