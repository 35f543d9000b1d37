"""Deterministic, plausible `team_results` rows for dates no real sample covers.

Each team's level comes from a hash of (season, name), so it is the same in every process, and moves
smoothly through the season; a `random.Random` seeded by the date adds small daily noise, so one date
always gives byte-identical output while consecutive days stay close. Barthag uses `layout.barthag`
exactly, as the pipeline checks it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import math
import random
from collections.abc import Callable, Sequence
from statistics import NormalDist

from devkit.replay.barttorvik_teams import Team
from hoops.barttorvik import layout
from hoops.calendar import bt_snapshot_window, season_of

POWER_CONFERENCES = frozenset({"ACC", "B10", "B12", "BE", "SEC", "P12"})
_NORMAL = NormalDist()


def _unit(*parts: object) -> float:
    """A stable uniform number in (0, 1) for a key (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


def _normal(*parts: object) -> float:
    return _NORMAL.inv_cdf(_unit(*parts))


def _squash(value: float, low: float, high: float) -> float:
    """Keep a value strictly inside (low, high) without the ties a hard clamp would create."""
    mid, half = (low + high) / 2, (high - low) / 2
    return mid + half * math.tanh((value - mid) / half)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _ranks(values: Sequence[float], *, descending: bool) -> list[int]:
    """Unique ranks 1..N; ties are broken by position so every rank appears once."""
    order = sorted(range(len(values)), key=lambda i: (-values[i] if descending else values[i], i))
    ranks = [0] * len(values)
    for rank, i in enumerate(order, start=1):
        ranks[i] = rank
    return ranks


def _conference_level(season: int, conf: str) -> float:
    return (1.0 if conf in POWER_CONFERENCES else -0.3) + 0.5 * _normal(season, conf, "conf")


def _drift(key: tuple, days: int) -> tuple[float, float]:
    """A slow, team-specific wave in (offence, defence) over the season's days."""
    return (
        1.2 * math.sin(2 * math.pi * days / 70 + 6.283 * _unit(*key, "phase-o")),
        1.2 * math.sin(2 * math.pi * days / 85 + 6.283 * _unit(*key, "phase-d")),
    )


def _team_row(
    team: Team,
    season: int,
    days: int,
    conf_level: float,
    noise: Callable[[float], float],
    anchor: tuple[int, float, float] | None = None,
) -> list:
    """`anchor` (days, adjoe, adjde): the team's values in a real file of the season, which the
    generated ones then pass through, so a generated day sits next to the real one without a jump."""
    key = (season, team.name)
    strength = 0.75 * _normal(*key, "strength") + 0.55 * conf_level
    tilt = _normal(*key, "tilt")
    drift_o, drift_d = _drift(key, days)
    if anchor is None:
        base_oe = 105.0 + 6.0 * strength + 2.0 * tilt
        base_de = 103.0 - 5.5 * strength + 1.5 * tilt
        adjoe = _squash(base_oe + drift_o + noise(0.25), 90.0, 125.0)
        adjde = _squash(base_de + drift_d + noise(0.25), 85.0, 120.0)
    else:
        then_o, then_d = _drift(key, anchor[0])
        base_oe, base_de = anchor[1] - then_o, anchor[2] - then_d
        adjoe, adjde = base_oe + drift_o + noise(0.25), base_de + drift_d + noise(0.25)
    barthag = layout.barthag(adjoe, adjde)

    # Records depend only on the season-long level, so wins and losses never shrink day to day.
    win_p = 0.12 + 0.8 * layout.barthag(_squash(base_oe, 90.0, 125.0), _squash(base_de, 85.0, 120.0))
    season_games = 29 + int(4 * _unit(*key, "games"))
    conf_games_total = 20 if _unit(*key, "conf-games") < 0.3 else 18
    games = int(_clamp(math.floor(max(days - 6, 0) * 0.235 + 2 * _unit(*key, "g-off") - 1), 0, season_games))
    conf_games = int(
        _clamp(
            math.floor(max(days - 58, 0) * 0.24 + _unit(*key, "cg-off") - 0.5),
            0,
            min(conf_games_total, games),
        )
    )
    wins = math.floor(games * win_p + 0.5)
    conf_wins = math.floor(conf_games * win_p + 0.5)
    left, conf_left = season_games - games, conf_games_total - conf_games

    sos = _clamp(0.5 + 0.12 * conf_level + 0.06 * _normal(*key, "sos") + noise(0.005), 0.05, 0.95)
    ncsos = _clamp(sos - 0.05 + 0.08 * _normal(*key, "ncsos") + noise(0.005), 0.05, 0.95)
    consos = _clamp(0.5 + 0.2 * conf_level + noise(0.005), 0.05, 0.95)
    elite_sos = _clamp(0.72 + 0.05 * conf_level + 0.03 * _normal(*key, "elite") + noise(0.003), 0.3, 0.95)
    opp_oe = 104.0 + 6.0 * (sos - 0.5) + noise(0.1)
    opp_de = 103.0 - 6.0 * (sos - 0.5) + noise(0.1)

    tempo = _squash(67.5 + 2.8 * _normal(*key, "tempo") + 0.6 * math.sin(days / 20) + noise(0.15), 60.0, 75.0)
    if conf_games:
        conf_adj_oe, conf_adj_de = adjoe + noise(1.5), adjde + noise(1.5)
        conf_poss = conf_games * tempo * (1 + noise(0.01))
        conf_pf = float(round(conf_poss * (adjoe / 100) * (1 - 0.04 * conf_level)))
        conf_pa = float(round(conf_poss * (adjde / 100) * (1 + 0.02 * conf_level)))
        conf_oe, conf_de, conf_win_pct = conf_pf / conf_poss, conf_pa / conf_poss, conf_wins / conf_games
    else:
        conf_adj_oe = conf_adj_de = conf_poss = conf_pf = conf_pa = conf_oe = conf_de = conf_win_pct = 0.0
    qual_games = math.floor(games * _clamp(0.2 + 0.12 * conf_level, 0.0, 0.6))
    if qual_games:
        qual_o, qual_d = adjoe - 4.0 + noise(2.0), adjde + 4.0 + noise(2.0)
        qual_barthag = layout.barthag(qual_o, qual_d)
    else:
        qual_o = qual_d = qual_barthag = 0  # the real files write int 0 when there are no quality games
    fun = 0.03 + 0.03 * _normal(*key, "fun") + noise(0.003)
    wab = wins - games * (0.85 - 0.35 * sos) + noise(0.1)

    return [
        0,
        team.name,
        team.conf,
        f"{wins}-{games - wins}",
        adjoe,
        0,
        adjde,
        0,
        barthag,
        0,
        wins + left * win_p,
        games - wins + left * (1 - win_p),
        conf_wins + conf_left * win_p,
        conf_games - conf_wins + conf_left * (1 - win_p),
        f"{conf_wins}-{conf_games - conf_wins}",
        sos,
        ncsos,
        consos,
        sos + noise(0.002),
        ncsos + noise(0.002),
        consos + noise(0.002),
        elite_sos,
        _clamp(elite_sos + 0.05 + noise(0.01), 0.3, 0.99),
        opp_oe,
        opp_de,
        opp_oe + noise(0.1),
        opp_de + noise(0.1),
        conf_adj_oe,
        conf_adj_de,
        qual_o,
        qual_d,
        qual_barthag,
        qual_games,
        fun,
        conf_pf,
        conf_pa,
        conf_poss,
        conf_oe,
        conf_de,
        consos * conf_left / conf_games_total,
        conf_win_pct,
        wab,
        0,
        0,
        tempo,
    ]


def generate_rows(
    teams: Sequence[Team], day: dt.date, real: tuple[dt.date, list[list]] | None = None
) -> list[list]:
    """One 45-value row per team, ordered by T-Rank like the real files. `real`: a real file of the season
    (its date and rows) whose efficiencies the generated ones are anchored to."""
    season = season_of(day)
    first = bt_snapshot_window(season)[0]
    days = (day - first).days
    anchors = {}
    if real is not None:
        anchors = {str(r[1]): ((real[0] - first).days, float(r[4]), float(r[6])) for r in real[1]}
    rng = random.Random(int(day.strftime("%Y%m%d")))

    def noise(sigma: float) -> float:
        return rng.gauss(0.0, sigma)

    conf_levels = {conf: _conference_level(season, conf) for conf in sorted({t.conf for t in teams})}
    rows = [
        _team_row(team, season, days, conf_levels[team.conf], noise, anchors.get(team.name)) for team in teams
    ]
    barthag_rank = _ranks([r[8] for r in rows], descending=True)
    oe_rank = _ranks([r[4] for r in rows], descending=True)
    de_rank = _ranks([r[6] for r in rows], descending=False)
    wab_rank = _ranks([r[41] for r in rows], descending=True)
    fun_rank = _ranks([r[33] for r in rows], descending=True)
    for i, row in enumerate(rows):
        row[0] = row[9] = barthag_rank[i]
        row[5], row[7], row[42], row[43] = oe_rank[i], de_rank[i], wab_rank[i], fun_rank[i]
    rows.sort(key=lambda r: r[0])
    assert all(len(r) == layout.WIDTH for r in rows)
    return rows


def to_json(rows: list[list]) -> bytes:
    """Serialised like the real files: one line, `", "` between values."""
    return json.dumps(rows, separators=(", ", ": "), allow_nan=False).encode("utf-8")


def to_gzip(payload: bytes, day: dt.date) -> bytes:
    """Gzip like a time-machine file, mtime the morning after `day` (fixed, so bytes repeat). The FNAME in
    the header says SYNTHETIC: the stored raw file itself tells it was generated, not fetched."""
    written = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10, 30), tzinfo=dt.UTC)
    buffer = io.BytesIO()
    with gzip.GzipFile(
        filename=f"SYNTHETIC_{day:%Y%m%d}_team_results.json",
        mode="wb",
        fileobj=buffer,
        mtime=int(written.timestamp()),
    ) as handle:
        handle.write(payload)
    return buffer.getvalue()
