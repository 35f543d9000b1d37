"""The lake checks in Athena, over the Glue tables: the DuckDB checks' SQL, a few queries at a time.

Primary-key duplicates and row counts per season against the neighbouring seasons; a query that fails
is an error finding, not an exception, so the rest of the report still comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from hoops import settings
from hoops.aws_catalog import database
from hoops.calendar import season_of
from hoops.checks.findings import Finding, count_findings, pk_findings
from hoops.checks.sql import pk_violations_sql, row_counts_sql
from hoops.checks.tables import Declared, nearby_seasons, tables_present
from hoops.lake import Lake

log = logging.getLogger(__name__)

PARALLEL_QUERIES = 8  # well under Athena's default of 20 concurrent DML queries per account


def _relation(layer: str, table: str, partitioned: bool, seasons: list[int] | None) -> str:
    name = f'"{database(layer)}"."{table}"'
    if not partitioned or seasons is None:
        return name
    wanted = ", ".join(str(s) for s in seasons)  # integers from the validated spec
    return f"(SELECT * FROM {name} WHERE CAST(season AS INTEGER) IN ({wanted})) AS t"


def _cell(value: dict[str, str]) -> int | None:
    text = value.get("VarCharValue")
    return None if text in (None, "") else int(float(text))


class Athena:
    """Runs a list of queries a few at a time in the workgroup and returns their rows."""

    def __init__(self, hook: Any = None):
        if hook is None:
            from airflow.providers.amazon.aws.hooks.athena import AthenaHook

            hook = AthenaHook(aws_conn_id=settings.AWS_CONN_ID, log_query=False)
        self.hook = hook

    def _rows(self, qid: str) -> list[list[int | None]] | str:
        state = self.hook.poll_query_status(qid, sleep_time=settings.athena_poll_s())
        if state != "SUCCEEDED":
            return f"{state}: {self.hook.get_state_change_reason(qid) or 'no reason given'}"
        rows = (self.hook.get_query_results(qid) or {}).get("ResultSet", {}).get("Rows", [])
        if rows and (rows[0].get("Data") or [{}])[0].get("VarCharValue") == "season":
            rows = rows[1:]  # Athena's header row
        return [[_cell(v) for v in r.get("Data", [])] for r in rows]

    def run(self, queries: list[tuple[str, str]]) -> list[tuple[str, list[list[int | None]] | str]]:
        """[(database, sql)] → [(query id, rows as ints | the failure reason)], in order."""
        out = []
        for start in range(0, len(queries), PARALLEL_QUERIES):
            ids = [
                self.hook.run_query(
                    query=text,
                    query_context={"Database": db},
                    result_configuration={"OutputLocation": settings.athena_output()},
                    workgroup=settings.athena_workgroup(),
                )
                for db, text in queries[start : start + PARALLEL_QUERIES]
            ]
            out += [(qid, self._rows(qid)) for qid in ids]
        return out


# One planned query: (table, check, primary key, database)
Planned = tuple[str, str, tuple[str, ...], str]


def _queries(
    lake: Lake, tables: Mapping[str, Declared], seasons: list[int] | None
) -> tuple[list[Planned], list[tuple[str, str]]]:
    """The checks to run for the tables near `seasons`, and their (database, SQL), in the same order."""
    nearby = nearby_seasons(seasons)
    planned: list[Planned] = []
    queries: list[tuple[str, str]] = []
    for name, (layer, key, partitioned), _keys in tables_present(lake, tables, seasons):
        relation = _relation(layer, name, partitioned, nearby)
        planned.append((name, "primary_key", key, database(layer)))
        queries.append((database(layer), pk_violations_sql(relation, key, partitioned)))
        if partitioned:
            planned.append((name, "row_count", key, database(layer)))
            queries.append((database(layer), row_counts_sql(relation, partitioned)))
    return planned, queries


def _findings(
    planned: list[Planned], results: list, current: int, seasons: list[int] | None
) -> list[Finding]:
    """Judge each answer; a query that failed is an error finding."""
    findings: list[Finding] = []
    for (name, check, key, db), (qid, rows) in zip(planned, results, strict=True):
        if isinstance(rows, str):
            findings.append(Finding("error", "athena", name, f"{db} query {qid} {rows}"))
        elif check == "primary_key":
            findings += pk_findings(name, key, [tuple(r) for r in rows])
        else:
            by_season = {r[0]: (r[1], {}) for r in rows if r[0] is not None}
            findings += count_findings(name, by_season, current, seasons)
    return findings


def check_lake(
    lake: Lake,
    tables: Mapping[str, Declared],
    seasons: list[int] | None = None,
    today=None,
    athena: Athena | None = None,
) -> list[Finding]:
    """Primary keys and row counts of the tables near `seasons`, in Athena; a failed query is an error."""
    planned, queries = _queries(lake, tables, seasons)
    results = (athena or Athena()).run(queries)
    findings = _findings(planned, results, season_of(today or settings.today()), seasons)
    log.info("athena: %d queries, %d findings", len(queries), len(findings))
    return findings
