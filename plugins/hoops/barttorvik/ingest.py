"""The BartTorvik snapshot tasks, the entry points the DAG calls; each is idempotent for its snapshot date.

ensure_schema → plan (runs) → fetch_raw (artifacts) → load → verify (load). State lives in Postgres
(`provider_ingestion_runs`, `bt_raw_artifacts`) and the lake, never in the task, so clearing any task or
rerunning a date gives the same rows and the same object keys.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hoops import warehouse
from hoops.barttorvik.artifacts import fetch_raw
from hoops.barttorvik.checks import DataCheckFailed
from hoops.barttorvik.fetch import SourceError
from hoops.barttorvik.load import load, verify
from hoops.barttorvik.runs import Skipped, exclusive_date, plan
from hoops.barttorvik.sources import FIRST_TIMEMACHINE_DATE
from hoops.calendar import new_york_day
from hoops.lake import LakeError, open_lake

__all__ = [
    "DataCheckFailed",
    "InvalidRequest",
    "LakeError",
    "Skipped",
    "SourceError",
    "ensure_schema",
    "exclusive_date",
    "fetch_raw",
    "load",
    "plan",
    "resolve_snapshot_date",
    "verify",
]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidRequest(ValueError):
    """A trigger parameter that cannot be honoured; the message says what is accepted."""


def resolve_snapshot_date(requested: str | None, logical_date: dt.datetime | None, today: dt.date) -> dt.date:
    """The `snapshot_date` param when given, else the run's logical date in New York."""
    if requested:
        if not isinstance(requested, str) or not _DATE.match(requested):
            raise InvalidRequest(f"snapshot_date must be a date written YYYY-MM-DD, got {requested!r}")
        try:
            day = dt.date.fromisoformat(requested)
        except ValueError:
            raise InvalidRequest(f"snapshot_date {requested!r} is not a real calendar date") from None
    elif logical_date is not None:
        day = new_york_day(logical_date)
    else:
        day = today
    if day > today:
        raise InvalidRequest(f"snapshot_date {day} is in the future; today is {today} in New York")
    if day <= FIRST_TIMEMACHINE_DATE:
        raise InvalidRequest(f"snapshot_date {day} is before BartTorvik's history ({FIRST_TIMEMACHINE_DATE})")
    return day


def ensure_schema() -> dict[str, Any]:
    """The first task: a lake URI that cannot work fails here (LakeError), before any run is recorded."""
    open_lake()
    with warehouse.connect() as conn:
        applied = warehouse.migrate(conn)
    return {"applied": applied}
