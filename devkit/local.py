"""A local Airflow on a dev-kit profile (devkit/profile.py): the embedded PostgreSQL holds the profile's
metadata database and warehouse, AIRFLOW_HOME and the lake live under the profile's state folder.

Used by `make demo`, `make run`, `make backfill` and `make incremental`; it drives the official `airflow`
CLI so what it prints is what a user would type.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from devkit import profile
from hoops import settings


def airflow_env(name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment for `airflow` commands on profile `name` (see profile.environment). The
    profile also goes into this process's environment, so the CLI's own reports read the same state."""
    profile.apply(name)
    return {
        **os.environ,
        **profile.environment(name, airflow=True),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(settings.PROJECT_ROOT / "plugins"), os.environ.get("PYTHONPATH")])
        ),
        **(extra or {}),
    }


def airflow(args: list[str], env: dict[str, str], *, quiet: bool = False) -> subprocess.CompletedProcess:
    """Run the `airflow` CLI of this virtualenv. Its output is a log, so it goes to stderr (stdout is
    for results); `quiet` drops it unless the CLI runs with --verbose."""
    exe = Path(sys.executable).with_name("airflow")
    shown = not quiet or logging.getLogger().isEnabledFor(logging.INFO)
    out = sys.stderr if shown else subprocess.DEVNULL
    return subprocess.run([str(exe), *args], env=env, stdout=out, stderr=out, check=False)


def migrate_metadata(env: dict[str, str]) -> None:
    if airflow(["db", "migrate"], env, quiet=True).returncode != 0:
        raise SystemExit("`airflow db migrate` failed; run it by hand with the same environment to see why")
    # The pool that bounds concurrent CBBD API tasks (one slot: the per-task rate limit is then global).
    airflow(["pools", "set", "cbbd_api", "1", "CBBD API calls"], env, quiet=True)
