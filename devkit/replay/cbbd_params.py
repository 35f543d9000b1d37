"""Query and path parameters checked the way the API's tsoa layer checks them.

A bad request gets the API's 400 shape, `{"message": "Validation Failed", "details": {name: {...}}}`,
before any data is looked at, so the pipeline sees the same errors offline as online. Values come
back typed: ints, floats, bools, UTC datetimes and enum strings.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from hoops.cbbd.catalog import Endpoint

UTC = dt.UTC
DATETIME_HINT = "invalid ISO 8601 datetime format, i.e. YYYY-MM-DDTHH:MM:SS"


class ValidationFailed(ValueError):
    def __init__(self, details: dict[str, Any]):
        super().__init__(f"Validation Failed: {details}")
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"message": "Validation Failed", "details": self.details}


def parse_instant(text: str, *, end: bool = False) -> dt.datetime:
    """ISO-8601 to a UTC instant; a bare date is the day's first millisecond, or its last when `end`
    (so `endDateRange=2024-01-06` includes that day's games, as the pipeline's windows assume)."""
    value = text.strip()
    if len(value) == 10:
        day = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), UTC)
        return day + dt.timedelta(days=1, milliseconds=-1) if end else day
    if "T" in value and " " in value:  # a "+00:00" offset whose "+" arrived URL-decoded as a space
        value = value.replace(" ", "+")
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _convert(kind: str, raw: str, name: str, enum: tuple[str, ...] | None) -> Any:
    try:
        if enum is not None:
            if raw not in enum:
                raise ValueError("should be one of the following; [" + ",".join(f"'{e}'" for e in enum) + "]")
            return raw
        if kind == "integer":
            number = float(raw)
            if not math.isfinite(number) or not number.is_integer():
                raise ValueError("invalid integer number")
            return int(number)
        if kind == "number":
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError("invalid float number")
            return int(number) if number.is_integer() else number
        if kind == "boolean":
            lowered = raw.lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError("invalid boolean value")
            return lowered in ("true", "1")
        if kind == "datetime":
            return parse_instant(raw, end=name.startswith("end"))
        return raw
    except ValueError as exc:
        message = str(exc)
        if not message.startswith(("should be", "invalid")):
            message = {
                "integer": "invalid integer number",
                "number": "invalid float number",
                "datetime": DATETIME_HINT,
            }.get(kind, message)
        raise ValidationFailed({name: {"message": message, "value": raw}}) from None


def validate(endpoint: Endpoint, query: Mapping[str, str], path_values: Mapping[str, str]) -> dict[str, Any]:
    """Typed parameters of one request, or ValidationFailed naming every bad or missing one."""
    raw = {**{k: v for k, v in query.items() if v != ""}, **path_values}
    out: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for param in endpoint.params:
        value = raw.get(param.name)
        if value is None:
            if param.required:
                details[param.name] = {"message": f"'{param.name}' is required"}
            continue
        try:
            out[param.name] = _convert(param.type, value, param.name, param.enum)
        except ValidationFailed as exc:
            details.update(exc.details)
    if details:
        raise ValidationFailed(details)
    return out
