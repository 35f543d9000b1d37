"""PostgreSQL access: where the warehouse is, how to connect, and the numbered migrations.

The DSN comes from `settings.warehouse_dsn()` (`HOOPS_POSTGRES_DSN`, else the Airflow connection
`hoops_postgres`), never from a guess. Passwords never leave this module: `describe()` gives a printable,
password-free form.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from hoops import settings

log = logging.getLogger(__name__)

CONN_ID = settings.WAREHOUSE_CONN_ID
_MIGRATION_LOCK = 7_202_611  # pg_advisory_lock key: one migrator at a time
_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached or prepared; the message says what to configure."""


def dsn() -> str:
    """The configured warehouse DSN; a missing or unreadable setting raises WarehouseError naming it."""
    try:
        return settings.warehouse_dsn()
    except settings.ConfigError as exc:
        raise WarehouseError(str(exc)) from exc.__cause__


def describe(conninfo: str) -> str:
    """A DSN with the password removed, safe for logs and error messages."""
    try:
        parts = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "<unparseable DSN>"
    parts.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in sorted(parts.items()))


@contextmanager
def connect(conninfo: str | None = None) -> Iterator[psycopg.Connection]:
    conninfo = conninfo or dsn()
    try:
        # autocommit: atomic work is spelled out with `conn.transaction()`, nothing commits by accident
        conn = psycopg.connect(conninfo, connect_timeout=10, application_name="hoops", autocommit=True)
    except psycopg.OperationalError as exc:
        # psycopg's message can echo connection parameters; give our own, password-free one.
        raise WarehouseError(
            f"cannot connect to the warehouse ({describe(conninfo)}): {type(exc).__name__}. "
            f"Set HOOPS_POSTGRES_DSN or the Airflow connection '{CONN_ID}' to a warehouse that answers."
        ) from None
    try:
        yield conn
    finally:
        conn.close()


LAKE_BUILD_LOCK = 7_202_612  # pg_advisory_lock key: one silver/gold build at a time, across DAGs


@contextmanager
def exclusive(key: int, what: str) -> Iterator[None]:
    """Hold a session advisory lock for the block: a second holder waits, logging that it does.

    The lock lives as long as the connection, so a killed worker releases it with its connection.
    """
    import logging

    with connect() as conn:
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            logging.getLogger(__name__).info("waiting: another run is %s", what)
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def migrations(folder: Path | None = None) -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every numbered migration, in order."""
    folder = folder or settings.sql_dir() / "postgres"
    found = []
    for path in sorted(folder.iterdir()):
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found.append((int(match.group(1)), path.name, path.read_text()))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError(f"duplicate migration numbers in {folder}: {versions}")
    return found


def migrate(conn: psycopg.Connection, folder: Path | None = None) -> list[str]:
    """Apply each migration once, in order, under an advisory lock; return the names applied now.

    A migration that was applied and later edited is an error, not a silent re-run.
    """
    applied_now = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {v: (n, s) for v, n, s in conn.execute("SELECT version, name, sha256 FROM schema_migrations")}
        for version, name, sql in migrations(folder):
            digest = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version][1] != digest:
                    raise WarehouseError(
                        f"migration {name} changed after it was applied; add a new numbered migration instead"
                    )
                continue
            conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, sha256) VALUES (%s, %s, %s)",
                (version, name, digest),
            )
            applied_now.append(name)
    for name in applied_now:
        log.info("applied migration %s", name)
    return applied_now
