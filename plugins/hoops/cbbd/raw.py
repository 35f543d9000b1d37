"""The raw layer: every CBBD response stored as it came, before anything parses it.

`raw/cbbd/{endpoint}/season={S|all}/asof={D}/{param_hash}.json.gz` holds the body (gzipped, mtime 0 so
the same body gives the same bytes) and `….meta.json` beside it the request metadata: endpoint,
params, HTTP status, fetched_at, `X-CallLimit-Remaining`. Never the API key: it lives only in a header.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from typing import Any

from hoops import paths
from hoops.cbbd.request import Request
from hoops.lake import Lake


def raw_key(req: Request, asof: dt.date) -> str:
    return paths.cbbd_raw(req.endpoint, req.season, asof, req.param_hash)


def deadletter_key(req: Request, asof: dt.date, suffix: str) -> str:
    return paths.cbbd_deadletter(req.endpoint, req.season, asof, req.param_hash, suffix)


def write_raw(
    lake: Lake,
    req: Request,
    asof: dt.date,
    *,
    status: int,
    body: bytes,
    gzipped: bytes | None = None,
    fetched_at: dt.datetime,
    calls_remaining: int | None,
    run_id: str | None = None,
) -> str:
    key = raw_key(req, asof)
    meta: dict[str, Any] = {
        "endpoint": req.endpoint,
        "params": req.param_dict,
        "param_hash": req.param_hash,
        "season": req.season,
        "status": status,
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "fetched_at": fetched_at.isoformat(),
        "calls_remaining": calls_remaining,
        "run_id": run_id,
    }
    # The wire's gzip bytes when the server sent them (complete: the client decompressed all of them);
    # else a fast gzip, level 1 (about 2.5x the speed of level 6 on plays; mtime 0: same body, same bytes).
    data = gzipped if gzipped is not None else gzip.compress(body, compresslevel=1, mtime=0)
    lake.put(key, data, "application/gzip")
    lake.put(
        key.removesuffix(".json.gz") + ".meta.json", json.dumps(meta, indent=1).encode(), "application/json"
    )
    return key


def read_raw(lake: Lake, req: Request, asof: dt.date) -> bytes:
    return gzip.decompress(lake.get(raw_key(req, asof)))


def write_deadletter(lake: Lake, req: Request, asof: dt.date, reason: str, detail: dict[str, Any]) -> str:
    """Why a request (or some of its rows) could not be used, with enough to replay it by hand."""
    doc = {"endpoint": req.endpoint, "params": req.param_dict, "reason": reason, **detail}
    key = deadletter_key(req, asof, f"{reason}.json")
    lake.put(key, json.dumps(doc, indent=1, default=str).encode(), "application/json")
    return key
