"""The AWS catalog of the lake: which Glue crawlers a run starts, and the validation queries in Athena.

Crawlers and databases are named `<prefix>_<layer>` as Terraform creates them (infra/terraform). Only
silver, gold and ref are crawled: their files leave the partition column out, so Glue sees `season`
once. Bronze keeps the API's own `season` field next to its `season=` folder (Athena would refuse the
table), and it is the mirror of the API, not what analysts query.

The Athena checks are the DuckDB checks (include/sql/lake/validation/), run over the Glue tables:
primary-key duplicates and row counts per season against the neighbouring seasons.
"""

from __future__ import annotations

import logging
from typing import Any

from hoops import settings, validate
from hoops.cbbd import planner
from hoops.lake import Lake, S3Lake

log = logging.getLogger(__name__)

CRAWLED_LAYERS = ("silver", "gold", "ref")
PARALLEL_QUERIES = 8  # well under Athena's default of 20 concurrent DML queries per account


class CatalogError(RuntimeError):
    """The Glue/Athena configuration cannot work; the message says what to set."""


def database(layer: str) -> str:
    return f"{settings.glue_database_prefix()}_{layer}"


def check_configuration(lake: Lake) -> None:
    """Glue crawls S3 only: fail before any call when the catalog and the lake disagree."""
    kind = settings.catalog_kind()
    if kind not in ("duckdb", "glue"):
        raise CatalogError(f"HOOPS_CATALOG must be 'duckdb' or 'glue', got {kind!r}")
    if kind == "glue" and not isinstance(lake, S3Lake):
        raise CatalogError(
            "HOOPS_CATALOG=glue needs the lake on S3 (HOOPS_LAKE_URI=s3://bucket): Glue crawls S3 only"
        )


def crawlers(layers: tuple[str, ...] = CRAWLED_LAYERS) -> list[str]:
    """The crawlers to start after a run wrote these layers; none with the local catalog."""
    if settings.catalog_kind() != "glue":
        return []
    return [database(layer) for layer in layers if layer in CRAWLED_LAYERS]


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
            for qid in ids:
                state = self.hook.poll_query_status(qid, sleep_time=settings.athena_poll_s())
                if state != "SUCCEEDED":
                    reason = self.hook.get_state_change_reason(qid) or "no reason given"
                    out.append((qid, f"{state}: {reason}"))
                    continue
                rows = (self.hook.get_query_results(qid) or {}).get("ResultSet", {}).get("Rows", [])
                if rows and (rows[0].get("Data") or [{}])[0].get("VarCharValue") == "season":
                    rows = rows[1:]  # Athena's header row
                out.append((qid, [[_cell(v) for v in r.get("Data", [])] for r in rows]))
        return out


def checker() -> Any:
    """The lake checks of the configured catalog: Athena over Glue, else DuckDB over the files."""
    return check_lake if settings.catalog_kind() == "glue" else validate.check_lake


def check_lake(
    lake: Lake, seasons: list[int] | None, today=None, athena: Athena | None = None
) -> list[validate.Finding]:
    """Primary keys and row counts of the tables near `seasons`, in Athena; a failed query is an error."""
    current = planner.season_of(today or settings.today())
    nearby = validate.nearby_seasons(seasons)
    planned: list[tuple[str, str, tuple[str, ...], str]] = []  # (table, check, key, database)
    queries: list[tuple[str, str]] = []
    for name, layer, key, partitioned, _keys in validate.tables_present(lake, seasons):
        relation = _relation(layer, name, partitioned, nearby)
        planned.append((name, "primary_key", key, database(layer)))
        queries.append((database(layer), validate.pk_violations_sql(relation, key, partitioned)))
        if partitioned:
            planned.append((name, "row_count", key, database(layer)))
            queries.append((database(layer), validate.row_counts_sql(relation, partitioned)))
    results = (athena or Athena()).run(queries)
    findings: list[validate.Finding] = []
    for (name, check, key, db), (qid, rows) in zip(planned, results, strict=True):
        if isinstance(rows, str):
            findings.append(validate.Finding("error", "athena", name, f"{db} query {qid} {rows}"))
        elif check == "primary_key":
            findings += validate.pk_findings(name, key, [tuple(r) for r in rows])
        else:
            by_season = {r[0]: (r[1], {}) for r in rows if r[0] is not None}
            findings += validate.count_findings(name, by_season, current, seasons)
    log.info("athena: %d queries, %d findings", len(queries), len(findings))
    return findings
