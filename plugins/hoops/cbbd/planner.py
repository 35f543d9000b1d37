"""Which CBBD requests a run makes, decided before any call: the cheapest path of cbbd.md §2, cut to a budget.

Pure functions: what is known locally (teams, conferences, game days, ids, requests already final) is
passed in, so the CLI can print a plan offline and the tests need no I/O. What cannot be built yet
(per-team requests before `/teams?season=S` is in the lake, `/plays/date` days before `/games`) is a
*pending* group with an estimated call count, so the printed total is still realistic; the fetch engine
re-plans once those reference endpoints are fetched and the groups become concrete requests:
`plan(mode, plan.pending_endpoints, contexts=<now known>, done=..., max_calls=<calls left>)`.

Priority (and so where a budget cuts): reference -> season-level -> date windows -> plays per day in date
order -> per team -> fan-out. A cut falls between whole groups (one endpoint for one season, or one day),
never inside one unless that group alone is larger than the whole budget.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hoops.calendar import cbbd_season_window, season_of
from hoops.cbbd import catalog
from hoops.cbbd.catalog import Endpoint
from hoops.cbbd.request import Request

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "ESTIMATED_CONFERENCES",
    "ESTIMATED_GAMES",
    "ESTIMATED_PLAYERS",
    "ESTIMATED_TEAMS",
    "NAIVE_FANOUT",
    "WINDOW_DAYS",
    "Backfill",
    "Group",
    "Incremental",
    "Plan",
    "SeasonContext",
    "Skip",
    "backfill",
    "date_windows",
    "fanout_cost",
    "format_plan",
    "incremental",
    "is_final",
    "plan",
    "select_endpoints",
]

DEFAULT_WINDOW_DAYS = 7
"""Days before the logical date that the incremental run re-reads for late corrections. `is_final` uses
the same horizon, so a request inside the rolling window is never checkpointed as final."""

WINDOW_DAYS: dict[str, int] = {
    # /games caps at 3,000 games; the busiest month has ~1,500, so a 30-day window keeps half the cap free.
    "games": 30,
    # 3,000 team-game rows (two per game): 14 days at ~50 games a day is ~1,400 rows.
    "games_teams": 14,
    # Only 1,000 team-game rows (500 games): 5 days is ~250-400 games, opening week near 800 rows. 3-day
    # windows would cost 54 calls a season instead of 33 and break cbbd.md's ~290 budget; the fetcher
    # splits the rare window that comes back full.
    "games_players": 5,
    # Same 3,000-game cap as /games (one row per game; lines only for games with a line).
    "games_media": 30,
    "lines": 30,
}
"""Width in days of the `startDateRange`/`endDateRange` windows per capped endpoint, sized well under the
row cap so truncation (and the split it forces) is the exception."""

# Fallback sizes when the lake knows nothing yet (first run), for counting only: cbbd.md's 2023 season
# has 364 D1 teams, 31 conferences, ~6,238 games; rosters run ~14 players.
ESTIMATED_TEAMS = 362
ESTIMATED_CONFERENCES = 31
ESTIMATED_GAMES = 6200
ESTIMATED_PLAYERS = 5000

# The server rejects these without `team` or `conference` (cbbd.md §1): one call per conference.
PER_CONFERENCE = frozenset({"stats_team_shooting_season", "stats_player_shooting_season"})

NAIVE_FANOUT: dict[str, tuple[str, str]] = {
    "plays_date": ("plays_game", "game"),
    "games_teams": ("games_teams", "game"),
    "games_players": ("games_players", "game"),
    "substitutions_team": ("substitutions_game", "game"),
    "games": ("games", "team"),
    "games_media": ("games_media", "team"),
    "lines": ("lines", "team"),
    "stats_team_shooting_season": ("stats_team_shooting_season", "team"),
    "stats_player_shooting_season": ("stats_player_shooting_season", "team"),
}
"""Bulk endpoint -> (the endpoint a per-entity loop would call instead, once per game or per team)."""

# Priority tiers, in the order a budget spends them.
TIER_REFERENCE, TIER_SEASON, TIER_SPLIT, TIER_WINDOW, TIER_DAY, TIER_TEAM, TIER_FANOUT = range(7)
TIER_NAMES = ("reference", "season", "per conference", "date window", "day", "per team", "fan-out")

_WINDOW_ORDER = ("games", "games_teams", "games_players", "games_media", "lines")  # /games feeds re-plans
_RANK = {name: i for i, name in enumerate(catalog.ENDPOINTS)}
_RANK.update({name: -10 + i for i, name in enumerate(("teams", *_WINDOW_ORDER))})


# ---------------------------------------------------------------------------------------------------
# Seasons and modes.


@dataclass(frozen=True)
class Backfill:
    seasons: tuple[int, ...]

    def describe(self) -> str:
        return "backfill seasons " + ", ".join(map(str, self.seasons))


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


# ---------------------------------------------------------------------------------------------------
# The plan.


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
        return _sum_by_endpoint(self.pending)

    def deferred_by_endpoint(self) -> dict[str, int]:
        return _sum_by_endpoint(self.deferred)

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


def _sum_by_endpoint(groups: Iterable[Group]) -> dict[str, int]:
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


# ---------------------------------------------------------------------------------------------------
# Endpoint selection.


def _strategy(ep: Endpoint) -> str:
    """How an endpoint is swept, from its scope and its required parameters."""
    required = {p.name for p in ep.params if p.required} - {ep.season_param}
    if ep.scope == "live":
        return "live"
    if ep.scope == "reference":
        return "reference"
    if ep.name == "plays_date":
        return "day"
    if ep.date_window:
        return "window"
    if "gameId" in required:
        return "game"
    if "playerId" in required:
        return "player"
    if "teamId" in required:
        return "team_id"
    if "team" in required:
        return "team"
    if "tournament" in required:
        return "tournament"
    if ep.name in PER_CONFERENCE:
        return "conference"
    return "season"


def select_endpoints(
    endpoints: str | Sequence[str] = "all", include_fanout: bool = False
) -> tuple[list[Endpoint], list[Skip]]:
    """The endpoints to plan, in catalog order, and the ones left out with the reason.

    "all" is every `default_in_plan` endpoint; `include_fanout` adds the fan-outs that have no bulk
    equivalent (/lineups/game). Fan-outs a bulk endpoint covers (/plays/game...), tier 2+ and optional
    endpoints are planned only when named, e.g. to repair one game.
    """
    if isinstance(endpoints, str):
        if endpoints != "all":
            raise ValueError(f"endpoints must be 'all' or a list of endpoint names, got {endpoints!r}")
        explicit: set[str] | None = None
    else:
        explicit = {catalog.get(name).name for name in endpoints}
        if not explicit:
            raise ValueError("no endpoint selected: pass 'all' or at least one endpoint name")
    chosen: list[Endpoint] = []
    skipped: list[Skip] = []
    for ep in catalog.ENDPOINTS.values():
        strategy = _strategy(ep)
        if strategy == "live":
            if explicit is None or ep.name in explicit:
                skipped.append(Skip(ep.name, "live only, no history to plan; poll it outside these runs"))
            continue
        if explicit is not None:
            if ep.name in explicit:
                chosen.append(ep)
            continue
        if ep.default_in_plan:
            chosen.append(ep)
        elif ep.tier >= 2:
            skipped.append(Skip(ep.name, f"needs Patreon tier {ep.tier}; name it to plan it"))
        elif (bulk := catalog.covered_by(ep.name)) is not None:
            skipped.append(Skip(ep.name, f"covered by {bulk.name} (bulk); name it to repair"))
        elif strategy in ("game", "player"):
            if include_fanout:
                chosen.append(ep)
            else:
                skipped.append(Skip(ep.name, f"per-{strategy} fan-out; pass include_fanout to plan it"))
        else:
            skipped.append(Skip(ep.name, "optional per-team fan-out; name it to plan it"))
    return chosen, skipped


# ---------------------------------------------------------------------------------------------------
# Building groups.


def date_windows(start: dt.date, end: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    """Consecutive [a, b] day ranges tiling start..end: inclusive at both ends, no gap, no overlap."""
    if days < 1:
        raise ValueError(f"a window is at least one day, got {days}")
    out = []
    a = start
    while a <= end:
        b = min(a + dt.timedelta(days=days - 1), end)
        out.append((a, b))
        a = b + dt.timedelta(days=1)
    return out


def _window_params(a: dt.date, b: dt.date) -> dict[str, str]:
    """Whole UTC days, in the fetcher's ISO format (its splits stay on the same grid)."""
    return {
        "startDateRange": f"{a.isoformat()}T00:00:00.000Z",
        "endDateRange": f"{b.isoformat()}T23:59:59.999Z",
    }


def _days(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


class _Builder:
    """Collects groups, dropping requests already final (`done`) and keys already planned."""

    def __init__(
        self, done: Iterable[str], last_read: Mapping[str, dt.date] | None = None, day: dt.date | None = None
    ):
        self.done = frozenset(done)
        self.last_read = last_read or {}
        self.day = day  # the incremental run's date: requests read within their cadence are not due
        self.seen: set[str] = set()
        self.groups: list[Group] = []
        self.already_final = 0
        self.not_due = 0
        self.notes: list[str] = []

    def due(self, ep: Endpoint, key: str) -> bool:
        """Whether the daily run asks `key` again: always for daily data, else once its cadence is up."""
        if self.day is None or not ep.refresh_days or ep.refresh_days <= 1:
            return True
        read = self.last_read.get(key)
        return read is None or (self.day - read).days >= ep.refresh_days

    def concrete(
        self,
        ep: Endpoint,
        season: int | None,
        label: str,
        tier: int,
        params: Iterable[dict[str, Any]],
        rolling: bool = False,
    ) -> None:
        """`rolling`: inside the incremental window, so re-read even if a checkpoint says final."""
        requests = []
        for p in params:
            req = Request.of(ep.name, p, season)
            if req.key in self.seen:
                continue
            if req.key in self.done and not rolling:
                self.already_final += 1
                continue
            if not self.due(ep, req.key):
                self.not_due += 1
                continue
            self.seen.add(req.key)
            requests.append(req)
        if requests:
            self.groups.append(Group(ep.name, season, label, tier, tuple(requests)))

    def pending(
        self, ep: Endpoint, season: int, label: str, tier: int, estimate: int, needs: str, note: str
    ) -> None:
        if estimate > 0:
            self.groups.append(Group(ep.name, season, label, tier, (), estimate, needs, note))


def _plan_season(
    b: _Builder,
    ep: Endpoint,
    season: int,
    ctx: SeasonContext,
    *,
    span: tuple[dt.date, dt.date],
    rolling: bool,
    today: dt.date | None,
    games_in_run: bool = False,
) -> None:
    """Every request of `ep` for one season; date sweeps cover `span` (the season or the rolling window)."""
    strategy = _strategy(ep)
    label = f"{ep.name} {season}"
    sp = ep.season_param
    start, end = span
    if strategy in ("season", "reference"):  # reference here: /teams?season=S, the season's D1 teams
        b.concrete(ep, season, label, TIER_SEASON, [{sp: season}])
    elif strategy == "conference":
        if ctx.conferences is None:
            note = "conferences of the season not known yet"
            needs = f"/teams?season={season} is fetched"
            b.pending(ep, season, label, TIER_SPLIT, ESTIMATED_CONFERENCES, needs, note)
        else:
            params = [{sp: season, "conference": c} for c in ctx.conferences]
            b.concrete(ep, season, label, TIER_SPLIT, params)
    elif strategy == "tournament":
        if ctx.tournaments is None:
            needs = f"the tournaments of /games?season={season} are known"
            b.pending(ep, season, label, TIER_SPLIT, 2, needs, "NCAA and NIT assumed")
        else:
            b.concrete(
                ep, season, label, TIER_SPLIT, [{sp: season, "tournament": t} for t in ctx.tournaments]
            )
    elif strategy == "window":
        windows = date_windows(start, end, WINDOW_DAYS.get(ep.name, 7))
        if today is not None and not rolling:
            windows = [w for w in windows if w[0] <= today]  # future windows have no rows yet
        params = [{sp: season, **_window_params(a, z)} for a, z in windows]
        b.concrete(ep, season, label, TIER_WINDOW, params, rolling=rolling)
    elif strategy == "day":
        days = _days(start, end)
        if ctx.game_days is not None:
            days = [d for d in ctx.game_days if start <= d <= end]
        if today is not None and not rolling:
            days = [d for d in days if d <= today]
        if games_in_run:
            needs = f"/games for {start} to {end} is fetched"
            b.pending(ep, season, label, TIER_DAY, len(days), needs, "game days of the window read first")
            return
        if ctx.game_days is None and not rolling:
            last = days[-1] if days else end
            note = f"every day {start:%b} {start.day}-{last:%b} {last.day}, game days not known yet"
            b.pending(ep, season, label, TIER_DAY, len(days), f"/games?season={season} is fetched", note)
            return
        if ctx.game_days is None:
            b.notes.append(f"{label}: every day of the window planned (game days not known: estimated)")
        for d in days:
            b.concrete(ep, season, f"{ep.name} {d}", TIER_DAY, [{"date": d.isoformat()}], rolling=rolling)
    elif strategy in ("team", "team_id"):
        known = ctx.teams if strategy == "team" else ctx.team_ids
        if known is None:
            needs = f"/teams?season={season} is fetched"
            b.pending(
                ep, season, label, TIER_TEAM, ESTIMATED_TEAMS, needs, "teams of the season not known yet"
            )
        else:
            name = "team" if strategy == "team" else "teamId"
            b.concrete(ep, season, label, TIER_TEAM, [{sp: season, name: t} for t in known])
    elif strategy in ("game", "player"):
        ids = ctx.game_ids if strategy == "game" else ctx.player_ids
        if ids is None:
            if strategy == "game":
                share = ((end - start).days + 1) / (
                    (cbbd_season_window(season)[1] - cbbd_season_window(season)[0]).days + 1
                )
                estimate, needs = math.ceil(ESTIMATED_GAMES * share), f"/games?season={season} is fetched"
            else:
                estimate, needs = ESTIMATED_PLAYERS, f"/teams/roster?season={season} is fetched"
            b.pending(ep, season, label, TIER_FANOUT, estimate, needs, f"{strategy} ids not known yet")
        else:
            key = "gameId" if strategy == "game" else "playerId"
            extra = {sp: season} if sp else {}
            b.concrete(ep, season, label, TIER_FANOUT, [{key: i, **extra} for i in ids])


def _order(group: Group, *, daily_first: bool, newest_first: bool) -> tuple[int, ...]:
    """Reference first. An incremental run then spends on daily data before weekly aggregates; a
    backfill goes season by season, newest first unless asked otherwise."""
    season = group.season if group.season is not None else -1
    rank = _RANK[group.endpoint]
    if group.tier == TIER_REFERENCE:
        return 0, 0, 0, rank
    if daily_first:
        return (
            1,
            0 if catalog.get(group.endpoint).refresh_days == 1 else 1,
            group.tier * 10_000 + season,
            rank,
        )
    return 1, -season if newest_first else season, group.tier, rank


def plan(
    mode: Backfill | Incremental,
    endpoints: str | Sequence[str] = "all",
    *,
    include_fanout: bool = False,
    done: Iterable[str] = frozenset(),
    contexts: Mapping[int, SeasonContext] | None = None,
    max_calls: int | None = None,
    today: dt.date | None = None,
    last_read: Mapping[str, dt.date] | None = None,
    newest_first: bool = True,
    budget_why: str | None = None,
) -> Plan:
    """The requests of one run, in priority order, cut to `max_calls` at a group boundary.

    `done` holds the `Request.key`s checkpointed as final; they are not planned again, except days and
    windows inside the incremental rolling window. `today` (backfill only) drops days and windows that
    have not started yet, for a backfill of the season in progress. `last_read` (key -> run day of the
    stored answer) lets an incremental run skip what was read within its endpoint's `refresh_days`.
    A budget of 0 plans nothing and defers everything (the quota's share for today is spent).
    """
    if max_calls is not None and max_calls < 0:
        raise ValueError(f"max_calls must be 0 or more calls (or None for no budget), got {max_calls}")
    selected, skipped = select_endpoints(endpoints, include_fanout)
    contexts = contexts or {}
    b = _Builder(done, last_read, mode.logical_date if isinstance(mode, Incremental) else None)
    no_data: dict[str, list[int]] = {}

    for ep in selected:  # reference endpoints: once per run, whatever the seasons
        if ep.scope == "reference":
            b.concrete(ep, None, ep.name, TIER_REFERENCE, [{}])

    if isinstance(mode, Backfill):
        spans = {s: cbbd_season_window(s) for s in mode.seasons}
        plannable, rolling = selected, False
    else:
        start, end = cbbd_season_window(mode.season)
        first, last = max(mode.window[0], start), min(mode.window[1], end)
        spans = {mode.season: (first, last)} if first <= last else {}
        if not spans:
            b.notes.append(
                f"{mode.logical_date} is outside the {mode.season} season window: nothing in season"
            )
        plannable, rolling = [], True
        for ep in selected:
            if ep.refresh_days is not None:
                plannable.append(ep)
            elif ep.scope != "reference":
                skipped.append(Skip(ep.name, "changes between seasons, not in season: backfills read it"))

    # An incremental run that fetches /games for its window learns today's game days only from that
    # fetch: its per-day endpoints wait for it (pass 2), or a day's plays would come a run late.
    games_in_run = rolling and any(ep.name == "games" for ep in plannable)
    for season, span in spans.items():
        ctx = contexts.get(season) or SeasonContext()
        for ep in plannable:
            if ep.scope == "reference" and ep.season_param is None:
                continue
            if not ep.has_season(season):
                no_data.setdefault(ep.name, []).append(season)
                continue
            _plan_season(
                b,
                ep,
                season,
                ctx,
                span=span,
                rolling=rolling,
                today=None if rolling else today,
                games_in_run=games_in_run,
            )

    for name, missing in no_data.items():
        ep = catalog.get(name)
        skipped.append(Skip(name, f"no data for season(s) {_ranges(missing)} (first season {ep.min_season})"))
    if b.already_final:
        b.notes.append(f"{b.already_final} requests already final (checkpointed): not planned again")
    if b.not_due:
        b.notes.append(f"{b.not_due} requests read within their refresh cadence: not due yet")

    daily_first = isinstance(mode, Incremental)
    groups = sorted(  # stable: days stay in date order, windows in time order
        b.groups, key=lambda g: _order(g, daily_first=daily_first, newest_first=newest_first)
    )
    kept, deferred, reason = _apply_budget(groups, max_calls)
    estimated = [
        f"{g.label}: ~{g.calls} calls estimated ({g.basis}); concrete once {g.needs}"
        for g in groups
        if g.pending
    ]
    b.notes[:0] = estimated
    return Plan(
        mode=mode.describe(),
        groups=tuple(g for g in kept if not g.pending),
        pending=tuple(g for g in kept if g.pending),
        deferred=tuple(deferred),
        skipped=tuple(skipped),
        notes=tuple(b.notes),
        max_calls=max_calls,
        cut=bool(deferred),
        cut_reason=reason,
        already_final=b.already_final,
        not_due=b.not_due,
        budget_why=budget_why,
    )


def _apply_budget(groups: list[Group], max_calls: int | None) -> tuple[list[Group], list[Group], str | None]:
    """Keep whole groups in priority order until the next one does not fit; the rest is deferred.

    A group larger than the whole budget could never fit, so it is split to make progress instead.
    """
    if max_calls is None:
        return groups, [], None
    kept: list[Group] = []
    used = 0
    for i, g in enumerate(groups):
        if used + g.calls <= max_calls:
            kept.append(g)
            used += g.calls
            continue
        deferred = groups[i + 1 :]
        stopped = f"{g.label} needs {g.calls}"
        if g.calls > max_calls and used < max_calls:
            head, tail = g.split(max_calls - used)
            kept.append(head)
            deferred.insert(0, tail)
            stopped = f"{g.label} is larger than the whole budget ({g.calls}), split after {head.calls}"
            used = max_calls
        else:
            deferred.insert(0, g)
        left = sum(d.calls for d in deferred)
        reason = (
            f"budget of {max_calls} calls: {used} planned, stopped at a group boundary ({stopped}); "
            f"{len(deferred)} group(s), {left} calls deferred to the next run"
        )
        return kept, deferred, reason
    return kept, [], None


def _ranges(seasons: Sequence[int]) -> str:
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


# ---------------------------------------------------------------------------------------------------
# Finality, cost comparison, display.


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def is_final(request: Request, today: dt.date, *, window_days: int = DEFAULT_WINDOW_DAYS) -> bool:
    """Whether a successful response can never change, so its checkpoint may stop it being asked again.

    A day or date window is final once it ends before the rolling window [today-N, today]; a season-level
    request once the season ended more than N days ago; a draft/recruiting year once that year is over;
    an unfiltered reference call at once (refreshing it is a forced run). Anything else (live) never is.
    """
    ep = catalog.get(request.endpoint)
    params = request.param_dict
    horizon = today - dt.timedelta(days=window_days)
    if ep.scope == "live":
        return False
    if "date" in params:
        return _as_date(params["date"]) < horizon
    if params.get("endDateRange"):
        return _as_date(params["endDateRange"]) < horizon
    if request.season is None:
        return ep.scope == "reference"
    if ep.season_param == "year":
        return today.year > request.season
    return cbbd_season_window(request.season)[1] < horizon


def fanout_cost(
    seasons: Iterable[int], contexts: Mapping[int, SeasonContext] | None = None
) -> dict[str, int]:
    """Calls per endpoint if each bulk sweep were a per-game or per-team loop (NAIVE_FANOUT), for the
    benchmark "one season, bulk vs fan-out". Reference and one-call season endpoints cost the same."""
    seasons = sorted(set(seasons))
    contexts = contexts or {}
    bulk = plan(backfill(seasons), contexts=contexts)
    out = {name: calls for name, calls in bulk.by_endpoint().items() if name not in NAIVE_FANOUT}
    for name, calls in bulk.pending_by_endpoint().items():
        if name not in NAIVE_FANOUT:
            out[name] = out.get(name, 0) + calls
    for name, (naive, per) in NAIVE_FANOUT.items():
        ep, loop = catalog.get(name), catalog.get(naive)
        for season in seasons:
            if not (ep.has_season(season) and loop.has_season(season)):
                continue
            ctx = contexts.get(season) or SeasonContext()
            if per == "game":
                n = len(ctx.game_ids) if ctx.game_ids is not None else ESTIMATED_GAMES
            else:
                n = len(ctx.teams) if ctx.teams is not None else ESTIMATED_TEAMS
            out[naive] = out.get(naive, 0) + n
    return out


def format_plan(plan: Plan) -> str:
    """A table per endpoint (planned / pending estimate / deferred), the totals, then the notes."""
    planned, pending, deferred = plan.by_endpoint(), plan.pending_by_endpoint(), plan.deferred_by_endpoint()
    order = sorted({*planned, *pending, *deferred}, key=lambda n: _first_tier(plan, n))
    budget = f"budget {plan.max_calls} calls" if plan.max_calls is not None else "no budget"
    width = max([len(n) for n in order] + [28])
    lines = [f"CBBD plan: {plan.mode} · {budget}", ""]
    head = f"{'endpoint':<{width}}  {'planned':>8}  {'~pending':>8}  {'deferred':>8}"
    lines += [head, "-" * len(head)]

    def cell(value: int | None, mark: str = "") -> str:
        return f"{mark}{value}" if value else ""

    for name in order:
        row = f"{name:<{width}}  {cell(planned.get(name)):>8}  {cell(pending.get(name), '~'):>8}"
        lines.append(f"{row}  {cell(deferred.get(name)):>8}".rstrip())
    lines.append("-" * len(head))
    lines.append(
        f"{'total':<{width}}  {plan.total_calls:>8}  {cell(plan.pending_calls, '~') or '0':>8}"
        f"  {plan.deferred_calls:>8}"
    )
    lines.append(f"{'estimated calls this run':<{width}}  {plan.estimated_calls:>8}")
    notes = list(plan.notes)
    if plan.cut:
        notes.insert(0, f"CUT: {plan.cut_reason}")
    if notes:
        lines += ["", "notes:", *(f"  - {n}" for n in notes)]
    if plan.skipped:
        lines += ["", "skipped:", *(f"  - {s.endpoint}: {s.reason}" for s in plan.skipped)]
    return "\n".join(lines)


def _first_tier(plan: Plan, endpoint: str) -> tuple[int, int]:
    tiers = [g.tier for g in (*plan.groups, *plan.pending, *plan.deferred) if g.endpoint == endpoint]
    return min(tiers), _RANK[endpoint]
