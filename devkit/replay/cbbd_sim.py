"""A game's play-by-play timeline, simulated from its planned score, plus who was on the floor when.

One simulation per game feeds `/plays/*` (formatted in `cbbd_plays`), `/substitutions/*` and
`/lineups/*`, so the three agree: every participant of a play is on the floor, every substitution is
a change of the lineups the plays show, and the last play's score is the score `/games` reports.
Built for speed (plain tuples and integer codes), because `/plays/date` serves ~2M plays a season.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import lru_cache

from devkit.replay.cbbd_data import Player, rng, roster
from devkit.replay.cbbd_schedule import Game, Plan

HALF = 1200  # seconds in a period
SPAN = HALF + 1  # elapsed units per period: 0..1200 is period 1 (1200 = its last instant), 1201.. period 2

# Event kinds.
MADE3, MISS3, MADE2, MISS2, FT_MADE, FT_MISS = range(6)
OREB, DREB, TOV, STEAL, BLOCK, FOUL, TIMEOUT, TV_TIMEOUT, JUMP_BALL, END_PERIOD, END_GAME, DEAD_BALL = range(
    6, 18
)
SHOTS = frozenset({MADE3, MISS3, MADE2, MISS2, FT_MADE, FT_MISS})
POINTS = {MADE3: 3, MADE2: 2, FT_MADE: 1}
SCORE_VALUE = (3, 3, 2, 2, 1, 1) + (0,) * 12

# Shot ranges (shotInfo.range); twos carry one of JUMPER..TIP_IN.
THREE, JUMPER, LAYUP, DUNK, TIP_IN, FREE_THROW = range(6)
RANGE_NAMES = ("three_pointer", "jumper", "layup", "dunk", "tip_in", "free_throw")
TWO_MIX = (JUMPER,) * 7 + (LAYUP,) * 9 + (DUNK,) * 3 + (TIP_IN,) * 1

ROTATION = 10


def period_of(elapsed: int) -> tuple[int, int]:
    """(period, secondsRemaining) of an elapsed instant."""
    return elapsed // SPAN + 1, HALF - elapsed % SPAN


@dataclass(frozen=True, slots=True, eq=False)
class GameSim:
    """events: (elapsed, kind, side, player, other, shot_range, home_score, away_score, home_five,
    away_five); side 0 home, 1 away, -1 neither; player/other index `players[side]` (-1: none; the
    `other` of a jump ball is the away player); *_five index `fives[side]`."""

    game: Game
    players: tuple[tuple[Player, ...], tuple[Player, ...]]  # home rotation, away rotation
    changes: tuple[tuple[int, ...], tuple[int, ...]]  # elapsed instant at which each five takes the floor
    fives: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]
    events: tuple[tuple, ...]
    times: tuple[int, ...]
    edge: float  # the home side's expected margin, for win probability

    def score_at(self, elapsed: int) -> tuple[int, int]:
        """The score after every event up to and including `elapsed`."""
        i = bisect.bisect_right(self.times, elapsed) - 1
        return (0, 0) if i < 0 else (self.events[i][6], self.events[i][7])


def _stints(r, count: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Each half starts with the starting five; 6-9 substitution moments swap one or two players."""
    times: list[int] = []
    fives: list[tuple[int, ...]] = []
    for half in (0, 1):
        base = half * SPAN
        floor, bench = list(range(5)), list(range(5, count))
        times.append(base)
        fives.append(tuple(floor))
        for t in sorted(r.sample(range(base + 90, base + HALF - 40), r.randint(6, 9))):
            for _ in range(1 + (r.random() < 0.35)):
                i, j = int(r.random() * 5), int(r.random() * len(bench))
                floor[i], bench[j] = bench[j], floor[i]
            times.append(t)
            fives.append(tuple(floor))
    return tuple(times), tuple(fives)


def _units(r, side: int, plan: Plan, half: int) -> list[list[tuple[int, int, int]]]:
    """One side's possessions-ish in a half: lists of (kind, side, shot_range) played back to back."""
    other = 1 - side
    units: list[list[tuple[int, int, int]]] = []
    for _ in range(plan.made3[half]):
        units.append([(MADE3, side, THREE)])
    for _ in range(plan.miss3[half]):
        reb = (OREB, side, 0) if r.random() < 0.3 else (DREB, other, 0)
        units.append([(MISS3, side, THREE), reb])
    for _ in range(plan.made2[half]):
        units.append([(MADE2, side, TWO_MIX[int(r.random() * 20)])])
    for _ in range(plan.miss2[half]):
        reb = (OREB, side, 0) if r.random() < 0.3 else (DREB, other, 0)
        unit = [(MISS2, side, TWO_MIX[int(r.random() * 20)])]
        if r.random() < 0.13:
            unit.append((BLOCK, other, 0))
        unit.append(reb)
        units.append(unit)
    shots = [FT_MADE] * plan.made1[half] + [FT_MISS] * plan.miss1[half]
    r.shuffle(shots)
    for i in range(0, len(shots), 2):
        units.append([(FOUL, other, 0)] + [(k, side, FREE_THROW) for k in shots[i : i + 2]])
    for _ in range(r.randint(4, 8)):
        units.append([(TOV, side, 0), (STEAL, other, 0)] if r.random() < 0.5 else [(TOV, side, 0)])
    for _ in range(r.randint(2, 5)):
        units.append([(FOUL, side, 0)])
    for _ in range(r.randint(1, 2)):
        units.append([(TIMEOUT, side, 0)])
    return units


def _table(five: tuple[int, ...], weights: list[float]) -> tuple[int, ...]:
    """20 slots filled in proportion to `weights`, so a draw is one index."""
    total, acc, k, slots = sum(weights), weights[0], 0, []
    for s in range(20):
        while k < 4 and (s + 0.5) / 20 * total > acc:
            k += 1
            acc += weights[k]
        slots.append(five[k])
    return tuple(slots)


_BIG = {"C": 3.0, "F": 2.0, "G": 1.0}


def _pickers(
    players: tuple[Player, ...], fives: tuple[tuple[int, ...], ...]
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Per five: tables for drawing a shooter (by talent) and a rebounder (bigs more often)."""
    usage_w = [math.exp(0.45 * p.talent) for p in players]
    board_w = [_BIG[p.position] for p in players]
    usage = [_table(five, [usage_w[i] for i in five]) for five in fives]
    boards = [_table(five, [board_w[i] for i in five]) for five in fives]
    return usage, boards


def target_plays(game: Game, plays_per_game: int | None) -> int:
    if plays_per_game is not None:
        return plays_per_game
    return 300 + int(60 * rng("plays", game.id).random())


@lru_cache(maxsize=256)
def simulate(game: Game) -> GameSim:
    """The full timeline (~310 events; fillers up to the play target are added when formatting)."""
    r = rng("sim", game.id)
    rosters = (roster(game.home.id, game.season), roster(game.away.id, game.season))
    players = (rosters[0][:ROTATION], rosters[1][:ROTATION])
    stints = (_stints(r, len(players[0])), _stints(r, len(players[1])))
    changes = (stints[0][0], stints[1][0])
    fives = (stints[0][1], stints[1][1])
    pickers = (_pickers(players[0], fives[0]), _pickers(players[1], fives[1]))

    raw: list[tuple[int, int, int, int, int]] = [(0, 0, JUMP_BALL, 0, 0)]
    order = 1
    for half in (0, 1):
        units = _units(r, 0, game.home_plan, half) + _units(r, 1, game.away_plan, half)
        units += [[(TV_TIMEOUT, -1, 0)] for _ in range(4)]
        r.shuffle(units)
        times = sorted(r.randrange(5, HALF - 5) for _ in units)
        base = half * SPAN
        for t, unit in zip(times, units, strict=True):
            step = 0
            for kind, side, shot in unit:
                raw.append((base + min(t + step, HALF - 1), order, kind, side, shot))
                order += 1
                step += 2 if kind in (MISS3, MISS2) else 0
        raw.append((base + HALF, order, END_PERIOD if half == 0 else END_GAME, -1, 0))
        order += 1
    raw.sort()

    events = []
    home = away = 0
    ptr = [0, 0]
    rand = r.random
    for elapsed, _, kind, side, shot in raw:
        for s in (0, 1):
            ch = changes[s]
            while ptr[s] + 1 < len(ch) and ch[ptr[s] + 1] <= elapsed:
                ptr[s] += 1
        player = other = -1
        if side >= 0:
            five_i = ptr[side]
            usage, boards = pickers[side]
            if kind in (OREB, DREB, BLOCK):
                player = boards[five_i][int(rand() * 20)]
            elif kind in (FOUL, TOV, STEAL):
                player = fives[side][five_i][int(rand() * 5)]
            elif kind != TIMEOUT:
                player = usage[five_i][int(rand() * 20)]
            if (kind == MADE3 and rand() < 0.85) or (kind == MADE2 and rand() < 0.5):
                mates = [p for p in fives[side][five_i] if p != player]
                other = mates[int(rand() * 4)]
        if kind == JUMP_BALL:
            player, other = fives[0][0][4], fives[1][0][4]
        pts = POINTS.get(kind, 0)
        if pts:
            if side == 0:
                home += pts
            else:
                away += pts
        events.append((elapsed, kind, side, player, other, shot, home, away, ptr[0], ptr[1]))
    edge = (game.home_plan.points - game.away_plan.points) * 0.6
    return GameSim(game, players, changes, fives, tuple(events), tuple(e[0] for e in events), edge)


def five_spans(sim: GameSim, side: int) -> list[tuple[int, int, tuple[int, ...]]]:
    """(start, end, five) per stint in elapsed instants; a half's last stint ends at the next half's start."""
    ch, fv = sim.changes[side], sim.fives[side]
    return [(start, ch[i + 1] if i + 1 < len(ch) else 2 * SPAN, fv[i]) for i, start in enumerate(ch)]
