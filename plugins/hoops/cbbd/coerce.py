"""JSON values -> values Arrow takes for a declared type, and the checks Arrow leaves out.

The careful bronze path and the catalog's `to_row` use it: ISO timestamps and dates become Python values,
a whole float for an integer is accepted but a fraction is refused (Arrow would truncate it), and
`null_violations` finds nulls in non-nullable fields before Parquet refuses the whole file.
Declarations (the models and their Arrow types) live in `schema`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from hoops.cbbd.schema import DATE, TIMESTAMP

Converter = Callable[[Any, str], Any]


class CoercionError(ValueError):
    """A JSON value that does not fit its declared type; the message names the dotted field path."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


def _to_datetime(value: Any, path: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise CoercionError(path, f"not an ISO-8601 timestamp: {value!r}") from exc
    elif isinstance(value, dt.datetime):
        parsed = value
    else:
        raise CoercionError(path, f"expected an ISO-8601 timestamp, got {type(value).__name__} {value!r}")
    # The API sends UTC with a `Z`; a naive value is taken as UTC too rather than as local time.
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _to_date(value: Any, path: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])  # tolerate a time part after the date
        except ValueError as exc:
            raise CoercionError(path, f"not an ISO-8601 date: {value!r}") from exc
    raise CoercionError(path, f"expected an ISO-8601 date, got {type(value).__name__} {value!r}")


def _to_int(value: Any, path: str) -> Any:
    # pyarrow would silently truncate 1.5 to 1; a whole float such as 3.0 is fine.
    if isinstance(value, float):
        if not value.is_integer():
            raise CoercionError(path, f"expected an integer, got {value!r}")
        return int(value)
    return value


def converter(arrow: pa.DataType) -> Converter | None:
    """A function making a JSON value fit `arrow`, or None when pyarrow takes such values as they are.

    Built once per schema, so the per-row work is only on fields that need it (timestamps, dates and
    integers, at any depth). Unknown keys inside nested objects are left alone: Arrow ignores them.
    """
    if arrow == TIMESTAMP:
        return _to_datetime
    if arrow == DATE:
        return _to_date
    if pa.types.is_int64(arrow):
        return _to_int
    if pa.types.is_struct(arrow):
        children = [(f.name, conv) for f in arrow if (conv := converter(f.type)) is not None]
        if not children:
            return None

        def struct(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                raise CoercionError(path, f"expected an object, got {type(value).__name__}")
            out = dict(value)
            for name, conv in children:
                item = out.get(name)
                if item is not None:
                    out[name] = conv(item, f"{path}.{name}")
            return out

        return struct
    if pa.types.is_list(arrow):
        item_conv = converter(arrow.value_type)
        if item_conv is None:
            return None

        def items(value: Any, path: str) -> Any:
            if not isinstance(value, list):
                raise CoercionError(path, f"expected a list, got {type(value).__name__}")
            return [None if v is None else item_conv(v, f"{path}[{i}]") for i, v in enumerate(value)]

        return items
    return None


def unknown_keys(value: Any, arrow: pa.DataType, path: str) -> set[str]:
    """Dotted paths of object keys inside `value` that `arrow` does not declare (`a.b`, `a[].c`)."""
    found: set[str] = set()
    if pa.types.is_struct(arrow) and isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            index = arrow.get_field_index(key)
            if index < 0:
                found.add(child)
            elif item is not None:
                found |= unknown_keys(item, arrow.field(index).type, child)
    elif pa.types.is_list(arrow) and isinstance(value, list):
        for item in value:
            if item is not None:
                found |= unknown_keys(item, arrow.value_type, f"{path}[]")
    return found


def null_violations(table: pa.Table, schema: pa.Schema | None = None) -> list[str]:
    """Dotted paths of non-nullable fields that hold nulls (nested ones only where the parent is present).

    pyarrow builds such a table without complaint but refuses to write it to Parquet, so a writer
    checks first and can quarantine the rows with a reason instead of failing on the whole file.
    `schema` judges a table built with looser nullability (same fields, same order).
    """
    out: list[str] = []

    def visit(array: pa.Array, field: pa.Field, path: str) -> None:
        if array.null_count and not field.nullable:
            out.append(path)
        present = array.drop_null() if array.null_count else array
        if pa.types.is_struct(field.type):
            for i, child in enumerate(field.type):
                visit(present.field(i), child, f"{path}.{child.name}")
        elif pa.types.is_list(field.type):
            visit(present.flatten(), field.type.value_field, f"{path}[]")

    for field, column in zip(schema or table.schema, table.columns, strict=True):
        visit(column.combine_chunks(), field, field.name)
    return out
