"""The task graph the CBBD DAGs share, built inside a `@dag` function.

prepare → plan pass 1 → fetch (mapped over batch manifests, pool `cbbd_api`) → plan pass 2 (what pass 1
made concrete: per team, per game day) → fetch → silver → gold → catalog → crawl → crawl_wait (Glue, mapped
over the layers; skipped with the local catalog) → validate (DuckDB, or Athena with Glue) → summary.
Tasks pass only small dicts and manifest keys through XCom; the work is in `hoops.cbbd.pipeline`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator
from airflow.providers.amazon.aws.sensors.glue_crawler import GlueCrawlerSensor
from airflow.sdk import Param, TriggerRule, chain, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from hoops.assets import CBBD_GOLD, CBBD_SILVER, silver_extra
from hoops.calendar import new_york_day, season_of
from hoops.cbbd.catalog import ENDPOINTS
from hoops.settings import AWS_CONN_ID

POOL = "cbbd_api"
# Statuses where the data is as complete as asked; the others fail the run after the summary is written.
OK_STATUSES = ("success", "incomplete_budget")


def season_choices() -> list[int]:
    """The seasons the backfill form offers, newest first: every one CBBD covers up to the current one
    (New York day). Computed here, not in the DAG file: the list changes only when a season opens, and the
    DAG file then holds no clock call for Airflow's version-inflation check to flag in the UI."""
    from hoops.cbbd.pipeline import FIRST_SEASON
    from hoops.settings import today

    return list(range(season_of(today()), FIRST_SEASON - 1, -1))


def shared_params() -> dict[str, Param]:
    """The trigger-form params both CBBD DAGs take: endpoint selection, force and the call budget."""
    return {
        "endpoints": Param(
            ["all"],
            type="array",
            items={"type": "string", "enum": ["all", *ENDPOINTS]},
            minItems=1,
            title="Endpoints",
            description="['all'] or endpoint names from the catalog (e.g. games, plays_date).",
        ),
        "force": Param(
            False, type="boolean", title="Force", description="Fetch again what checkpoints mark done."
        ),
        "max_calls": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            title="Call budget",
            description="Most API calls this run may make; the rest waits for the next run. Empty: the "
            "daily run's share of what the month's quota has left, or for a backfill what it has left "
            "(less a 10% reserve).",
        ),
    }


def crawl_and_wait(crawlers: Any) -> Any:
    """Start the Glue crawlers named by an upstream task's list and wait for them; returns the wait task.

    One mapped instance per crawler; none (skipped) with the local catalog. A crawler another run already
    started is waited for, not an error. The sensor waits with GetCrawler alone (the operator's own wait
    also needs glue:GetCrawlerMetrics, which IAM can only grant on "*") and gives its worker slot back
    between looks.
    """
    started = GlueCrawlerRunOperator.partial(
        task_id="crawl",
        aws_conn_id=AWS_CONN_ID,
        wait_for_completion=False,
        fail_on_already_running=False,
        retries=2,
        retry_delay=dt.timedelta(minutes=1),
    ).expand(crawler_name=crawlers)
    crawled = GlueCrawlerSensor.partial(
        task_id="crawl_wait",
        aws_conn_id=AWS_CONN_ID,
        mode="reschedule",
        poke_interval=30,
        timeout=2 * 3600,
    ).expand(crawler_name=crawlers)
    started >> crawled
    return crawled


def _ids() -> tuple[str, str]:
    ctx = get_current_context()
    return ctx["dag"].dag_id, ctx["run_id"]


def _logical_day(ctx: dict[str, Any]) -> dt.date:
    """The run's day in New York: its logical date, or for a manual run without one, when it was queued."""
    moment = ctx.get("logical_date") or ctx["dag_run"].run_after
    return new_york_day(moment)


@task(retries=0)
def prepare(kind: str) -> dict[str, Any]:
    """Validate the trigger and the configuration before any call: a bad run fails here, clearly."""
    from hoops import settings
    from hoops.cbbd import pipeline
    from hoops.lake import LakeError

    ctx = get_current_context()
    dag_id, run_id = _ids()
    try:
        spec = pipeline.validate_params(
            dict(ctx["params"]), kind=kind, logical_date=_logical_day(ctx), today=settings.today()
        )
        pipeline.prepare()
    except (pipeline.InvalidRequest, LakeError) as exc:
        raise AirflowFailException(str(exc)) from None
    return pipeline.save_result(dag_id, run_id, "spec", spec)


@task
def plan_pass1(spec: dict[str, Any]) -> list[str]:
    from hoops.cbbd import pipeline

    dag_id, run_id = _ids()
    return pipeline.plan_stage(spec, dag_id=dag_id, run_id=run_id, stage="pass1")["manifests"]


# A short first retry: a killed worker's batch resumes from its checkpoints within a minute.
@task(pool=POOL, retries=2, retry_delay=dt.timedelta(seconds=10), retry_exponential_backoff=2.0)
def fetch(manifest: str, spec: dict[str, Any]) -> dict[str, Any]:
    from hoops.cbbd import pipeline

    dag_id, run_id = _ids()
    try:
        stats = pipeline.fetch_batch(manifest, spec, dag_id=dag_id, run_id=run_id)
    except pipeline.InvalidRequest as exc:  # the key was refused: retrying cannot help
        raise AirflowFailException(str(exc)) from None
    return {
        k: stats[k]
        for k in (
            "manifest",
            "calls",
            "completed",
            "failed",
            "unfinished",
            "rows_bronze",
            "quota_remaining",
            "quota_exhausted",
            "budget_exhausted",
        )
    }


@task(trigger_rule=TriggerRule.NONE_FAILED)
def plan_pass2(spec: dict[str, Any]) -> list[str]:
    """Re-plan what pass 1 left pending, within what is left of the budget; nothing after a quota stop."""
    from hoops.cbbd import pipeline
    from hoops.lake import open_lake

    dag_id, run_id = _ids()
    if open_lake().exists(f"{pipeline.run_prefix(dag_id, run_id)}/quota_exhausted"):
        return []
    first = pipeline.load_results(dag_id, run_id)["plan-pass1"]
    used = pipeline.calls_used(dag_id, run_id, "pass1")
    return pipeline.plan_stage(
        spec,
        dag_id=dag_id,
        run_id=run_id,
        stage="pass2",
        endpoints=first["pending_endpoints"],
        calls_used=used,
    )["manifests"]


@task(trigger_rule=TriggerRule.NONE_FAILED, outlets=[CBBD_SILVER])
def silver(spec: dict[str, Any]) -> dict[str, Any]:
    from hoops.cbbd import pipeline

    dag_id, run_id = _ids()
    built = pipeline.build_silver(spec, dag_id=dag_id, run_id=run_id)
    # gold_refresh rebuilds exactly these seasons.
    get_current_context()["outlet_events"][CBBD_SILVER].extra = silver_extra(spec["seasons"], run_id)
    return {"tables": len(built["tables"])}


@task(outlets=[CBBD_GOLD])
def gold(spec: dict[str, Any]) -> dict[str, Any]:
    from hoops.cbbd import pipeline

    dag_id, run_id = _ids()
    return {"tables": len(pipeline.build_gold(spec, dag_id=dag_id, run_id=run_id)["tables"])}


@task
def catalog(spec: dict[str, Any]) -> list[str]:
    """Refresh the local DuckDB catalog, or name the Glue crawlers to start (HOOPS_CATALOG=glue)."""
    from hoops.cbbd import pipeline

    dag_id, run_id = _ids()
    return pipeline.refresh_catalog(spec, dag_id=dag_id, run_id=run_id)["crawlers"]


@task(trigger_rule=TriggerRule.NONE_FAILED)
def validate(spec: dict[str, Any]) -> dict[str, Any]:
    from hoops.cbbd import pipeline

    dag_id, run_id = _ids()
    result = pipeline.validate_lake(spec, dag_id=dag_id, run_id=run_id)
    return {"errors": result["errors"], "warnings": result["warnings"]}


@task(trigger_rule=TriggerRule.ALL_DONE, retries=0)
def summary() -> dict[str, Any]:
    """Always written once the run got past prepare; fails the run when the data is not complete."""
    from hoops.cbbd import pipeline

    dag_id, run_id = _ids()
    try:
        report = pipeline.summarize(dag_id=dag_id, run_id=run_id)
    except pipeline.InvalidRequest as exc:
        raise AirflowFailException(str(exc)) from None
    brief = {
        k: report[k]
        for k in (
            "status",
            "calls_planned",
            "calls_used",
            "quota_remaining",
            "failures",
            "deadletter_count",
            "summary_key",
        )
    }
    if report["status"] not in OK_STATUSES:
        problems = report["missing_steps"] or report["validation"].get("findings") or ""
        raise AirflowFailException(
            f"run {report['status']}: {brief}; {problems}. Checkpoints keep what was fetched: "
            "the next run (or clearing this one) resumes where this one stopped."
        )
    return brief


def cbbd_tasks(kind: str) -> None:
    """Wire the steps of a `kind` ('backfill' | 'incremental') run into the DAG being defined."""
    spec = prepare(kind)
    first = fetch.override(task_id="fetch_pass1").partial(spec=spec).expand(manifest=plan_pass1(spec))
    replanned = plan_pass2(spec)
    second = fetch.override(task_id="fetch_pass2").partial(spec=spec).expand(manifest=replanned)
    crawlers = catalog(spec)
    chain(first, replanned, second, silver(spec), gold(spec), crawlers)
    chain(crawl_and_wait(crawlers), validate(spec), summary())
