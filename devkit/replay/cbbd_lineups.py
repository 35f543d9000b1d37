"""`/substitutions/*` and `/lineups/*` rows from a game's simulation, so they match its plays.

A substitution row is one player's continuous stretch on the floor within a half; a lineup row sums
every stretch a five played together, with both sides' stats counted from the same events the plays
show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from devkit.replay.cbbd_data import Team
from devkit.replay.cbbd_games import pct
from devkit.replay.cbbd_schedule import Game
from devkit.replay.cbbd_sim import (
    BLOCK,
    DREB,
    DUNK,
    FT_MADE,
    FT_MISS,
    JUMPER,
    LAYUP,
    MADE2,
    MADE3,
    MISS2,
    MISS3,
    OREB,
    SPAN,
    STEAL,
    TIP_IN,
    TOV,
    five_spans,
    period_of,
    simulate,
)

# Counter slots of one unit's stats.
(PTS, FGM, FGA, M2, A2, M3, A3, FTM, FTA, JM, JA, LM, LA, DM, DA, TM, TA, BLK, AST, STL, TO, DR, OR) = range(
    23
)
WIDTH = 23
_TWO_SLOTS = {JUMPER: (JM, JA), LAYUP: (LM, LA), DUNK: (DM, DA), TIP_IN: (TM, TA)}


def substitution_rows(
    game: Game, side: int | None = None, athlete: int | None = None
) -> list[dict[str, Any]]:
    """Every stretch on the floor, in game order (home side first at the same instant)."""
    sim = simulate(game)
    out = []
    for s in (0, 1) if side is None else (side,):
        team, opp = (game.home, game.away) if s == 0 else (game.away, game.home)
        spans: dict[int, list[int]] = {}  # player index -> [start, end] of the current stretch
        stretches: list[tuple[int, int, int]] = []
        for start, end, five in five_spans(sim, s):
            for i in five:
                current = spans.get(i)
                if current is not None and current[1] == start and start % SPAN:
                    current[1] = end  # still on the floor, not across halftime
                else:
                    if current is not None:
                        stretches.append((current[0], current[1], i))
                    spans[i] = [start, end]
        stretches += [(a, b, i) for i, (a, b) in spans.items()]
        stretches.sort()
        for start, end, i in stretches:
            player = sim.players[s][i]
            if athlete is not None and player.id != athlete:
                continue
            out.append(
                {
                    "gameId": game.id,
                    "startDate": game.start_iso,
                    "teamId": team.id,
                    "team": team.school,
                    "conference": team.conference,
                    "athleteId": player.id,
                    "athlete": player.name,
                    "position": player.position,
                    "opponentId": opp.id,
                    "opponent": opp.school,
                    "opponentConference": opp.conference,
                    "subIn": _moment(sim, s, start, closing=False),
                    "subOut": _moment(sim, s, end, closing=True),
                }
            )
    return out


def _moment(sim, side: int, elapsed: int, closing: bool) -> dict[str, int]:
    """A substitution instant; a stretch ending at the next half's start is out at 0:00 of its own half."""
    if closing and elapsed % SPAN == 0:
        elapsed -= 1
    period, remaining = period_of(elapsed)
    home, away = sim.score_at(elapsed)
    team, opp = (home, away) if side == 0 else (away, home)
    return {"opponentPoints": opp, "teamPoints": team, "secondsRemaining": remaining, "period": period}


def _count(stats: list[int], kind: int, shot: int) -> None:
    if kind in (MADE3, MISS3):
        made = kind == MADE3
        stats[FGA] += 1
        stats[A3] += 1
        if made:
            stats[FGM] += 1
            stats[M3] += 1
            stats[PTS] += 3
    elif kind in (MADE2, MISS2):
        made = kind == MADE2
        m, a = _TWO_SLOTS[shot]
        stats[FGA] += 1
        stats[A2] += 1
        stats[a] += 1
        if made:
            stats[FGM] += 1
            stats[M2] += 1
            stats[m] += 1
            stats[PTS] += 2
    elif kind in (FT_MADE, FT_MISS):
        stats[FTA] += 1
        if kind == FT_MADE:
            stats[FTM] += 1
            stats[PTS] += 1
    elif kind == OREB:
        stats[OR] += 1
    elif kind == DREB:
        stats[DR] += 1
    elif kind == TOV:
        stats[TO] += 1
    elif kind == STEAL:
        stats[STL] += 1
    elif kind == BLOCK:
        stats[BLK] += 1


Lineups = dict[tuple[int, tuple[int, ...]], list]


def game_lineups(game: Game) -> Lineups:
    """(team id, sorted athlete ids) -> [seconds, team stats, opponent stats, athletes] for one game."""
    sim = simulate(game)
    out: dict[tuple[int, tuple[int, ...]], list] = {}
    keys = []
    for s in (0, 1):
        side_keys = []
        for start, end, five in five_spans(sim, s):
            athletes = sorted((sim.players[s][i] for i in five), key=lambda p: p.id)
            key = ((game.home, game.away)[s].id, tuple(p.id for p in athletes))
            entry = out.setdefault(key, [0, [0] * WIDTH, [0] * WIDTH, athletes])
            entry[0] += end - start - (1 if end % SPAN == 0 else 0)
            side_keys.append(key)
        keys.append(side_keys)
    for _, kind, side, _p, q, shot, _h, _a, h5, a5 in sim.events:
        if side < 0:
            continue
        own = out[keys[side][h5 if side == 0 else a5]]
        other = out[keys[1 - side][a5 if side == 0 else h5]]
        _count(own[1], kind, shot)
        _count(other[2], kind, shot)
        if q >= 0 and kind in (MADE2, MADE3):
            own[1][AST] += 1
            other[2][AST] += 1
    return out


def merge(parts: Iterable[Lineups], team_id: int | None = None) -> Lineups:
    """Season totals per lineup (only `team_id`'s lineups when given)."""
    total: Lineups = {}
    for part in parts:
        for key, (secs, team, opp, athletes) in part.items():
            if team_id is not None and key[0] != team_id:
                continue
            entry = total.setdefault(key, [0, [0] * WIDTH, [0] * WIDTH, athletes])
            entry[0] += secs
            entry[1] = [a + b for a, b in zip(entry[1], team, strict=True)]
            entry[2] = [a + b for a, b in zip(entry[2], opp, strict=True)]
    return total


def _possessions(s: list[int]) -> int:
    return max(0, round(s[FGA] - s[OR] + s[TO] + 0.475 * s[FTA]))


def _shots(made: int, attempted: int) -> dict[str, Any]:
    return {"made": made, "attempted": attempted, "pct": pct(made, attempted)}


def _unit(s: list[int], opp: list[int]) -> dict[str, Any]:
    poss = _possessions(s)
    return {
        "possessions": poss,
        "points": s[PTS],
        "blocks": s[BLK],
        "assists": s[AST],
        "steals": s[STL],
        "turnovers": s[TO],
        "defensiveRebounds": s[DR],
        "offensiveRebounds": s[OR],
        "trueShooting": pct(s[PTS], 2 * (s[FGA] + 0.475 * s[FTA])),
        "fieldGoals": _shots(s[FGM], s[FGA]),
        "twoPointers": {
            **_shots(s[M2], s[A2]),
            "jumpers": _shots(s[JM], s[JA]),
            "layups": _shots(s[LM], s[LA]),
            "dunks": _shots(s[DM], s[DA]),
            "tipIns": _shots(s[TM], s[TA]),
        },
        "threePointers": _shots(s[M3], s[A3]),
        "freeThrows": _shots(s[FTM], s[FTA]),
        "fourFactors": {
            "freeThrowRate": pct(s[FTA], s[FGA]),
            "offensiveReboundPct": pct(s[OR], s[OR] + opp[DR]),
            "turnoverRatio": round(s[TO] / poss, 3) if poss else 0.0,
            "effectiveFieldGoalPct": pct(s[FGM] + 0.5 * s[M3], s[FGA]),
        },
    }


def lineup_rows(teams: Mapping[int, Team], lineups: Lineups) -> list[dict[str, Any]]:
    """LineupStats rows, per team in the order given, most-used lineups first."""
    rows = []
    order = {team_id: i for i, team_id in enumerate(teams)}
    for (team_id, ids), (secs, team_s, opp_s, athletes) in sorted(
        lineups.items(), key=lambda kv: (order[kv[0][0]], -kv[1][0], kv[0][1])
    ):
        team = teams[team_id]
        own_poss, opp_poss = _possessions(team_s), _possessions(opp_s)
        minutes = max(secs, 1) / 60
        off = round(100 * team_s[PTS] / own_poss, 1) if own_poss else 0.0
        dfn = round(100 * opp_s[PTS] / opp_poss, 1) if opp_poss else 0.0
        rows.append(
            {
                "teamId": team.id,
                "team": team.school,
                "conference": team.conference or "",
                "idHash": "-".join(map(str, ids)),
                "athletes": [{"name": p.name, "id": p.id} for p in athletes],
                "totalSeconds": secs,
                "pace": round(40 * (own_poss + opp_poss) / 2 / minutes, 1),
                "offenseRating": off,
                "defenseRating": dfn,
                "netRating": round(off - dfn, 1),
                "teamStats": _unit(team_s, opp_s),
                "opponentStats": _unit(opp_s, team_s),
            }
        )
    return rows
