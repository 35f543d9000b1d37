"""Bronze: one response → one typed Parquet part (zstd), named by the request so a rerun overwrites.

`bronze/{endpoint}/season={S|all}/asof={D}/part-{param_hash}.parquet`. Columns follow the catalog's Arrow
schema with every field nullable (what Athena and DuckDB assume anyway); the catalog's non-null rules are
still enforced here: a row that breaks them, or has a value of the wrong type, goes to deadletter with the
reason. New top-level fields land in `_extra`.

A response is parsed once: its bytes go straight to Arrow's C++ JSON reader, wrapped as `{"r": [...]}`
and read against the schema `r: list<row>`, so the array's elements are read in place (`_one_parse`), a
few MB of them at a time (msgspec finds where each element ends without decoding it).
A body that reader refuses (an unknown field, a value that needs coercion, a repeated key, a rule broken
by some row) takes the older paths, which give the same table: Python's decoder feeding Arrow one record
at a time (`_reencoded`, which fills `_extra` and drops exact repeats), and last the record-by-record
path, which says which row is unusable and why.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from hoops import paths
from hoops.cbbd import catalog
from hoops.cbbd.request import Request
from hoops.lake import Lake


def use_system_allocator() -> None:
    """Arrow allocates from the system allocator from here on, where it would use mimalloc (its default,
    unless ARROW_DEFAULT_MEMORY_POOL chose another): the system one hands a response's freed buffers back
    at once, mimalloc kept them (plays bench, stores on one thread: peak RSS 248 MB instead of about 300).
    Called when a fetch starts, not at import: importing a module changes nothing process-wide."""
    if pa.default_memory_pool().backend_name == "mimalloc":
        pa.set_memory_pool(pa.system_memory_pool())


MMAP_THRESHOLD = 2 << 20
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def hand_back_large_buffers() -> None:
    """glibc's malloc gives each buffer of `MMAP_THRESHOLD` bytes or more its own mapping, returned to the
    system when freed. Left to itself the threshold rises to each such buffer freed (up to 32 MB), and
    then a response's large buffers are carved from the heap and stay resident once freed (plays bench
    at real volume: peak RSS 270-295 MB; 238-246 with the threshold fixed anywhere from 1 to 8 MB).
    Process-wide, so called when a fetch starts, as `use_system_allocator`; elsewhere than glibc the
    call is missing or does nothing."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


@dataclass
class BronzeResult:
    key: str
    rows: int
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0


def bronze_key(req: Request, asof: dt.date) -> str:
    return paths.bronze(req.endpoint, req.season, asof, req.param_hash)


def _nullable(t: pa.DataType) -> pa.DataType:
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _nullable(f.type), True) for f in t])
    if pa.types.is_list(t):
        return pa.list_(pa.field(t.value_field.name, _nullable(t.value_type), True))
    return t


@cache
def bronze_schema(endpoint: str) -> pa.Schema:
    return pa.schema([pa.field(f.name, _nullable(f.type), True) for f in catalog.get(endpoint).schema])


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


def _extra(record: dict[str, Any], known: frozenset[str]) -> str | None:
    keys = record.keys() - known
    if not keys:
        return None
    return json.dumps(
        {k: record[k] for k in sorted(keys)}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


_WS = re.compile(r"\s*")
CHUNK_ROWS = 4096
PARSE_BYTES = 4 << 20
# One chunk is small; a single reader thread keeps Arrow from holding a block buffer per core.
_READ = pj.ReadOptions(use_threads=False, block_size=8 << 20)


def iter_records(body: bytes, ep: catalog.Endpoint) -> Iterator[Any]:
    """The response's records one at a time, without holding them all as Python objects."""
    text = body.decode("utf-8")
    if not ep.response_is_list:
        record = json.loads(text)
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, got a JSON {type(record).__name__}")
        missing = [k for k in ep.primary_key if record.get(k) is None]
        if missing:  # an error body or another shape: the whole answer is unusable, not one row of it
            raise ValueError(f"expected a {ep.name} object with {missing}, got keys {sorted(record)[:10]}")
        yield record
        return
    decoder = json.JSONDecoder()
    i = _WS.match(text, 0).end()
    if text[i : i + 1] != "[":
        raise ValueError("expected a JSON array")
    i = _WS.match(text, i + 1).end()
    if text[i : i + 1] == "]":
        return
    while True:
        record, i = decoder.raw_decode(text, i)
        yield record
        i = _WS.match(text, i).end()
        if text[i : i + 1] == ",":
            i = _WS.match(text, i + 1).end()
        elif text[i : i + 1] == "]" and not text[i + 1 :].strip():
            return
        else:
            raise ValueError(f"malformed JSON array at character {i}")


@dataclass
class Converted:
    table: pa.Table | None  # None: some record needs the careful path
    served: int  # records in the response, duplicates included (what the row cap counts)
    duplicates: int


def _read_ndjson(lines: list[str], extras: list[str | None], ep: catalog.Endpoint) -> pa.Table:
    schema = bronze_schema(ep.name)
    options = pj.ParseOptions(
        explicit_schema=schema.remove(schema.get_field_index(catalog.EXTRA_COLUMN)),
        unexpected_field_behavior="ignore",
    )
    table = pj.read_json(io.BytesIO("\n".join(lines).encode()), read_options=_READ, parse_options=options)
    if table.num_rows != len(lines):
        raise ValueError("row count changed in conversion")
    return table.append_column(schema.field(catalog.EXTRA_COLUMN), pa.array(extras, pa.string()))


@cache
def _wrapped_options(endpoint: str) -> pj.ParseOptions:
    rows = bronze_schema(endpoint).remove(bronze_schema(endpoint).get_field_index(catalog.EXTRA_COLUMN))
    return pj.ParseOptions(
        explicit_schema=pa.schema([pa.field("r", pa.list_(pa.struct(list(rows))))]),
        unexpected_field_behavior="error",  # a new field needs `_extra`: the slower path fills it
    )


def _keys_unique(table: pa.Table, ep: catalog.Endpoint) -> bool:
    """True when no two rows share the natural key (then there is no exact repeat to drop either)."""
    if not ep.primary_key or table.num_rows < 2:
        return True
    keys = []
    for path in ep.primary_key:
        first, *rest = path.split(".")
        column: pa.Array = table.column(first).combine_chunks()
        for part in rest:
            column = pc.struct_field(column, part)
        keys.append(column)
    if len(keys) == 1:
        return pc.count_distinct(keys[0], mode="all").as_py() == table.num_rows
    names = [str(i) for i in range(len(keys))]
    return pa.table(keys, names=names).group_by(names).aggregate([]).num_rows == table.num_rows


def _read_records(elements: list[msgspec.Raw], ep: catalog.Endpoint) -> pa.StructArray | None:
    """Some of the array's elements as rows, from one Arrow parse of `{"r": [<elements>]}`; None when
    Arrow refuses them or one of them is null."""
    wrapped = b"".join((b'{"r":[', b",".join(elements), b"]}"))
    if not wrapped.isascii():
        try:
            wrapped.decode("utf-8")  # Python's decoder refuses bad UTF-8; Arrow must not accept it instead
        except UnicodeDecodeError:
            return None
    read = pj.ReadOptions(use_threads=False, block_size=len(wrapped) + 64)  # one block: one object
    try:
        table = pj.read_json(
            pa.BufferReader(wrapped), read_options=read, parse_options=_wrapped_options(ep.name)
        )
    except pa.ArrowException:
        return None
    if table.num_rows != 1:
        return None
    rows = table.column(0).combine_chunks()
    if rows.null_count:
        return None
    records = rows.flatten()
    return None if records.null_count else records  # a null where a record should be


def _one_parse(body: bytes, ep: catalog.Endpoint) -> pa.Table | None:
    """The bronze table from a single Arrow parse of the body, or None when the body needs the slower
    paths (anything unusual: they decide what it is and what to do with it). msgspec finds where the
    array's elements start and end without decoding them; Arrow parses about `PARSE_BYTES` of them at a
    time, so what the parse holds at once is a few times that, not a few times the body."""
    try:
        elements = msgspec.json.decode(body, type=list[msgspec.Raw])
    except msgspec.DecodeError:
        return None
    schema = bronze_schema(ep.name)
    tables, start, size = [], 0, 0
    for end, element in enumerate(elements, 1):
        size += len(element)
        if size >= PARSE_BYTES or end == len(elements):
            records = _read_records(elements[start:end], ep)
            if records is None:
                return None
            tables.append(pa.Table.from_struct_array(records))
            start, size = end, 0
    del elements
    if not tables:  # an empty array: its (empty) columns come from Arrow too
        records = _read_records([], ep)
        if records is None:
            return None
        tables.append(pa.Table.from_struct_array(records))
    table = pa.concat_tables(tables)
    table = table.append_column(schema.field(catalog.EXTRA_COLUMN), pa.nulls(table.num_rows, pa.string()))
    if not table.schema.equals(schema) or not _keys_unique(table, ep):
        return None
    return table


def _breaks_rules(table: pa.Table, ep: catalog.Endpoint) -> bool:
    """Whether some row breaks the catalog's non-null rules, judged a parsed piece at a time: judging
    the whole table combined each column's pieces into a copy first (memray: 14 MB for a 51 MB day)."""
    return any(
        catalog.null_violations(pa.Table.from_batches([piece]), ep.schema) for piece in table.to_batches()
    )


def convert(body: bytes, ep: catalog.Endpoint) -> Converted:
    """The body as a bronze table; exact repeats dropped. `table` is None when some record needs the
    careful path. Raises ValueError when the body is not a JSON array (or object) of records at all."""
    if ep.response_is_list:
        table = _one_parse(body, ep)
        if table is not None:
            if _breaks_rules(table, ep):
                return Converted(None, table.num_rows, 0)
            return Converted(table, table.num_rows, 0)
    return _reencoded(body, ep)


def _reencoded(body: bytes, ep: catalog.Endpoint) -> Converted:
    """Decode records with Python, re-encode each as NDJSON for Arrow, a chunk at a time: slower, but it
    fills `_extra` and drops exact repeats."""
    schema = bronze_schema(ep.name)
    seen: dict[tuple, set[int]] = {}
    chunks, lines, extras = [], [], []
    served = duplicates = 0
    fast = True
    for record in iter_records(body, ep):
        served += 1
        if not fast:
            continue
        if not isinstance(record, dict):
            fast = False
            continue
        line = json.dumps(record, separators=(",", ":"))
        key = _key_of(record, ep)
        if key is not None:
            digests = seen.setdefault(key, set())
            if hash(line) in digests:
                duplicates += 1
                continue
            digests.add(hash(line))
        lines.append(line)
        extras.append(_extra(record, ep.known_fields))
        if len(lines) >= CHUNK_ROWS:
            try:
                chunks.append(_read_ndjson(lines, extras, ep))
            except (pa.ArrowException, ValueError):
                fast = False
            lines, extras = [], []
    if fast and lines:
        try:
            chunks.append(_read_ndjson(lines, extras, ep))
        except (pa.ArrowException, ValueError):
            fast = False
    if not fast:
        return Converted(None, served, 0)
    table = pa.concat_tables(chunks).select(schema.names) if chunks else schema.empty_table()
    if _breaks_rules(table, ep):
        return Converted(None, served, 0)
    return Converted(table, served, duplicates)


def _careful_table(records: list[Any], ep: catalog.Endpoint) -> tuple[pa.Table, list[dict[str, Any]]]:
    schema = bronze_schema(ep.name)
    rows, rejected = [], []
    for index, record in enumerate(records):
        try:
            row = catalog.to_row(record, ep)
            violations = catalog.null_violations(pa.Table.from_pylist([row], schema=schema), ep.schema)
        except (catalog.CoercionError, ValueError, TypeError, pa.ArrowException) as exc:
            rejected.append({"index": index, "reason": str(exc), "record": record})
            continue
        if violations:
            rejected.append(
                {"index": index, "reason": f"null in non-nullable {', '.join(violations)}", "record": record}
            )
        else:
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=schema), rejected


def to_bronze_table(records: list[Any], ep: catalog.Endpoint) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Records already in memory (tests, small responses) → the bronze table and the rejects."""
    body = json.dumps(records if ep.response_is_list else records[0]).encode()
    converted = convert(body, ep)
    if converted.table is not None:
        return converted.table, []
    return _careful_table(drop_exact_duplicates(records, ep)[0], ep)


def parquet_bytes(table: pa.Table) -> bytes:
    """The part's bytes: the same table always gives the same bytes (reruns overwrite with no change)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=True)
    return sink.getvalue().to_pybytes()


def write_table(lake: Lake, req: Request, asof: dt.date, table: pa.Table) -> str:
    key = bronze_key(req, asof)
    lake.put(key, parquet_bytes(table), "application/vnd.apache.parquet")
    return key


def write_bronze(lake: Lake, req: Request, asof: dt.date, records: list[Any]) -> BronzeResult:
    ep = catalog.get(req.endpoint)
    records, duplicates = drop_exact_duplicates(records, ep)
    table, rejected = to_bronze_table(records, ep)
    return BronzeResult(write_table(lake, req, asof, table), table.num_rows, rejected, duplicates)


def body_table(body: bytes, converted: Converted, ep: catalog.Endpoint) -> tuple[pa.Table, list, int]:
    """The part's table, its rejected rows and the exact repeats dropped, from a converted body."""
    if converted.table is not None:
        return converted.table, [], converted.duplicates
    # the careful path needs the records in memory; rare
    records, duplicates = drop_exact_duplicates(list(iter_records(body, ep)), ep)
    table, rejected = _careful_table(records, ep)
    return table, rejected, duplicates


def write_bronze_body(
    lake: Lake, req: Request, asof: dt.date, body: bytes, converted: Converted
) -> BronzeResult:
    """Bronze from a response body already run through `convert` (the engine's path)."""
    table, rejected, duplicates = body_table(body, converted, catalog.get(req.endpoint))
    return BronzeResult(write_table(lake, req, asof, table), table.num_rows, rejected, duplicates)
