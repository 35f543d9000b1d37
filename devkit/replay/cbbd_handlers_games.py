"""Handlers of the game-grain endpoints: games, box scores, media, lines, scoreboard, plays,
substitutions and lineups. Capped endpoints sort by startDate, truncate at the catalog's `row_cap`,
and only then build the (costly) rows."""

from __future__ import annotations

from functools import lru_cache

from devkit.replay.cbbd_common import (
    Params,
    Rendered,
    cap,
    find_team,
    game_by_id,
    handles,
    in_window,
    same,
    select_games,
    team_sides,
)
from devkit.replay.cbbd_data import team_of_player
from devkit.replay.cbbd_games import (
    game_row,
    lines_row,
    media_row,
    scoreboard_row,
    team_game_row,
    team_players_row,
)
from devkit.replay.cbbd_lineups import game_lineups, lineup_rows, merge, substitution_rows
from devkit.replay.cbbd_plays import PLAY_TYPES, PlaySet, render
from devkit.replay.cbbd_schedule import Game
from devkit.replay.cbbd_world import World, season_of
from hoops.cbbd import catalog

PLAY_SETS_KEPT = 32  # ~0.5 MB each: a busy day's plays are streamed, never all kept


def _selected(name: str, world: World, p: Params) -> list[Game]:
    """The filtered games of seasons the endpoint has data for (broadcasts from 2011, lines from 2013)."""
    ep = catalog.get(name)
    return [g for g in select_games(world, p) if ep.has_season(g.season)]


def _known_game(name: str, world: World, game_id: int) -> Game | None:
    game = game_by_id(world, game_id)
    return game if game is not None and catalog.get(name).has_season(game.season) else None


@handles("games")
def games(world: World, p: Params) -> list:
    return [game_row(g) for g in cap(_selected("games", world, p), catalog.get("games").row_cap)]


@handles("games_media")
def games_media(world: World, p: Params) -> list:
    return [media_row(g) for g in cap(_selected("games_media", world, p), catalog.get("games_media").row_cap)]


@handles("lines")
def lines(world: World, p: Params) -> list:
    return [lines_row(g) for g in cap(_selected("lines", world, p), catalog.get("lines").row_cap)]


@handles("games_teams")
def games_teams(world: World, p: Params) -> list:
    sides = cap(team_sides(_selected("games_teams", world, p), p), catalog.get("games_teams").row_cap)
    return [team_game_row(g, side) for g, side in sides]


@handles("games_players")
def games_players(world: World, p: Params) -> list:
    sides = cap(team_sides(_selected("games_players", world, p), p), catalog.get("games_players").row_cap)
    return [team_players_row(g, side) for g, side in sides]


@handles("scoreboard")
def scoreboard(world: World, p: Params) -> list:
    today = world.today()
    u = world.universe(season_of(today))
    if u is None:
        return []
    return [
        scoreboard_row(g)
        for g in u.on_day(today)
        if p.get("conference") is None
        or same(g.home.conference, p["conference"])
        or same(g.away.conference, p["conference"])
    ]


# -- plays --------------------------------------------------------------------------------------------


@lru_cache(maxsize=PLAY_SETS_KEPT)
def play_set(game: Game, plays_per_game: int | None) -> PlaySet:
    return render(game, plays_per_game)


def _plays(world: World, games: list[Game], p: Params, athlete: int | None = None) -> Rendered:
    """One JSON array of the games' plays, in game order. Encoded game by game and joined once, so a
    busy day (~50 MB) is held about twice at the peak, not three times."""
    shooting_only = bool(p.get("shootingPlaysOnly"))
    pieces: list[bytes] = [b"["]
    count = 0
    for g in games:
        if not catalog.get("plays_game").has_season(g.season):
            continue
        rows = play_set(g, world.plays_per_game).select(shooting_only, athlete)
        if rows:
            if count:
                pieces.append(b",")
            pieces.append(",".join(rows).encode())
            count += len(rows)
    pieces.append(b"]")
    return Rendered(b"".join(pieces), count)


@handles("plays_types")
def plays_types(world: World, p: Params) -> list:
    return [{"id": i, "name": name} for i, name in PLAY_TYPES]


@handles("plays_date")
def plays_date(world: World, p: Params) -> Rendered:
    day = p["date"].date()
    u = world.universe(season_of(day))
    return _plays(world, u.on_day(day, float(p.get("utcOffset") or 0)) if u else [], p)


@handles("plays_game")
def plays_game(world: World, p: Params) -> Rendered:
    game = game_by_id(world, p["gameId"])
    return _plays(world, [game] if game else [], p)


@handles("plays_team")
def plays_team(world: World, p: Params) -> Rendered:
    u = world.universe(int(p["season"]))
    team = find_team(world, p, u) if u else None
    return _plays(world, u.by_team.get(team.id, []) if u and team else [], p)


@handles("plays_player")
def plays_player(world: World, p: Params) -> Rendered:
    u = world.universe(int(p["season"]))
    games = u.by_team.get(team_of_player(p["playerId"]), []) if u else []
    return _plays(world, games, p, athlete=p["playerId"])


@handles("plays_tournament")
def plays_tournament(world: World, p: Params) -> Rendered:
    u = world.universe(int(p["season"]))
    return _plays(world, [g for g in u.games if same(g.tournament, p["tournament"])] if u else [], p)


# -- substitutions and lineups ------------------------------------------------------------------------


@handles("substitutions_game")
def substitutions_game(world: World, p: Params) -> list:
    game = _known_game("substitutions_game", world, p["gameId"])
    return substitution_rows(game) if game else []


@handles("substitutions_team")
def substitutions_team(world: World, p: Params) -> list:
    u = world.universe(int(p["season"]))
    team = find_team(world, p, u) if u else None
    if not u or not team:
        return []
    return [row for g in u.by_team.get(team.id, []) for row in substitution_rows(g, side=g.side(team.id))]


@handles("substitutions_player")
def substitutions_player(world: World, p: Params) -> list:
    u = world.universe(int(p["season"]))
    team_id = team_of_player(p["playerId"])
    if not u:
        return []
    return [
        row
        for g in u.by_team.get(team_id, [])
        for row in substitution_rows(g, side=g.side(team_id), athlete=p["playerId"])
    ]


@handles("lineups_game")
def lineups_game(world: World, p: Params) -> list:
    game = _known_game("lineups_game", world, p["gameId"])
    if not game:
        return []
    return lineup_rows({game.home.id: game.home, game.away.id: game.away}, game_lineups(game))


@handles("lineups_team")
def lineups_team(world: World, p: Params) -> list:
    u = world.universe(int(p["season"]))
    team = find_team(world, p, u) if u else None
    if not u or not team:
        return []
    games = in_window(u.by_team.get(team.id, []), p)
    return lineup_rows({team.id: team}, merge((game_lineups(g) for g in games), team.id))
