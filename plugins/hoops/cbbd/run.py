"""One CBBD run end to end: plan → fetch → re-plan what became known → fetch, within one call budget.

The first pass fetches what can be built (reference, season, date windows, including `/teams` and
`/games`); the planner's pending groups (per team, per game day, per conference) become concrete from
what those responses put in bronze, and a second pass fetches them. A quota stop ends the run at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from hoops.cbbd import planner
from hoops.cbbd.checkpoints import CheckpointStore
from hoops.cbbd.context import season_context
from hoops.cbbd.engine import Fetcher, FetchStats, QuotaStop
from hoops.http import ApiClient
from hoops.lake import Lake

log = logging.getLogger(__name__)
MAX_PASSES = 3


@dataclass
class RunResult:
    plans: list[dict[str, Any]] = field(default_factory=list)
    passes: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    quota_exhausted: bool = False
    deferred_calls: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _seasons(mode: planner.Backfill | planner.Incremental) -> list[int]:
    return list(mode.seasons) if isinstance(mode, planner.Backfill) else [mode.season]


def run_plan(
    mode: planner.Backfill | planner.Incremental,
    *,
    lake: Lake,
    checkpoints: CheckpointStore,
    asof: dt.date,
    run_id: str,
    endpoints: str | list[str] = "all",
    include_fanout: bool = False,
    max_calls: int | None = None,
    client_kwargs: dict[str, Any] | None = None,
) -> RunResult:
    result = RunResult()
    todo: str | list[str] = endpoints
    for _ in range(MAX_PASSES):
        budget = None if max_calls is None else max_calls - result.calls
        if budget is not None and budget <= 0:
            break
        done = {f"{e}/{h}" for e, h in checkpoints.done_keys()}
        contexts = {s: season_context(lake, s) for s in _seasons(mode)}
        plan = planner.plan(
            mode,
            todo,
            include_fanout=include_fanout,
            done=done,
            contexts=contexts,
            max_calls=budget,
            today=asof,
        )
        result.plans.append(plan.to_json())
        result.deferred_calls = plan.deferred_calls
        log.info(
            "plan pass %s: %s calls now, ~%s pending, %s deferred",
            len(result.plans),
            plan.total_calls,
            plan.pending_calls,
            plan.deferred_calls,
        )
        stats = _fetch(
            plan.requests,
            lake=lake,
            checkpoints=checkpoints,
            asof=asof,
            run_id=run_id,
            client_kwargs=client_kwargs or {},
            result=result,
        )
        if stats is None or stats.budget_exhausted or not plan.pending_endpoints:
            break
        todo = plan.pending_endpoints
    return result


def _fetch(
    requests, *, lake, checkpoints, asof, run_id, client_kwargs, result: RunResult
) -> FetchStats | None:
    async def go() -> FetchStats:
        async with ApiClient(**client_kwargs) as client:
            return await Fetcher(
                client, lake, checkpoints, asof=asof, run_id=run_id, is_final=planner.is_final
            ).run(requests)

    try:
        stats = asyncio.run(go())
    except QuotaStop as stop:
        result.quota_exhausted = True
        result.calls += stop.stats.calls
        result.passes.append(stop.stats.to_dict())
        return None
    result.calls += stats.calls
    result.passes.append(stats.to_dict())
    return stats
