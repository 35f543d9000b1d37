"""DuckDB over the lake: the engine silver, gold and validation SQL runs in.

DuckDB's httpfs extension can't be downloaded here (and shouldn't be at run time in production either),
so objects are reached through the `Lake`: a local lake is read in place, an S3 lake is copied to a
scratch folder first. DuckDB then streams the Parquet files itself, spilling to the scratch folder, so a
season of plays never has to fit in memory. Outputs are written to a scratch file by DuckDB and put into
the lake from that file (never read into memory) in one atomic write, under a name that depends only on
the table and partition: a rerun overwrites, it never adds.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb

from hoops import paths, settings
from hoops.lake import Lake, LocalLake

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def sql_text(layer: str, name: str) -> str:
    """The SQL file `include/sql/lake/{layer}/{name}.sql`."""
    return (settings.sql_dir() / "lake" / layer / f"{name}.sql").read_text()


class LakeSQL:
    """One DuckDB connection with views over lake prefixes; use as a context manager."""

    def __init__(self, lake: Lake):
        self.lake = lake
        self.scratch = Path(tempfile.mkdtemp(prefix="hoops-duckdb-"))
        memory_limit, threads = settings.duckdb_limits()
        self.con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "threads": threads,
                "temp_directory": str(self.scratch / "spill"),
            }
        )

    def __enter__(self) -> LakeSQL:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def local_paths(self, keys: Iterable[str]) -> list[str]:
        """Paths DuckDB can open for these lake keys (S3 objects are copied to the scratch folder once)."""
        paths = []
        for key in keys:
            if isinstance(self.lake, LocalLake):
                paths.append(str(self.lake.root / key))
                continue
            path = self.scratch / "objects" / key
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self.lake.get(key))
            paths.append(str(path))
        return paths

    def parquet_keys(self, prefix: str) -> list[str]:
        return [k for k in self.lake.list(prefix) if k.endswith(".parquet")]

    def view(self, name: str, keys: list[str], empty_sql: str | None = None) -> int:
        """Create view `name` over these Parquet objects, with `_key` = the object's lake key.

        With no objects the view is `empty_sql` (a typed empty SELECT) when given, else it is not created.
        Returns the number of files behind the view.
        """
        _check_view_name(name)
        if not keys:
            if empty_sql is not None:
                self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {empty_sql}")
            return 0
        paths = self.local_paths(keys)
        root = (
            str(self.lake.root) + "/"
            if isinstance(self.lake, LocalLake)
            else str(self.scratch / "objects") + "/"
        )
        listed = "[" + ", ".join(_quote(p) for p in paths) + "]"
        self.con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * EXCLUDE (filename), "
            f"replace(filename, {_quote(root)}, '') AS _key FROM read_parquet({listed}, filename = true, "
            f"union_by_name = true, {partitioning(keys)})"
        )
        return len(paths)

    def arrow_view(self, name: str, table: Any) -> None:
        """Register an in-memory Arrow table (e.g. rows read from Postgres) as a view."""
        _check_view_name(name)
        self.con.register(name, table)

    def _stored(self, query: str, key: str, params: list[Any] | None, order_by: str | None) -> str:
        """The SELECT whose rows go in the object: ordered, and without `season` under a `season=` folder."""
        ordered = f"SELECT * FROM ({query}) ORDER BY {order_by}" if order_by else query
        if paths.season_of_key(key) is None:
            return ordered
        shape = self.con.execute(f"SELECT * FROM ({query}) LIMIT 0", params or []).description
        return f"SELECT * EXCLUDE (season) FROM ({ordered})" if "season" in [c[0] for c in shape] else ordered

    def write(
        self,
        query: str,
        key: str,
        params: list[Any] | None = None,
        order_by: str | None = None,
        check: Callable[[str], None] | None = None,
        row_group_size: int = 122880,
    ) -> dict[str, int]:
        """Run `query` and store the result as one zstd Parquet object at `key`; returns rows and bytes.

        Under a `season=` folder the file leaves out the `season` column: the folder holds it, and a
        column with the partition's name would give Glue and Athena a table with `season` twice.

        `check(relation)` runs on the finished file before it is put in the lake (`relation` is a
        `read_parquet(...)` expression): a check that raises leaves the lake's previous object in place.

        DuckDB holds a row group's rows in memory until it writes them: wide rows (plays) want fewer.
        """
        out = self.scratch / "out" / key  # the key's own folders, so the season comes back from the path
        out.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(
            f"COPY ({self._stored(query, key, params, order_by)}) TO {_quote(str(out))} "
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {int(row_group_size)})",
            params or [],
        )
        relation = f"read_parquet({_quote(str(out))}, {partitioning([key])})"
        rows = self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        if check is not None:
            try:
                check(relation)
            except BaseException:
                out.unlink()
                raise
        size = out.stat().st_size
        try:  # from the file: a season's plays never sit in the task's memory as one bytes object
            self.lake.put_file(key, out, "application/vnd.apache.parquet")
        finally:
            out.unlink()
        return {"rows": rows, "bytes": size}


def partitioning(keys: Iterable[str]) -> str:
    """`read_parquet` options for these keys: silver and gold take `season` from their `season=` folder
    (their files leave it out, as Athena expects); bronze keeps the API's own `season` field and is read
    without folder columns."""
    keys = list(keys)
    tables = all(k.startswith(("silver/", "gold/")) for k in keys)
    if tables and any(paths.season_of_key(k) is not None for k in keys):
        return "hive_partitioning = true, hive_types = {'season': INTEGER}"
    return "hive_partitioning = false"


def _check_view_name(name: str) -> None:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain view name: {name!r}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
