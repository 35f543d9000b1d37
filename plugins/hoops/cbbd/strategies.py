"""How each endpoint is swept for a season or a window: the strategy from its scope and parameters, the
date windows sized under the row caps, and the groups of requests (concrete, or pending with an estimate
until `/teams` and `/games` are in the lake).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hoops.calendar import cbbd_season_window
from hoops.cbbd import catalog
from hoops.cbbd.catalog import Endpoint
from hoops.cbbd.plan import (
    TIER_DAY,
    TIER_FANOUT,
    TIER_SEASON,
    TIER_SPLIT,
    TIER_TEAM,
    TIER_WINDOW,
    Group,
    SeasonContext,
    Skip,
)
from hoops.cbbd.request import Request

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

WINDOW_ORDER = ("games", "games_teams", "games_players", "games_media", "lines")  # /games feeds re-plans
RANK = {name: i for i, name in enumerate(catalog.ENDPOINTS)}
RANK.update({name: -10 + i for i, name in enumerate(("teams", *WINDOW_ORDER))})


def sweep_of(ep: Endpoint) -> str:
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
        strategy = sweep_of(ep)
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


class Builder:
    """Collects groups, dropping requests already final (`done`) and keys already planned."""

    def __init__(
        self, done: Iterable[str], last_read: Mapping[str, dt.date] | None = None, day: dt.date | None = None
    ):
        self.done = frozenset(done)
        self.last_read = last_read or {}
        self.day = day  # the run's day: requests read within their cadence are not due
        self.seen: set[str] = set()
        self.groups: list[Group] = []
        self.already_final = 0
        self.not_due = 0
        self.notes: list[str] = []

    def due(self, ep: Endpoint, key: str) -> bool:
        """Whether `key` is asked again: once its endpoint's cadence is up since the last read (daily data:
        on a later day), so a run resumed or repeated the same day fetches nothing twice."""
        read = self.last_read.get(key)
        if self.day is None or not ep.refresh_days or read is None:
            return True
        return (self.day - read).days >= ep.refresh_days

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


def plan_season(
    b: Builder,
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
    strategy = sweep_of(ep)
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
