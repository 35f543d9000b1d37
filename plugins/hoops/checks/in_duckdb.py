"""The lake checks in DuckDB, over the Parquet objects themselves (the local catalog, or any lake)."""

from __future__ import annotations

from collections.abc import Mapping

from hoops import settings
from hoops.calendar import season_of
from hoops.checks.findings import BySeason, Finding, count_findings, pk_findings
from hoops.checks.sql import primary_key_violations, row_counts_sql
from hoops.checks.tables import Declared, tables_present
from hoops.lake import Lake
from hoops.lakesql import LakeSQL


def _null_counts(sql: LakeSQL, name: str, partitioned: bool) -> BySeason:
    columns = [
        c
        for (c,) in sql.con.execute(f"SELECT column_name FROM (DESCRIBE {name})").fetchall()
        if not c.startswith("_")
    ]
    out = {}
    for row in sql.con.execute(row_counts_sql(name, partitioned, columns)).fetchall():
        out[row[0]] = (row[1], dict(zip(columns, row[2:], strict=True)))
    return out


def check_lake(
    lake: Lake, tables: Mapping[str, Declared], seasons: list[int] | None = None, today=None
) -> list[Finding]:
    """PK checks for the given seasons; count and null-rate checks compare them with their neighbours."""
    current = season_of(today or settings.today())
    findings: list[Finding] = []
    for name, (_layer, key, partitioned), keys in tables_present(lake, tables, seasons):
        with LakeSQL(lake) as sql:
            sql.view(name, keys)
            findings += pk_findings(name, key, primary_key_violations(sql.con, name, key, partitioned))
            if partitioned:
                findings += count_findings(name, _null_counts(sql, name, partitioned), current, seasons)
    return findings
