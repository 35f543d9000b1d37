"""The load of one stored snapshot: parse, map teams, check, then one transaction for metrics, quarantine
and the run record; and the read-back that verifies what was committed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

import psycopg

from hoops import settings, warehouse
from hoops.barttorvik import runs
from hoops.barttorvik.artifacts import read_artifact
from hoops.barttorvik.checks import DataCheckFailed, check_snapshot
from hoops.barttorvik.layout import COLUMNS
from hoops.barttorvik.parse import Reject, decode, parse_rows, split_record
from hoops.barttorvik.teams import TeamMapping
from hoops.calendar import season_of

log = logging.getLogger(__name__)

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


def _replace_quarantine(
    conn: psycopg.Connection, day: dt.date, artifact_id: int, quarantine: list[Reject]
) -> None:
    conn.execute("DELETE FROM bt_ingestion_quarantine WHERE snapshot_date = %s", (day,))
    conn.cursor().executemany(
        "INSERT INTO bt_ingestion_quarantine (snapshot_date, row_index, team_name, reason, raw_row,"
        " artifact_id) VALUES (%s, %s, %s, %s, %s, %s)",
        [(day, r.row_index, r.team_name, r.reason, json.dumps(r.raw_row), artifact_id) for r in quarantine],
    )


def _reject(
    conn: psycopg.Connection, day: dt.date, run_id: str, artifact_id: int, url: str, why: str
) -> None:
    """A file that fails parsing or the data checks: the artifact REJECTED and the run FAILED, together."""
    with conn.transaction():
        conn.execute(
            "UPDATE bt_raw_artifacts SET status = 'REJECTED', status_reason = %s WHERE artifact_id = %s",
            (why, artifact_id),
        )
        runs.record_run(conn, day, run_id, "FAILED", reason=why, artifact_id=artifact_id, source_url=url)


@dataclass(frozen=True)
class Prepared:
    """A snapshot ready to commit: its mapped rows, what goes to quarantine, and the checks' figures."""

    mapping: TeamMapping
    mapped: list[tuple[str, tuple[Any, ...]]]
    quarantine: list[Reject]
    figures: dict[str, Any]


def prepare(payload: bytes) -> Prepared:
    """Parse → map teams → run the data checks; raises ValueError or DataCheckFailed on an unusable file."""
    cfg = settings.barttorvik()
    rows, rejects = parse_rows(decode(payload))
    mapping = TeamMapping.load(settings.team_mapping_path())
    mapped, unmapped = map_teams(rows, mapping)
    figures = check_snapshot([row for _, row in rows], cfg.min_teams, cfg.max_teams)
    return Prepared(mapping, mapped, sorted(rejects + unmapped, key=lambda r: r.row_index), figures)


def load(day: dt.date, run_id: str, artifact_id: int) -> dict[str, Any]:
    """Prepare the stored file, then commit metrics, quarantine and the run record in one transaction."""
    with warehouse.connect() as conn:
        stored_day, payload, url = read_artifact(conn, artifact_id)
        if stored_day != day:
            raise ValueError(f"artifact {artifact_id} belongs to {stored_day}, not {day}")
        try:
            ready = prepare(payload)
        except (ValueError, DataCheckFailed) as exc:
            _reject(conn, day, run_id, artifact_id, url, str(exc))
            raise DataCheckFailed(str(exc)) from None
        mapped, quarantine = ready.mapped, ready.quarantine
        with conn.transaction():
            # One loader per date at a time: a second run for the same date waits here, then upserts.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('bt_snapshot'), %s)", (day.toordinal(),))
            _sync_teams(conn, ready.mapping)
            _upsert_metrics(conn, day, artifact_id, mapped)
            _replace_quarantine(conn, day, artifact_id, quarantine)
            conn.execute(
                "UPDATE bt_raw_artifacts SET status = 'LOADED', status_reason = NULL WHERE artifact_id = %s",
                (artifact_id,),
            )
            runs.record_run(
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
        **ready.figures,
    }


def verify(day: dt.date, run_id: str) -> dict[str, Any]:
    """After commit: the table holds exactly what the run record says, with no duplicate or null key."""
    with warehouse.connect() as conn:
        run = runs.run_record(conn, day, run_id)
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
