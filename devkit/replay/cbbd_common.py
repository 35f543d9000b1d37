"""The handler registry and the filters every CBBD handler shares (team, conference, season, window).

A handler takes the World and the validated parameters and returns rows (a list), one object (a
dict) or an already rendered body (`Rendered`, for play-by-play); it raises ApiError for the API's
own errors (404, 422, 503).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from devkit.replay.cbbd_data import FIRST_SEASON, LAST_SEASON, Team
from devkit.replay.cbbd_schedule import Game, Universe
from devkit.replay.cbbd_world import World

Params = dict[str, Any]
Handler = Callable[[World, Params], Any]
HANDLERS: dict[str, Handler] = {}


class ApiError(Exception):
    def __init__(self, status: int, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.payload: dict[str, Any] = {"message": message}
        if details is not None:
            self.payload["details"] = details


@dataclass(frozen=True)
class Rendered:
    """A JSON array already rendered as bytes, with its row count."""

    body: bytes
    rows: int


def handles(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn

    return register


def same(a: str | None, b: str | None) -> bool:
    """The API matches team and conference names case-insensitively."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def team_ok(team: Team, p: Params, team_key: str = "team", conf_key: str = "conference") -> bool:
    return (p.get(team_key) is None or same(team.school, p[team_key])) and (
        p.get(conf_key) is None or same(team.conference, p[conf_key])
    )


def season_param(world: World, p: Params, name: str = "season") -> int:
    value = p.get(name)
    return int(value) if value is not None else world.current_season()


def seasons_for(world: World, p: Params) -> list[int]:
    """The season asked for; without one, every season the date window touches, else the current one."""
    if p.get("season") is not None:
        return [int(p["season"])]
    start, end = p.get("startDateRange"), p.get("endDateRange")
    if start is None and end is None:
        return [world.current_season()]
    first = _season_of(start) if start is not None else FIRST_SEASON
    last = _season_of(end) if end is not None else LAST_SEASON
    return list(range(max(first, FIRST_SEASON), min(last, LAST_SEASON) + 1))


def _season_of(instant: dt.datetime) -> int:
    return instant.year + 1 if instant.month >= 8 else instant.year


def select_games(world: World, p: Params) -> list[Game]:
    """Games matching the game filters, in startDate order (the order the API sorts capped results by)."""
    if p.get("status") not in (None, "final"):
        return []  # every replayed game is over
    out: list[Game] = []
    for season in seasons_for(world, p):
        u = world.universe(season)
        if u is None:
            continue
        for g in u.between(p.get("startDateRange"), p.get("endDateRange")):
            if p.get("seasonType") is not None and g.season_type != p["seasonType"]:
                continue
            if p.get("tournament") is not None and not same(g.tournament, p["tournament"]):
                continue
            if p.get("team") is not None and not (
                same(g.home.school, p["team"]) or same(g.away.school, p["team"])
            ):
                continue
            if p.get("conference") is not None and not (
                same(g.home.conference, p["conference"]) or same(g.away.conference, p["conference"])
            ):
                continue
            out.append(g)
    return out


def team_sides(games: Iterable[Game], p: Params) -> list[tuple[Game, int]]:
    """(game, side) rows for the team-game grain; `team`/`conference` keep only the matching side."""
    out = []
    for g in games:
        for side, team in ((0, g.home), (1, g.away)):
            if team_ok(team, p):
                out.append((g, side))
    return out


def find_team(world: World, p: Params, u: Universe | None = None, key: str = "team") -> Team | None:
    teams = u.team_by_name if u is not None else world.team_by_name
    return teams.get(str(p.get(key, "")).casefold())


def game_by_id(world: World, game_id: int) -> Game | None:
    u = world.universe(game_id // 100_000 + 2000)
    return u.by_id.get(game_id) if u is not None else None


def cap(rows: list, limit: int | None) -> list:
    return rows if limit is None else rows[:limit]


class NoSeason(Exception):
    """No data for the asked season: `empty_when_unknown` turns it into an empty list."""


def season_universe(world: World, p: Params, name: str = "season") -> Universe:
    u = world.universe(season_param(world, p, name))
    if u is None:
        raise NoSeason
    return u


def empty_when_unknown(fn: Handler) -> Handler:
    @functools.wraps(fn)
    def wrapper(world: World, p: Params) -> Any:
        try:
            return fn(world, p)
        except NoSeason:
            return []

    return wrapper


def matching_teams(source: Universe | World, p: Params) -> list[Team]:
    """The season's (or the scale's) teams passing `team`/`conference`, by school name."""
    return sorted((t for t in source.teams if team_ok(t, p)), key=lambda t: t.school)


def in_window(games: list[Game], p: Params) -> list[Game]:
    """Games inside startDateRange..endDateRange (inclusive) of the asked seasonType."""
    start, end, kind = p.get("startDateRange"), p.get("endDateRange"), p.get("seasonType")
    return [
        g
        for g in games
        if (start is None or g.start >= start)
        and (end is None or g.start <= end)
        and (kind is None or g.season_type == kind)
    ]
