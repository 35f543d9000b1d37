"""`PlayInfo` JSON for a game, written straight as text from a per-game template.

Why text and not dicts + `json.dumps`: a busy day is ~6-13k plays of ~1.4 KB each, and the benchmark
needs the server far above 15k plays/s. Everything constant within a game (game fields, each side's
team fields, each player's `{"name","id"}`, each pair of fives' `onFloor`) is rendered once; a play is
one `%` format of ~20 values.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from devkit.replay.cbbd_data import js, rng
from devkit.replay.cbbd_schedule import Game
from devkit.replay.cbbd_sim import (
    BLOCK,
    DEAD_BALL,
    DREB,
    DUNK,
    END_PERIOD,
    FOUL,
    FT_MADE,
    FT_MISS,
    JUMP_BALL,
    LAYUP,
    MADE2,
    MADE3,
    MISS2,
    MISS3,
    OREB,
    RANGE_NAMES,
    SCORE_VALUE,
    SHOTS,
    SPAN,
    STEAL,
    TIMEOUT,
    TIP_IN,
    TOV,
    TV_TIMEOUT,
    GameSim,
    simulate,
    target_plays,
)

PLAY_TYPES = (
    (0, "JumpShot"),
    (1, "LayUpShot"),
    (2, "DunkShot"),
    (3, "TipShot"),
    (4, "MadeFreeThrow"),
    (5, "Offensive Rebound"),
    (6, "Defensive Rebound"),
    (7, "Dead Ball Rebound"),
    (8, "Lost Ball Turnover"),
    (9, "Steal"),
    (10, "Block Shot"),
    (11, "PersonalFoul"),
    (12, "RegularTimeOut"),
    (13, "OfficialTVTimeOut"),
    (14, "Jumpball"),
    (15, "End Period"),
    (16, "End Game"),
)
_TWO_TYPE = {1: "JumpShot", LAYUP: "LayUpShot", DUNK: "DunkShot", TIP_IN: "TipShot"}
_TWO_TEXT = {1: "Jumper", LAYUP: "Layup", DUNK: "Dunk", TIP_IN: "Tip Shot"}
_TYPE = {
    OREB: "Offensive Rebound",
    DREB: "Defensive Rebound",
    TOV: "Lost Ball Turnover",
    STEAL: "Steal",
    BLOCK: "Block Shot",
}
_SUFFIX = {
    FT_MADE: " made Free Throw.",
    FT_MISS: " missed Free Throw.",
    OREB: " Offensive Rebound.",
    DREB: " Defensive Rebound.",
    TOV: " Turnover.",
    STEAL: " Steal.",
    BLOCK: " Block.",
}
NO_PLAYER = '{"name":null,"id":null}'
NO_TEAM = (
    '"isHomeTeam":null,"teamId":null,"team":null,"conference":null,"teamSeed":null,"opponentId":null,'
    '"opponent":null,"opponentConference":null,"opponentSeed":null,'
)
_CLOCK = [f"{s // 60:02d}:{s % 60:02d}" for s in range(1201)]
SHOT_COORDINATES_FROM = 2019


def _location_pool() -> list[list[str]]:
    """Shot locations in feet on a 94x50 court (basket at x=5.25, y=25), 128 per range, fixed."""
    r = random.Random(20240101)
    reach = {0: (22.2, 27.0), 1: (7.0, 20.0), 2: (0.5, 5.0), 3: (0.0, 2.5), 4: (0.0, 3.0)}
    pools = []
    for code in range(6):
        pool = []
        for _ in range(128):
            if code == 5:
                x, y = 19.0, 25.0
            else:
                dist, angle = r.uniform(*reach[code]), r.uniform(-math.pi / 2, math.pi / 2)
                x, y = 5.25 + dist * math.cos(angle), 25 + dist * math.sin(angle)
            pool.append(f'{{"y":{y:.1f},"x":{x:.1f}}}')
        pools.append(pool)
    return pools


_LOCATIONS = _location_pool()


@dataclass(frozen=True, slots=True, eq=False)
class PlaySet:
    """A game's plays as JSON texts, with what the filters need: shooting flag and participant ids."""

    game: Game
    rows: tuple[str, ...]
    shooting: tuple[bool, ...]
    people: tuple[tuple[int, ...], ...]

    def select(self, shooting_only: bool = False, athlete: int | None = None) -> list[str]:
        if not shooting_only and athlete is None:
            return list(self.rows)
        return [
            row
            for row, shot, who in zip(self.rows, self.shooting, self.people, strict=True)
            if (not shooting_only or shot) and (athlete is None or athlete in who)
        ]


def _side_chunk(game: Game, side: int) -> str:
    team, opp = (game.home, game.away) if side == 0 else (game.away, game.home)
    seeds = (game.home_seed, game.away_seed) if side == 0 else (game.away_seed, game.home_seed)
    return (
        f'"isHomeTeam":{"true" if side == 0 else "false"},"teamId":{team.id},"team":{team.name_js},'
        f'"conference":{js(team.conference)},"teamSeed":{js(seeds[0])},"opponentId":{opp.id},'
        f'"opponent":{opp.name_js},"opponentConference":{js(opp.conference)},"opponentSeed":{js(seeds[1])},'
    )


def _template(game: Game) -> str:
    head = (
        f'"gameId":{game.id},"gameSourceId":"{game.source_id}","gameStartDate":"{game.start_iso}",'
        f'"season":{game.season},"seasonType":"{game.season_type}","gameType":"{game.game_type}",'
        f'"tournament":{js(game.tournament)},'
    ).replace("%", "%%")
    return (
        '{"id":%d,"sourceId":"' + game.source_id + '%03d",' + head + '"playType":"%s",%s"period":%d,'
        '"clock":"%s","secondsRemaining":%d,"homeScore":%d,"awayScore":%d,"homeWinProbability":%.3f,'
        '"scoringPlay":%s,"shootingPlay":%s,"scoreValue":%d,"wallclock":"%s","playText":"%s",'
        '"participants":[%s],"onFloor":%s,"shotInfo":%s}'
    )


def _thin_or_pad(events: tuple[tuple, ...], target: int, r: random.Random) -> list[tuple]:
    """Exactly `target` events: evenly thinned (keeping the last, so the final score stands) or padded
    with dead-ball team rebounds, which change no statistic."""
    n = len(events)
    if target <= 0:
        return []
    if target < n:
        if target == 1:
            return [events[-1]]
        return [events[round(i * (n - 1) / (target - 1))] for i in range(target)]
    out = list(events)
    for _ in range(target - n):
        i = r.randrange(1, len(out) - 1)
        prev = out[i - 1]
        out.insert(i, (prev[0], DEAD_BALL, int(r.random() * 2), -1, -1, 0, *prev[6:]))
    return out


def render(game: Game, plays_per_game: int | None) -> PlaySet:
    sim: GameSim = simulate(game)
    r = rng("render", game.id)
    events = _thin_or_pad(sim.events, min(999, target_plays(game, plays_per_game)), r)
    template = _template(game)
    sides = (_side_chunk(game, 0), _side_chunk(game, 1), NO_TEAM)
    names = tuple(tuple(js(p.name)[1:-1] for p in team) for team in sim.players)
    people = tuple(tuple(f'{{"name":{js(p.name)},"id":{p.id}}}' for p in team) for team in sim.players)
    ids = tuple(tuple(p.id for p in team) for team in sim.players)
    teams = (js(game.home.school)[1:-1], js(game.away.school)[1:-1])
    floors: dict[tuple[int, int], str] = {}
    team_js = (game.home.name_js, game.away.name_js)
    on_floor = tuple(
        tuple(f'{{"team":{team_js[s]},"name":{js(p.name)},"id":{p.id}}}' for p in sim.players[s])
        for s in (0, 1)
    )
    locations = _LOCATIONS if game.season >= SHOT_COORDINATES_FROM else None
    start_s = game.start.hour * 3600 + game.start.minute * 60
    days = (f"{game.start:%Y-%m-%d}", f"{game.start + dt.timedelta(days=1):%Y-%m-%d}")
    base_id = game.id * 1000
    edge = sim.edge
    rand = r.random
    exp = math.exp
    sqrt = math.sqrt

    rows, shooting, who = [], [], []
    for seq, (elapsed, kind, side, p, q, shot, home, away, h5, a5) in enumerate(events):
        period = elapsed // SPAN + 1
        remaining = 1200 - elapsed % SPAN
        floor = floors.get((h5, a5))
        if floor is None:
            entries = [on_floor[0][i] for i in sim.fives[0][h5]] + [on_floor[1][i] for i in sim.fives[1][a5]]
            floor = floors[(h5, a5)] = "[" + ",".join(entries) + "]"
        # win probability: logistic in margin per root minute left, with the pre-game edge fading out
        left = max((2 - period) * 1200 + remaining, 1) / 60
        wp = 1 / (1 + exp(-(home - away + edge * left / 40) / (1.2 * sqrt(left) + 0.3)))
        wall = start_s + int(elapsed * 2.6) + (900 if period > 1 else 0)
        wallclock = "%sT%02d:%02d:%02d.000Z" % (  # noqa: UP031 (the hot loop: % is the fastest)
            days[wall // 86400],
            wall // 3600 % 24,
            wall // 60 % 60,
            wall % 60,
        )
        shot_info = "null"
        parts = ""
        made = kind in (MADE3, MADE2, FT_MADE)
        if side >= 0 and p >= 0:
            name = names[side][p]
            parts = people[side][p]
            if kind in SHOTS:
                assisted = q >= 0
                if assisted:
                    parts += "," + people[side][q]
                if kind in (MADE3, MISS3):
                    text = name + (" made" if made else " missed") + " Three Point Jumper."
                    ptype = "JumpShot"
                elif kind in (MADE2, MISS2):
                    text = name + (" made " if made else " missed ") + _TWO_TEXT[shot] + "."
                    ptype = _TWO_TYPE[shot]
                else:
                    text = name + _SUFFIX[kind]
                    ptype = "MadeFreeThrow"
                if assisted:
                    text += " Assisted by " + names[side][q] + "."
                loc = locations[shot][int(rand() * 128)] if locations else '{"y":null,"x":null}'
                shot_info = (
                    '{"shooter":%s,"made":%s,"range":"%s","assisted":%s,"assistedBy":%s,"location":%s}'  # noqa: UP031
                    % (
                        people[side][p],
                        "true" if made else "false",
                        RANGE_NAMES[shot],
                        "true" if assisted else "false",
                        people[side][q] if assisted else NO_PLAYER,
                        loc,
                    )
                )
            elif kind == FOUL:
                text, ptype = "Foul on " + name + ".", "PersonalFoul"
            elif kind == JUMP_BALL:
                parts += "," + people[1][q]
                text, ptype = "Jump Ball won by " + teams[0], "Jumpball"
            else:
                text, ptype = name + _SUFFIX[kind], _TYPE[kind]
        elif kind == TIMEOUT:
            text, ptype = teams[side] + " Timeout", "RegularTimeOut"
        elif kind == DEAD_BALL:
            text, ptype = teams[side] + " Deadball Team Rebound.", "Dead Ball Rebound"
        elif kind == TV_TIMEOUT:
            text, ptype = "Official TV Timeout", "OfficialTVTimeOut"
        elif kind == END_PERIOD:
            text, ptype = "End of 1st Half", "End Period"
        else:
            text, ptype = "End of Game", "End Game"
        is_shot = kind in SHOTS
        rows.append(
            template
            % (
                base_id + seq,
                seq,
                ptype,
                sides[side],
                period,
                _CLOCK[remaining],
                remaining,
                home,
                away,
                wp,
                "true" if made else "false",
                "true" if is_shot else "false",
                SCORE_VALUE[kind],
                wallclock,
                text,
                parts,
                floor,
                shot_info,
            )
        )
        shooting.append(is_shot)
        if side < 0 or p < 0:
            who.append(())
        elif q < 0:
            who.append((ids[side][p],))
        else:
            who.append((ids[side][p], ids[1 if kind == JUMP_BALL else side][q]))
    return PlaySet(game, tuple(rows), tuple(shooting), tuple(who))
