"""Run a DAG of the bundle with `dag.test()` and read back what happened."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

import psycopg


@dataclass
class Outcome:
    state: str
    tasks: dict[str, str]
    run_id: str = ""


def run(
    dagbag, dag_id: str, logical_date: dt.datetime, conf: dict | None = None, retries: int | None = 0
) -> Outcome:
    """One run. Retries are off by default so a failing fault test does not wait for the retry delay."""
    dag = dagbag.get_dag(dag_id)
    saved = {t.task_id: (t.retries, t.retry_delay, copy.deepcopy(t.params)) for t in dag.tasks}
    params = copy.deepcopy(dag.params)  # dag.test() writes run_conf into the shared DAG's params
    try:
        for task in dag.tasks:
            if retries is not None:
                task.retries = retries
                task.retry_delay = dt.timedelta(0)
        dr = dag.test(logical_date=logical_date, run_conf=conf or {})
    finally:
        dag.params = params
        for task in dag.tasks:
            task.retries, task.retry_delay, task.params = saved[task.task_id]
    return Outcome(str(dr.state), {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}, dr.run_id)


def query(dsn: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def ny_morning(day: dt.date, minute: int = 30) -> dt.datetime:
    """06:MM New York time on `day`, as the schedule would fire it (DST handled by zoneinfo)."""
    from zoneinfo import ZoneInfo

    return dt.datetime(day.year, day.month, day.day, 6, minute, tzinfo=ZoneInfo("America/New_York"))
