"""One season's games: who played whom, when, where and the final score, built once per season.

Every game endpoint (games, box scores, media, lines, plays, substitutions, lineups) reads this one
schedule, so their rows agree. The score is planned here as counts of made and missed shots per
half (`Plan`), cheaply, so `/games` for 6,000 games never has to simulate play-by-play; the play
simulator later realises exactly these counts.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from devkit.replay.cbbd_data import (
    NON_D1_GAMES_PER_D1,
    Reference,
    Team,
    Venue,
    move_of,
    non_d1_at_scale,
    rng,
    season_team,
    teams_at_scale,
    unit,
)

UTC = dt.UTC
POWER = frozenset({"ACC", "Big Ten", "Big 12", "SEC", "Big East", "Pac-12"})
MID = frozenset({"A-10", "American", "Mountain West", "WCC", "MVC"})
EVENTS = (
    "Maui Invitational",
    "Battle 4 Atlantis",
    "Champions Classic",
    "Jimmy V Classic",
    "Phil Knight Legacy",
    "Empire Classic",
    "Jacksonville Classic",
    "Cancun Challenge",
)
ROUND_NAMES = ("1st Round", "2nd Round", "Sweet 16", "Elite 8", "Final Four", "National Championship")
REGIONS = ("East", "West", "South", "Midwest")
CONF_ROUNDS = ("First Round", "Second Round", "Quarterfinal", "Semifinal", "Final")
WEEKDAY_WEIGHT = (0.55, 0.95, 1.0, 0.7, 0.6, 1.9, 0.5)  # Monday first
GAMES_PER_TEAM = 29  # regular season, before conference tournaments and the postseason


@dataclass(frozen=True, slots=True)
class Plan:
    """One side's shooting, per half: (first, second) made and missed threes, twos and free throws."""

    made3: tuple[int, int]
    made2: tuple[int, int]
    made1: tuple[int, int]
    miss3: tuple[int, int]
    miss2: tuple[int, int]
    miss1: tuple[int, int]

    @property
    def period_points(self) -> list[int]:
        return [3 * self.made3[h] + 2 * self.made2[h] + self.made1[h] for h in (0, 1)]

    @property
    def points(self) -> int:
        return sum(self.period_points)


def _split(total: int, share: float) -> tuple[int, int]:
    first = min(total, max(0, round(total * share)))
    return first, total - first


def make_plan(r: random.Random, points: int) -> Plan:
    """Exactly `points` as threes, twos and free throws, with plausible misses, split over two halves."""
    made3 = round(points * r.uniform(0.24, 0.36) / 3)
    made1 = round(points * r.uniform(0.11, 0.21))
    made2 = max(0, (points - 3 * made3 - made1) // 2)
    made1 = points - 3 * made3 - 2 * made2
    if made1 < 0:  # only for absurdly low scores
        made3, made2, made1 = 0, points // 2, points % 2
    share = r.uniform(0.43, 0.53)
    return Plan(
        _split(made3, share),
        _split(made2, share),
        _split(made1, share),
        _split(round(made3 * r.uniform(1.4, 2.2)), share),
        _split(round(made2 * r.uniform(0.75, 1.15)), share),
        _split(round(made1 * r.uniform(0.2, 0.4)), share),
    )


@dataclass(slots=True, eq=False)  # hashed by identity: caches key on the game object
class Game:
    season: int
    season_type: str  # regular | postseason
    start: dt.datetime
    home: Team
    away: Team
    neutral: bool
    conference_game: bool
    game_type: str  # STD | TRNMNT
    tournament: str | None
    notes: str | None
    venue: Venue
    home_plan: Plan
    away_plan: Plan
    pace: float
    home_seed: int | None = None
    away_seed: int | None = None
    id: int = 0
    attendance: int = 0
    home_elo: tuple[int, int] = (1500, 1500)
    away_elo: tuple[int, int] = (1500, 1500)

    @property
    def source_id(self) -> str:
        return str(401_000_000 + self.id % 1_000_000 + (self.season - 2000) * 1_000_000)

    @property
    def start_iso(self) -> str:
        return self.start.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    @property
    def day(self) -> dt.date:
        return self.start.date()

    @property
    def home_won(self) -> bool:
        return self.home_plan.points > self.away_plan.points

    def side(self, team_id: int) -> int:
        """0 for the home team, 1 for the away team."""
        return 0 if self.home.id == team_id else 1

    @property
    def excitement(self) -> float:
        margin = abs(self.home_plan.points - self.away_plan.points)
        return round(max(0.1, 8.5 - 0.35 * margin + 2 * unit("excite", self.id)), 1)


@dataclass
class Universe:
    """A season: its D1 teams (at the server's scale) as they were that season, the non-D1 teams that met
    them (`others`, conference null), strengths and every game in start order. `also_listed` holds the
    conference a team moves to after this season: the API's season stats list such a team twice."""

    season: int
    teams: tuple[Team, ...]
    strength: dict[int, float]
    games: list[Game]
    final_elo: dict[int, int]
    others: tuple[Team, ...] = ()
    also_listed: dict[int, str] = field(default_factory=dict)
    by_id: dict[int, Game] = field(default_factory=dict)
    by_team: dict[int, list[Game]] = field(default_factory=lambda: defaultdict(list))
    starts: list[dt.datetime] = field(default_factory=list)

    def __post_init__(self) -> None:
        for game in self.games:
            self.by_id[game.id] = game
            self.by_team[game.home.id].append(game)
            self.by_team[game.away.id].append(game)
        self.starts = [g.start for g in self.games]

    @cached_property
    def team_by_id(self) -> dict[int, Team]:
        return {t.id: t for t in self.teams}

    @cached_property
    def team_by_name(self) -> dict[str, Team]:
        return {t.school.casefold(): t for t in self.teams}

    def between(self, start: dt.datetime | None, end: dt.datetime | None) -> list[Game]:
        """Games with start <= startDate <= end (either bound optional), in start order."""
        lo = 0 if start is None else bisect.bisect_left(self.starts, start)
        hi = len(self.games) if end is None else bisect.bisect_right(self.starts, end)
        return self.games[lo:hi]

    def on_day(self, day: dt.date, offset_hours: float = 0.0) -> list[Game]:
        start = dt.datetime.combine(day, dt.time(), UTC) - dt.timedelta(hours=offset_hours)
        return self.between(start, start + dt.timedelta(days=1, milliseconds=-1))

    @cached_property
    def days(self) -> list[dt.date]:
        return sorted({g.day for g in self.games})

    def record(self, team_id: int) -> tuple[int, int]:
        wins = sum(1 for g in self.by_team.get(team_id, ()) if g.home_won == (g.home.id == team_id))
        return wins, len(self.by_team.get(team_id, ())) - wins


# -- calendar ------------------------------------------------------------------------------------------


def first_day(season: int) -> dt.date:
    """The first Monday on or after 3 November before the season's year."""
    day = dt.date(season - 1, 11, 3)
    return day + dt.timedelta(days=-day.weekday() % 7)


def selection_sunday(season: int) -> dt.date:
    day = dt.date(season, 3, 11)
    return day + dt.timedelta(days=(6 - day.weekday()) % 7)


def _start(r: random.Random, day: dt.date) -> dt.datetime:
    """Tip-off in UTC between 16:00 and 23:30, so a game's UTC day is also its day in the USA."""
    hours = (16, 17, 18, 19, 20, 21, 22, 23) if day.weekday() >= 5 else (18, 19, 19, 20, 21, 22, 23)
    minute = r.choice((0, 0, 0, 30, 30, 15, 45))
    return dt.datetime.combine(day, dt.time(r.choice(hours), minute), UTC)


# -- the build -----------------------------------------------------------------------------------------


def _strengths(teams: tuple[Team, ...], season: int) -> dict[int, float]:
    out = {}
    for t in teams:
        conf = 1.0 if t.conference in POWER else 0.35 if t.conference in MID else -0.4
        base = 0.8 * (2 * unit("strength", t.id) - 1) * 1.7
        out[t.id] = round(base + 0.7 * conf + 0.45 * (2 * unit("form", t.id, season) - 1), 4)
    return out


class _Builder:
    def __init__(self, ref: Reference, season: int, scale: float):
        self.season = season
        self.ref = ref
        self.teams = tuple(season_team(ref, t, season) for t in teams_at_scale(ref, scale))
        self.others = non_d1_at_scale(ref, len(self.teams))
        self.strength = _strengths(self.teams, season) | {
            t.id: round(-2.6 + 0.8 * unit("strength", t.id), 4) for t in self.others
        }
        self.venues = ref.venues
        self.games: list[Game] = []
        self.count: dict[int, int] = defaultdict(int)
        self.wins: dict[int, int] = defaultdict(int)

    def play(self, r: random.Random, home: Team, away: Team, start: dt.datetime, **facts) -> Game:
        neutral = facts.pop("neutral", False)
        pace = r.uniform(63.0, 73.0)
        edge = (self.strength[home.id] - self.strength[away.id]) * 5.5 + (0 if neutral else 3.0)
        home_pts = max(38, round(pace * (1.03 + r.gauss(0, 0.09)) + edge / 2))
        away_pts = max(38, round(pace * (1.03 + r.gauss(0, 0.09)) - edge / 2))
        if home_pts == away_pts:
            home_pts += 1 if r.random() < 0.5 else -1
        venue = r.choice(self.venues) if neutral else home.venue
        game = Game(
            season=self.season,
            season_type=facts.pop("season_type", "regular"),
            start=start,
            home=home,
            away=away,
            neutral=neutral,
            conference_game=facts.pop("conference_game", home.conference == away.conference),
            game_type=facts.pop("game_type", "STD"),
            tournament=facts.pop("tournament", None),
            notes=facts.pop("notes", None),
            venue=venue,
            home_plan=make_plan(r, home_pts),
            away_plan=make_plan(r, away_pts),
            pace=round(pace, 1),
            attendance=r.randint(1500, 19000),
            **facts,
        )
        self.games.append(game)
        for team in (home, away):
            self.count[team.id] += 1
        self.wins[(home if game.home_won else away).id] += 1
        return game

    def regular_season(self) -> None:
        s = self.season
        first, last = first_day(s), selection_sunday(s) - dt.timedelta(days=12)
        conf_start = dt.date(s - 1, 12, 29)
        days = [
            first + dt.timedelta(days=i)
            for i in range((last - first).days + 1)
            if (first + dt.timedelta(days=i)).strftime("%m-%d") not in ("12-24", "12-25", "12-26")
        ]
        weights = [
            WEEKDAY_WEIGHT[d.weekday()] * (0.55 if d.month == 12 and 8 <= d.day <= 20 else 1) for d in days
        ]
        target = {t.id: GAMES_PER_TEAM + int(4 * unit("games", t.id, s)) for t in self.teams}
        total = sum(target.values()) // 2
        quotas = [total * w / sum(weights) for w in weights]
        per_day = [int(q) for q in quotas]
        for i in sorted(range(len(days)), key=lambda i: (int(quotas[i]) - quotas[i], i))[
            : total - sum(per_day)
        ]:
            per_day[i] += 1
        cap = len(self.teams) // 2
        for day, wanted in zip(days, per_day, strict=True):
            r = rng("day", s, day)
            open_teams = [t for t in self.teams if self.count[t.id] < target[t.id]]
            open_teams.sort(key=lambda t: self.count[t.id] + 2 * r.random())
            chosen = open_teams[: 2 * min(wanted, cap)]
            for home, away in self._pairs(r, chosen, conference_first=day >= conf_start):
                neutral = day < conf_start and home.conference != away.conference and r.random() < 0.1
                event = r.choice(EVENTS) if neutral and r.random() < 0.6 else None
                self.play(
                    r,
                    home,
                    away,
                    _start(r, day),
                    neutral=neutral,
                    game_type="TRNMNT" if event else "STD",
                    notes=event,
                )

    def non_d1_games(self) -> None:
        """Non-D1 teams visit D1 teams in November and December: each at least once, at the real rate."""
        if not self.others:
            return
        busy = {(t.id, g.day) for g in self.games for t in (g.home, g.away)}
        first = first_day(self.season)
        days = [first + dt.timedelta(days=i) for i in range(50)]
        for k in range(round(len(self.teams) * NON_D1_GAMES_PER_D1)):
            r = rng("non-d1", self.season, k)
            visitor = self.others[k] if k < len(self.others) else r.choice(self.others)
            host = r.choice(self.teams)
            free = [d for d in days if (host.id, d) not in busy and (visitor.id, d) not in busy]
            day = r.choice(free or days)
            busy.update({(host.id, day), (visitor.id, day)})
            self.play(r, host, visitor, _start(r, day), conference_game=False)

    @staticmethod
    def _pairs(r: random.Random, chosen: list[Team], conference_first: bool) -> list[tuple[Team, Team]]:
        pool = list(chosen)
        r.shuffle(pool)
        if conference_first:
            by_conf: dict[str | None, list[Team]] = defaultdict(list)
            for team in pool:
                by_conf[team.conference].append(team)
            pool = []
            leftovers = []
            for conf in sorted(by_conf, key=str):
                members = by_conf[conf]
                if len(members) % 2:
                    leftovers.append(members.pop())
                pool += members
            pool += leftovers
        pairs = [(pool[i], pool[i + 1]) for i in range(0, len(pool) - 1, 2)]
        return [(a, b) if r.random() < 0.5 else (b, a) for a, b in pairs]

    def _bracket(self, field_: list[Team], days: list[dt.date], tag: str, facts_for) -> None:
        """Single elimination; `field_` best first, seeded 1 v N, winners advance in bracket order."""
        size = 1 << (len(field_).bit_length() - 1)
        order = [0]
        while len(order) < size:
            order = [x for p in order for x in (p, 2 * len(order) - 1 - p)]
        alive = [field_[i] for i in order]
        seeds = {t.id: i // max(1, size // 16) + 1 for i, t in enumerate(field_[:size])}
        rounds = size.bit_length() - 1
        for rnd in range(rounds):
            day = days[len(days) - rounds + rnd]
            r = rng(tag, self.season, rnd)
            winners = []
            for j in range(0, len(alive), 2):
                high, low = alive[j], alive[j + 1]
                game = self.play(
                    r,
                    high,
                    low,
                    _start(r, day),
                    neutral=True,
                    game_type="TRNMNT",
                    home_seed=seeds[high.id],
                    away_seed=seeds[low.id],
                    **facts_for(rnd, rounds, j // 2),
                )
                winners.append(game.home if game.home_won else game.away)
            alive = winners

    def conference_tournaments(self) -> None:
        ss = selection_sunday(self.season)
        by_conf: dict[str, list[Team]] = defaultdict(list)
        for team in self.teams:
            if team.conference:
                by_conf[team.conference].append(team)
        for conf, members in sorted(by_conf.items()):
            if len(members) < 2:
                continue
            members.sort(key=lambda t: (-self.wins[t.id], -self.strength[t.id], t.id))
            end = ss - dt.timedelta(days=1 + int(3 * unit("conf-final", conf, self.season)))
            days = [end - dt.timedelta(days=i) for i in range(5, -1, -1)]

            def facts(rnd: int, rounds: int, _j: int, conf: str = conf) -> dict:
                name = CONF_ROUNDS[len(CONF_ROUNDS) - rounds + rnd] if rounds <= 5 else "Opening Round"
                return {"conference_game": True, "notes": f"{conf} Tournament - {name}"}

            self._bracket(members, days, f"conf:{conf}", facts)

    def postseason(self) -> None:
        ss = selection_sunday(self.season)
        ranked = sorted(self.teams, key=lambda t: (-(self.wins[t.id] + 4 * self.strength[t.id]), t.id))
        ncaa = min(64, max(2, 1 << (max(1, round(len(self.teams) * 64 / 364)).bit_length() - 1)))
        ncaa_days = [ss + dt.timedelta(days=d) for d in (4, 6, 11, 13, 20, 22)]

        def ncaa_facts(rnd: int, rounds: int, j: int) -> dict:
            name = ROUND_NAMES[len(ROUND_NAMES) - rounds + rnd]
            region = REGIONS[j * 4 // max(1, 1 << (rounds - rnd - 1))] if rounds - rnd > 2 else None
            notes = "Men's Basketball Championship - " + (f"{region} Region - {name}" if region else name)
            return {
                "season_type": "postseason",
                "tournament": "NCAA",
                "conference_game": False,
                "notes": notes,
            }

        self._bracket(ranked[:ncaa], ncaa_days, "ncaa", ncaa_facts)
        rest = ranked[ncaa : ncaa + ncaa // 2]
        if len(rest) >= 2:
            nit_days = [ss + dt.timedelta(days=d) for d in (2, 6, 9, 16, 18)]

            def nit_facts(rnd: int, rounds: int, _j: int) -> dict:
                name = ("1st Round", "2nd Round", "Quarterfinals", "Semifinals", "Championship")[
                    5 - rounds + rnd
                ]
                return {
                    "season_type": "postseason",
                    "tournament": "NIT",
                    "conference_game": False,
                    "notes": f"NIT - {name}",
                }

            self._bracket(rest[:32], nit_days, "nit", nit_facts)

    def finish(self) -> Universe:
        self.games.sort(key=lambda g: (g.start, g.home.id))
        base = (self.season - 2000) * 100_000
        elo = {t.id: round(1500 + 160 * self.strength[t.id]) for t in (*self.teams, *self.others)}
        for i, game in enumerate(self.games, start=1):
            game.id = base + i
            h, a = elo[game.home.id], elo[game.away.id]
            expected = 1 / (1 + 10 ** ((a - h - (0 if game.neutral else 60)) / 400))
            delta = round(24 * ((1.0 if game.home_won else 0.0) - expected))
            elo[game.home.id], elo[game.away.id] = h + delta, a - delta
            game.home_elo, game.away_elo = (h, h + delta), (a, a - delta)
        now = {t.id: t for t in self.ref.d1}  # as the samples have them: after every move
        also = {
            t.id: now[t.id].conference
            for t in self.teams
            if (move := move_of(self.ref, now[t.id])) is not None and move[0] == self.season + 1
        }
        return Universe(self.season, self.teams, self.strength, self.games, elo, self.others, also)


def build_universe(ref: Reference, season: int, scale: float) -> Universe:
    builder = _Builder(ref, season, scale)
    builder.regular_season()
    builder.non_d1_games()
    builder.conference_tournaments()
    builder.postseason()
    return builder.finish()


def win_probability(diff: int, seconds_left: int, edge: float) -> float:
    """The home side's chance given the margin and time left (a logistic on margin per root minute)."""
    minutes = max(seconds_left, 1) / 60
    return 1 / (1 + math.exp(-(diff + edge * minutes / 40) / (1.2 * math.sqrt(minutes) + 0.3)))
