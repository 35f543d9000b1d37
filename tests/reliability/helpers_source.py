"""Shared by the source-fault, bad-input and secrets tests: a small CBBD replay window wired into the
environment, throwaway warehouse databases, and the comparisons each test makes (row sets against a clean
run, stored bytes before/after, half-written objects).

Rows are compared as multisets of whole rows, so a changed value, a lost row and a duplicate all show.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pyarrow.parquet as pq

NY = ZoneInfo("America/New_York")
CBBD_KEY = "SECRET-canary-7f3a9"  # recognisable, so the secrets tests can grep for it
DAY = dt.date(2024, 1, 20)  # a mid-season day of the replay's 2024 season
# Three endpoints over a 2-day window: games, team lines and plays (5 calls), enough for silver and gold.
CONF = {"window_days": 2, "endpoints": ["games", "games_teams", "plays_date"]}
BT_DAY = dt.date(2020, 3, 13)  # served from the real 2020-03-12 time-machine file


def morning(day: dt.date, hour: int = 5, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def use_cbbd(mp, server, state: Path, *, key: str | None = CBBD_KEY, today: dt.date = DAY) -> None:
    """Point the CBBD DAGs at `server` with `key`, no rate limit, small maps and a private catalog."""
    if key is None:
        mp.delenv("CBBD_API_KEY", raising=False)
    else:
        mp.setenv("CBBD_API_KEY", key)
    mp.delenv("BEARER_TOKEN", raising=False)
    mp.delenv("AIRFLOW_CONN_CBBD_DEFAULT", raising=False)
    mp.setenv("CBBD_BASE_URL", server.base_url)
    mp.setenv("HOOPS_CBBD_RPS", "0")
    mp.setenv("HOOPS_CBBD_MAX_BATCHES", "2")  # fewer mapped tasks: the same requests, less Airflow overhead
    mp.setenv("HOOPS_DUCKDB_CATALOG", str(state / "lake.duckdb"))
    mp.setenv("HOOPS_TODAY", today.isoformat())


@contextmanager
def fresh_database(pg_server) -> Iterator[str]:
    """An empty database on the session's PostgreSQL, dropped afterwards; yields its DSN."""
    name = f"r_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.get_uri(name)
    finally:
        with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- row sets ----------------------------------------------------------------------------------------


def _row(row: dict) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def lake_tables(
    root: Path, layers: tuple[str, ...] = ("silver", "gold"), ignore: tuple[str, ...] = ()
) -> dict[str, Counter]:
    """Every row of every table of `layers`, as a multiset per `layer/table`, without `ignore` columns."""
    tables: dict[str, Counter] = {}
    for layer in layers:
        base = root / layer
        if not base.is_dir():
            continue
        for table in sorted(p for p in base.iterdir() if p.is_dir()):
            rows: Counter = Counter()
            for part in sorted(table.rglob("*.parquet")):
                season = next((s for s in part.parts if s.startswith("season=")), "")
                found = pq.read_table(part).to_pylist()
                rows.update(
                    f"{season} {_row({k: v for k, v in r.items() if k not in ignore})}" for r in found
                )
            tables[f"{layer}/{table.name}"] = rows
    return tables


def pg_rows(dsn: str, table: str, *, leave_out: tuple[str, ...] = ()) -> Counter:
    """A warehouse table's rows without the columns a rerun legitimately changes (serials, timestamps)."""
    with psycopg.connect(dsn) as conn:
        cur = conn.execute(f"SELECT * FROM {table}")
        names = [d.name for d in cur.description]
        keep = [i for i, n in enumerate(names) if n not in leave_out]
        return Counter(_row({names[i]: r[i] for i in keep}) for r in cur.fetchall())


def diff(clean: dict[str, Counter], got: dict[str, Counter]) -> tuple[int, int]:
    """(rows lost, rows extra or duplicated) of `got` against the clean run, over every table of either."""
    lost = extra = 0
    for name in set(clean) | set(got):
        want, have = clean.get(name, Counter()), got.get(name, Counter())
        lost += sum((want - have).values())
        extra += sum((have - want).values())
    return lost, extra


def total_rows(tables: dict[str, Counter]) -> int:
    return sum(sum(c.values()) for c in tables.values())


# --- what is stored ----------------------------------------------------------------------------------


def lake_objects(root: Path) -> dict[str, bytes]:
    """Every file under the lake root (hidden temporaries included), by relative path."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def warehouse_state(dsn: str) -> dict[str, list[tuple]]:
    """Every row of every table in the warehouse's public schema, sorted: the before/after of bad input."""
    with psycopg.connect(dsn) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            )
        ]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


def partial_objects(root: Path) -> list[str]:
    """Objects a reader must never see: temporaries left by a write, unreadable Parquet or gzip."""
    bad = []
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        if path.name.startswith(".") or path.name.endswith(".tmp"):
            bad.append(name)
            continue
        try:
            if path.suffix == ".parquet":
                pq.read_metadata(path)
            elif path.suffix == ".gz":
                gzip.decompress(path.read_bytes())
            elif path.suffix == ".json":
                json.loads(path.read_bytes())
        except Exception:
            bad.append(name)
    return bad


def latest_summary(root: Path, dag_id: str) -> dict:
    return json.loads((root / "meta" / "latest" / f"{dag_id}.json").read_text())


def deadletters(root: Path) -> list[dict]:
    """The CBBD deadletter documents (why a request failed), parsed."""
    base = root / "deadletter" / "cbbd"
    return [json.loads(p.read_text()) for p in sorted(base.rglob("*.json"))] if base.is_dir() else []


def bronze_of_failed_requests(root: Path, dsn: str, asof: dt.date) -> list[str]:
    """Bronze parts written for requests whose checkpoint says failed: a failure must leave none."""
    from hoops.cbbd.bronze import bronze_key
    from hoops.cbbd.request import Request

    with psycopg.connect(dsn) as conn:
        failed = conn.execute(
            "SELECT endpoint, params, season FROM cbbd_checkpoints WHERE status = 'failed'"
        ).fetchall()
    keys = [bronze_key(Request.of(e, p, s), asof) for e, p, s in failed]
    return [k for k in keys if (root / k).exists()]
