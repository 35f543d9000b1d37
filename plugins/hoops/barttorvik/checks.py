"""Data checks a snapshot must pass before it is committed. Any failure fails the run; nothing is written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from hoops.barttorvik.layout import COLUMNS, barthag

_IDX = {c.name: c.index for c in COLUMNS}
BARTHAG_TOLERANCE = 1e-9
REQUIRED = ("adjoe", "adjde", "barthag", "adj_tempo")


class DataCheckFailed(ValueError):
    """The snapshot as a whole is not believable; retrying the same bytes cannot help."""


def check_snapshot(rows: Sequence[Sequence[Any]], min_teams: int, max_teams: int) -> dict[str, Any]:
    """Return the measured figures, or raise DataCheckFailed listing every failed check."""
    problems = []
    count = len(rows)
    if not min_teams <= count <= max_teams:
        problems.append(f"team count {count} outside the sane range {min_teams}-{max_teams}")

    nulls = {name: sum(1 for r in rows if r[_IDX[name]] is None) for name in REQUIRED}
    for name, n in nulls.items():
        if n:
            problems.append(f"{n} rows with null {name}")

    duplicated = sorted(rank for rank, n in Counter(r[_IDX["rank"]] for r in rows).items() if n > 1)
    if duplicated:
        problems.append(f"ranks not unique: {duplicated[:10]}")

    worst, worst_team = 0.0, None
    for r in rows:
        adjoe, adjde, value = r[_IDX["adjoe"]], r[_IDX["adjde"]], r[_IDX["barthag"]]
        if None in (adjoe, adjde, value):
            continue
        error = abs(value - barthag(adjoe, adjde))
        if error > worst:
            worst, worst_team = error, r[_IDX["team_name"]]
    if worst > BARTHAG_TOLERANCE:
        problems.append(f"barthag inconsistent with adjoe/adjde (^11.5) by {worst:.3g} for {worst_team!r}")

    if problems:
        raise DataCheckFailed("data checks failed: " + "; ".join(problems))
    return {"teams": count, "max_barthag_error": worst}
