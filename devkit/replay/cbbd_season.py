"""Season aggregates: team and player stats, shooting splits, leaderboard, ratings and polls.

Totals are sums of the same per-game box scores `/games/teams` and `/games/players` serve, over the
games a request's filters select, so a season row equals the sum of its games.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from devkit.replay.cbbd_data import Player, Team, rng, season_label, unit
from devkit.replay.cbbd_games import Box, allocate, boxes, pct, player_lines, shooting
from devkit.replay.cbbd_schedule import Game, Universe, first_day, selection_sunday

BOX_FIELDS = (
    "made2",
    "att2",
    "made3",
    "att3",
    "ftm",
    "fta",
    "oreb",
    "dreb",
    "tov",
    "team_tov",
    "fouls",
    "tech",
    "ast",
    "blk",
    "stl",
    "fast",
    "off_tov",
    "paint",
)
PLAYER_FIELDS = ("m2", "a2", "m3", "a3", "ftm", "fta", "or", "dr", "ast", "stl", "blk", "tov", "pf", "min")


def _totals(items: Iterable[Box]) -> dict[str, int]:
    out = dict.fromkeys((*BOX_FIELDS, "pts", "games"), 0)
    for b in items:
        for name in BOX_FIELDS:
            out[name] += getattr(b, name)
        out["pts"] += b.points
        out["games"] += 1
    out["fgm"], out["fga"] = out["made2"] + out["made3"], out["att2"] + out["att3"]
    out["poss"] = round(out["fga"] - out["oreb"] + out["tov"] + 0.475 * out["fta"])
    return out


def team_totals(u: Universe, team: Team, games: list[Game]) -> tuple[dict[str, int], dict[str, int], int]:
    """(own totals, opponents' totals, wins) over `games` of this team."""
    own, opp, wins = [], [], 0
    for g in games:
        side = g.side(team.id)
        pair = boxes(g)
        own.append(pair[side])
        opp.append(pair[1 - side])
        wins += g.home_won == (side == 0)
    return _totals(own), _totals(opp), wins


def season_unit(t: dict[str, int], o: dict[str, int]) -> dict[str, Any]:
    return {
        "assists": t["ast"],
        "blocks": t["blk"],
        "steals": t["stl"],
        "possessions": t["poss"],
        "trueShooting": pct(t["pts"], 2 * (t["fga"] + 0.475 * t["fta"])),
        "rating": round(100 * t["pts"] / t["poss"], 1) if t["poss"] else None,
        "fieldGoals": shooting(t["fgm"], t["fga"]),
        "twoPointFieldGoals": shooting(t["made2"], t["att2"]),
        "threePointFieldGoals": shooting(t["made3"], t["att3"]),
        "freeThrows": shooting(t["ftm"], t["fta"]),
        "rebounds": {"offensive": t["oreb"], "defensive": t["dreb"], "total": t["oreb"] + t["dreb"]},
        "turnovers": {"total": t["tov"], "teamTotal": t["team_tov"]},
        "fouls": {"total": t["fouls"], "technical": t["tech"], "flagrant": 0},
        "points": {
            "total": t["pts"],
            "inPaint": t["paint"],
            "offTurnovers": t["off_tov"],
            "fastBreak": t["fast"],
        },
        "fourFactors": {
            "effectiveFieldGoalPct": pct(t["fgm"] + 0.5 * t["made3"], t["fga"]),
            "turnoverRatio": round(t["tov"] / t["poss"], 3) if t["poss"] else None,
            "offensiveReboundPct": pct(t["oreb"], t["oreb"] + o["dreb"]),
            "freeThrowRate": pct(t["fta"], t["fga"]),
        },
    }


# The real 2023 season stats: 8 of 343 non-D1 teams have no possessions (pace 0, rating and turnover
# ratio null): their one game against D1 came without a full box score.
NO_BOX_SHARE = 8 / 343


def team_season_rows(u: Universe, team: Team, games: list[Game]) -> list[dict[str, Any]]:
    """The team's row; twice, under both conferences and with the same numbers, in the season before a
    conference move (the real 2023 answer lists Stephen F. Austin as Southland and as WAC)."""
    row = team_season_row(u, team, games)
    if team.conference is None and unit("no-box", team.id, u.season) < NO_BOX_SHARE:
        row["pace"] = 0
        for unit_stats in (row["teamStats"], row["opponentStats"]):
            unit_stats.update(possessions=0, rating=None)
            unit_stats["fourFactors"]["turnoverRatio"] = None
    if team.id not in u.also_listed:
        return [row]
    return sorted((row, {**row, "conference": u.also_listed[team.id]}), key=lambda r: r["conference"])


def team_season_row(u: Universe, team: Team, games: list[Game]) -> dict[str, Any]:
    own, opp, wins = team_totals(u, team, games)
    return {
        "season": u.season,
        "seasonLabel": season_label(u.season),
        "teamId": team.id,
        "team": team.school,
        "conference": team.conference,
        "games": len(games),
        "wins": wins,
        "losses": len(games) - wins,
        "totalMinutes": 40 * len(games),
        "pace": round((own["poss"] + opp["poss"]) / 2 / len(games), 1),
        "teamStats": season_unit(own, opp),
        "opponentStats": season_unit(opp, own),
    }


# -- players ------------------------------------------------------------------------------------------


def player_totals(team: Team, games: list[Game]) -> list[tuple[Player, dict[str, int]]]:
    """Per player of the rotation: sums of his game lines, plus games, starts and team possessions."""
    acc: dict[int, tuple[Player, dict[str, int]]] = {}
    for g in games:
        side = g.side(team.id)
        team_poss = boxes(g)[side].possessions
        for player, starter, line in player_lines(g, side):
            _, sums = acc.setdefault(player.id, (player, dict.fromkeys((*PLAYER_FIELDS, "g", "gs", "tp"), 0)))
            for name in PLAYER_FIELDS:
                sums[name] += line[name]
            sums["g"] += 1
            sums["gs"] += starter
            sums["tp"] += team_poss * line["min"] / 40
    return sorted(acc.values(), key=lambda pt: (-pt[1]["min"], pt[0].id))


def _player_numbers(p: Player, s: dict[str, int]) -> dict[str, Any]:
    fgm, fga = s["m2"] + s["m3"], s["a2"] + s["a3"]
    pts = 2 * s["m2"] + 3 * s["m3"] + s["ftm"]
    used = fga + 0.475 * s["fta"] + s["tov"]
    ortg = round(100 * pts / used, 1) if used else None
    drtg = round(104 - 4 * p.talent, 1)
    ws_o = round(pts / 60 - s["tov"] / 40, 2) if used else None  # the API sends null without usage
    ws_d = round(s["min"] / 400 + (s["stl"] + s["blk"]) / 50, 2)
    return {
        "pts": pts,
        "fgm": fgm,
        "fga": fga,
        "usage": round(100 * used / s["tp"], 1) if s["tp"] else None,
        "ortg": ortg,
        "drtg": drtg,
        "net": round(ortg - drtg, 1) if ortg is not None else None,
        "porpag": round((ortg - 88) * (used / max(s["g"], 1)) / 100, 2) if ortg is not None else None,
        "efg": pct(fgm + 0.5 * s["m3"], fga) if fga else None,
        "ts": pct(pts, 2 * (fga + 0.475 * s["fta"])) if fga or s["fta"] else None,
        "ato": round(s["ast"] / s["tov"], 2) if s["tov"] else None,
        "ftr": pct(s["fta"], fga) if fga else None,
        "orb": pct(s["or"], s["min"] / 5) if s["min"] else None,
        "ws": (
            ws_o,
            ws_d,
            round(ws_o + ws_d, 2) if ws_o is not None else None,
            round(40 * (ws_o + ws_d) / s["min"], 3) if s["min"] and ws_o is not None else None,
        ),
    }


def player_season_row(season: int, team: Team, p: Player, s: dict[str, int]) -> dict[str, Any]:
    n = _player_numbers(p, s)
    ws_o, ws_d, ws, ws40 = n["ws"]
    return {
        "season": season,
        "seasonLabel": season_label(season),
        "teamId": team.id,
        "team": team.school,
        "conference": team.conference,
        "athleteId": p.id,
        "athleteSourceId": p.source_id,
        "name": p.name,
        "position": p.position,
        "games": s["g"],
        "starts": s["gs"],
        "minutes": s["min"],
        "points": n["pts"],
        "turnovers": s["tov"],
        "fouls": s["pf"],
        "assists": s["ast"],
        "steals": s["stl"],
        "blocks": s["blk"],
        "usage": n["usage"],
        "offensiveRating": n["ortg"],
        "defensiveRating": n["drtg"],
        "netRating": n["net"],
        "PORPAG": n["porpag"],
        "effectiveFieldGoalPct": n["efg"],
        "trueShootingPct": n["ts"],
        "assistsTurnoverRatio": n["ato"],
        "freeThrowRate": n["ftr"],
        "offensiveReboundPct": n["orb"],
        "fieldGoals": shooting(n["fgm"], n["fga"]),
        "twoPointFieldGoals": shooting(s["m2"], s["a2"]),
        "threePointFieldGoals": shooting(s["m3"], s["a3"]),
        "freeThrows": shooting(s["ftm"], s["fta"]),
        "rebounds": {"offensive": s["or"], "defensive": s["dr"], "total": s["or"] + s["dr"]},
        "winShares": {"offensive": ws_o, "defensive": ws_d, "total": ws, "totalPer40": ws40},
    }


# -- shooting splits ----------------------------------------------------------------------------------


def _kind(made: int, attempted: int, assisted: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"made": made, "attempted": attempted, "pct": pct(made, attempted)}
    if assisted is not None:
        out["assisted"] = assisted
        out["assistedPct"] = pct(assisted, made)
    return out


def shooting_row(
    key: tuple, made2: int, att2: int, made3: int, att3: int, ftm: int, fta: int
) -> dict[str, Any]:
    """SeasonShootingStats fields: twos split into dunks, layups, tip-ins and jumpers by a stable mix."""
    r = rng("shots", *key)
    made = allocate(made2, [3 * r.uniform(0.8, 1.2), 9 * r.uniform(0.8, 1.2), 1.0, 7 * r.uniform(0.8, 1.2)])
    miss = allocate(att2 - made2, [0.6, 7.0, 1.2, 12.0])
    att = [m + x for m, x in zip(made, miss, strict=True)]
    assist_rate = (0.8, 0.35, 0.1, 0.3)
    assisted = [round(m * a) for m, a in zip(made, assist_rate, strict=True)]
    ast3 = round(made3 * 0.82)
    tracked = att2 + att3
    fga = max(tracked, 1)
    return {
        "trackedShots": tracked,
        "assistedPct": pct(sum(assisted) + ast3, made2 + made3),
        "freeThrowRate": pct(fta, fga),
        "dunks": _kind(made[0], att[0], assisted[0]),
        "layups": _kind(made[1], att[1], assisted[1]),
        "tipIns": _kind(made[2], att[2]),
        "twoPointJumpers": _kind(made[3], att[3], assisted[3]),
        "threePointJumpers": _kind(made3, att3, ast3),
        "freeThrows": _kind(ftm, fta),
        "attemptsBreakdown": {
            "dunks": pct(att[0], fga),
            "layups": pct(att[1], fga),
            "tipIns": pct(att[2], fga),
            "twoPointJumpers": pct(att[3], fga),
            "threePointJumpers": pct(att3, fga),
        },
    }


# -- ratings and polls --------------------------------------------------------------------------------


def adjusted(u: Universe) -> dict[int, tuple[float, float]]:
    """(offense, defense) adjusted efficiency per team, from strength plus a stable wobble."""
    out = {}
    for t in u.teams:
        s = u.strength[t.id]
        out[t.id] = (
            round(106 + 6.5 * s + 4 * (unit("adj-o", t.id, u.season) - 0.5), 1),
            round(104 - 5.5 * s + 4 * (unit("adj-d", t.id, u.season) - 0.5), 1),
        )
    return out


def ranks(values: dict[int, float], descending: bool = True) -> dict[int, int]:
    order = sorted(values, key=lambda k: (-values[k] if descending else values[k], k))
    return {k: i for i, k in enumerate(order, start=1)}


def srs(u: Universe, team: Team) -> float:
    return round(13 * u.strength[team.id] + 3 * (unit("srs", team.id, u.season) - 0.5), 2)


def poll_weeks(u: Universe) -> list[tuple[int, str, dt.datetime]]:
    """(week, seasonType, poll date): a preseason poll, one each Monday, a final one after the title game."""
    first = first_day(u.season)
    weeks = [(1, "preseason", first - dt.timedelta(days=14))]
    day = first + dt.timedelta(days=7)
    while day <= selection_sunday(u.season) + dt.timedelta(days=1):
        weeks.append((len(weeks) + 1, "regular", day))
        day += dt.timedelta(days=7)
    last = u.games[-1].day if u.games else day
    weeks.append((len(weeks) + 1, "postseason", last + dt.timedelta(days=1)))
    return [(w, kind, dt.datetime.combine(d, dt.time(16), dt.UTC)) for w, kind, d in weeks]


def poll_rows(u: Universe) -> list[dict[str, Any]]:
    """Every week of both polls (top 25, or every team in a tiny season); order: week, poll, rank."""
    rows = []
    size = min(25, len(u.teams))
    wins = dict.fromkeys(u.by_team, 0)
    played = dict.fromkeys(u.by_team, 0)
    g = 0
    for week, season_type, when in poll_weeks(u):
        while g < len(u.games) and u.games[g].start < when:
            game = u.games[g]
            winner = game.home if game.home_won else game.away
            wins[winner.id] += 1
            played[game.home.id] += 1
            played[game.away.id] += 1
            g += 1
        for poll, voters in (("ap", 62), ("coaches", 32)):
            score = {
                t.id: 3 * u.strength[t.id]
                + 0.25 * (2 * wins.get(t.id, 0) - played.get(t.id, 0))
                + 0.4 * unit("poll", poll, t.id, u.season, week)
                for t in u.teams
            }
            order = sorted(score, key=lambda k: (-score[k], k))[:size]
            for rank, team_id in enumerate(order, start=1):
                team = u.team_by_id[team_id]
                first_votes = voters - (rank - 1) * 20 if rank <= 3 else 0
                rows.append(
                    {
                        "season": u.season,
                        "seasonType": season_type,
                        "week": week,
                        "pollDate": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        "pollType": poll,
                        "teamId": team.id,
                        "team": team.school,
                        "conference": team.conference,
                        "ranking": rank,
                        "points": voters * (26 - rank) - (rank - 1) * 3,
                        "firstPlaceVotes": max(0, first_votes) if rank < 3 else 0,
                    }
                )
    return rows


def conference_full_name(ref_conferences, abbreviation: str | None) -> str:
    for c in ref_conferences:
        if c.abbreviation == abbreviation:
            return c.name
    return abbreviation or ""


def strength_label(value: float) -> int:
    """Stars of a player of this talent (2 to 5)."""
    return max(2, min(5, 3 + round(value)))


def rating_of(p: Player) -> float:
    return round(0.8 + 0.05 * math.tanh(p.talent) + 0.02 * unit("rating", p.id), 4)
