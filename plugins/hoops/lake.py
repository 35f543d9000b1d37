"""The object store behind the lakehouse: `file://` (local profiles, tests) or `s3://` (AWS).

Keys are plain relative paths (`raw/barttorvik/...`). Writes are atomic: a local file is written to a
temporary name in the same folder and renamed; an S3 PUT is atomic by itself. So a reader never sees a
half-written object, and rewriting the same key with the same bytes is a no-op in effect.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from hoops import settings


class LakeError(RuntimeError):
    """A lake URI or object access that cannot work; the message says which and why."""


class Lake:
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str: ...
    def get(self, key: str) -> bytes: ...

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        """Store the file at `path` under `key` (same atomicity as `put`), without holding it in memory:
        a season's plays table is larger than a small worker can spare."""
        return self.put(key, Path(path).read_bytes(), content_type)

    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str) -> Iterator[str]: ...
    def uri(self, key: str) -> str: ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise LakeError(f"invalid lake key {key!r}: keys are relative paths without '.' or '..' parts")
    return key


class LocalLake(Lake):
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        return self._write_atomically(key, lambda fh: fh.write(data))

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        def copy(fh) -> None:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, fh, 1 << 20)

        return self._write_atomically(key, copy)

    def _write_atomically(self, key: str, write) -> str:
        """A temporary file beside the object, synced, then renamed: readers never see half an object."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as exc:
            raise LakeError(f"cannot write {self.uri(key)}: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.uri(key)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[str]:
        base = self.root / prefix.rstrip("/") if prefix else self.root
        if not base.exists():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()

    def uri(self, key: str) -> str:
        return (self.root / key).as_uri()


class S3Lake(Lake):
    def __init__(self, bucket: str, prefix: str = ""):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        # credentials as for Glue and Athena: the connection aws_default, else boto3's chain
        self.client = S3Hook(aws_conn_id=settings.AWS_CONN_ID, region_name=settings.aws_region()).get_conn()

    def _key(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)
        return self.uri(key)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        """A multipart upload from the file in 8 MB parts, at most 4 in flight (boto3's default is 10),
        so the upload's buffers stay small; S3 publishes the object only when every part is in."""
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(multipart_chunksize=8 << 20, max_concurrency=4)
        self.client.upload_file(
            str(path), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type}, Config=config
        )
        return self.uri(key)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under `prefix`; a trailing `/` lists a folder (`bronze/games/` not `bronze/games_x`)."""
        folder = "/" if prefix.endswith("/") else ""
        if prefix.rstrip("/"):
            full = self._key(prefix.rstrip("/")) + folder
        else:
            full = f"{self.prefix}/" if self.prefix else ""
        strip = len(self.prefix) + 1 if self.prefix else 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
            for obj in page.get("Contents", []):
                yield obj["Key"][strip:]

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def open_lake(uri: str | None = None) -> Lake:
    """The lake named by `uri`, else by `HOOPS_LAKE_URI`; without either, LakeError naming the variable."""
    if not uri:
        try:
            uri = settings.lake_uri()
        except settings.ConfigError as exc:
            raise LakeError(str(exc)) from None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return LocalLake(Path(parsed.path))
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Lake(parsed.netloc, parsed.path)
    raise LakeError(
        f"HOOPS_LAKE_URI={uri!r} is not supported: use file:///absolute/path or s3://bucket[/prefix]"
    )
