"""Handlers of the season aggregates: team and player stats, shooting splits, the leaderboard, ratings
and polls. A season the replay does not cover answers an empty list."""

from __future__ import annotations

from typing import Any

from devkit.replay.cbbd_common import (
    ApiError,
    Params,
    empty_when_unknown,
    handles,
    in_window,
    matching_teams,
    same,
    season_universe,
    team_ok,
)
from devkit.replay.cbbd_season import (
    adjusted,
    player_season_row,
    player_totals,
    poll_rows,
    ranks,
    shooting_row,
    srs,
    team_season_rows,
    team_totals,
)
from devkit.replay.cbbd_world import World

# -- stats --------------------------------------------------------------------------------------------


@handles("stats_team_season")
@empty_when_unknown
def stats_team_season(world: World, p: Params) -> list:
    if p.get("season") is None and p.get("team") is None:
        raise ApiError(400, "Validation Failed", {"season": {"message": "season or team must be specified"}})
    u = season_universe(world, p)
    rows = []
    for team in sorted((t for t in (*u.teams, *u.others) if team_ok(t, p)), key=lambda t: t.school):
        games = in_window(u.by_team.get(team.id, []), p)
        if games:
            rows.extend(team_season_rows(u, team, games))
    return rows


@handles("stats_player_season")
@empty_when_unknown
def stats_player_season(world: World, p: Params) -> list:
    u = season_universe(world, p)
    return [
        player_season_row(u.season, team, player, sums)
        for team in matching_teams(u, p)
        for player, sums in player_totals(team, in_window(u.by_team.get(team.id, []), p))
    ]


def _need_team_or_conference(p: Params) -> None:
    if p.get("team") is None and p.get("conference") is None:
        raise ApiError(
            400, "Validation Failed", {"team": {"message": "team or conference must be specified"}}
        )


@handles("stats_team_shooting_season")
@empty_when_unknown
def stats_team_shooting_season(world: World, p: Params) -> list:
    _need_team_or_conference(p)
    u = season_universe(world, p)
    rows = []
    for team in matching_teams(u, p):
        games = in_window(u.by_team.get(team.id, []), p)
        if not games:
            continue
        t, _, _ = team_totals(u, team, games)
        head = {"season": u.season, "teamId": team.id, "team": team.school, "conference": team.conference}
        key = (u.season, team.id, len(games))
        rows.append(
            head | shooting_row(key, t["made2"], t["att2"], t["made3"], t["att3"], t["ftm"], t["fta"])
        )
    return rows


@handles("stats_player_shooting_season")
@empty_when_unknown
def stats_player_shooting_season(world: World, p: Params) -> list:
    _need_team_or_conference(p)
    u = season_universe(world, p)
    rows = []
    for team in matching_teams(u, p):
        for player, s in player_totals(team, in_window(u.by_team.get(team.id, []), p)):
            head = {"season": u.season, "teamId": team.id, "team": team.school, "conference": team.conference}
            split = shooting_row(
                (u.season, player.id, s["g"]), s["m2"], s["a2"], s["m3"], s["a3"], s["ftm"], s["fta"]
            )
            rows.append(head | split | {"athleteId": player.id, "athleteName": player.name})
    return rows


def _leader_unit(t: dict[str, int]) -> dict[str, Any]:
    return {
        "points": {
            "total": t["pts"],
            "inPaint": t["paint"],
            "offTurnovers": t["off_tov"],
            "fastBreak": t["fast"],
        },
        "possessions": t["poss"],
        "rawOffensiveRating": round(100 * t["pts"] / t["poss"], 1) if t["poss"] else None,
        "trueShootingPct": round(100 * t["pts"] / (2 * (t["fga"] + 0.475 * t["fta"])), 1)
        if t["fga"]
        else None,
        "effectiveFieldGoalPct": round(100 * (t["fgm"] + 0.5 * t["made3"]) / t["fga"], 1)
        if t["fga"]
        else None,
        "turnoverRatio": round(t["tov"] / t["poss"], 3) if t["poss"] else None,
        "offensiveReboundPct": None,
        "freeThrowRate": round(100 * t["fta"] / t["fga"], 1) if t["fga"] else None,
        "fieldGoals": {"made": t["fgm"], "attempted": t["fga"]},
        "twoPointFieldGoals": {"made": t["made2"], "attempted": t["att2"]},
        "threePointFieldGoals": {"made": t["made3"], "attempted": t["att3"]},
        "freeThrows": {"made": t["ftm"], "attempted": t["fta"]},
        "rebounds": {"offensive": t["oreb"], "defensive": t["dreb"], "total": t["oreb"] + t["dreb"]},
        "turnovers": {"total": t["tov"], "team": t["team_tov"], "technical": 0},
        "fouls": {"total": t["fouls"], "technical": t["tech"], "flagrant": 0},
        "assists": t["ast"],
        "blocks": t["blk"],
        "steals": t["stl"],
    }


def _shot_profile(split: dict[str, Any], t: dict[str, int]) -> dict[str, Any]:
    fga = max(t["fga"], 1)

    def part(key: str, with_pct: bool = True) -> dict[str, Any]:
        s = split[key]
        out: dict[str, Any] = {
            "made": s["made"],
            "attempts": s["attempted"],
            "rate": round(s["attempted"] / fga, 3),
        }
        if "assisted" in s:
            out["assisted"] = s["assisted"]
        if with_pct:
            out["pct"] = s["pct"]
            out["assistedPct"] = s.get("assistedPct")
        return out

    rim_att = split["dunks"]["attempted"] + split["layups"]["attempted"] + split["tipIns"]["attempted"]
    rim_made = split["dunks"]["made"] + split["layups"]["made"] + split["tipIns"]["made"]
    rim_ast = split["dunks"]["assisted"] + split["layups"]["assisted"]
    return {
        "assistedPct": split["assistedPct"],
        "atRim": {
            "rate": round(rim_att / fga, 3),
            "pct": round(100 * rim_made / max(rim_att, 1), 1),
            "assistedPct": round(100 * rim_ast / max(rim_made, 1), 1),
        },
        "dunk": part("dunks", with_pct=False),
        "layup": part("layups", with_pct=False),
        "tipIn": part("tipIns", with_pct=False),
        "twoPointJumper": part("twoPointJumpers"),
        "threePointJumper": part("threePointJumpers"),
        "freeThrows": {"rate": round(t["fta"] / fga, 3), "made": t["ftm"], "attempts": t["fta"]},
        "distribution": {
            "threeRate": round(t["att3"] / fga, 3),
            "jumperRate": round((t["att3"] + split["twoPointJumpers"]["attempted"]) / fga, 3),
            "midrangeRate": round(split["twoPointJumpers"]["attempted"] / fga, 3),
        },
    }


@handles("stats_team_leaderboard")
@empty_when_unknown
def stats_team_leaderboard(world: World, p: Params) -> list:
    u = season_universe(world, p)
    adj = adjusted(u)
    net = {k: o - d for k, (o, d) in adj.items()}
    r_net, r_off, r_def = (
        ranks(net),
        ranks({k: v[0] for k, v in adj.items()}),
        ranks({k: v[1] for k, v in adj.items()}, descending=False),
    )
    rows = []
    for team in matching_teams(u, p):
        games = u.by_team.get(team.id, [])
        if not games:
            continue
        t, o, wins = team_totals(u, team, games)
        split = shooting_row(
            (u.season, team.id, len(games)), t["made2"], t["att2"], t["made3"], t["att3"], t["ftm"], t["fta"]
        )
        off, dfn = adj[team.id]
        rows.append(
            {
                "season": u.season,
                "teamId": team.id,
                "team": team.school,
                "conference": {"id": team.conference_id, "abbreviation": team.conference},
                "record": {"games": len(games), "wins": wins, "losses": len(games) - wins},
                "summary": {
                    "totalMinutes": 40 * len(games),
                    "trackedShots": t["fga"],
                    "pace": round((t["poss"] + o["poss"]) / 2 / len(games), 1),
                    "rawNetRating": round(100 * (t["pts"] - o["pts"]) / max(t["poss"], 1), 1),
                },
                "teamStats": _leader_unit(t),
                "opponentStats": _leader_unit(o),
                "shotProfile": _shot_profile(split, t),
                "adjustedEfficiency": {
                    "offensiveRating": off,
                    "defensiveRating": dfn,
                    "netRating": round(off - dfn, 1),
                    "rankings": {"net": r_net[team.id], "offense": r_off[team.id], "defense": r_def[team.id]},
                },
            }
        )
    return rows


# -- ratings and polls --------------------------------------------------------------------------------


@handles("ratings_adjusted")
@empty_when_unknown
def ratings_adjusted(world: World, p: Params) -> list:
    u = season_universe(world, p)
    adj = adjusted(u)
    r_net = ranks({k: o - d for k, (o, d) in adj.items()})
    r_off = ranks({k: v[0] for k, v in adj.items()})
    r_def = ranks({k: v[1] for k, v in adj.items()}, descending=False)
    return [
        {
            "season": u.season,
            "teamId": t.id,
            "team": t.school,
            "conference": t.conference or "",
            "offensiveRating": adj[t.id][0],
            "defensiveRating": adj[t.id][1],
            "netRating": round(adj[t.id][0] - adj[t.id][1], 1),
            "rankings": {"offense": r_off[t.id], "defense": r_def[t.id], "net": r_net[t.id]},
        }
        for t in matching_teams(u, p)
    ]


@handles("ratings_elo")
@empty_when_unknown
def ratings_elo(world: World, p: Params) -> list:
    u = season_universe(world, p)
    return [
        {
            "season": u.season,
            "teamId": t.id,
            "team": t.school,
            "conference": t.conference or "",
            "elo": u.final_elo.get(t.id),
        }
        for t in matching_teams(u, p)
    ]


@handles("ratings_srs")
@empty_when_unknown
def ratings_srs(world: World, p: Params) -> list:
    u = season_universe(world, p)
    return [
        {
            "season": u.season,
            "teamId": t.id,
            "team": t.school,
            "conference": t.conference or "",
            "rating": srs(u, t),
        }
        for t in matching_teams(u, p)
    ]


@handles("rankings")
@empty_when_unknown
def rankings(world: World, p: Params) -> list:
    u = season_universe(world, p)
    return [
        row
        for row in poll_rows(u)
        if (p.get("seasonType") is None or row["seasonType"] == p["seasonType"])
        and (p.get("week") is None or row["week"] == p["week"])
        and (p.get("pollType") is None or same(row["pollType"], p["pollType"]))
        and (p.get("team") is None or same(row["team"], p["team"]))
        and (p.get("conference") is None or same(row["conference"], p["conference"]))
    ]
