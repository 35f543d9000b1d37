"""Raw source files: stored in the lake before anything parses them, listed in `bt_raw_artifacts`.

A rejected answer (403, challenge page, 5xx, truncated body) is kept under `deadletter/` with why.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
from typing import Any

import psycopg

from hoops import paths, settings, warehouse
from hoops.barttorvik.fetch import Fetched, NotPublished, SourceError, fetch
from hoops.barttorvik.parse import GZIP_MAGIC
from hoops.barttorvik.runs import Skipped, record_outside, record_run
from hoops.barttorvik.sources import SourceFile, source_for
from hoops.lake import Lake, open_lake

log = logging.getLogger(__name__)


def _usable_artifact(conn: psycopg.Connection, day: dt.date) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT artifact_id, sha256, source_url FROM bt_raw_artifacts WHERE snapshot_date = %s"
        " AND status IN ('STORED', 'LOADED') ORDER BY fetched_at DESC, artifact_id DESC LIMIT 1",
        (day,),
    ).fetchone()
    return {"artifact_id": row[0], "sha256": row[1], "source_url": row[2]} if row else None


def _keep(
    lake: Lake,
    key: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    *,
    day: dt.date,
    run_id: str,
    url: str,
) -> str:
    """Write one object; when the lake refuses it, record the run FAILED with why (not left RUNNING)."""
    try:
        return lake.put(key, data, content_type)
    except Exception as exc:
        record_outside(day, run_id, "FAILED", reason=f"lake_error: {exc}", source_url=url)
        raise


def _deadletter(lake: Lake, day: dt.date, run_id: str, url: str, exc: SourceError) -> None:
    """Keep the refused body and a note of why beside it, then record the run FAILED."""
    digest = hashlib.sha256(exc.body).hexdigest()
    key = paths.bt_deadletter(
        day, exc.reason, digest, "html" if "html" in exc.content_type.lower() else "bin"
    )
    uri = _keep(lake, key, exc.body, day=day, run_id=run_id, url=url)
    note = {
        "source_url": url,
        "status": exc.status,
        "content_type": exc.content_type,
        "reason": exc.reason,
        "message": str(exc),
        "bytes": len(exc.body),
        "sha256": digest,
        "at": dt.datetime.now(dt.UTC).isoformat(),
    }
    note_key = key.rsplit(".", 1)[0] + ".json"
    _keep(
        lake,
        note_key,
        json.dumps(note, indent=1).encode(),
        "application/json",
        day=day,
        run_id=run_id,
        url=url,
    )
    record_outside(day, run_id, "FAILED", reason=f"{exc.reason}: {exc}", source_url=url, deadletter_uri=uri)


def _store(
    lake: Lake, day: dt.date, run_id: str, source: SourceFile, url: str, fetched: Fetched
) -> dict[str, Any]:
    """Put the bytes (gzipped) in the lake, then list them as a STORED artifact of this run."""
    digest = hashlib.sha256(fetched.body).hexdigest()
    stored = fetched.body if fetched.body[:2] == GZIP_MAGIC else gzip.compress(fetched.body, mtime=0)
    uri = _keep(
        lake,
        paths.bt_raw(day, source.file_name, digest),
        stored,
        "application/gzip",
        day=day,
        run_id=run_id,
        url=url,
    )
    with warehouse.connect() as conn, conn.transaction():
        row = conn.execute(
            """
            INSERT INTO bt_raw_artifacts (snapshot_date, source_kind, source_url, file_date, sha256, bytes,
                                          lake_uri, http_status, status, fetched_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'STORED', %s)
            ON CONFLICT (snapshot_date, sha256) DO UPDATE SET
                status = CASE WHEN bt_raw_artifacts.status = 'LOADED' THEN 'LOADED' ELSE 'STORED' END,
                status_reason = NULL, fetched_at = EXCLUDED.fetched_at
            RETURNING artifact_id
            """,
            (
                day,
                source.kind,
                url,
                source.file_date,
                digest,
                len(fetched.body),
                uri,
                fetched.status,
                fetched.fetched_at,
            ),
        ).fetchone()
        record_run(conn, day, run_id, "RUNNING", artifact_id=row[0], source_url=url)
    log.info("stored %s bytes (sha256 %s) at %s", len(fetched.body), digest[:12], uri)
    return {"artifact_id": row[0], "sha256": digest, "source_url": url, "reused": False}


def fetch_raw(day: dt.date, run_id: str, *, refetch: bool, today: dt.date) -> dict[str, Any]:
    """Keep the source file for the date: reuse the stored artifact, or fetch and store it raw first."""
    if not refetch:
        with warehouse.connect() as conn:
            stored = _usable_artifact(conn, day)
        if stored:
            log.info(
                "reusing stored artifact %s for %s (no network; refetch=true to fetch again)",
                stored["artifact_id"],
                day,
            )
            return {**stored, "reused": True}

    cfg = settings.barttorvik()
    source = source_for(day, today)
    url = source.url(cfg.base_url)
    lake = open_lake()
    log.info("fetching %s file for %s: %s", source.kind, day, url)
    try:
        fetched = fetch(url, cfg)
    except NotPublished as exc:
        record_outside(day, run_id, "SKIPPED", reason=f"{exc.reason}: {exc}", source_url=url)
        raise Skipped(str(exc)) from None
    except SourceError as exc:
        _deadletter(lake, day, run_id, url, exc)
        raise
    return _store(lake, day, run_id, source, url, fetched)


def read_artifact(conn: psycopg.Connection, artifact_id: int) -> tuple[dt.date, bytes, str]:
    """(snapshot date, the bytes as served, source URL) of a stored artifact, checked against its sha256."""
    row = conn.execute(
        "SELECT snapshot_date, source_url, sha256 FROM bt_raw_artifacts WHERE artifact_id = %s",
        (artifact_id,),
    ).fetchone()
    if row is None:
        raise LookupError(f"artifact {artifact_id} is not in bt_raw_artifacts")
    day, url, digest = row
    stored = open_lake().get(paths.bt_raw(day, url.rsplit("/", 1)[-1], digest))
    served = stored if hashlib.sha256(stored).hexdigest() == digest else gzip.decompress(stored)
    if hashlib.sha256(served).hexdigest() != digest:
        raise ValueError(f"artifact {artifact_id} in the lake does not match its sha256 {digest[:12]}")
    return day, served, url
