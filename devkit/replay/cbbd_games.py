"""Rows of the game endpoints (`/games`, `/games/teams`, `/games/players`, `/games/media`, `/lines`,
`/scoreboard`) from the season schedule.

Box scores are derived from each game's planned shooting, so made shots, attempts and points agree
with `/games` and with the play-by-play; the rest (rebounds, turnovers, ...) is drawn from a per-game
seed, so it is stable without simulating the game.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from devkit.replay.cbbd_data import Player, rng, roster, season_label, unit
from devkit.replay.cbbd_schedule import Game, Plan

BROADCASTS = (
    ("ESPN", "TV"),
    ("ESPN2", "TV"),
    ("ESPNU", "TV"),
    ("ESPN+", "Streaming"),
    ("FS1", "TV"),
    ("CBS", "TV"),
    ("CBSSN", "TV"),
    ("BTN", "TV"),
    ("ACCN", "TV"),
    ("SECN", "TV"),
    ("Peacock", "Streaming"),
    ("Local", "Radio"),
)
PROVIDERS = ((36, "Bovada"), (58, "ESPN BET"), (59, "DraftKings"), (60, "FanDuel"))


def pct(made: float, attempted: float) -> float:
    return round(100 * made / attempted, 1) if attempted else 0.0


def shooting(made: int, attempted: int) -> dict[str, Any]:
    return {"made": made, "attempted": attempted, "pct": pct(made, attempted)}


def allocate(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` as whole numbers (largest remainder, ties by position)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    scale = total / (sum(weights) or 1.0)
    shares = [w * scale for w in weights]
    out = [int(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: (out[i] - shares[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


@dataclass(frozen=True, slots=True)
class Box:
    """One side's counting stats for one game."""

    made2: int
    att2: int
    made3: int
    att3: int
    ftm: int
    fta: int
    oreb: int
    dreb: int
    tov: int
    team_tov: int
    fouls: int
    tech: int
    ast: int
    blk: int
    stl: int
    fast: int
    off_tov: int
    paint: int
    periods: tuple[int, ...]
    lead: int

    @property
    def points(self) -> int:
        return sum(self.periods)

    @property
    def fgm(self) -> int:
        return self.made2 + self.made3

    @property
    def fga(self) -> int:
        return self.att2 + self.att3

    @property
    def possessions(self) -> float:
        return round(self.fga - self.oreb + self.tov + 0.475 * self.fta, 1)


def _box(r, plan: Plan, opp: Plan, margin: int) -> Box:
    made2, made3, ftm = sum(plan.made2), sum(plan.made3), sum(plan.made1)
    att2, att3, fta = made2 + sum(plan.miss2), made3 + sum(plan.miss3), ftm + sum(plan.miss1)
    own_miss = sum(plan.miss2) + sum(plan.miss3)
    opp_miss = sum(opp.miss2) + sum(opp.miss3)
    tov = r.randint(8, 16)
    return Box(
        made2,
        att2,
        made3,
        att3,
        ftm,
        fta,
        round(own_miss * r.uniform(0.24, 0.36)),
        round(opp_miss * r.uniform(0.64, 0.76)),
        tov,
        r.randint(0, 3),
        r.randint(12, 22),
        int(r.random() < 0.2),
        round((made2 + made3) * r.uniform(0.45, 0.65)),
        r.randint(1, 7),
        r.randint(3, 10),
        r.randint(2, 16),
        round(tov * r.uniform(0.8, 1.4)),
        2 * round(made2 * r.uniform(0.5, 0.75)),
        tuple(plan.period_points),
        max(1, margin + r.randint(0, 9)),
    )


@lru_cache(maxsize=8192)
def boxes(game: Game) -> tuple[Box, Box]:
    r = rng("box", game.id)
    margin = game.home_plan.points - game.away_plan.points
    return (
        _box(r, game.home_plan, game.away_plan, max(0, margin)),
        _box(r, game.away_plan, game.home_plan, max(0, -margin)),
    )


# -- /games -------------------------------------------------------------------------------------------

# The Elo fields on `/games` came with a later API version: the real 2023 sample has none of them, so games
# of seasons before this one are served without the four keys (not as nulls).
ELO_ON_GAMES_FROM = 2024
EXCITEMENT_NULL_SHARE = 1 / 36  # the real Duke 2023 sample: one game of 36 has `excitement: null`


def _elo(team, elo: int) -> int | None:
    """A non-D1 side has no Elo (its conference is null too)."""
    return elo if team.conference is not None else None


def game_row(g: Game) -> dict[str, Any]:
    home, away = g.home, g.away
    row = {
        "id": g.id,
        "sourceId": g.source_id,
        "seasonLabel": season_label(g.season),
        "season": g.season,
        "seasonType": g.season_type,
        "startDate": g.start_iso,
        "startTimeTbd": False,
        "neutralSite": g.neutral,
        "conferenceGame": g.conference_game,
        "gameType": g.game_type,
        "tournament": g.tournament,
        "gameNotes": g.notes,
        "status": "final",
        "attendance": g.attendance,
        "homeTeamId": home.id,
        "homeTeam": home.school,
        "homeConferenceId": home.conference_id,
        "homeConference": home.conference,
        "homeSeed": g.home_seed,
        "homePoints": g.home_plan.points,
        "homePeriodPoints": g.home_plan.period_points,
        "homeWinner": g.home_won,
        "homeTeamEloStart": _elo(home, g.home_elo[0]),
        "homeTeamEloEnd": _elo(home, g.home_elo[1]),
        "awayTeamId": away.id,
        "awayTeam": away.school,
        "awayConferenceId": away.conference_id,
        "awayConference": away.conference,
        "awaySeed": g.away_seed,
        "awayPoints": g.away_plan.points,
        "awayPeriodPoints": g.away_plan.period_points,
        "awayWinner": not g.home_won,
        "awayTeamEloStart": _elo(away, g.away_elo[0]),
        "awayTeamEloEnd": _elo(away, g.away_elo[1]),
        "excitement": g.excitement if unit("excitement-null", g.id) >= EXCITEMENT_NULL_SHARE else None,
        "venueId": g.venue.id,
        "venue": g.venue.name,
        "city": g.venue.city,
        "state": g.venue.state,
    }
    if g.season < ELO_ON_GAMES_FROM:
        return {k: v for k, v in row.items() if "Elo" not in k}
    return row


def _team_game_head(g: Game, side: int) -> dict[str, Any]:
    team, opp = (g.home, g.away) if side == 0 else (g.away, g.home)
    seeds = (g.home_seed, g.away_seed) if side == 0 else (g.away_seed, g.home_seed)
    return {
        "gameId": g.id,
        "season": g.season,
        "seasonLabel": season_label(g.season),
        "seasonType": g.season_type,
        "tournament": g.tournament,
        "startDate": g.start_iso,
        "startTimeTbd": False,
        "teamId": team.id,
        "team": team.school,
        "conference": team.conference,
        "teamSeed": seeds[0],
        "opponentId": opp.id,
        "opponent": opp.school,
        "opponentConference": opp.conference,
        "opponentSeed": seeds[1],
        "neutralSite": g.neutral,
        "isHome": side == 0,
        "conferenceGame": g.conference_game,
        "gameType": g.game_type,
        "notes": g.notes,
        "gameMinutes": 40,
    }


def box_json(b: Box, opp: Box) -> dict[str, Any]:
    poss = b.possessions
    return {
        "assists": b.ast,
        "blocks": b.blk,
        "steals": b.stl,
        "possessions": poss,
        "rating": round(100 * b.points / poss, 1) if poss else None,
        "trueShooting": pct(b.points, 2 * (b.fga + 0.475 * b.fta)),
        "gameScore": round(
            b.points
            + 0.4 * b.fgm
            - 0.7 * b.fga
            + 0.7 * b.oreb
            + 0.3 * b.dreb
            + b.stl
            + 0.7 * b.ast
            + 0.7 * b.blk
            - 0.4 * b.fouls
            - b.tov,
            1,
        ),
        "fieldGoals": shooting(b.fgm, b.fga),
        "twoPointFieldGoals": shooting(b.made2, b.att2),
        "threePointFieldGoals": shooting(b.made3, b.att3),
        "freeThrows": shooting(b.ftm, b.fta),
        "rebounds": {"offensive": b.oreb, "defensive": b.dreb, "total": b.oreb + b.dreb},
        "turnovers": {"total": b.tov, "teamTotal": b.team_tov},
        "fouls": {"total": b.fouls, "technical": b.tech, "flagrant": 0},
        "points": {
            "total": b.points,
            "byPeriod": list(b.periods),
            "largestLead": b.lead,
            "fastBreak": b.fast,
            "offTurnovers": b.off_tov,
            "inPaint": b.paint,
        },
        "fourFactors": {
            "effectiveFieldGoalPct": pct(b.fgm + 0.5 * b.made3, b.fga),
            "turnoverRatio": round(b.tov / poss, 3) if poss else 0.0,
            "offensiveReboundPct": pct(b.oreb, b.oreb + opp.dreb),
            "freeThrowRate": pct(b.fta, b.fga),
        },
    }


def team_game_row(g: Game, side: int) -> dict[str, Any]:
    own, opp = boxes(g) if side == 0 else boxes(g)[::-1]
    row = _team_game_head(g, side)
    row["pace"] = round((own.possessions + opp.possessions) / 2, 1)
    row["teamStats"] = box_json(own, opp)
    row["opponentStats"] = box_json(opp, own)
    return row


def _player_json(p: Player, starter: bool, line: dict[str, int], team_poss: float) -> dict[str, Any]:
    fgm, fga = line["m2"] + line["m3"], line["a2"] + line["a3"]
    pts = 2 * line["m2"] + 3 * line["m3"] + line["ftm"]
    minutes = line["min"]
    used = fga + 0.475 * line["fta"] + line["tov"]
    share = minutes / 40 if minutes else 0
    return {
        "athleteId": p.id,
        "athleteSourceId": p.source_id,
        "name": p.name,
        "position": p.position,
        "starter": starter,
        "ejected": False,
        "minutes": minutes,
        "points": pts,
        "turnovers": line["tov"],
        "fouls": line["pf"],
        "assists": line["ast"],
        "steals": line["stl"],
        "blocks": line["blk"],
        "usage": round(100 * used / (team_poss * share), 1) if share and team_poss else None,
        "offensiveRating": round(100 * pts / used, 1) if used else None,
        "defensiveRating": round(95 + 10 * math.sin(p.id + minutes), 1) if minutes else None,
        "netRating": round(100 * pts / used - 95 - 10 * math.sin(p.id + minutes), 1)
        if used and minutes
        else None,
        "gameScore": round(
            pts
            + 0.4 * fgm
            - 0.7 * fga
            + 0.7 * line["or"]
            + 0.3 * line["dr"]
            + line["stl"]
            + 0.7 * line["ast"]
            + 0.7 * line["blk"]
            - 0.4 * line["pf"]
            - line["tov"],
            1,
        ),
        "effectiveFieldGoalPct": pct(fgm + 0.5 * line["m3"], fga) if fga else None,
        "trueShootingPct": pct(pts, 2 * (fga + 0.475 * line["fta"])) if fga or line["fta"] else None,
        "assistsTurnoverRatio": round(line["ast"] / line["tov"], 2) if line["tov"] else None,
        "freeThrowRate": pct(line["fta"], fga) if fga else None,
        "offensiveReboundPct": pct(line["or"], 40 * share) if minutes else None,
        "fieldGoals": shooting(fgm, fga),
        "twoPointFieldGoals": shooting(line["m2"], line["a2"]),
        "threePointFieldGoals": shooting(line["m3"], line["a3"]),
        "freeThrows": shooting(line["ftm"], line["fta"]),
        "rebounds": {"offensive": line["or"], "defensive": line["dr"], "total": line["or"] + line["dr"]},
    }


WALK_ON_MARGIN = 25  # a blowout: the side's 11th man plays the last minute and does nothing else


def player_lines(g: Game, side: int) -> list[tuple[Player, bool, dict[str, int]]]:
    """The side's rotation with the team box split among them (minutes sum to 200). In a blowout a walk-on
    gets one minute and no stats, so his season line has the nulls the real API sends for such a player
    (no usage: offensive rating, PORPAG, win shares)."""
    team = g.home if side == 0 else g.away
    own = boxes(g)[side]
    squad = roster(team.id, g.season)
    walk_on = abs(g.home_plan.points - g.away_plan.points) >= WALK_ON_MARGIN and len(squad) > 10
    players = squad[: 11 if walk_on else 10]
    r = rng("player-box", g.id, side)
    minutes = allocate(200 - walk_on, [(30 if i < 5 else 11) * r.uniform(0.8, 1.2) for i in range(10)])
    minutes += [1] * walk_on
    idle = [1.0] * 10 + [0.0] * walk_on  # the walk-on's weight in everything but minutes
    usage = [w * m * math.exp(0.45 * p.talent) for p, m, w in zip(players, minutes, idle, strict=True)]
    shooters = [
        u * (1.6 if p.position == "G" else 0.9 if p.position == "F" else 0.2)
        for p, u in zip(players, usage, strict=True)
    ]
    bigs = [
        w * m * {"C": 3.0, "F": 2.0, "G": 1.0}[p.position]
        for p, m, w in zip(players, minutes, idle, strict=True)
    ]
    active = [w * m for m, w in zip(minutes, idle, strict=True)]
    columns = {
        "m2": allocate(own.made2, usage),
        "m3": allocate(own.made3, shooters),
        "ftm": allocate(own.ftm, usage),
        "or": allocate(own.oreb, bigs),
        "dr": allocate(own.dreb, bigs),
        "ast": allocate(own.ast, active),
        "stl": allocate(own.stl, active),
        "blk": allocate(own.blk, bigs),
        "tov": allocate(own.tov, usage),
        "pf": allocate(own.fouls, active),
        "min": minutes,
    }
    columns["a2"] = [m + x for m, x in zip(columns["m2"], allocate(own.att2 - own.made2, usage), strict=True)]
    columns["a3"] = [
        m + x for m, x in zip(columns["m3"], allocate(own.att3 - own.made3, shooters), strict=True)
    ]
    columns["fta"] = [m + x for m, x in zip(columns["ftm"], allocate(own.fta - own.ftm, usage), strict=True)]
    return [(p, i < 5, {k: v[i] for k, v in columns.items()}) for i, p in enumerate(players)]


def team_players_row(g: Game, side: int) -> dict[str, Any]:
    own, opp = boxes(g) if side == 0 else boxes(g)[::-1]
    row = _team_game_head(g, side)
    row["gamePace"] = round((own.possessions + opp.possessions) / 2, 1)
    row["players"] = [_player_json(p, s, line, own.possessions) for p, s, line in player_lines(g, side)]
    return row


# -- media, lines, scoreboard ------------------------------------------------------------------------


def media_row(g: Game) -> dict[str, Any]:
    r = rng("media", g.id)
    picks = r.sample(BROADCASTS, r.choice((0, 1, 1, 1, 2)))
    return {
        "gameId": g.id,
        "season": g.season,
        "seasonLabel": season_label(g.season),
        "seasonType": g.season_type,
        "tournament": g.tournament,
        "startDate": g.start_iso,
        "startTimeTbd": False,
        "homeTeamId": g.home.id,
        "homeTeam": g.home.school,
        "homeConference": g.home.conference,
        "awayTeamId": g.away.id,
        "awayTeam": g.away.school,
        "awayConference": g.away.conference,
        "neutralSite": g.neutral,
        "conferenceGame": g.conference_game,
        "gameType": g.game_type,
        "notes": g.notes,
        "broadcasts": [{"broadcastName": name, "broadcastType": kind} for name, kind in picks],
    }


def _moneyline(p: float) -> float:
    p = min(max(p, 0.02), 0.98)
    return float(-round(100 * p / (1 - p))) if p >= 0.5 else float(round(100 * (1 - p) / p))


def expected_margin(g: Game) -> float:
    """The home side's expected margin: the planned result blurred, as a market would see it."""
    r = rng("line", g.id)
    return (g.home_plan.points - g.away_plan.points) * 0.45 + r.gauss(0, 5.5)


def lines_row(g: Game) -> dict[str, Any]:
    r = rng("lines", g.id)
    margin = expected_margin(g)
    total = g.home_plan.points + g.away_plan.points + r.gauss(0, 9)
    lines = []
    for _, name in r.sample(PROVIDERS, r.randint(1, 3)):
        spread = round(-margin * 2 + r.choice((-1, 0, 0, 1))) / 2
        p_home = 1 / (1 + math.exp(spread / 6.0))
        lines.append(
            {
                "provider": name,
                "spread": spread,
                "overUnder": round(total * 2) / 2,
                "homeMoneyline": _moneyline(p_home),
                "awayMoneyline": _moneyline(1 - p_home),
                "spreadOpen": spread + r.choice((-1.0, -0.5, 0.0, 0.5, 1.0)),
                "overUnderOpen": round(total * 2) / 2 + r.choice((-1.5, -0.5, 0.0, 0.5, 1.0)),
            }
        )
    return {
        "gameId": g.id,
        "season": g.season,
        "seasonType": g.season_type,
        "startDate": g.start_iso,
        "homeTeamId": g.home.id,
        "homeTeam": g.home.school,
        "homeConference": g.home.conference,
        "homeScore": g.home_plan.points,
        "awayTeamId": g.away.id,
        "awayTeam": g.away.school,
        "awayConference": g.away.conference,
        "awayScore": g.away_plan.points,
        "lines": lines,
    }


def scoreboard_row(g: Game) -> dict[str, Any]:
    """Today's games as not yet started: live scores would make the answer change between calls."""
    r = rng("scoreboard", g.id)
    margin = expected_margin(g)

    def team(t) -> dict[str, Any]:
        return {
            "id": t.id,
            "name": t.school,
            "location": t.venue.city,
            "conference": t.conference,
            "conferenceAbbreviation": t.conference,
            "points": None,
            "lineScores": None,
        }

    spread = round(-margin * 2) / 2
    p_home = 1 / (1 + math.exp(spread / 6.0))
    return {
        "id": g.id,
        "startDate": g.start_iso,
        "startTimeTbd": False,
        "tv": r.choice(BROADCASTS)[0],
        "neutralSite": g.neutral,
        "conferenceGame": g.conference_game,
        "status": "scheduled",
        "period": None,
        "clock": None,
        "venue": g.venue.name,
        "city": g.venue.city,
        "state": g.venue.state,
        "homeTeam": team(g.home),
        "awayTeam": team(g.away),
        "betting": {
            "spread": spread,
            "overUnder": round((g.home_plan.points + g.away_plan.points + r.gauss(0, 9)) * 2) / 2,
            "homeMoneyline": _moneyline(p_home),
            "awayMoneyline": _moneyline(1 - p_home),
        },
    }
