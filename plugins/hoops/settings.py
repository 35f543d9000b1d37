"""The one place that reads configuration: environment variables first, then Airflow connections.

Everything is read at call time (never at import or DAG-parse time), so tests and tasks see the
environment of the moment.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
DEFAULT_USER_AGENT = "hoops/0.1 (college-basketball data pipeline; polite, one request per file per day)"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def state_dir() -> Path:
    """Project-local, git-ignored folder for the embedded Postgres, the local lake and Airflow's home."""
    return Path(_env("HOOPS_STATE_DIR", str(PROJECT_ROOT / ".state"))).resolve()


def samples_dir() -> Path:
    """The real source samples (../shared/samples beside the project root)."""
    return Path(_env("HOOPS_SAMPLES_DIR", str(PROJECT_ROOT.parent / "shared" / "samples"))).resolve()


def data_dir() -> Path:
    return PROJECT_ROOT / "include" / "data"


def sql_dir() -> Path:
    return PROJECT_ROOT / "include" / "sql"


def lake_uri() -> str:
    """`file:///…` (default: .state/lake) or `s3://bucket[/prefix]`."""
    return _env("HOOPS_LAKE_URI") or (state_dir() / "lake").as_uri()


@dataclass(frozen=True)
class BartTorvikSettings:
    base_url: str
    user_agent: str
    timeout_s: float
    min_teams: int
    max_teams: int


def barttorvik() -> BartTorvikSettings:
    ua = _env("HOOPS_BT_USER_AGENT", "hoops")
    if ua == "hoops":
        ua = DEFAULT_USER_AGENT
    elif ua == "browser":
        ua = BROWSER_USER_AGENT
    return BartTorvikSettings(
        base_url=_env("HOOPS_BT_BASE_URL", "https://barttorvik.com").rstrip("/"),
        user_agent=ua,
        timeout_s=float(_env("HOOPS_BT_TIMEOUT_S", "60")),
        min_teams=int(_env("HOOPS_BT_MIN_TEAMS", "300")),
        max_teams=int(_env("HOOPS_BT_MAX_TEAMS", "400")),
    )


NEW_YORK = "America/New_York"


def today() -> dt.date:
    """Today in New York, where the season's days are counted. `HOOPS_TODAY` pins it (demo, tests)."""
    from zoneinfo import ZoneInfo

    pinned = _env("HOOPS_TODAY")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return dt.datetime.now(ZoneInfo(NEW_YORK)).date()


def team_mapping_path() -> Path:
    return Path(_env("HOOPS_TEAM_MAPPING", str(data_dir() / "team_mapping.json")))
