"""Which declared tables the lake holds near the seasons being checked, and their objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from hoops import paths
from hoops.lake import Lake


class Declared(NamedTuple):
    """A table as its builder declares it."""

    layer: str  # "silver" | "gold"
    primary_key: tuple[str, ...]
    partitioned: bool  # one object per season


class Present(NamedTuple):
    name: str
    declared: Declared
    keys: list[str]  # its Parquet objects in the seasons read


def nearby_seasons(seasons: list[int] | None) -> list[int] | None:
    """The seasons to read for checking `seasons`: each with its neighbours (None: every season)."""
    return None if seasons is None else sorted({n for s in seasons for n in (s - 1, s, s + 1)})


def _objects(lake: Lake, layer: str, name: str, seasons: list[int] | None) -> list[str]:
    keys = [k for k in lake.list(paths.table_prefix(layer, name)) if k.endswith(".parquet")]
    if seasons is None:
        return keys
    return [k for k in keys if paths.season_label(k) is None or paths.season_of_key(k) in seasons]


def tables_present(lake: Lake, tables: Mapping[str, Declared], seasons: list[int] | None) -> list[Present]:
    """Each declared table with objects near `seasons`, and those objects."""
    nearby = nearby_seasons(seasons)
    found = []
    for name, declared in tables.items():
        keys = _objects(lake, declared.layer, name, nearby)
        if keys:
            found.append(Present(name, declared, keys))
    return found
