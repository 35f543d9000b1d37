"""Run records in `provider_ingestion_runs`: what each run did for its snapshot date, and whether to run.

Every task writes its outcome here, so a date's state survives cleared tasks and retries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from hoops import warehouse
from hoops.calendar import bt_snapshot_window, in_bt_snapshot_window, season_of

PROVIDER, DATASET = "barttorvik", "team_results"
_DATE_LOCK_BASE = 7_202_613_000_000  # + the date's ordinal: one pg_advisory_lock key per snapshot date
_FIELDS = ("reason", "artifact_id", "source_url", "rows_loaded", "rows_quarantined", "deadletter_uri")


class Skipped(Exception):
    """Nothing to do for this date (off-season, already loaded, not published); recorded as SKIPPED."""


def record_run(
    conn: psycopg.Connection,
    day: dt.date,
    run_id: str,
    status: str,
    *,
    new_attempt: bool = False,
    **fields: Any,
) -> None:
    """Upsert this run's row for the date; `new_attempt` marks a (re)start of the run."""
    values = [fields.get(c) for c in _FIELDS]
    final = status in ("SUCCESS", "FAILED", "SKIPPED")
    conn.execute(
        f"""
        INSERT INTO provider_ingestion_runs
            (provider, dataset, snapshot_date, run_id, status, {", ".join(_FIELDS)}, finished_at)
        VALUES (%s, %s, %s, %s, %s, {", ".join(["%s"] * len(_FIELDS))}, CASE WHEN %s THEN now() END)
        ON CONFLICT (provider, dataset, snapshot_date, run_id) DO UPDATE SET
            status = EXCLUDED.status,
            reason = EXCLUDED.reason,
            artifact_id = COALESCE(EXCLUDED.artifact_id, provider_ingestion_runs.artifact_id),
            source_url = COALESCE(EXCLUDED.source_url, provider_ingestion_runs.source_url),
            rows_loaded = EXCLUDED.rows_loaded,
            rows_quarantined = EXCLUDED.rows_quarantined,
            deadletter_uri = EXCLUDED.deadletter_uri,
            attempts = provider_ingestion_runs.attempts + %s,
            started_at = CASE WHEN %s THEN now() ELSE provider_ingestion_runs.started_at END,
            finished_at = EXCLUDED.finished_at
        """,
        (PROVIDER, DATASET, day, run_id, status, *values, final, int(new_attempt), new_attempt),
    )


def record_outside(day: dt.date, run_id: str, status: str, **fields: Any) -> None:
    """Record a failure or skip in its own transaction (the work's transaction, if any, rolled back)."""
    with warehouse.connect() as conn, conn.transaction():
        record_run(conn, day, run_id, status, **fields)


def run_record(conn: psycopg.Connection, day: dt.date, run_id: str) -> tuple[str, int, int] | None:
    """(status, rows_loaded, rows_quarantined) of this run for the date, or None."""
    return conn.execute(
        "SELECT status, rows_loaded, rows_quarantined FROM provider_ingestion_runs WHERE provider = %s"
        " AND dataset = %s AND snapshot_date = %s AND run_id = %s",
        (PROVIDER, DATASET, day, run_id),
    ).fetchone()


def _loaded_by(conn: psycopg.Connection, day: dt.date) -> str | None:
    """The run that last loaded the date successfully, if any."""
    row = conn.execute(
        "SELECT run_id FROM provider_ingestion_runs WHERE provider = %s AND dataset = %s"
        " AND snapshot_date = %s AND status = 'SUCCESS' ORDER BY finished_at DESC LIMIT 1",
        (PROVIDER, DATASET, day),
    ).fetchone()
    return row[0] if row else None


def _skip_reason(conn: psycopg.Connection, day: dt.date, run_id: str, force: bool) -> str | None:
    if not in_bt_snapshot_window(day):
        start, end = bt_snapshot_window(season_of(day))
        return f"off-season: {day} is outside the season window ({start:%m-%d} to {end:%m-%d})"
    loaded_by = _loaded_by(conn, day)
    if loaded_by and loaded_by != run_id and not force:
        return f"already loaded by run {loaded_by}; trigger with force=true to reprocess"
    return None


def plan(day: dt.date, run_id: str, *, force: bool) -> dict[str, Any]:
    """Decide whether this run loads the date. Raises Skipped (recorded) when there is nothing to do.

    Clearing a run that already loaded the date reprocesses it (the user asked for it); a new run for a
    date another run loaded is skipped unless `force`.
    """
    with warehouse.connect() as conn, conn.transaction():
        skip = _skip_reason(conn, day, run_id, force)
        record_run(conn, day, run_id, "SKIPPED" if skip else "RUNNING", new_attempt=True, reason=skip)
    if skip:
        raise Skipped(skip)
    return {"snapshot_date": day.isoformat(), "season": season_of(day)}


@contextmanager
def exclusive_date(day: dt.date, run_id: str, *, force: bool) -> Iterator[None]:
    """Hold the date's advisory lock for the block, after checking again, inside it, that no other run
    loaded the date meanwhile (then this run is recorded SKIPPED and Skipped raised).

    `plan` runs in its own task: two runs of one date can both pass it. Fetch and load run inside this
    lock, so the second run waits for the first, then skips instead of fetching and loading again.
    """
    with warehouse.exclusive(_DATE_LOCK_BASE + day.toordinal(), f"loading {day}"):
        with warehouse.connect() as conn, conn.transaction():
            skip = _skip_reason(conn, day, run_id, force)
            if skip:
                record_run(conn, day, run_id, "SKIPPED", reason=skip)
        if skip:
            raise Skipped(skip)
        yield
