"""The one place that reads configuration: environment variables first, then Airflow connections.

Everything is read at call time (never at import or DAG-parse time), so tests and tasks see the
environment of the moment. The warehouse and the lake have no default: a deployment names them, and a
local run gets them from the dev kit's profile (devkit/profile.py). Guessing (an embedded database, a
folder on the worker's disk) would write data where nobody else reads it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hoops.calendar import new_york_day

PROJECT_ROOT = Path(__file__).resolve().parents[2]

BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
DEFAULT_USER_AGENT = "hoops/0.1 (college-basketball data pipeline; polite, one request per file per day)"


class ConfigError(RuntimeError):
    """A required setting is missing or cannot be read; the message names what to set."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def state_dir() -> Path:
    """Local, git-ignored folder for derived files (the DuckDB catalog) and the dev kit's profiles."""
    return Path(_env("HOOPS_STATE_DIR", str(PROJECT_ROOT / ".state"))).resolve()


def data_dir() -> Path:
    return PROJECT_ROOT / "include" / "data"


def sql_dir() -> Path:
    return PROJECT_ROOT / "include" / "sql"


def lake_uri() -> str:
    """`file:///…` or `s3://bucket[/prefix]` from env `HOOPS_LAKE_URI`; no default (see the module doc)."""
    uri = _env("HOOPS_LAKE_URI")
    if not uri:
        raise ConfigError(
            "no lake configured: set HOOPS_LAKE_URI (s3://bucket[/prefix] or file:///absolute/path). "
            "For a local run use the dev kit (make demo, make run, .venv/bin/hoops ...), which sets it."
        )
    return uri


WAREHOUSE_CONN_ID = "hoops_postgres"


def airflow_connection(conn_id: str) -> Any:
    """The Airflow connection `conn_id`, or None when it is not defined (or Airflow is not installed).

    Any other failure of the lookup (a secrets backend refusing or down) raises ConfigError chained to
    the cause: carrying on as if the connection were absent would write data to the wrong place.
    """
    try:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:
        return None
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None
    except Exception as exc:
        raise ConfigError(
            f"looking up the Airflow connection {conn_id!r} failed ({type(exc).__name__}); "
            "fix the secrets backend or the connection, then retry"
        ) from exc


def warehouse_dsn() -> str:
    """The warehouse: env `HOOPS_POSTGRES_DSN`, else the Airflow connection `hoops_postgres` (schema =
    database); no default (see the module doc)."""
    value = _env("HOOPS_POSTGRES_DSN")
    if value:
        return value
    conn = airflow_connection(WAREHOUSE_CONN_ID)
    if conn is None:
        raise ConfigError(
            f"no warehouse configured: create the Airflow connection {WAREHOUSE_CONN_ID!r} or set "
            "HOOPS_POSTGRES_DSN. For a local run use the dev kit (make demo, make run, "
            ".venv/bin/hoops ...), which sets it."
        )
    from psycopg.conninfo import make_conninfo

    params = {
        "host": conn.host,
        "port": conn.port,
        "user": conn.login,
        "password": conn.password,
        "dbname": conn.schema,
    }
    return make_conninfo(**{k: v for k, v in params.items() if v not in (None, "")})


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


def today() -> dt.date:
    """Today in New York, where the season's days are counted. `HOOPS_TODAY` pins it (demo, tests)."""
    pinned = _env("HOOPS_TODAY")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return new_york_day(dt.datetime.now(dt.UTC))


def team_mapping_path() -> Path:
    return Path(_env("HOOPS_TEAM_MAPPING", str(data_dir() / "team_mapping.json")))


CBBD_CONN_ID = "cbbd_default"
CBBD_DEFAULT_BASE_URL = "https://api.collegebasketballdata.com"


def cbbd_api_key() -> str | None:
    """The CBBD key: env `CBBD_API_KEY`, env `BEARER_TOKEN`, then the Airflow connection `cbbd_default`
    (password, else extra `api_key`). None when nothing is set. Never log the value."""
    key = _env("CBBD_API_KEY") or _env("BEARER_TOKEN") or _cbbd_connection_key()
    if key:
        key = key.strip()
        if key.lower().startswith("bearer "):  # a pasted header value: keep only the key
            key = key[7:].strip()
    return key or None


def _cbbd_connection_key() -> str | None:
    conn = airflow_connection(CBBD_CONN_ID)
    if conn is None:
        return None
    if conn.password:
        return conn.password
    try:
        extra = conn.extra_dejson or {}
    except Exception:
        raise ConfigError(f"the extra of the Airflow connection {CBBD_CONN_ID!r} is not valid JSON") from None
    value = extra.get("api_key")
    return str(value) if value else None


def cbbd_base_url() -> str:
    return _env("CBBD_BASE_URL", CBBD_DEFAULT_BASE_URL).rstrip("/")


@dataclass(frozen=True)
class CbbdHttpSettings:
    concurrency: int
    rate: float  # requests per second, shared by every call of one client
    timeout_s: float


def cbbd_http() -> CbbdHttpSettings:
    return CbbdHttpSettings(
        concurrency=int(_env("HOOPS_CBBD_CONCURRENCY", "3")),
        rate=float(_env("HOOPS_CBBD_RPS", "3.0")),
        timeout_s=float(_env("HOOPS_CBBD_TIMEOUT_S", "60")),
    )


def cbbd_window_days() -> int:
    """Days the incremental run re-reads (late scores, stat corrections): env `HOOPS_CBBD_WINDOW_DAYS`."""
    return int(_env("HOOPS_CBBD_WINDOW_DAYS", "7"))


def cbbd_monthly_quota() -> int:
    """Calls a month the key's tier allows (`HOOPS_CBBD_MONTHLY_QUOTA`, default 1,000: the free tier); the
    budget's fallback until the API has reported `X-CallLimit-Remaining` this month."""
    return int(_env("HOOPS_CBBD_MONTHLY_QUOTA", "1000"))


def cbbd_reserve() -> float:
    """Share of what the quota has left that default budgets never spend (`HOOPS_CBBD_RESERVE`, 0.1)."""
    return float(_env("HOOPS_CBBD_RESERVE", "0.1"))


def catalog_kind() -> str:
    """`duckdb` (default: a local DuckDB file with views over the lake) or `glue` (AWS)."""
    return (_env("HOOPS_CATALOG", "duckdb") or "duckdb").strip().lower()


def duckdb_catalog_path() -> Path:
    """The local catalog: one DuckDB file whose views read the lake's silver and gold tables."""
    return Path(_env("HOOPS_DUCKDB_CATALOG", str(state_dir() / "lake.duckdb"))).resolve()


def duckdb_limits() -> tuple[str, int]:
    """DuckDB's memory limit and threads for silver, gold and the checks: small enough that a build fits
    a 1 GB worker beside Airflow itself (DuckDB spills to disk past the limit)."""
    return _env("HOOPS_DUCKDB_MEMORY_LIMIT", "256MB") or "256MB", int(_env("HOOPS_DUCKDB_THREADS", "2"))


def cbbd_max_batches() -> int:
    """Upper bound of a fetch stage's map: env `HOOPS_CBBD_MAX_BATCHES` (default 64, Airflow allows 1,024)."""
    return int(_env("HOOPS_CBBD_MAX_BATCHES", "64"))


AWS_CONN_ID = "aws_default"


def aws_region() -> str | None:
    """Region of the S3 and DynamoDB clients: env `AWS_REGION` (set on Lambda/ECS, unread by boto3), else
    `AWS_DEFAULT_REGION`; None leaves it to the connection `aws_default`, then boto3."""
    return _env("AWS_REGION") or _env("AWS_DEFAULT_REGION")


CHECKPOINT_STORES = ("postgres", "dynamodb")


def checkpoints_kind() -> str:
    """Where CBBD checkpoints live: env `HOOPS_CHECKPOINTS`, `postgres` (default) or `dynamodb`."""
    kind = (_env("HOOPS_CHECKPOINTS", "postgres") or "postgres").strip().lower()
    if kind not in CHECKPOINT_STORES:
        raise ConfigError(f"HOOPS_CHECKPOINTS must be 'postgres' or 'dynamodb', got {kind!r}")
    return kind


def checkpoint_table() -> str:
    """The DynamoDB checkpoint table (made by Terraform): env `CBBD_CHECKPOINT_TABLE`."""
    return _env("CBBD_CHECKPOINT_TABLE", "cbbd_checkpoints")


def glue_database_prefix() -> str:
    """Glue databases and crawlers are `<prefix>_<layer>` (Terraform's `name_prefix`): env
    `HOOPS_GLUE_DATABASE_PREFIX`, default `hoops`."""
    return _env("HOOPS_GLUE_DATABASE_PREFIX", "hoops")


def athena_workgroup() -> str:
    """The Athena workgroup of the validation queries: env `HOOPS_ATHENA_WORKGROUP`, default `hoops`."""
    return _env("HOOPS_ATHENA_WORKGROUP", "hoops")


def athena_output() -> str:
    """Where Athena puts query results: env `HOOPS_ATHENA_OUTPUT`, default `athena/` in the lake."""
    return _env("HOOPS_ATHENA_OUTPUT") or lake_uri().rstrip("/") + "/athena/"


def athena_poll_s() -> int:
    """Seconds between two looks at a running Athena query: env `HOOPS_ATHENA_POLL_S` (default 2)."""
    return int(_env("HOOPS_ATHENA_POLL_S", "2"))
