"""The BartTorvik snapshot pipeline, one function per DAG task; each is idempotent for its snapshot date.

plan → fetch_raw → load → verify. State lives in Postgres (`provider_ingestion_runs`,
`bt_raw_artifacts`) and the lake, never in the task, so clearing any task or rerunning a date gives
the same rows and the same object keys.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from hoops import settings, warehouse
from hoops.barttorvik.calendar import (
    FIRST_TIMEMACHINE_DATE,
    SEASON_END,
    SEASON_START,
    in_season,
    season_of,
    source_for,
)
from hoops.barttorvik.checks import DataCheckFailed, check_snapshot
from hoops.barttorvik.fetch import NotPublished, SourceError, fetch
from hoops.barttorvik.layout import COLUMNS
from hoops.barttorvik.parse import GZIP_MAGIC, Reject, decode, parse_rows, split_record
from hoops.barttorvik.teams import TeamMapping
from hoops.lake import Lake, open_lake

log = logging.getLogger(__name__)

PROVIDER, DATASET = "barttorvik", "team_results"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME_IDX = next(c.index for c in COLUMNS if c.name == "team_name")
_RECORD_IDX = next(c.index for c in COLUMNS if c.name == "record")
METRIC_COLUMNS = (
    "team_id",
    "snapshot_date",
    "season",
    *(c.name for c in COLUMNS),
    "wins",
    "losses",
    "artifact_id",
)


class InvalidRequest(ValueError):
    """A trigger parameter that cannot be honoured; the message says what is accepted."""


class Skipped(Exception):
    """Nothing to do for this date (off-season, already loaded, not published); recorded as SKIPPED."""


# ---------------------------------------------------------------- dates


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
        day = logical_date.astimezone(ZoneInfo(settings.NEW_YORK)).date()
    else:
        day = today
    if day > today:
        raise InvalidRequest(f"snapshot_date {day} is in the future; today is {today} in New York")
    if day <= FIRST_TIMEMACHINE_DATE:
        raise InvalidRequest(f"snapshot_date {day} is before BartTorvik's history ({FIRST_TIMEMACHINE_DATE})")
    return day


# ---------------------------------------------------------------- run records


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
    cols = ("reason", "artifact_id", "source_url", "rows_loaded", "rows_quarantined", "deadletter_uri")
    values = [fields.get(c) for c in cols]
    final = status in ("SUCCESS", "FAILED", "SKIPPED")
    conn.execute(
        f"""
        INSERT INTO provider_ingestion_runs
            (provider, dataset, snapshot_date, run_id, status, {", ".join(cols)}, finished_at)
        VALUES (%s, %s, %s, %s, %s, {", ".join(["%s"] * len(cols))}, CASE WHEN %s THEN now() END)
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


def _record_outside(day: dt.date, run_id: str, status: str, **fields: Any) -> None:
    """Record a failure or skip in its own transaction (the work's transaction, if any, rolled back)."""
    with warehouse.connect() as conn, conn.transaction():
        record_run(conn, day, run_id, status, **fields)


# ---------------------------------------------------------------- tasks


def ensure_schema() -> dict[str, Any]:
    """The first task: a lake URI that cannot work fails here (LakeError), before any run is recorded."""
    open_lake()
    with warehouse.connect() as conn:
        applied = warehouse.migrate(conn)
    return {"applied": applied}


def plan(day: dt.date, run_id: str, *, force: bool) -> dict[str, Any]:
    """Decide whether this run loads the date. Raises Skipped (recorded) when there is nothing to do.

    Clearing a run that already loaded the date reprocesses it (the user asked for it); a new run for a
    date another run loaded is skipped unless `force`.
    """
    skip = None
    with warehouse.connect() as conn, conn.transaction():
        if not in_season(day):
            skip = (
                f"off-season: {day} is outside the season window "
                f"({SEASON_START[0]:02d}-{SEASON_START[1]:02d} to {SEASON_END[0]:02d}-{SEASON_END[1]:02d})"
            )
        else:
            loaded_by = conn.execute(
                "SELECT run_id FROM provider_ingestion_runs WHERE provider = %s AND dataset = %s"
                " AND snapshot_date = %s AND status = 'SUCCESS' ORDER BY finished_at DESC LIMIT 1",
                (PROVIDER, DATASET, day),
            ).fetchone()
            if loaded_by and loaded_by[0] != run_id and not force:
                skip = f"already loaded by run {loaded_by[0]}; trigger with force=true to reprocess"
        if skip:
            record_run(conn, day, run_id, "SKIPPED", new_attempt=True, reason=skip)
        else:
            record_run(conn, day, run_id, "RUNNING", new_attempt=True)
    if skip:
        raise Skipped(skip)
    return {"snapshot_date": day.isoformat(), "season": season_of(day)}


def raw_key(day: dt.date, file_name: str, sha256: str) -> str:
    stem = file_name.removesuffix(".gz")
    return f"raw/barttorvik/team_results/snapshot_date={day.isoformat()}/{stem}.{sha256[:12]}.gz"


def deadletter_key(day: dt.date, reason: str, sha256: str, html: bool) -> str:
    ext = "html" if html else "bin"
    return f"deadletter/barttorvik/team_results/snapshot_date={day.isoformat()}/{reason}-{sha256[:12]}.{ext}"


def _usable_artifact(conn: psycopg.Connection, day: dt.date) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT artifact_id, sha256, source_url FROM bt_raw_artifacts WHERE snapshot_date = %s"
        " AND status IN ('STORED', 'LOADED') ORDER BY fetched_at DESC, artifact_id DESC LIMIT 1",
        (day,),
    ).fetchone()
    return {"artifact_id": row[0], "sha256": row[1], "source_url": row[2]} if row else None


def _keep(
    lake: Lake,
    key: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    *,
    day: dt.date,
    run_id: str,
    url: str,
) -> str:
    """Write one object; when the lake refuses it, record the run FAILED with why (not left RUNNING)."""
    try:
        return lake.put(key, data, content_type)
    except Exception as exc:
        _record_outside(day, run_id, "FAILED", reason=f"lake_error: {exc}", source_url=url)
        raise


def fetch_raw(day: dt.date, run_id: str, *, refetch: bool, today: dt.date) -> dict[str, Any]:
    """Keep the source file for the date: reuse the stored artifact, or fetch and store it raw first."""
    if not refetch:
        with warehouse.connect() as conn:
            stored = _usable_artifact(conn, day)
        if stored:
            log.info(
                "reusing stored artifact %s for %s (no network; refetch=true to fetch again)",
                stored["artifact_id"],
                day,
            )
            return {**stored, "reused": True}

    cfg = settings.barttorvik()
    source = source_for(day, today)
    url = source.url(cfg.base_url)
    lake = open_lake()
    log.info("fetching %s file for %s: %s", source.kind, day, url)
    try:
        fetched = fetch(url, cfg)
    except NotPublished as exc:
        _record_outside(day, run_id, "SKIPPED", reason=f"{exc.reason}: {exc}", source_url=url)
        raise Skipped(str(exc)) from None
    except SourceError as exc:
        digest = hashlib.sha256(exc.body).hexdigest()
        key = deadletter_key(day, exc.reason, digest, html="html" in exc.content_type.lower())
        uri = _keep(lake, key, exc.body, day=day, run_id=run_id, url=url)
        _keep(
            lake,
            key.rsplit(".", 1)[0] + ".json",
            json.dumps(
                {
                    "source_url": url,
                    "status": exc.status,
                    "content_type": exc.content_type,
                    "reason": exc.reason,
                    "message": str(exc),
                    "bytes": len(exc.body),
                    "sha256": digest,
                    "at": dt.datetime.now(dt.UTC).isoformat(),
                },
                indent=1,
            ).encode(),
            "application/json",
            day=day,
            run_id=run_id,
            url=url,
        )
        _record_outside(
            day, run_id, "FAILED", reason=f"{exc.reason}: {exc}", source_url=url, deadletter_uri=uri
        )
        raise

    digest = hashlib.sha256(fetched.body).hexdigest()
    stored = fetched.body if fetched.body[:2] == GZIP_MAGIC else gzip.compress(fetched.body, mtime=0)
    uri = _keep(
        lake,
        raw_key(day, source.file_name, digest),
        stored,
        "application/gzip",
        day=day,
        run_id=run_id,
        url=url,
    )
    with warehouse.connect() as conn, conn.transaction():
        row = conn.execute(
            """
            INSERT INTO bt_raw_artifacts (snapshot_date, source_kind, source_url, file_date, sha256, bytes,
                                          lake_uri, http_status, status, fetched_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'STORED', %s)
            ON CONFLICT (snapshot_date, sha256) DO UPDATE SET
                status = CASE WHEN bt_raw_artifacts.status = 'LOADED' THEN 'LOADED' ELSE 'STORED' END,
                status_reason = NULL, fetched_at = EXCLUDED.fetched_at
            RETURNING artifact_id
            """,
            (
                day,
                source.kind,
                url,
                source.file_date,
                digest,
                len(fetched.body),
                uri,
                fetched.status,
                fetched.fetched_at,
            ),
        ).fetchone()
        record_run(conn, day, run_id, "RUNNING", artifact_id=row[0], source_url=url)
    log.info("stored %s bytes (sha256 %s) at %s", len(fetched.body), digest[:12], uri)
    return {"artifact_id": row[0], "sha256": digest, "source_url": url, "reused": False}


def _read_artifact(conn: psycopg.Connection, artifact_id: int) -> tuple[dt.date, bytes, str]:
    row = conn.execute(
        "SELECT snapshot_date, source_url, sha256 FROM bt_raw_artifacts WHERE artifact_id = %s",
        (artifact_id,),
    ).fetchone()
    if row is None:
        raise LookupError(f"artifact {artifact_id} is not in bt_raw_artifacts")
    day, url, digest = row
    stored = open_lake().get(raw_key(day, url.rsplit("/", 1)[-1], digest))
    served = stored if hashlib.sha256(stored).hexdigest() == digest else gzip.decompress(stored)
    if hashlib.sha256(served).hexdigest() != digest:
        raise ValueError(f"artifact {artifact_id} in the lake does not match its sha256 {digest[:12]}")
    return day, served, url


def map_teams(
    rows: list[tuple[int, tuple[Any, ...]]], mapping: TeamMapping
) -> tuple[list[tuple[str, tuple[Any, ...]]], list[Reject]]:
    """Attach team_ids; unknown names and a second row for the same team become rejects."""
    mapped, rejects, seen = [], [], set()
    for index, row in rows:
        name = row[_NAME_IDX]
        team = mapping.resolve(name)
        if team is None:
            rejects.append(
                Reject(
                    index,
                    name,
                    f"unknown team name {name!r}: add it to team_mapping.json and rerun the date",
                    list(row),
                )
            )
        elif team.team_id in seen:
            rejects.append(
                Reject(index, name, f"second row for team {team.team_id} in the same file", list(row))
            )
        else:
            seen.add(team.team_id)
            mapped.append((team.team_id, row))
    return mapped, rejects


def _sync_teams(conn: psycopg.Connection, mapping: TeamMapping) -> None:
    conn.cursor().executemany(
        """
        INSERT INTO bt_teams (team_id, name, cbbd_team_id, cbbd_school, aliases) VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (team_id) DO UPDATE SET name = EXCLUDED.name, cbbd_team_id = EXCLUDED.cbbd_team_id,
            cbbd_school = EXCLUDED.cbbd_school, aliases = EXCLUDED.aliases, updated_at = now()
        WHERE (bt_teams.name, bt_teams.cbbd_team_id, bt_teams.cbbd_school, bt_teams.aliases)
              IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.cbbd_team_id, EXCLUDED.cbbd_school, EXCLUDED.aliases)
        """,
        [(t.team_id, t.name, t.cbbd_team_id, t.cbbd_school, list(t.aliases)) for t in mapping.teams],
    )


def _upsert_metrics(
    conn: psycopg.Connection, day: dt.date, artifact_id: int, mapped: list[tuple[str, tuple[Any, ...]]]
) -> None:
    """Replace the date's rows as a whole: upsert what is there, delete what no longer is."""
    cols = ", ".join(METRIC_COLUMNS)
    data_cols = [c for c in METRIC_COLUMNS if c not in ("team_id", "snapshot_date")]
    season = season_of(day)
    conn.execute("CREATE TEMP TABLE bt_stage (LIKE bt_team_metrics_daily INCLUDING DEFAULTS) ON COMMIT DROP")
    with conn.cursor().copy(f"COPY bt_stage ({cols}) FROM STDIN") as copy:
        for team_id, row in mapped:
            copy.write_row((team_id, day, season, *row, *split_record(row[_RECORD_IDX]), artifact_id))
    conn.execute(
        f"""
        INSERT INTO bt_team_metrics_daily ({cols}) SELECT {cols} FROM bt_stage
        ON CONFLICT (team_id, snapshot_date) DO UPDATE SET
            {", ".join(f"{c} = EXCLUDED.{c}" for c in data_cols)}, loaded_at = now()
        WHERE ({", ".join(f"bt_team_metrics_daily.{c}" for c in data_cols)})
              IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in data_cols)})
        """
    )
    conn.execute(
        "DELETE FROM bt_team_metrics_daily m WHERE m.snapshot_date = %s"
        " AND NOT EXISTS (SELECT 1 FROM bt_stage s WHERE s.team_id = m.team_id)",
        (day,),
    )


def load(day: dt.date, run_id: str, artifact_id: int) -> dict[str, Any]:
    """Parse → map → check → commit metrics, quarantine and the run record in one transaction."""
    cfg = settings.barttorvik()
    with warehouse.connect() as conn:
        stored_day, payload, url = _read_artifact(conn, artifact_id)
        if stored_day != day:
            raise ValueError(f"artifact {artifact_id} belongs to {stored_day}, not {day}")
        try:
            rows, rejects = parse_rows(decode(payload))
            mapping = TeamMapping.load(settings.team_mapping_path())
            mapped, unmapped = map_teams(rows, mapping)
            figures = check_snapshot([row for _, row in rows], cfg.min_teams, cfg.max_teams)
        except (ValueError, DataCheckFailed) as exc:
            with conn.transaction():
                conn.execute(
                    "UPDATE bt_raw_artifacts SET status = 'REJECTED', status_reason = %s"
                    " WHERE artifact_id = %s",
                    (str(exc), artifact_id),
                )
                record_run(
                    conn, day, run_id, "FAILED", reason=str(exc), artifact_id=artifact_id, source_url=url
                )
            raise DataCheckFailed(str(exc)) from None
        quarantine = sorted(rejects + unmapped, key=lambda r: r.row_index)
        with conn.transaction():
            # One loader per date at a time: a second run for the same date waits here, then upserts.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('bt_snapshot'), %s)", (day.toordinal(),))
            _sync_teams(conn, mapping)
            _upsert_metrics(conn, day, artifact_id, mapped)
            conn.execute("DELETE FROM bt_ingestion_quarantine WHERE snapshot_date = %s", (day,))
            conn.cursor().executemany(
                "INSERT INTO bt_ingestion_quarantine (snapshot_date, row_index, team_name, reason, raw_row,"
                " artifact_id) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (day, r.row_index, r.team_name, r.reason, json.dumps(r.raw_row), artifact_id)
                    for r in quarantine
                ],
            )
            conn.execute(
                "UPDATE bt_raw_artifacts SET status = 'LOADED', status_reason = NULL WHERE artifact_id = %s",
                (artifact_id,),
            )
            record_run(
                conn,
                day,
                run_id,
                "SUCCESS",
                artifact_id=artifact_id,
                source_url=url,
                rows_loaded=len(mapped),
                rows_quarantined=len(quarantine),
            )
    for r in quarantine:
        log.warning("quarantined row %s (%r): %s", r.row_index, r.team_name, r.reason)
    return {
        "snapshot_date": day.isoformat(),
        "rows_loaded": len(mapped),
        "rows_quarantined": len(quarantine),
        "artifact_id": artifact_id,
        **figures,
    }


def verify(day: dt.date, run_id: str) -> dict[str, Any]:
    """After commit: the table holds exactly what the run record says, with no duplicate or null key."""
    with warehouse.connect() as conn:
        run = conn.execute(
            "SELECT status, rows_loaded, rows_quarantined FROM provider_ingestion_runs WHERE provider = %s"
            " AND dataset = %s AND snapshot_date = %s AND run_id = %s",
            (PROVIDER, DATASET, day, run_id),
        ).fetchone()
        rows, teams, nulls = conn.execute(
            "SELECT count(*), count(DISTINCT team_id), count(*) FILTER (WHERE adjoe IS NULL OR adjde IS NULL"
            " OR barthag IS NULL OR adj_tempo IS NULL) FROM bt_team_metrics_daily WHERE snapshot_date = %s",
            (day,),
        ).fetchone()
        quarantined = conn.execute(
            "SELECT count(*) FROM bt_ingestion_quarantine WHERE snapshot_date = %s", (day,)
        ).fetchone()[0]
    problems = []
    if run is None or run[0] != "SUCCESS":
        problems.append(f"run record is {run[0] if run else 'missing'}, expected SUCCESS")
    elif (rows, quarantined) != (run[1], run[2]):
        problems.append(
            f"table has {rows} rows / {quarantined} quarantined, run recorded {run[1]} / {run[2]}"
        )
    if rows != teams:
        problems.append(f"{rows - teams} duplicate team rows")
    if nulls:
        problems.append(f"{nulls} rows with null efficiencies")
    if problems:
        raise DataCheckFailed(f"verification of {day} failed: " + "; ".join(problems))
    return {"snapshot_date": day.isoformat(), "rows": rows, "quarantined": quarantined}
