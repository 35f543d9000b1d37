"""`ref/`: the reference data both pipelines share, published to the lake for every reader.

The team mapping (BartTorvik spellings → canonical `team_id` → CBBD team id) is the join key between the
Postgres snapshots and the lake; the conference and team dimensions come from silver. Readers (Athena,
DuckDB, analysts) get them from one place instead of the repository.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hoops import paths, settings
from hoops.lake import Lake

SHARED_DIMENSIONS = ("dim_teams", "dim_conferences", "dim_conference_history")


def team_mapping_table() -> pa.Table:
    teams = json.loads(settings.team_mapping_path().read_text())["teams"]
    return pa.table(
        {
            "team_id": pa.array([t["team_id"] for t in teams], pa.string()),
            "name": pa.array([t["name"] for t in teams], pa.string()),
            "cbbd_team_id": pa.array([t.get("cbbd_team_id") for t in teams], pa.int64()),
            "cbbd_school": pa.array([t.get("cbbd_school") for t in teams], pa.string()),
            "aliases": pa.array([t["aliases"] for t in teams], pa.list_(pa.string())),
        }
    )


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def publish(lake: Lake) -> dict[str, Any]:
    """Write the mapping (JSON as in the repository, and Parquet) and copy the shared silver dimensions."""
    mapping = settings.team_mapping_path()
    written = {
        paths.table_prefix("ref", "team_mapping") + "team_mapping.json": mapping.read_bytes(),
        paths.table_object("ref", "team_mapping"): _parquet(team_mapping_table()),
    }
    for name in SHARED_DIMENSIONS:
        key = paths.table_object("silver", name)
        if lake.exists(key):
            written[paths.table_object("ref", name)] = lake.get(key)
    for key, data in written.items():
        lake.put(key, data)
    return {"objects": sorted(written)}
