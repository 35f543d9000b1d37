"""Handlers of the team and reference endpoints: teams, rosters, the directory, team overviews, venues,
conferences and line providers."""

from __future__ import annotations

from typing import Any

from devkit.replay.cbbd_common import (
    ApiError,
    Params,
    handles,
    matching_teams,
    same,
    team_ok,
)
from devkit.replay.cbbd_data import Team, dash_label, move_of, roster, unit
from devkit.replay.cbbd_games import PROVIDERS
from devkit.replay.cbbd_schedule import Game
from devkit.replay.cbbd_season import (
    adjusted,
    conference_full_name,
    player_totals,
    poll_rows,
    ranks,
    shooting_row,
    srs,
    team_totals,
)
from devkit.replay.cbbd_world import World

# -- teams --------------------------------------------------------------------------------------------


def _roster_player(player, season: int) -> dict[str, Any]:
    city, state, lat, lon = player.hometown
    return {
        "id": player.id,
        "sourceId": player.source_id,
        "name": player.name,
        "firstName": player.first_name,
        "lastName": player.last_name,
        "jersey": player.jersey,
        "position": player.position,
        "height": player.height,
        "weight": player.weight,
        "hometown": {
            "city": city,
            "state": state,
            "country": "USA",
            "latitude": lat,
            "longitude": lon,
            "countyFips": None,
        },
        "dateOfBirth": player.birth.isoformat(),
        "startSeason": player.first_season,
        "endSeason": player.first_season + 3,
    }


@handles("teams_roster")
def teams_roster(world: World, p: Params) -> list:
    season = int(p["season"])
    return [
        {
            "teamId": t.id,
            "teamSourceId": t.source_id,
            "team": t.school,
            "conference": t.conference,
            "season": season,
            "players": [
                _roster_player(pl, season) for pl in sorted(roster(t.id, season), key=lambda x: x.id)
            ],
        }
        for t in matching_teams(world, p)
    ]


def _team_info(row: dict[str, Any]) -> dict[str, Any]:
    """A /teams row as the API sends it now: the sample's fields plus `logos` (added after the samples)."""
    logo = f"http://a.espncdn.com/i/teamlogos/ncaa/500/{row['sourceId']}.png"
    return {**row, "logos": row.get("logos", [logo, logo.replace("/500/", "/500-dark/")])}


@handles("teams")
def teams(world: World, p: Params) -> list:
    if p.get("season") is None:
        rows = world.ref.all_rows
        return [
            _team_info(r)
            for r in rows
            if p.get("conference") is None or same(r.get("conference"), p["conference"])
        ]
    u = world.universe(int(p["season"]))
    teams = u.teams if u is not None else world.teams  # the season's D1 teams, in that season's conference
    return [
        _team_info(t.raw | {"conferenceId": t.conference_id, "conference": t.conference})
        for t in sorted(teams, key=lambda t: t.school)
        if team_ok(t, p)
    ]


@handles("teams_directory")
def teams_directory(world: World, p: Params) -> dict:
    season = int(p["season"])
    if world.universe(season) is None:
        raise ApiError(503, "Team directory is unavailable.")
    confs = sorted({t.conference for t in world.teams if t.conference})
    by_abbr = world.ref.conference_by_abbr
    return {
        "season": season,
        "seasonLabel": dash_label(season),
        "teams": [
            {
                "id": t.id,
                "sourceId": t.source_id,
                "school": t.school,
                "mascot": t.mascot,
                "abbreviation": t.raw.get("abbreviation"),
                "displayName": t.raw.get("displayName"),
                "shortDisplayName": t.raw.get("shortDisplayName"),
                "conferenceId": t.conference_id or 0,
            }
            for t in sorted(world.teams, key=lambda t: t.school)
        ],
        "conferences": [
            {
                "id": by_abbr[c].id if c in by_abbr else 0,
                "name": conference_full_name(world.ref.conferences, c),
                "abbreviation": c,
            }
            for c in confs
        ],
    }


@handles("venues")
def venues(world: World, p: Params) -> list:
    return [
        {
            "id": v.id,
            "sourceId": str(v.id + 3000),
            "name": v.name,
            "city": v.city,
            "state": v.state,
            "country": "USA" if v.state else None,
        }
        for v in world.ref.venues
    ]


def _stints(world: World, c) -> list[tuple[Team, int, int | None]]:
    """(team, startSeason, endSeason) of conference `c`. A team that moved has two stints that share the
    season before its move (the overlap that makes `/stats/team/season` list it under both)."""
    out = []
    for t in world.ref.d1:
        move = move_of(world.ref, t)
        joined = 1980 + int(40 * unit("joined", t.id))
        if t.conference_id == c.id:
            out.append((t, move[0] - 1 if move else joined, None))
        elif move is not None and move[1] == c.abbreviation:
            out.append((t, min(joined, move[0] - 2), move[0] - 1))
    return out


@handles("conferences_history")
def conferences_history(world: World, p: Params) -> list:
    rows = []
    for c in world.ref.conferences:
        if p.get("conference") is not None and not same(c.abbreviation, p["conference"]):
            continue
        rows.append(
            {
                "id": c.id,
                "sourceId": c.source_id,
                "name": c.name,
                "abbreviation": c.abbreviation,
                "shortName": c.short_name,
                "teams": [
                    {
                        "id": t.id,
                        "sourceId": t.source_id,
                        "school": t.school,
                        "mascot": t.mascot,
                        "startSeason": start,
                        "endSeason": end,
                    }
                    for t, start, end in _stints(world, c)
                ],
            }
        )
    return rows


@handles("conferences")
def conferences(world: World, p: Params) -> list:
    return [
        {
            "id": c.id,
            "sourceId": c.source_id,
            "name": c.name,
            "abbreviation": c.abbreviation,
            "shortName": c.short_name,
        }
        for c in world.ref.conferences
    ]


@handles("lines_providers")
def lines_providers(world: World, p: Params) -> list:
    return [{"id": i, "name": name} for i, name in PROVIDERS]


# -- the team overview --------------------------------------------------------------------------------


def _count(games: list[Game], team: Team) -> dict[str, int]:
    wins = sum(1 for g in games if g.home_won == (g.side(team.id) == 0))
    return {"games": len(games), "wins": wins, "losses": len(games) - wins, "unresolved": 0}


def _line(made: int, attempted: int) -> dict[str, Any]:
    return {
        "made": made,
        "attempted": attempted,
        "pct": round(100 * made / attempted, 1) if attempted else None,
    }


def _metrics(t: dict[str, int], o: dict[str, int]) -> dict[str, Any]:
    return {
        "points": t["pts"],
        "possessions": t["poss"],
        "rawRating": round(100 * t["pts"] / t["poss"], 2) if t["poss"] else None,
        "effectiveFieldGoalPct": round(100 * (t["fgm"] + 0.5 * t["made3"]) / t["fga"], 1)
        if t["fga"]
        else None,
        "turnoverPct": round(100 * t["tov"] / t["poss"], 1) if t["poss"] else None,
        "offensiveReboundPct": round(100 * t["oreb"] / max(t["oreb"] + o["dreb"], 1), 1),
        "freeThrowRate": round(100 * t["fta"] / t["fga"], 1) if t["fga"] else None,
        "boxScore": {
            "fieldGoals": _line(t["fgm"], t["fga"]),
            "twoPointFieldGoals": _line(t["made2"], t["att2"]),
            "threePointFieldGoals": _line(t["made3"], t["att3"]),
            "freeThrows": _line(t["ftm"], t["fta"]),
            "rebounds": {"offensive": t["oreb"], "defensive": t["dreb"], "total": t["oreb"] + t["dreb"]},
            "assists": t["ast"],
            "steals": t["stl"],
            "blocks": t["blk"],
            "turnovers": t["tov"],
            "fouls": t["fouls"],
            "minutes": 200 * t["games"],
            "teamTurnovers": t["team_tov"],
            "technicalFouls": t["tech"],
            "flagrantFouls": 0,
            "pointsInPaint": t["paint"],
            "pointsOffTurnovers": t["off_tov"],
            "fastBreakPoints": t["fast"],
            "trueShootingPct": round(100 * t["pts"] / (2 * (t["fga"] + 0.475 * t["fta"])), 1)
            if t["fga"]
            else None,
        },
    }


def _coverage(games: int) -> dict[str, Any]:
    return {"state": "available", "reason": None, "eligibleGames": games, "coveredGames": games}


def _profile_game(g: Game, team: Team) -> dict[str, Any]:
    side = g.side(team.id)
    opp = g.away if side == 0 else g.home
    own_pts, opp_pts = (g.home_plan.points, g.away_plan.points)[:: 1 if side == 0 else -1]
    return {
        "id": g.id,
        "opponentId": opp.id,
        "opponent": opp.school,
        "opponentHasProfile": True,
        "startDate": g.start_iso,
        "calendarDate": g.day.isoformat(),
        "startTimeTbd": False,
        "location": "neutral" if g.neutral else ("home" if side == 0 else "away"),
        "status": "final",
        "seasonType": g.season_type,
        "gameType": g.game_type,
        "eligibility": "counted",
        "conferenceGame": g.conference_game,
        "teamPoints": own_pts,
        "opponentPoints": opp_pts,
        "result": "W" if own_pts > opp_pts else "L",
        "venue": g.venue.name,
    }


def _profile_player(player, s: dict[str, int] | None) -> dict[str, Any]:
    if s is None:
        return {
            "seasonStats": None,
            "athleteId": player.id,
            "name": player.name,
            "position": player.position,
            "onRoster": True,
            "hasStats": False,
            "games": None,
            "minutes": None,
            "points": None,
            "rebounds": None,
            "assists": None,
            "minutesPerGame": None,
            "pointsPerGame": None,
            "usagePct": None,
            "trueShootingPct": None,
            "effectiveFieldGoalPct": None,
            "usageGames": 0,
            "complete": True,
        }
    pts = 2 * s["m2"] + 3 * s["m3"] + s["ftm"]
    fga = s["a2"] + s["a3"]
    games = max(s["g"], 1)
    return {
        "seasonStats": {
            "fieldGoals": _line(s["m2"] + s["m3"], fga),
            "twoPointFieldGoals": _line(s["m2"], s["a2"]),
            "threePointFieldGoals": _line(s["m3"], s["a3"]),
            "freeThrows": _line(s["ftm"], s["fta"]),
            "rebounds": {"offensive": s["or"], "defensive": s["dr"], "total": s["or"] + s["dr"]},
            "assists": s["ast"],
            "steals": s["stl"],
            "blocks": s["blk"],
            "turnovers": s["tov"],
            "fouls": s["pf"],
            "starts": s["gs"],
            "assistTurnoverRatio": round(s["ast"] / s["tov"], 2) if s["tov"] else None,
            "freeThrowRate": round(100 * s["fta"] / fga, 1) if fga else None,
            "offensiveReboundPct": None,
            "advanced": {
                "winShares": {
                    "offensive": round(pts / 60, 2),
                    "defensive": round(s["min"] / 400, 2),
                    "total": round(pts / 60 + s["min"] / 400, 2),
                    "per40": None,
                },
                "porpag": None,
                "netRating": None,
                "defensiveRating": None,
                "offensiveRating": None,
                "games": s["g"],
            },
        },
        "athleteId": player.id,
        "name": player.name,
        "position": player.position,
        "onRoster": True,
        "hasStats": True,
        "games": s["g"],
        "minutes": s["min"],
        "points": pts,
        "rebounds": s["or"] + s["dr"],
        "assists": s["ast"],
        "minutesPerGame": round(s["min"] / games, 1),
        "pointsPerGame": round(pts / games, 1),
        "usagePct": None,
        "trueShootingPct": round(100 * pts / (2 * (fga + 0.475 * s["fta"])), 1) if fga else None,
        "effectiveFieldGoalPct": round(100 * (s["m2"] + 1.5 * s["m3"]) / fga, 1) if fga else None,
        "usageGames": s["g"],
        "complete": True,
    }


@handles("teams_overview")
def teams_overview(world: World, p: Params) -> dict:
    season, team_id = int(p["season"]), int(p["teamId"])
    if not any(int(r["id"]) == team_id for r in world.ref.all_rows) and team_id not in world.team_by_id:
        raise ApiError(404, "Team not found.")
    u = world.universe(season)
    if u is None or season < 2014:
        raise ApiError(503, "No stored overview snapshot is available for this team season.")
    team = u.team_by_id.get(team_id)
    if team is None:
        raise ApiError(422, "Team was not a Division I team in the requested season.")
    games = u.by_team.get(team.id, [])
    t, o, _ = team_totals(u, team, games)
    adj = adjusted(u)
    r_off = ranks({k: v[0] for k, v in adj.items()})
    r_def = ranks({k: v[1] for k, v in adj.items()}, descending=False)
    r_net = ranks({k: a - d for k, (a, d) in adj.items()})
    totals = {pl.id: s for pl, s in player_totals(team, games)}
    conf = world.ref.conference_by_abbr.get(team.conference or "")
    split = shooting_row(
        (u.season, team.id, len(games)), t["made2"], t["att2"], t["made3"], t["att3"], t["ftm"], t["fta"]
    )
    buckets = [
        {
            "key": key,
            "attempts": split[key]["attempted"],
            "made": split[key]["made"],
            "attemptPct": split["attemptsBreakdown"][key],
            "fieldGoalPct": split[key]["pct"],
        }
        for key in ("dunks", "layups", "tipIns", "twoPointJumpers", "threePointJumpers")
    ]
    polls = {
        poll: {"state": "unranked", "date": None, "week": None, "seasonType": None, "rank": None}
        for poll in ("ap", "coaches")
    }
    for row in poll_rows(u):
        if row["teamId"] == team.id:
            polls[row["pollType"]] = {
                "state": "ranked",
                "date": row["pollDate"][:10],
                "week": row["week"],
                "seasonType": row["seasonType"],
                "rank": row["ranking"],
            }
    last = max((g.start_iso for g in games), default=None)
    return {
        "formatVersion": 1,
        "teamId": team.id,
        "season": season,
        "seasonLabel": dash_label(season),
        "generatedAt": f"{season}-04-15T12:00:00.000Z",
        "team": {
            "school": team.school,
            "mascot": team.mascot,
            "sourceId": team.source_id,
            "conference": {
                "id": conf.id if conf else 0,
                "name": conf.name if conf else "",
                "abbreviation": team.conference or "",
            },
        },
        "record": {
            "overall": _count(games, team),
            "conference": _count([g for g in games if g.conference_game], team),
            "complete": True,
            "unknownEligibilityGames": 0,
            "unknownConferenceGames": 0,
        },
        "ratings": {
            "adjusted": {
                "offense": {"value": adj[team.id][0], "rank": r_off[team.id]},
                "defense": {"value": adj[team.id][1], "rank": r_def[team.id]},
                "net": {"value": round(adj[team.id][0] - adj[team.id][1], 1), "rank": r_net[team.id]},
                "population": len(u.teams),
            },
            "elo": u.final_elo.get(team.id),
            "srs": srs(u, team),
            "polls": polls,
        },
        "efficiency": {
            "coverage": _coverage(len(games)),
            "pace": round((t["poss"] + o["poss"]) / 2 / max(len(games), 1), 1),
            "paceGames": len(games),
            "offense": _metrics(t, o),
            "defense": _metrics(o, t),
        },
        "shooting": {"coverage": _coverage(len(games)), "trackedAttempts": t["fga"], "buckets": buckets},
        "players": {
            "coverage": _coverage(len(games)),
            "rows": [_profile_player(pl, totals.get(pl.id)) for pl in roster(team.id, season)],
        },
        "schedule": {"games": [_profile_game(g, team) for g in games]},
        "sources": {
            "notes": ["Generated by the hoops replay server; not real data."],
            "latestFinalStartDate": last,
            "leaderboardUpdatedAt": f"{season}-04-15T12:00:00.000Z",
        },
    }
