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

from hoops.cbbd.request import Request
from hoops.lake import Lake


def _prefix(layer: str, req: Request, asof: dt.date) -> str:
    season = req.season if req.season is not None else "all"
    return f"{layer}/cbbd/{req.endpoint}/season={season}/asof={asof.isoformat()}"


def raw_key(req: Request, asof: dt.date) -> str:
    return f"{_prefix('raw', req, asof)}/{req.param_hash}.json.gz"


def deadletter_key(req: Request, asof: dt.date, suffix: str) -> str:
    return f"{_prefix('deadletter', req, asof)}/{req.param_hash}.{suffix}"


def write_raw(
    lake: Lake,
    req: Request,
    asof: dt.date,
    *,
    status: int,
    body: bytes,
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
    lake.put(key, gzip.compress(body, compresslevel=6, mtime=0), "application/gzip")
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
