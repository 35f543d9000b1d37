"""Is the lake right? Primary keys, row counts against neighbouring seasons, null rates, the last run.

`hoops validate` (and `make validate`) prints a readable report and exits non-zero on any
error; the CBBD DAGs run the same checks for the seasons they touched and put the findings in the run
summary. The SQL is in `include/sql/lake/validation/` and runs in DuckDB here, in Athena in AWS.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from hoops.cbbd import planner
from hoops.lake import Lake
from hoops.lakesql import LakeSQL, sql_text

MIN_SHARE_OF_NEIGHBOURS = 0.5  # a finished season with under half its neighbours' rows is missing data
EMPTY_COLUMN_NEIGHBOUR_FILL = 0.5  # a column empty this season but this full next door went missing


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    check: str
    table: str
    message: str


def declared_tables() -> dict[str, tuple[str, tuple[str, ...], bool]]:
    """Every silver and gold table: (layer, primary key, partitioned by season)."""
    from hoops.cbbd import gold, silver

    out = {}
    for layer, module in (("silver", silver), ("gold", gold)):
        for name, table in module.TABLES.items():
            out[name] = (layer, tuple(table.primary_key), bool(getattr(table, "partitioned", True)))
    return out


def _keys(lake: Lake, layer: str, name: str, seasons: list[int] | None) -> list[str]:
    keys = [k for k in lake.list(f"{layer}/{name}/") if k.endswith(".parquet")]
    if seasons is None:
        return keys
    wanted = {f"season={s}" for s in seasons}
    return [k for k in keys if "season=" not in k or k.split("/")[2] in wanted]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def primary_key_violations(con: Any, relation: str, key: tuple[str, ...], partitioned: bool) -> list[tuple]:
    """(season, duplicated keys, rows with a NULL key part) for each season of `relation` that has any.

    `relation` is a view name or a `read_parquet(...)` expression built by the caller, never user input.
    """
    return con.execute(pk_violations_sql(relation, key, partitioned)).fetchall()


def season_expr(partitioned: bool) -> str:
    return "season" if partitioned else "CAST(NULL AS INTEGER)"


def pk_violations_sql(relation: str, key: tuple[str, ...], partitioned: bool) -> str:
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


def pk_findings(name: str, key: tuple[str, ...], violations: list[tuple]) -> list[Finding]:
    """Findings from the rows of `pk_violations.sql` (DuckDB or Athena)."""
    return [
        Finding(
            "error",
            "primary_key",
            name,
            f"season {season}: {dups} duplicated keys, {nulls} rows with a NULL key part ({', '.join(key)})",
        )
        for season, dups, nulls in violations
    ]


def _null_counts(sql: LakeSQL, name: str, partitioned: bool) -> dict[int | None, tuple[int, dict[str, int]]]:
    columns = [
        c
        for (c,) in sql.con.execute(f"SELECT column_name FROM (DESCRIBE {name})").fetchall()
        if not c.startswith("_")
    ]
    out = {}
    for row in sql.con.execute(row_counts_sql(name, partitioned, columns)).fetchall():
        out[row[0]] = (row[1], dict(zip(columns, row[2:], strict=True)))
    return out


def _against_neighbours(
    name: str, by_season: dict[Any, tuple[int, dict[str, int]]], current: int
) -> list[Finding]:
    findings = []
    seasons = sorted(s for s in by_season if s is not None)
    for season in seasons:
        neighbours = [by_season[s] for s in (season - 1, season + 1) if s in by_season]
        if not neighbours or season >= current:
            continue  # the season in progress is partial by nature
        rows, filled = by_season[season]
        typical = statistics.median(r for r, _ in neighbours)
        if rows < MIN_SHARE_OF_NEIGHBOURS * typical:
            findings.append(
                Finding(
                    "error",
                    "row_count",
                    name,
                    f"season {season}: {rows} rows, neighbouring seasons have ~{typical:.0f}",
                )
            )
        for column, count in filled.items():
            fill_next_door = max((f[column] / r if r else 0.0) for r, f in neighbours)
            if rows and count == 0 and fill_next_door >= EMPTY_COLUMN_NEIGHBOUR_FILL:
                findings.append(
                    Finding(
                        "error",
                        "null_rate",
                        name,
                        f"season {season}: column {column} is empty, "
                        f"{fill_next_door:.0%} filled in neighbouring seasons",
                    )
                )
    return findings


def check_lake(lake: Lake, seasons: list[int] | None = None, today=None) -> list[Finding]:
    """PK checks for the given seasons; count and null-rate checks compare them with their neighbours."""
    from hoops import settings

    current = planner.season_of(today or settings.today())
    findings: list[Finding] = []
    for name, _layer, key, partitioned, keys in tables_present(lake, seasons):
        with LakeSQL(lake) as sql:
            sql.view(name, keys)
            findings += pk_findings(name, key, primary_key_violations(sql.con, name, key, partitioned))
            if partitioned:
                findings += count_findings(name, _null_counts(sql, name, partitioned), current, seasons)
    return findings


def nearby_seasons(seasons: list[int] | None) -> list[int] | None:
    """The seasons to read for checking `seasons`: each with its neighbours (None: every season)."""
    return None if seasons is None else sorted({n for s in seasons for n in (s - 1, s, s + 1)})


def tables_present(
    lake: Lake, seasons: list[int] | None
) -> list[tuple[str, str, tuple[str, ...], bool, list]]:
    """(table, layer, primary key, partitioned, object keys) of each table with objects near `seasons`."""
    nearby = nearby_seasons(seasons)
    found = []
    for name, (layer, key, partitioned) in declared_tables().items():
        keys = _keys(lake, layer, name, nearby)
        if keys:
            found.append((name, layer, key, partitioned, keys))
    return found


def count_findings(
    name: str, by_season: dict[Any, tuple[int, dict[str, int]]], current: int, seasons: list[int] | None
) -> list[Finding]:
    """Row-count and null-rate findings for `seasons` (None: all) against their neighbours."""
    checked = set(seasons) if seasons is not None else set(by_season)
    return [
        f
        for f in _against_neighbours(name, by_season, current)
        if any(f"season {s}:" in f.message for s in checked)
    ]


def check_summary(summary: dict[str, Any] | None) -> list[Finding]:
    if summary is None:
        return [Finding("warning", "summary", "meta/latest", "no run summary yet: no CBBD run has finished")]
    where = f"{summary['dag_id']} {summary['run_id']}"
    found = []
    if summary["status"] not in ("success", "incomplete_budget"):
        found.append(Finding("error", "summary", where, f"last run status {summary['status']}"))
    if summary.get("deadletter_count"):
        found.append(
            Finding("warning", "summary", where, f"{summary['deadletter_count']} requests in deadletter/")
        )
    if summary.get("calls_deferred"):
        found.append(
            Finding(
                "warning", "summary", where, f"{summary['calls_deferred']} calls deferred to the next run"
            )
        )
    return found


def as_dict(findings: list[Finding]) -> dict[str, Any]:
    return {
        "errors": sum(f.level == "error" for f in findings),
        "warnings": sum(f.level == "warning" for f in findings),
        "findings": [asdict(f) for f in findings],
    }


def report(findings: list[Finding]) -> str:
    if not findings:
        return "validate: OK: primary keys, row counts and null rates as expected"
    lines = [
        f"validate: {sum(f.level == 'error' for f in findings)} errors, "
        f"{sum(f.level == 'warning' for f in findings)} warnings"
    ]
    lines += [f"  {f.level.upper():7} {f.check:12} {f.table:28} {f.message}" for f in findings]
    return "\n".join(lines)
