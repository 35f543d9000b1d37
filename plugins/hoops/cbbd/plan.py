"""The plan model: run modes (backfill seasons, incremental date), what the lake knows about a season, and
the plan itself (groups of requests a budget never splits, what was deferred or skipped and why).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hoops.calendar import season_of
from hoops.cbbd.request import Request

DEFAULT_WINDOW_DAYS = 7
"""Days before the logical date that the incremental run re-reads for late corrections. `is_final` uses
the same horizon, so a request inside the rolling window is never checkpointed as final."""

# Priority tiers, in the order a budget spends them.
TIER_REFERENCE, TIER_SEASON, TIER_SPLIT, TIER_WINDOW, TIER_DAY, TIER_TEAM, TIER_FANOUT = range(7)
TIER_NAMES = ("reference", "season", "per conference", "date window", "day", "per team", "fan-out")


@dataclass(frozen=True)
class Backfill:
    seasons: tuple[int, ...]

    def describe(self) -> str:
        return "backfill seasons " + ranges(self.seasons)


@dataclass(frozen=True)
class Incremental:
    logical_date: dt.date
    window_days: int = DEFAULT_WINDOW_DAYS

    @property
    def season(self) -> int:
        return season_of(self.logical_date)

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """The rolling window [D-N, D], inclusive."""
        return self.logical_date - dt.timedelta(days=self.window_days), self.logical_date

    def describe(self) -> str:
        a, b = self.window
        return f"incremental {self.logical_date} (season {self.season}, window {a}..{b})"


def backfill(seasons: Iterable[int]) -> Backfill:
    unique = tuple(sorted({int(s) for s in seasons}))
    if not unique:
        raise ValueError("backfill needs at least one season")
    return Backfill(unique)


def incremental(logical_date: dt.date, window_days: int = DEFAULT_WINDOW_DAYS) -> Incremental:
    if isinstance(logical_date, dt.datetime):
        logical_date = logical_date.date()
    if window_days < 0:
        raise ValueError(f"window_days must be 0 or more, got {window_days}")
    return Incremental(logical_date, int(window_days))


@dataclass(frozen=True)
class SeasonContext:
    """What the lake already knows about one season; None means "not known yet" (estimated instead).

    `game_days` are UTC dates of the games' startDate, because `/plays/date` (utcOffset 0) slices UTC
    days: a 9 pm ET title game is on the next UTC day. In incremental mode pass as `game_ids` only the
    games of the rolling window (the planner cannot date an id). Values are sorted and deduplicated, so
    the plan does not depend on the order they were read in.
    """

    teams: tuple[str, ...] | None = None  # D1 school names, for /substitutions/team and /lineups/team
    conferences: tuple[str, ...] | None = None  # abbreviations, for the shooting stats
    game_days: tuple[dt.date, ...] | None = None
    game_ids: tuple[int, ...] | None = None
    player_ids: tuple[int, ...] | None = None
    team_ids: tuple[int, ...] | None = None  # for /teams/{teamId}/season/{season}/overview
    tournaments: tuple[str, ...] | None = None  # for /plays/tournament

    def __post_init__(self) -> None:
        for name in (
            "teams",
            "conferences",
            "game_days",
            "game_ids",
            "player_ids",
            "team_ids",
            "tournaments",
        ):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(sorted(set(value))))


@dataclass(frozen=True)
class Group:
    """The unit a budget cut does not split: one endpoint for one season (or one day of /plays/date).

    A pending group has no requests yet, only `estimate` calls and what it `needs` to become concrete.
    """

    endpoint: str
    season: int | None
    label: str
    tier: int
    requests: tuple[Request, ...] = ()
    estimate: int | None = None
    needs: str | None = None
    basis: str | None = None  # why the count is an estimate

    @property
    def pending(self) -> bool:
        return self.estimate is not None

    @property
    def calls(self) -> int:
        return self.estimate if self.estimate is not None else len(self.requests)

    def split(self, calls: int) -> tuple[Group, Group]:
        """(the first `calls` calls, the rest): only for a group larger than the whole budget."""
        if self.estimate is not None:
            rest = self.estimate - calls
            head = Group(self.endpoint, self.season, self.label, self.tier, (), calls, self.needs, self.basis)
            return head, Group(
                self.endpoint, self.season, self.label, self.tier, (), rest, self.needs, self.basis
            )
        head = Group(self.endpoint, self.season, self.label, self.tier, self.requests[:calls])
        return head, Group(self.endpoint, self.season, self.label, self.tier, self.requests[calls:])

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"endpoint": self.endpoint, "season": self.season, "label": self.label}
        out["calls"] = self.calls
        if self.pending:
            out["estimated"] = True
            out["needs"] = self.needs
        return out


@dataclass(frozen=True)
class Skip:
    """An endpoint (or some of its seasons) left out of the plan, and why."""

    endpoint: str
    reason: str


@dataclass(frozen=True)
class Plan:
    mode: str
    groups: tuple[Group, ...]  # concrete groups kept, in priority order
    pending: tuple[Group, ...]  # estimated groups kept: concrete after the reference endpoints are fetched
    deferred: tuple[Group, ...]  # cut by the budget, left for the next run
    skipped: tuple[Skip, ...] = ()
    notes: tuple[str, ...] = ()
    max_calls: int | None = None
    cut: bool = False
    cut_reason: str | None = None
    already_final: int = 0  # requests left out because `done` holds their key
    not_due: int = 0  # requests read within their endpoint's refresh cadence: not asked again yet
    budget_why: str | None = None  # where max_calls came from when the trigger set none
    requests: list[Request] = field(init=False)  # the concrete requests, in order, unique by key

    def __post_init__(self) -> None:
        object.__setattr__(self, "requests", [r for g in self.groups for r in g.requests])

    @property
    def total_calls(self) -> int:
        """Concrete calls: what the fetcher can make now."""
        return len(self.requests)

    @property
    def pending_endpoints(self) -> list[str]:
        """The endpoints to re-plan once the reference endpoints are fetched (priority order)."""
        return list(dict.fromkeys(g.endpoint for g in self.pending))

    @property
    def pending_calls(self) -> int:
        return sum(g.calls for g in self.pending)

    @property
    def estimated_calls(self) -> int:
        """Concrete plus pending: what this run should cost once every group is concrete."""
        return self.total_calls + self.pending_calls

    @property
    def deferred_calls(self) -> int:
        return sum(g.calls for g in self.deferred)

    def by_endpoint(self) -> dict[str, int]:
        """Concrete calls per endpoint, in priority order."""
        return dict(Counter(r.endpoint for r in self.requests))

    def pending_by_endpoint(self) -> dict[str, int]:
        return sum_by_endpoint(self.pending)

    def deferred_by_endpoint(self) -> dict[str, int]:
        return sum_by_endpoint(self.deferred)

    def to_json(self, include_requests: bool = False) -> dict[str, Any]:
        """A JSON-ready summary, small enough for XCom; `include_requests` adds the requests (manifests)."""
        out: dict[str, Any] = {
            "mode": self.mode,
            "max_calls": self.max_calls,
            "total_calls": self.total_calls,
            "estimated_calls": self.estimated_calls,
            "deferred_calls": self.deferred_calls,
            "by_endpoint": self.by_endpoint(),
            "pending": [g.to_json() for g in self.pending],
            "deferred": _compact(self.deferred),
            "cut": self.cut,
            "cut_reason": self.cut_reason,
            "already_final": self.already_final,
            "not_due": self.not_due,
            "budget_why": self.budget_why,
            "skipped": [{"endpoint": s.endpoint, "reason": s.reason} for s in self.skipped],
            "notes": list(self.notes),
        }
        if include_requests:
            out["requests"] = [
                {"endpoint": r.endpoint, "params": r.param_dict, "season": r.season, "key": r.key}
                for r in self.requests
            ]
        return out


def sum_by_endpoint(groups: Iterable[Group]) -> dict[str, int]:
    out: dict[str, int] = {}
    for g in groups:
        out[g.endpoint] = out.get(g.endpoint, 0) + g.calls
    return out


def _compact(groups: Sequence[Group]) -> list[dict[str, Any]]:
    """Deferred groups merged per (endpoint, season): 160 deferred days are one line, not 160."""
    merged: dict[tuple[str, int | None], dict[str, Any]] = {}
    for g in groups:
        item = merged.setdefault(
            (g.endpoint, g.season),
            {"endpoint": g.endpoint, "season": g.season, "groups": 0, "calls": 0, "estimated": False},
        )
        item["groups"] += 1
        item["calls"] += g.calls
        item["estimated"] = item["estimated"] or g.pending
    return list(merged.values())


def ranges(seasons: Sequence[int]) -> str:
    """[2020, 2021, 2022, 2024] -> "2020-2022, 2024"."""
    parts: list[str] = []
    values = sorted(set(seasons))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(parts)
