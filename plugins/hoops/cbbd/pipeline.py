"""The CBBD DAGs' steps as plain functions: validate the trigger, plan into batch manifests, fetch one batch.

Batches keep the Airflow map small whatever the season size: requests are grouped into at most
`MAX_BATCHES` manifests stored in the lake (`tmp/manifests/{dag_id}/{run_id}/…`), and only their keys go
through XCom. Everything is keyed by the run, so clearing a task or the whole run repeats the same work
on the same keys, and checkpoints make the repeat cost no calls.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import re
from typing import Any

from hoops import settings, warehouse
from hoops.cbbd import catalog, planner
from hoops.cbbd.checkpoints import PostgresCheckpoints, open_checkpoints
from hoops.cbbd.context import season_context
from hoops.cbbd.engine import Fetcher, QuotaStop
from hoops.cbbd.request import Request
from hoops.http import ApiClient
from hoops.lake import open_lake

MAX_BATCHES = 64  # map indexes per fetch stage: far below max_map_length (1,024), easy on the scheduler
FIRST_SEASON, LAST_SEASON = 2003, 2100
_SAFE = re.compile(r"[^A-Za-z0-9_.=-]")


class InvalidRequest(ValueError):
    """A trigger parameter or configuration that cannot work; the message says what to change."""


def validate_params(params: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Trigger params after the form's JSON schema: the checks a schema can't express, with clear errors."""
    out: dict[str, Any] = {}
    seasons = params.get("seasons")
    if seasons is not None:
        if not isinstance(seasons, list) or not seasons or not all(isinstance(s, int) for s in seasons):
            raise InvalidRequest(f"seasons must be a non-empty list of years, got {seasons!r}")
        last = planner.season_of(today) + 1
        bad = [s for s in seasons if not FIRST_SEASON <= s <= last]
        if bad:
            raise InvalidRequest(f"seasons {bad} are out of range: CBBD data covers {FIRST_SEASON}-{last}")
        out["seasons"] = sorted(set(seasons))
    endpoints = params.get("endpoints") or ["all"]
    if endpoints != ["all"]:
        unknown = sorted(set(endpoints) - set(catalog.ENDPOINTS))
        if unknown or "all" in endpoints:
            raise InvalidRequest(f"unknown endpoints {unknown or ['all mixed with names']}; "
                                 f"use ['all'] or names from: {', '.join(catalog.ENDPOINTS)}")
    out["endpoints"] = "all" if endpoints == ["all"] else list(endpoints)
    max_calls = params.get("max_calls")
    if max_calls is not None and (isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 1):
        raise InvalidRequest(f"max_calls must be a positive whole number (or empty for no budget), got {max_calls!r}")
    out["max_calls"] = max_calls
    window = params.get("window_days")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 60):
        raise InvalidRequest(f"window_days must be a whole number from 1 to 60, got {window!r}")
    out["window_days"] = window or settings.cbbd_window_days()
    out["include_fanout"] = bool(params.get("include_fanout"))
    out["force"] = bool(params.get("force"))
    return out


def prepare() -> dict[str, Any]:
    """Fail fast on what would fail every batch: no API key, an unusable lake, an unreachable warehouse."""
    if not settings.cbbd_api_key():
        raise InvalidRequest(
            "no CBBD API key: set the Airflow connection 'cbbd_default' (key in the password field) "
            "or the environment variable CBBD_API_KEY"
        )
    open_lake()  # validates HOOPS_LAKE_URI
    if isinstance(open_checkpoints(), PostgresCheckpoints):
        with warehouse.connect() as conn:
            warehouse.migrate(conn)
    return {"lake": settings.lake_uri()}


def mode_of(spec: dict[str, Any]) -> planner.Backfill | planner.Incremental:
    if spec["kind"] == "backfill":
        return planner.backfill(spec["seasons"])
    return planner.incremental(dt.date.fromisoformat(spec["date"]), spec["window_days"])


def _seasons(mode: planner.Backfill | planner.Incremental) -> list[int]:
    return list(mode.seasons) if isinstance(mode, planner.Backfill) else [mode.season]


def manifest_prefix(dag_id: str, run_id: str) -> str:
    return f"tmp/manifests/{_SAFE.sub('_', dag_id)}/{_SAFE.sub('_', run_id)}"


def plan_batches(spec: dict[str, Any], *, dag_id: str, run_id: str, stage: str, asof: dt.date,
                 endpoints: str | list[str], include_fanout: bool, max_calls: int | None,
                 max_batches: int = MAX_BATCHES) -> dict[str, Any]:
    """Plan, then write the requests as at most `max_batches` manifests; return their keys and the plan."""
    lake, store = open_lake(), open_checkpoints()
    mode = mode_of(spec)
    done = {f"{e}/{h}" for e, h in store.done_keys()}
    contexts = {s: season_context(lake, s) for s in _seasons(mode)}
    plan = planner.plan(mode, endpoints, include_fanout=include_fanout, done=done, contexts=contexts,
                        max_calls=max_calls, today=asof)
    requests = plan.requests
    size = max(1, math.ceil(len(requests) / max_batches))
    keys = []
    for number, start in enumerate(range(0, len(requests), size)):
        batch = requests[start : start + size]
        key = f"{manifest_prefix(dag_id, run_id)}/{stage}/batch-{number:04d}.json"
        body = {"stage": stage, "requests": [{"endpoint": r.endpoint, "params": r.param_dict, "season": r.season}
                                             for r in batch]}
        lake.put(key, json.dumps(body, sort_keys=True).encode(), "application/json")
        keys.append(key)
    return {
        "manifests": keys,
        "calls_planned": plan.total_calls,
        "calls_pending": plan.pending_calls,
        "calls_deferred": plan.deferred_calls,
        "pending_endpoints": plan.pending_endpoints,
        "text": planner.format_plan(plan),
    }


def fetch_manifest(key: str, *, asof: dt.date, run_id: str, force: bool, max_calls: int | None = None
                   ) -> dict[str, Any]:
    """Fetch one batch. A quota stop is a result, not a crash: the summary says so, the next run resumes."""
    lake = open_lake()
    manifest = json.loads(lake.get(key))
    requests = [Request.of(r["endpoint"], r["params"], r["season"]) for r in manifest["requests"]]

    async def go():
        async with ApiClient() as client:
            fetcher = Fetcher(client, lake, open_checkpoints(), asof=asof, run_id=run_id,
                              is_final=planner.is_final, force=force, max_calls=max_calls)
            return await fetcher.run(requests)

    try:
        stats = asyncio.run(go())
    except QuotaStop as stop:
        stats = stop.stats
    result = stats.to_dict()
    result["manifest"] = key
    return result
