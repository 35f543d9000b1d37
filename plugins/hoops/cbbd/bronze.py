"""Bronze: one response → one typed Parquet part (zstd), named by the request so a rerun overwrites.

`bronze/{endpoint}/season={S|all}/asof={D}/part-{param_hash}.parquet`. Rows are typed with the catalog's
Arrow schema; new top-level fields land in `_extra`. A row that does not fit (wrong type, null where the
schema forbids it) goes to deadletter with the reason instead of failing the whole part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hoops.cbbd import catalog
from hoops.cbbd.request import Request
from hoops.lake import Lake


@dataclass
class BronzeResult:
    key: str
    rows: int
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0


def bronze_key(req: Request, asof: dt.date) -> str:
    season = req.season if req.season is not None else "all"
    return f"bronze/{req.endpoint}/season={season}/asof={asof.isoformat()}/part-{req.param_hash}.parquet"


def _fits(row: dict[str, Any], ep: catalog.Endpoint) -> str | None:
    violations = catalog.null_violations(pa.Table.from_pylist([row], schema=ep.schema))
    return f"null in non-nullable {', '.join(violations)}" if violations else None


def _key_of(record: Any, ep: catalog.Endpoint) -> tuple | None:
    if not isinstance(record, dict) or not ep.primary_key:
        return None
    key = []
    for path in ep.primary_key:
        value: Any = record
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        key.append(value)
    return tuple(key)


def drop_exact_duplicates(records: list[Any], ep: catalog.Endpoint) -> tuple[list[Any], int]:
    """Records repeated verbatim in one response (same key, same content) are kept once. Same key with
    different content is kept twice: that is a disagreement for silver to resolve, not a duplicate."""
    seen: dict[tuple, list[Any]] = {}
    kept, dropped = [], 0
    for record in records:
        key = _key_of(record, ep)
        if key is not None and any(record == other for other in seen.get(key, ())):
            dropped += 1
            continue
        if key is not None:
            seen.setdefault(key, []).append(record)
        kept.append(record)
    return kept, dropped


def to_bronze_table(records: list[Any], ep: catalog.Endpoint) -> tuple[pa.Table, list[dict[str, Any]]]:
    rows, rejected = [], []
    for index, record in enumerate(records):
        try:
            rows.append(catalog.to_row(record, ep))
        except (catalog.CoercionError, ValueError, TypeError) as exc:
            rejected.append({"index": index, "reason": str(exc), "record": record})
    table = pa.Table.from_pylist(rows, schema=ep.schema)
    if catalog.null_violations(table):  # rare: find the offending rows one by one
        keep = []
        for index, row in enumerate(rows):
            reason = _fits(row, ep)
            if reason:
                rejected.append({"index": index, "reason": reason, "record": row})
            else:
                keep.append(row)
        table = pa.Table.from_pylist(keep, schema=ep.schema)
    return table, rejected


def write_bronze(lake: Lake, req: Request, asof: dt.date, records: list[Any]) -> BronzeResult:
    ep = catalog.get(req.endpoint)
    records, duplicates = drop_exact_duplicates(records, ep)
    table, rejected = to_bronze_table(records, ep)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=True)
    key = bronze_key(req, asof)
    lake.put(key, sink.getvalue().to_pybytes(), "application/vnd.apache.parquet")
    return BronzeResult(key, table.num_rows, rejected, duplicates)
