"""What a check found, and how the findings are judged and shown (the run summary, the command's report)."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

MIN_SHARE_OF_NEIGHBOURS = 0.5  # a finished season with under half its neighbours' rows is missing data
EMPTY_COLUMN_NEIGHBOUR_FILL = 0.5  # a column empty this season but this full next door went missing

# season -> (rows, non-null count per column)
BySeason = dict[Any, tuple[int, dict[str, int]]]


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    check: str
    table: str
    message: str


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


def _row_count(name: str, season: int, rows: int, typical: float) -> list[Finding]:
    if rows >= MIN_SHARE_OF_NEIGHBOURS * typical:
        return []
    message = f"season {season}: {rows} rows, neighbouring seasons have ~{typical:.0f}"
    return [Finding("error", "row_count", name, message)]


def _emptied_columns(
    name: str,
    season: int,
    rows: int,
    filled: dict[str, int],
    neighbours: list[tuple[int, dict[str, int]]],
    before: tuple[int, dict[str, int]] | None,
) -> list[Finding]:
    """A column empty this season but filled next door: an error when the season before had it (it went
    missing), a warning when only the season after has it (the API adds fields, e.g. Elo on /games)."""
    found = []
    for column, count in filled.items():
        fill_next_door = max((f[column] / r if r else 0.0) for r, f in neighbours)
        if rows and count == 0 and fill_next_door >= EMPTY_COLUMN_NEIGHBOUR_FILL:
            share = f"{fill_next_door:.0%}"
            message = f"season {season}: column {column} is empty, {share} filled in neighbouring seasons"
            went_missing = before is not None and before[0] and before[1][column] / before[0] > 0
            if not went_missing:
                message += " (only later: a field the API added since?)"
            found.append(Finding("error" if went_missing else "warning", "null_rate", name, message))
    return found


def count_findings(name: str, by_season: BySeason, current: int, seasons: list[int] | None) -> list[Finding]:
    """Row-count and null-rate findings for `seasons` (None: all) against their neighbours; the season in
    progress is partial by nature and never judged."""
    checked = set(seasons) if seasons is not None else set(by_season)
    findings = []
    for season in sorted(s for s in by_season if s is not None and s in checked and s < current):
        neighbours = [by_season[s] for s in (season - 1, season + 1) if s in by_season]
        if not neighbours:
            continue
        rows, filled = by_season[season]
        findings += _row_count(name, season, rows, statistics.median(r for r, _ in neighbours))
        findings += _emptied_columns(name, season, rows, filled, neighbours, by_season.get(season - 1))
    return findings


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
