"""The lake checks, in one home: primary keys, row counts and null rates against neighbouring seasons.

The builders (silver, gold) refuse a table with `sql.primary_key_violations` before it reaches the lake;
the DAGs' validate step and `hoops validate` run the checker of the configured catalog. The SQL is in
`include/sql/lake/validation/` and runs in DuckDB locally, in Athena over the Glue tables in AWS.
"""

from __future__ import annotations

from collections.abc import Callable

from hoops import settings


def engine() -> str:
    """Where the checks run: `athena` with the Glue catalog, else `duckdb`."""
    return "athena" if settings.catalog_kind() == "glue" else "duckdb"


def checker() -> Callable:
    """`check_lake(lake, tables, seasons)` of the configured engine."""
    if engine() == "athena":
        from hoops.checks import in_athena

        return in_athena.check_lake
    from hoops.checks import in_duckdb

    return in_duckdb.check_lake
