"""Lake keys, built and parsed in one place.

    raw/cbbd/{endpoint}/season={S|all}/asof={D}/{param_hash}.json.gz     the response as it came
    deadletter/cbbd/{endpoint}/season={S|all}/asof={D}/{param_hash}.*     a response that failed
    bronze/{endpoint}/season={S|all}/asof={D}/part-{param_hash}.parquet   typed, one object per request
    raw|deadletter/barttorvik/team_results/snapshot_date={D}/…            BartTorvik's files
    silver|gold|ref/{table}[/season={S}]/part-0000.parquet                tables, one object per season
    meta/runs/{dag_id}/{run_id}.json, meta/latest/{dag_id}.json           run summaries
    tmp/runs/{dag_id}/{run_id}/…                                          a run's working files

A key depends only on what it holds (never the clock), so a rerun overwrites instead of adding.
"""

from __future__ import annotations

import datetime as dt
import re

ALL_SEASONS = "all"  # the season segment of requests and dimensions that span every season
PART = "part-0000.parquet"
RUN_SUMMARIES = "meta/runs/"
LATEST_SUMMARIES = "meta/latest/"
CBBD_RAW = "raw/cbbd/"

_SEASON = re.compile(r"(?:^|/)season=([^/]+)/")
_ASOF = re.compile(r"(?:^|/)asof=(\d{4}-\d{2}-\d{2})/")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=+-]")


def safe_segment(text: str) -> str:
    """One key segment from free text (a DAG or run id): unsafe characters become `_`, no leading dot."""
    return "_" + _UNSAFE.sub("_", text)[1:] if text.startswith(".") else _UNSAFE.sub("_", text) or "_"


def _season_label(season: int | None) -> str:
    return ALL_SEASONS if season is None else str(season)


# ---------------------------------------------------------------- CBBD requests


def cbbd_request_folder(layer: str, endpoint: str, season: int | None, asof: dt.date) -> str:
    """`raw` or `deadletter` folder of one request's answer (`CBBD_RAW` holds every raw one)."""
    return f"{layer}/cbbd/{endpoint}/season={_season_label(season)}/asof={asof.isoformat()}"


def cbbd_raw(endpoint: str, season: int | None, asof: dt.date, param_hash: str) -> str:
    return f"{cbbd_request_folder('raw', endpoint, season, asof)}/{param_hash}.json.gz"


def cbbd_deadletter(endpoint: str, season: int | None, asof: dt.date, param_hash: str, suffix: str) -> str:
    return f"{cbbd_request_folder('deadletter', endpoint, season, asof)}/{param_hash}.{suffix}"


def bronze_prefix(endpoint: str, season: int | None = None) -> str:
    """All of an endpoint's bronze objects, or (with `season`) one season's."""
    return f"bronze/{endpoint}/" if season is None else f"bronze/{endpoint}/season={season}/"


def bronze(endpoint: str, season: int | None, asof: dt.date, param_hash: str) -> str:
    return (
        f"bronze/{endpoint}/season={_season_label(season)}/asof={asof.isoformat()}/part-{param_hash}.parquet"
    )


# ---------------------------------------------------------------- BartTorvik


def bt_raw(day: dt.date, file_name: str, sha256: str) -> str:
    """The stored source file, named by the file it came from and its content."""
    stem = file_name.removesuffix(".gz")
    return f"raw/barttorvik/team_results/snapshot_date={day.isoformat()}/{stem}.{sha256[:12]}.gz"


def bt_deadletter(day: dt.date, reason: str, sha256: str, ext: str) -> str:
    return f"deadletter/barttorvik/team_results/snapshot_date={day.isoformat()}/{reason}-{sha256[:12]}.{ext}"


# ---------------------------------------------------------------- tables (silver, gold, ref)


def table_prefix(layer: str, table: str, season: int | None = None) -> str:
    """All of a table's objects, or (with `season`) one season's folder."""
    return f"{layer}/{table}/" if season is None else f"{layer}/{table}/season={season}/"


def table_object(layer: str, table: str, season: int | None = None) -> str:
    """The one object of a table's season (or of an unpartitioned table)."""
    return table_prefix(layer, table, season) + PART


def table_of(key: str) -> str:
    """`silver/fct_games/season=2024/part-0000.parquet` → `fct_games`."""
    return key.split("/")[1]


# ---------------------------------------------------------------- run summaries and working files


def run_summary(dag_id: str, run_id: str) -> str:
    return f"{RUN_SUMMARIES}{safe_segment(dag_id)}/{safe_segment(run_id)}.json"


def latest_summary(dag_id: str) -> str:
    return f"{LATEST_SUMMARIES}{safe_segment(dag_id)}.json"


def run_scratch(dag_id: str, run_id: str) -> str:
    return f"tmp/runs/{safe_segment(dag_id)}/{safe_segment(run_id)}"


# ---------------------------------------------------------------- parsing


def season_label(key: str) -> str | None:
    """The `season=` segment of a key: a spring year ('2024'), 'all', or None when there is none."""
    found = _SEASON.search(key)
    return found[1] if found else None


def season_of_key(key: str) -> int | None:
    """The season a key is partitioned by; None for `season=all` and unpartitioned keys."""
    label = season_label(key)
    return int(label) if label is not None and label.isdigit() else None


def asof_of_key(key: str) -> dt.date | None:
    """The run day a raw or bronze key was written for."""
    found = _ASOF.search(key)
    return dt.date.fromisoformat(found[1]) if found else None
