"""The check queries (`include/sql/lake/validation/`), filled in for a relation; the same text runs in
DuckDB and Athena."""

from __future__ import annotations

from typing import Any

from hoops.lakesql import sql_text


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def season_expr(partitioned: bool) -> str:
    return "season" if partitioned else "CAST(NULL AS INTEGER)"


def pk_violations_sql(relation: str, key: tuple[str, ...], partitioned: bool) -> str:
    """(season, duplicated keys, rows with a NULL key part) for each season of `relation` that has any."""
    return sql_text("validation", "pk_violations").format(
        relation=relation,
        season=season_expr(partitioned),
        key=", ".join(_quote(k) for k in key),
        key_null=" OR ".join(f"{_quote(k)} IS NULL" for k in key),
        groups=", ".join(str(i) for i in range(1, len(key) + 2)),
    )


def row_counts_sql(relation: str, partitioned: bool, columns: list[str] | None = None) -> str:
    """Rows per season, and with `columns` the non-null count of each."""
    counts = "".join(f", count({_quote(c)}) AS {_quote(c)}" for c in columns or [])
    return sql_text("validation", "null_counts").format(
        relation=relation, season=season_expr(partitioned), counts=counts
    )


def primary_key_violations(con: Any, relation: str, key: tuple[str, ...], partitioned: bool) -> list[tuple]:
    """Run `pk_violations_sql` on a DuckDB connection.

    `relation` is a view name or a `read_parquet(...)` expression built by the caller, never user input.
    """
    return con.execute(pk_violations_sql(relation, key, partitioned)).fetchall()
