"""The local catalog: a DuckDB file with one view per silver and gold table over the lake's Parquet.

The offline counterpart of the Glue catalog: `duckdb .state/offline/lake.duckdb` (each local profile has
one, HOOPS_DUCKDB_CATALOG) and `SELECT * FROM gold.team_quality_daily` works without knowing the folder
layout. Views read the files at query time, so the catalog only changes when a table appears.
"""

from __future__ import annotations

import fcntl

import duckdb

from hoops import paths, settings
from hoops.lake import Lake, LocalLake
from hoops.lakesql import partitioning

LAYERS = ("silver", "gold", "ref")


def tables_in(lake: Lake, layer: str) -> list[str]:
    return sorted({paths.table_of(k) for k in lake.list(f"{layer}/") if k.endswith(".parquet")})


def refresh(lake: Lake) -> dict[str, object]:
    """Create or replace the views; a lake on S3 needs the Glue catalog instead (nothing done here)."""
    if not isinstance(lake, LocalLake):
        return {
            "catalog": "duckdb",
            "skipped": "the DuckDB catalog covers a local lake; use HOOPS_CATALOG=glue",
        }
    path = settings.duckdb_catalog_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    views = []
    # DuckDB refuses a second process on the file ("Could not set lock"): a backfill's catalog step and
    # gold_refresh often refresh at the same moment, so writers take turns on a lock file beside it.
    with open(path.with_name(path.name + ".lock"), "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)  # released when the file closes
        with duckdb.connect(str(path)) as con:
            for layer in LAYERS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
                for table in tables_in(lake, layer):
                    glob = (lake.root / layer / table).as_posix().replace("'", "''") + "/**/*.parquet"
                    options = partitioning(lake.list(paths.table_prefix(layer, table)))
                    con.execute(
                        f'CREATE OR REPLACE VIEW {layer}."{table}" AS SELECT * FROM '
                        f"read_parquet('{glob}', union_by_name = true, {options})"
                    )
                    views.append(f"{layer}.{table}")
    return {"catalog": "duckdb", "path": str(path), "views": views}
