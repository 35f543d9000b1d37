"""Run summaries in `meta/`: what a run planned, spent and produced, and whether it is complete.

`meta/runs/{dag_id}/{run_id}.json` keeps every run; `meta/latest/{dag_id}.json` is the newest, which
`validate` reads. The summary is assembled from the step results the run left in its folder, so it is
written even when a step failed, and says which.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from hoops import paths
from hoops.cbbd.budget import runs_needed
from hoops.lake import Lake

_SUMMED = (
    "calls",
    "planned",
    "completed",
    "skipped_final",
    "splits",
    "failed",
    "unfinished",
    "rows_served",
    "rows_bronze",
    "rows_rejected",
    "rows_duplicate",
    "seconds",
)


def _fetch_totals(fetches: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {k: sum(f.get(k, 0) or 0 for f in fetches) for k in _SUMMED}
    totals["seconds"] = round(totals["seconds"], 3)
    remaining = [f["quota_remaining"] for f in fetches if f.get("quota_remaining") is not None]
    totals["quota_remaining"] = min(remaining) if remaining else None
    totals["quota_exhausted"] = any(f.get("quota_exhausted") for f in fetches)
    totals["budget_exhausted"] = any(f.get("budget_exhausted") for f in fetches)
    totals["deadletters"] = sorted(d for f in fetches for d in f.get("deadletters", []))
    for name in ("rows_by_endpoint", "calls_by_endpoint"):
        counter: Counter = Counter()
        for f in fetches:
            counter.update(f.get(name) or {})
        totals[name] = dict(sorted(counter.items()))
    totals["batches"] = len(fetches)
    return totals


def status_of(summary: dict[str, Any]) -> str:
    """One word for the run, most serious first."""
    if summary["missing_steps"]:
        return "failed"
    if summary["fetch"]["quota_exhausted"]:
        return "incomplete_quota"
    if summary["validation"].get("errors"):
        return "invalid"
    if summary["fetch"]["failed"]:
        return "completed_with_failures"
    if summary["fetch"]["budget_exhausted"] or summary["calls_deferred"]:
        return "incomplete_budget"
    return "success"


def owed(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What every planning pass deferred and no later pass planned again, merged per endpoint.

    A later pass re-plans the endpoints it names (pass 2: what pass 1 left pending), for every season,
    so its figures replace the earlier pass's for those endpoints; the rest of the earlier deferrals stand.
    """
    left: list[dict[str, Any]] = []
    for plan in plans:
        again = plan.get("endpoints", "all")
        if again != "all":
            left = [d for d in left if d["endpoint"] not in again]
        elif plan.get("deferred") is not None:
            left = []
        left += plan.get("deferred") or []
    merged: dict[str, dict[str, Any]] = {}
    for d in left:
        item = merged.setdefault(d["endpoint"], {"endpoint": d["endpoint"], "seasons": [], "calls": 0})
        item["calls"] += d["calls"]
        if d.get("season") is not None and d["season"] not in item["seasons"]:
            item["seasons"].append(d["season"])
        item["estimated"] = item.get("estimated", False) or bool(d.get("estimated"))
    for item in merged.values():
        item["seasons"].sort(reverse=True)
    return sorted(merged.values(), key=lambda i: -i["calls"])


def explain_calls(planned: int, fetch: dict[str, Any], used: int) -> dict[str, int]:
    """Every difference between the calls planned and the calls made, by cause; `unexplained` is 0."""
    reported = fetch["calls"]
    out = {
        "planned": planned,
        "in_batches_that_never_reported": planned - fetch["planned"],
        "not_asked_already_final": fetch["skipped_final"],
        "not_asked_failed": fetch["failed"],
        "not_asked_budget_or_quota": fetch["unfinished"],
        "extra_for_cap_splits": 2 * fetch["splits"],
        "made_by_attempts_that_did_not_finish": used - reported,
        "used": used,
    }
    expected = fetch["planned"] - fetch["skipped_final"] - fetch["failed"] - fetch["unfinished"]
    out["unexplained"] = used - (expected + 2 * fetch["splits"] + used - reported)
    return out


def assemble(
    dag_id: str,
    run_id: str,
    spec: dict[str, Any],
    results: dict[str, dict[str, Any]],
    expected_steps: tuple[str, ...] = ("plan-pass1", "silver", "gold", "catalog", "validate"),
    *,
    attempts: dict[str, int] | None = None,
    monthly_quota: int | None = None,
) -> dict[str, Any]:
    """`attempts`: the durable call count of each fetch attempt (killed ones too); without it, the calls
    the finished batches reported."""
    plans = [results[k] for k in sorted(results) if k.startswith("plan-")]
    fetches = [results[k] for k in sorted(results) if k.startswith("fetch-")]
    fetch = _fetch_totals(fetches)
    used = max(sum((attempts or {}).values()), fetch["calls"])
    planned = sum(p.get("calls_planned", 0) for p in plans)
    still_owed = owed(plans)
    owed_calls = sum(d["calls"] for d in still_owed)
    run_budget = plans[0].get("run_budget") if plans else None
    silver, gold = results.get("silver", {}), results.get("gold", {})
    summary: dict[str, Any] = {
        "dag_id": dag_id,
        "run_id": run_id,
        "spec": spec,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "calls_planned": planned,
        "calls_used": used,
        "calls_attempts": attempts or {},
        "calls_explained": explain_calls(planned, fetch, used),
        "calls_deferred": owed_calls,
        "owed": still_owed,
        "remaining": runs_needed(owed_calls, run_budget, monthly_quota) if monthly_quota else {},
        "budget": {"calls": run_budget, "why": plans[0].get("budget_why") if plans else None},
        "pending_endpoints": plans[-1].get("pending_endpoints", []) if plans else [],
        "quota_remaining": fetch["quota_remaining"],
        "fetch": fetch,
        "rows_by_endpoint": fetch["rows_by_endpoint"],
        "rows_by_table": {
            **{k: v.get("rows", 0) for k, v in silver.get("tables", {}).items()},
            **{k: v.get("rows", 0) for k, v in gold.get("tables", {}).items()},
        },
        "duplicates": {
            "bronze_exact_repeats": fetch["rows_duplicate"],
            "silver_removed": sum(v.get("duplicates_removed", 0) for v in silver.get("tables", {}).values()),
        },
        "failures": fetch["failed"],
        "deadletter_count": len(fetch["deadletters"]),
        "silver": silver,
        "gold": gold,
        "catalog": results.get("catalog", {}),
        "validation": results.get("validate", {}),
        "durations_s": {
            k: v["seconds"]
            for k, v in sorted(results.items())
            if isinstance(v, dict)
            and isinstance(v.get("seconds"), (int, float))
            and not k.startswith("fetch-")
        }
        | {"fetch": fetch["seconds"]},
        "missing_steps": [s for s in expected_steps if s not in results]
        + (
            [f"fetch ({planned - fetch['planned']} planned requests never reported)"]
            if planned > fetch["planned"]
            else []
        ),
    }
    summary["status"] = status_of(summary)
    return summary


def summary_key(dag_id: str, run_id: str) -> str:
    return paths.run_summary(dag_id, run_id)


def write(lake: Lake, summary: dict[str, Any]) -> str:
    """Store the run's summary and make it the latest for its DAG; returns the run summary's key."""
    data = json.dumps(summary, indent=2, sort_keys=True).encode()
    key = summary_key(summary["dag_id"], summary["run_id"])
    lake.put(key, data, "application/json")
    lake.put(paths.latest_summary(summary["dag_id"]), data, "application/json")
    return key


def latest(lake: Lake, dag_id: str | None = None) -> dict[str, Any] | None:
    """The newest summary of `dag_id`, or of any DAG when None."""
    keys = [k for k in lake.list(paths.LATEST_SUMMARIES) if k.endswith(".json")]
    if dag_id is not None:
        keys = [k for k in keys if k == paths.latest_summary(dag_id)]
    found = [json.loads(lake.get(k)) for k in keys]
    return max(found, key=lambda s: s.get("written_at", ""), default=None)
