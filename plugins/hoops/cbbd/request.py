"""One CBBD API call as data: endpoint + parameters, with a stable hash.

The hash names the call everywhere it leaves a trace (checkpoint key, raw and bronze object names,
deadletter), so the same request always lands on the same keys and a rerun overwrites instead of adding.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from hoops.cbbd import catalog


def _canonical(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return str(value)


@dataclass(frozen=True, order=True)
class Request:
    endpoint: str  # catalog name, e.g. "plays_date"
    params: tuple[tuple[str, Any], ...] = ()  # sorted (name, value); path parameters included
    season: int | None = field(default=None, compare=False)  # lake partition; not part of the identity

    @classmethod
    def of(cls, endpoint: str, params: dict[str, Any] | None = None, season: int | None = None) -> Request:
        """Validated request; `season` is the lake partition (defaults to the `season`/`year` param)."""
        ep = catalog.get(endpoint)
        params = params or {}
        known = {p.name for p in ep.params}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{endpoint} has no parameter {unknown}; it takes {sorted(known)}")
        missing = sorted(p.name for p in ep.params if p.required and params.get(p.name) is None)
        if missing:
            raise ValueError(f"{endpoint} needs {missing}")
        clean = tuple(sorted((k, _canonical(v)) for k, v in params.items() if v is not None))
        if season is None and ep.season_param:
            season = params.get(ep.season_param)
        return cls(endpoint, clean, int(season) if season is not None else None)

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def param_hash(self) -> str:
        """sha256 of the parameters' canonical JSON (16 hex digits): the second half of the key."""
        text = json.dumps(self.param_dict, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def key(self) -> str:
        return f"{self.endpoint}/{self.param_hash}"

    def path_and_query(self) -> tuple[str, dict[str, Any]]:
        ep = catalog.get(self.endpoint)
        path_names = {p.name for p in ep.path_params}
        values = self.param_dict
        path = ep.url_path(**{k: v for k, v in values.items() if k in path_names})
        return path, {k: v for k, v in values.items() if k not in path_names}

    def describe(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.endpoint}({args})"
