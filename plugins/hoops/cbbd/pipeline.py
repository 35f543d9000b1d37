"""The CBBD DAGs' steps as plain functions: validate the trigger, plan into batch manifests, fetch one
batch, build silver and gold, validate, summarise.

Batches keep the Airflow map small whatever the season size: a stage's requests are grouped into at
most `HOOPS_CBBD_MAX_BATCHES` (64) manifests stored in the lake under the run's folder
(`tmp/runs/{dag_id}/{run_id}/…`) and only their keys go through XCom. Each step also writes its result
there, so the summary can be assembled even when a step failed, and clearing a task or the whole run
repeats the same work on the same keys; checkpoints make the repeat cost no calls.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import math
import re
import time
import uuid
from contextlib import nullcontext
from typing import Any

from hoops import paths, settings, warehouse
from hoops.calendar import season_of
from hoops.cbbd import budget, catalog, planner
from hoops.cbbd.checkpoints import open_checkpoints
from hoops.cbbd.client import KEY_HINT, ApiClient
from hoops.cbbd.context import season_context
from hoops.cbbd.engine import Fetcher, FetchStats, QuotaStop
from hoops.cbbd.request import Request
from hoops.events import emit
from hoops.lake import open_lake

log = logging.getLogger(__name__)

FIRST_SEASON = 2003
MIN_BATCH_CALLS = 100  # ~30 s of fetching at 3 rps against the 2-10 s a mapped task takes to start
MAX_WINDOW_DAYS = 60
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# The trigger params of each CBBD DAG (their Param declarations; a test keeps the two the same).
PARAM_NAMES = {
    "backfill": {
        "seasons",
        "all_seasons",
        "oldest_first",
        "endpoints",
        "include_fanout",
        "force",
        "max_calls",
    },
    "incremental": {"date", "window_days", "endpoints", "force", "max_calls"},
}


class InvalidRequest(ValueError):
    """A trigger parameter or configuration that cannot work; the message says what to change."""


def _whole(name: str, value: Any, low: int, high: int | None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
        span = f"from {low} to {high}" if high else f"of at least {low}"
        raise InvalidRequest(f"{name} must be a whole number {span}, got {value!r}")
    return value


def _seasons(value: Any, today: dt.date) -> list[int]:
    last = season_of(today)
    if value is None or value == []:
        return [last]
    if isinstance(value, list):  # the trigger form's pick list sends its choices as text: "2020"
        value = [int(s) if isinstance(s, str) and s.isdigit() and len(s) == 4 else s for s in value]
    if not isinstance(value, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in value):
        raise InvalidRequest(f"seasons must be a list of years like [2024, 2025], got {value!r}")
    bad = sorted({s for s in value if not FIRST_SEASON <= s <= last})
    if bad:
        raise InvalidRequest(f"seasons {bad} are out of range: CBBD data covers {FIRST_SEASON} to {last}")
    return sorted(set(value))


def _endpoints(value: Any) -> str | list[str]:
    if value in (None, "", "all", [], ["all"]):
        return "all"
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise InvalidRequest(f"endpoints must be ['all'] or a list of endpoint names, got {value!r}")
    unknown = sorted(set(value) - set(catalog.ENDPOINTS))
    if unknown:
        shown = [u[:40] for u in unknown]
        raise InvalidRequest(
            f"unknown endpoints {shown}; use ['all'] or names from: {', '.join(catalog.ENDPOINTS)}"
        )
    return sorted(set(value))


def _day(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise InvalidRequest(f"{name} must be a date YYYY-MM-DD, got {str(value)[:40]!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{name} {value!r} is not a calendar date") from None


def validate_params(
    params: dict[str, Any], *, kind: str, logical_date: dt.date, today: dt.date
) -> dict[str, Any]:
    """The run's spec from the trigger params (after the form's JSON schema), with clear errors.

    `asof` (the bronze partition of what this run fetches) is the run's logical date in New York, so a
    rerun of the same logical date writes the same objects.
    """
    unknown = sorted(set(params) - PARAM_NAMES[kind])
    if unknown:  # a typo such as "season" would otherwise run the default and spend the quota on it
        shown = [str(u)[:40] for u in unknown]
        raise InvalidRequest(f"unknown params {shown}: cbbd_{kind} takes {sorted(PARAM_NAMES[kind])}")
    spec: dict[str, Any] = {
        "kind": kind,
        "endpoints": _endpoints(params.get("endpoints")),
        "include_fanout": bool(params.get("include_fanout")),
        "force": bool(params.get("force")),
        "max_calls": _whole("max_calls", params.get("max_calls"), 1, None),
        "asof": logical_date.isoformat(),
    }
    if kind == "backfill":
        if params.get("all_seasons"):  # newest first by default: the seasons people query most
            spec["seasons"] = list(range(FIRST_SEASON, season_of(today) + 1))
        else:
            spec["seasons"] = _seasons(params.get("seasons"), today)
        spec["newest_first"] = not params.get("oldest_first")
    else:
        day = _day(params.get("date"), "date") or logical_date
        if day > today:
            raise InvalidRequest(f"date {day} is in the future (today is {today})")
        if season_of(day) < FIRST_SEASON:
            raise InvalidRequest(
                f"date {day} is in season {season_of(day)}: CBBD data covers {FIRST_SEASON} to "
                f"{season_of(today)}"
            )
        window = _whole("window_days", params.get("window_days"), 1, MAX_WINDOW_DAYS)
        spec.update(
            date=day.isoformat(),
            window_days=window or settings.cbbd_window_days(),
            seasons=[season_of(day)],
            asof=day.isoformat(),
        )
    return spec


def prepare() -> dict[str, Any]:
    """Fail fast on what would fail every batch: no API key, an unusable lake, an unreachable warehouse."""
    if not settings.cbbd_api_key():
        raise InvalidRequest(
            "no CBBD API key: set the Airflow connection 'cbbd_default' (key in the password field) "
            "or the environment variable CBBD_API_KEY"
        )
    from hoops import aws_catalog

    try:
        aws_catalog.check_configuration(open_lake())  # open_lake validates HOOPS_LAKE_URI
    except aws_catalog.CatalogError as exc:
        raise InvalidRequest(str(exc)) from None
    with warehouse.connect() as conn:  # gold joins the BartTorvik tables, whichever checkpoint store
        warehouse.migrate(conn)
    return {"lake": settings.lake_uri(), "checkpoints": type(open_checkpoints()).__name__}


def mode_of(spec: dict[str, Any]) -> planner.Backfill | planner.Incremental:
    if spec["kind"] == "backfill":
        return planner.backfill(spec["seasons"])
    return planner.incremental(dt.date.fromisoformat(spec["date"]), spec["window_days"])


def run_prefix(dag_id: str, run_id: str) -> str:
    """The run's scratch folder in the lake: manifests and step results, keyed by run so clears reuse it."""
    return paths.run_scratch(dag_id, run_id)


def save_result(dag_id: str, run_id: str, step: str, result: dict[str, Any]) -> dict[str, Any]:
    open_lake().put(
        f"{run_prefix(dag_id, run_id)}/results/{step}.json",
        json.dumps(result, sort_keys=True).encode(),  # a value JSON cannot hold is a bug: raise
        "application/json",
    )
    return result


def load_results(dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
    lake = open_lake()
    prefix = f"{run_prefix(dag_id, run_id)}/results/"
    return {k[len(prefix) : -5]: json.loads(lake.get(k)) for k in lake.list(prefix) if k.endswith(".json")}


def plan_stage(
    spec: dict[str, Any],
    *,
    dag_id: str,
    run_id: str,
    stage: str,
    endpoints: str | list[str] | None = None,
    calls_used: int = 0,
    max_batches: int | None = None,
) -> dict[str, Any]:
    """Plan (what checkpoints say is still to do), then write the requests as at most `max_batches`
    manifests; returns their keys and the plan's figures. `endpoints` narrows a later stage to what the
    earlier one left pending."""
    started = time.monotonic()
    lake, store = open_lake(), open_checkpoints()
    todo = spec["endpoints"] if endpoints is None else endpoints
    run_budget, why = _run_budget(spec, dag_id=dag_id, run_id=run_id, stage=stage, store=store)
    used = max(calls_used, sum(store.run_calls(run_id).values()))  # killed attempts' calls count too
    left = None if run_budget is None else max(run_budget - used, 0)
    result: dict[str, Any] = {
        "stage": stage,
        "manifests": [],
        "calls_planned": 0,
        "pending_endpoints": [],
        "endpoints": todo,
        "deferred_calls": 0,
        "deferred": [],
        "by_endpoint": {},
        "run_budget": run_budget,
        "budget_why": why,
        "budget_left": left,
    }
    if todo == []:
        return save_result(dag_id, run_id, f"plan-{stage}", result)
    plan = _plan(spec, todo, left, why, store, lake)
    log.info("%s plan, %s:\n%s", stage, plan.mode, planner.format_plan(plan))
    requests = plan.requests
    # Sized by work: a mapped task costs seconds to start, so a batch carries at least MIN_BATCH_CALLS
    # requests; the cap on batches keeps a huge plan under Airflow's max_map_length.
    cap = max_batches or settings.cbbd_max_batches()
    batches = min(cap, max(1, len(requests) // MIN_BATCH_CALLS))  # even: 250 calls = 2 x 125
    size = max(1, math.ceil(len(requests) / batches))
    for number, start in enumerate(range(0, len(requests), size)):
        batch = requests[start : start + size]
        key = f"{run_prefix(dag_id, run_id)}/manifests/{stage}/batch-{number:04d}.json"
        body = {
            "stage": stage,
            "max_calls": len(batch) if budget is not None else None,  # the batches' caps sum to the plan
            "requests": [{"endpoint": r.endpoint, "params": r.param_dict, "season": r.season} for r in batch],
        }
        lake.put(key, json.dumps(body, sort_keys=True).encode(), "application/json")
        result["manifests"].append(key)
    result.update(
        calls_planned=plan.total_calls,
        pending_endpoints=plan.pending_endpoints,
        deferred_calls=plan.deferred_calls,
        deferred=plan.to_json()["deferred"],
        by_endpoint=plan.by_endpoint(),
        already_final=plan.already_final,
        not_due=plan.not_due,
        seconds=round(time.monotonic() - started, 3),
    )
    emit(
        log,
        "planned",
        run=run_id,
        stage=stage,
        calls=plan.total_calls,
        batches=len(result["manifests"]),
        pending=plan.pending_endpoints,
        deferred=plan.deferred_calls,
    )
    return save_result(dag_id, run_id, f"plan-{stage}", result)


def _plan(
    spec: dict[str, Any], todo: str | list[str], left: int | None, why: str | None, store: Any, lake: Any
) -> planner.Plan:
    """The planner fed with what the checkpoints and the lake know (nothing when `store`/`lake` is None)."""
    return planner.plan(
        mode_of(spec),
        todo,
        include_fanout=spec["include_fanout"],
        done=set() if spec["force"] or store is None else {f"{e}/{h}" for e, h in store.done_keys()},
        contexts={s: season_context(lake, s) for s in spec["seasons"]} if lake is not None else {},
        max_calls=left,
        today=dt.date.fromisoformat(spec["asof"]),
        last_read=None if spec["force"] or store is None else store.last_reads(),
        newest_first=spec.get("newest_first", True),
        budget_why=why,
    )


def preview(spec: dict[str, Any], *, store: Any = None, lake: Any = None) -> planner.Plan:
    """What a run of `spec` would plan first, with no call and nothing written: `hoops plan` prints it.
    Without a checkpoint store (no warehouse yet) it plans as a first run would."""
    run_budget, why = _run_budget(spec, dag_id="", run_id="", stage="pass1", store=store)
    return _plan(spec, spec["endpoints"], run_budget, why, store, lake)


def _run_budget(
    spec: dict[str, Any], *, dag_id: str, run_id: str, stage: str, store: Any
) -> tuple[int | None, str | None]:
    """The run's call budget: the trigger's `max_calls`, else (decided once, in pass 1) a daily share of
    what the quota has left for an incremental run, or what it has left for a backfill."""
    if spec["max_calls"] is not None:
        return spec["max_calls"], f"max_calls {spec['max_calls']} set by the trigger"
    if stage != "pass1":
        first = load_results(dag_id, run_id).get("plan-pass1", {})
        if "run_budget" in first:
            return first["run_budget"], first.get("budget_why")
    pick = budget.daily if spec["kind"] == "incremental" else budget.whole
    chosen = pick(
        dt.date.fromisoformat(spec["asof"]),
        store.quota() if store is not None else None,
        settings.cbbd_monthly_quota(),
        settings.cbbd_reserve(),
    )
    return chosen.calls, chosen.why


def fetch_batch(
    key: str, spec: dict[str, Any], *, dag_id: str, run_id: str, client_kwargs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Fetch one manifest. A quota stop is a result, not a crash: it leaves a marker so the other batches
    of the run don't spend calls on a closed quota, and the summary says so; the next run resumes."""
    lake = open_lake()
    manifest = json.loads(lake.get(key))
    requests = [Request.of(r["endpoint"], r["params"], r["season"]) for r in manifest["requests"]]
    marker = f"{run_prefix(dag_id, run_id)}/quota_exhausted"
    step = "fetch-" + key.rsplit("/", 2)[-2] + "-" + key.rsplit("/", 1)[-1].removesuffix(".json")
    if lake.exists(marker):
        stats = FetchStats(planned=len(requests), unfinished=len(requests), quota_exhausted=True)
        return save_result(dag_id, run_id, step, {**stats.to_dict(), "manifest": key})

    store, attempt, asof = open_checkpoints(), uuid.uuid4().hex[:12], dt.date.fromisoformat(spec["asof"])

    def count_call(remaining: int | None) -> None:
        store.count_call(run_id, attempt, remaining, asof)

    async def go() -> FetchStats:
        async with ApiClient(**(client_kwargs or {})) as client:
            fetcher = Fetcher(
                client,
                lake,
                store,
                asof=asof,
                run_id=run_id,
                is_final=planner.is_final,
                force=spec["force"],
                max_calls=manifest["max_calls"],
                count_call=count_call,
            )
            return await fetcher.run(requests)

    try:
        stats = asyncio.run(go())
    except QuotaStop as stop:
        stats = stop.stats
    if stats.key_refused:
        save_result(dag_id, run_id, step, {**stats.to_dict(), "manifest": key})
        raise InvalidRequest(
            f"CBBD refused the API key (HTTP 401) at the first request of {key}: {KEY_HINT}. "
            "Nothing else was asked; clear the run once the key is fixed."
        )
    if stats.quota_exhausted:
        lake.put(marker, b"quota exhausted\n", "text/plain")
        emit(
            log,
            "quota_exhausted",
            logging.WARNING,
            run=run_id,
            manifest=key,
            calls=stats.calls,
            unfinished=stats.unfinished,
        )
    return save_result(dag_id, run_id, step, {**stats.to_dict(), "manifest": key, "attempt": attempt})


def calls_used(dag_id: str, run_id: str, stage: str) -> int:
    """Calls the stage's finished batches report (the durable per-attempt count is read by plan_stage)."""
    return sum(
        r.get("calls", 0)
        for name, r in load_results(dag_id, run_id).items()
        if name.startswith(f"fetch-{stage}-")
    )


def fetch_stages(
    spec: dict[str, Any], *, dag_id: str, run_id: str, client_kwargs: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The DAG's plan and fetch tasks in its order, in one process: the CLI and the tests run exactly
    these steps (the DAG maps `fetch_batch` over the manifests instead of looping)."""
    save_result(dag_id, run_id, "spec", spec)
    first = plan_stage(spec, dag_id=dag_id, run_id=run_id, stage="pass1")
    for key in first["manifests"]:
        fetch_batch(key, spec, dag_id=dag_id, run_id=run_id, client_kwargs=client_kwargs)
    if not open_lake().exists(f"{run_prefix(dag_id, run_id)}/quota_exhausted"):
        second = plan_stage(
            spec, dag_id=dag_id, run_id=run_id, stage="pass2", endpoints=first["pending_endpoints"]
        )
        for key in second["manifests"]:
            fetch_batch(key, spec, dag_id=dag_id, run_id=run_id, client_kwargs=client_kwargs)
    return load_results(dag_id, run_id)


def _timed(dag_id: str, run_id: str, step: str, work, exclusive: bool = False) -> dict[str, Any]:
    """Run a step, time it, save its result. `exclusive`: one at a time across runs and DAGs (a build
    lists its inputs inside the lock, so a run that waited reads what the other one wrote)."""
    started = time.monotonic()
    lock = warehouse.exclusive(warehouse.LAKE_BUILD_LOCK, f"building {step}") if exclusive else nullcontext()
    with lock:
        result = work()
    result["seconds"] = round(time.monotonic() - started, 3)
    emit(log, step, run=run_id, **{k: v for k, v in result.items() if k != "tables"})
    return save_result(dag_id, run_id, step, result)


def build_silver(spec: dict[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """Silver for the run's seasons (and every dimension), then the shared reference data in `ref/`."""
    from hoops import ref
    from hoops.cbbd import silver

    def work() -> dict[str, Any]:
        lake = open_lake()
        tables = silver.build(lake, seasons=spec["seasons"])
        for name, figures in tables.items():
            emit(log, "silver_table", run=run_id, table=name, **figures)
        return {"tables": tables, "ref": ref.publish(lake)["objects"]}

    return _timed(dag_id, run_id, "silver", work, exclusive=True)


def build_gold(
    spec: dict[str, Any], *, dag_id: str, run_id: str, only_with_silver: bool = False
) -> dict[str, Any]:
    """Gold for the spec's seasons. `only_with_silver` (gold_refresh): leave out the seasons that have no
    silver, listed inside the build lock (a build may be adding one), and name them in the result."""
    from hoops.cbbd import gold

    def work() -> dict[str, Any]:
        lake, seasons = open_lake(), list(spec["seasons"])
        if only_with_silver:
            with_silver = gold.silver_seasons(lake)
            seasons = [s for s in seasons if s in with_silver]
        tables = gold.build(lake, seasons=seasons) if seasons else {}
        for name, figures in tables.items():
            emit(log, "gold_table", run=run_id, table=name, **figures)
        return {
            "tables": tables,
            "seasons": seasons,
            "no_silver": sorted(set(spec["seasons"]) - set(seasons)),
        }

    return _timed(dag_id, run_id, "gold", work, exclusive=True)


def refresh_gold(seasons: list[int] | None, *, dag_id: str, run_id: str) -> dict[str, Any]:
    """gold_refresh's steps, the CBBD runs' own gold step: the seasons named by the triggering events (None:
    every season with silver), then the local catalog. A fresh warehouse gets its tables first."""
    from hoops import duckdb_catalog
    from hoops.cbbd import gold

    with warehouse.connect() as conn:  # gold reads the BartTorvik tables
        warehouse.migrate(conn)
    named = gold.silver_seasons(open_lake()) if seasons is None else seasons
    result = build_gold({"seasons": named}, dag_id=dag_id, run_id=run_id, only_with_silver=True)
    if result["tables"] and settings.catalog_kind() == "duckdb":
        duckdb_catalog.refresh(open_lake())
    return result


def refresh_catalog(spec: dict[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """Local: the DuckDB catalog file. HOOPS_CATALOG=glue: the Glue crawlers the DAG starts next."""
    from hoops import aws_catalog, duckdb_catalog

    def work() -> dict[str, Any]:
        if settings.catalog_kind() == "glue":
            return {"catalog": "glue", "crawlers": aws_catalog.crawlers()}
        return {**duckdb_catalog.refresh(open_lake()), "crawlers": []}

    return _timed(dag_id, run_id, "catalog", work)


def validate_lake(spec: dict[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """Checks over the tables this run touched, in DuckDB or (HOOPS_CATALOG=glue) in Athena; findings go
    to the summary, which decides the outcome."""
    from hoops import checks
    from hoops.cbbd import tables
    from hoops.checks.findings import as_dict

    def work() -> dict[str, Any]:
        findings = checks.checker()(open_lake(), tables.declared(), seasons=spec["seasons"])
        return {"engine": checks.engine(), **as_dict(findings)}

    return _timed(dag_id, run_id, "validate", work)


def summarize(*, dag_id: str, run_id: str) -> dict[str, Any]:
    """Write `meta/runs/…` and `meta/latest/…` from the step results the run left behind."""
    from hoops.cbbd import summary

    results = load_results(dag_id, run_id)
    spec = results.pop("spec", None)
    if spec is None:
        raise InvalidRequest("the run was rejected before it started (see the prepare task): no summary")
    report = summary.assemble(
        dag_id,
        run_id,
        spec,
        results,
        attempts=open_checkpoints().run_calls(run_id),
        monthly_quota=settings.cbbd_monthly_quota(),
    )
    report["summary_key"] = summary.write(open_lake(), report)
    emit(
        log,
        "summary",
        run=run_id,
        status=report["status"],
        calls_used=report["calls_used"],
        calls_planned=report["calls_planned"],
        quota_left=report["quota_remaining"],
        failures=report["failures"],
        deadletters=report["deadletter_count"],
        key=report["summary_key"],
        owed={o["endpoint"]: o["seasons"] for o in report["owed"]},  # what the budget left, by name
        remaining=report["remaining"],
        calls_explained=report["calls_explained"],
    )
    return report
