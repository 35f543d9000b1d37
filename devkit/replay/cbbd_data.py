"""The reference data every generated CBBD answer is built on: teams, conferences, venues, players.

Teams, conferences and venues come from the real samples (`teams__season-2025.json` and friends), so
names and ids look like the API's; players are invented per (team, recruiting class) so the same
athlete keeps one id across the four seasons he is on a roster. Everything is seeded with a stable
hash (never Python's salted `hash()`), so every process builds the same world.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

FIRST_SEASON, LAST_SEASON = 2003, 2027
D1_TEAMS_FILE = "teams__season-2025.json"
ALL_TEAMS_FILE = "teams__no-params.json"
CONFERENCES_FILE = "conferences.json"


def seed(*parts: object) -> int:
    """A stable 64-bit seed for a key."""
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def rng(*parts: object) -> random.Random:
    return random.Random(seed(*parts))


def unit(*parts: object) -> float:
    """A stable uniform number in [0, 1) for a key."""
    return seed(*parts) / 2**64


def js_numbers(value: Any) -> Any:
    """Whole floats as integers, as JavaScript's JSON.stringify writes them (`pct: 0`, `rating: 107`):
    a consumer must cope with both for one field, so the replay sends both, like the real API."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: js_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [js_numbers(v) for v in value]
    return value


def js(value: Any) -> str:
    """Compact JSON as Express's `res.json` sends it: non-ASCII kept as is, whole numbers as integers."""
    return json.dumps(js_numbers(value), ensure_ascii=False, separators=(",", ":"))


def season_label(season: int) -> str:
    """`20232024`: the label games and stats use."""
    return f"{season - 1}{season}"


def dash_label(season: int) -> str:
    """`2023–24`: the label the directory and overview use (an en dash)."""
    return f"{season - 1}–{season % 100:02d}"


@dataclass(frozen=True, slots=True)
class Venue:
    id: int
    name: str
    city: str | None
    state: str | None


@dataclass(frozen=True, slots=True)
class Conference:
    id: int
    source_id: str
    name: str
    abbreviation: str
    short_name: str


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    source_id: str
    school: str
    mascot: str | None
    conference_id: int | None
    conference: str | None  # the abbreviation, which is what game and stats rows carry
    venue: Venue
    raw: dict[str, Any]  # the /teams row as the sample has it

    @property
    def name_js(self) -> str:
        return js(self.school)


@dataclass(frozen=True, slots=True)
class Player:
    id: int
    source_id: str
    team_id: int
    first_name: str
    last_name: str
    jersey: str
    position: str  # G | F | C
    height: int  # inches
    weight: int
    first_season: int
    talent: float  # about N(0, 1); drives usage, minutes and recruiting stars
    hometown: tuple[str, str, float, float]  # city, state, latitude, longitude
    birth: dt.date

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Reference:
    """What the samples give: D1 teams, every team, conferences and venues."""

    d1: tuple[Team, ...]
    all_rows: tuple[dict[str, Any], ...]
    conferences: tuple[Conference, ...]
    venues: tuple[Venue, ...]

    @property
    def conference_by_abbr(self) -> dict[str, Conference]:
        return {c.abbreviation: c for c in self.conferences}


def _read(path: Path) -> Any:
    return json.loads(path.read_bytes()) if path.is_file() else None


def _team(row: dict[str, Any]) -> Team:
    venue = Venue(
        int(row["currentVenueId"]) if row.get("currentVenueId") is not None else 9000 + int(row["id"]),
        row.get("currentVenue") or f"{row['school']} Arena",
        row.get("currentCity"),
        row.get("currentState"),
    )
    return Team(
        int(row["id"]),
        str(row["sourceId"]),
        row["school"],
        row.get("mascot"),
        row.get("conferenceId"),
        row.get("conference"),
        venue,
        row,
    )


def _synthetic_rows() -> list[dict[str, Any]]:
    """A stand-in D1 list for when the samples are not there: 32 conferences of 11 or 12 teams."""
    rows = []
    for i in range(364):
        conf = i % 32 + 1
        rows.append(
            {
                "id": i + 1,
                "sourceId": str(2000 + i),
                "school": f"State {i + 1}",
                "mascot": "Eagles",
                "abbreviation": f"S{i + 1}",
                "displayName": f"State {i + 1} Eagles",
                "shortDisplayName": f"State {i + 1}",
                "primaryColor": "003366",
                "secondaryColor": "ffffff",
                "currentVenueId": 1000 + i,
                "currentVenue": f"State {i + 1} Arena",
                "currentCity": "Springfield",
                "currentState": "IL",
                "conferenceId": conf,
                "conference": f"Conf {conf}",
            }
        )
    return rows


@lru_cache(maxsize=4)
def reference(samples_dir: Path) -> Reference:
    d1_rows = _read(samples_dir / D1_TEAMS_FILE) or _synthetic_rows()
    all_rows = _read(samples_dir / ALL_TEAMS_FILE) or d1_rows
    conf_rows = _read(samples_dir / CONFERENCES_FILE)
    if conf_rows is None:
        abbrs = sorted({(r["conferenceId"], r["conference"]) for r in d1_rows if r.get("conference")})
        conf_rows = [
            {"id": i, "sourceId": str(i), "name": f"{a} Conference", "abbreviation": a, "shortName": a}
            for i, a in abbrs
        ]
    conferences = tuple(
        Conference(int(c["id"]), str(c["sourceId"]), c["name"], c["abbreviation"], c["shortName"])
        for c in conf_rows
    )
    venues: dict[int, Venue] = {}
    for row in all_rows:
        if row.get("currentVenueId") is not None:
            venues.setdefault(int(row["currentVenueId"]), _team(row).venue)
    d1 = tuple(sorted((_team(r) for r in d1_rows), key=lambda t: t.id))
    for team in d1:
        venues.setdefault(team.venue.id, team.venue)
    return Reference(d1, tuple(all_rows), conferences, tuple(sorted(venues.values(), key=lambda v: v.id)))


# Real rates, from `stats_team_season__season-2023.json`: 343 rows with `conference: null` (non-D1 teams
# that played D1 teams) beside 364 D1 rows, and 507 team-games of theirs, so about 507 games per 364 D1
# teams have a non-D1 side.
NON_D1_PER_D1 = 343 / 364
NON_D1_GAMES_PER_D1 = 507 / 364

# Conference moves: school -> (first season in its current conference, the conference it played before).
# Stephen F. Austin played 2022-23 in the WAC and moved to the Southland; the real 2023 `/stats/team/season`
# lists it under both. Other teams move at a small stable rate (about one a season at full scale, as in 2023).
MOVES = {"Stephen F. Austin": (2024, "WAC")}
MOVE_SHARE = 0.08


def move_of(ref: Reference, team: Team) -> tuple[int, str] | None:
    """When and from where `team` moved into its current conference, or None if it never did."""
    if team.school in MOVES:
        return MOVES[team.school]
    if team.conference is None or unit("moved", team.id) >= MOVE_SHARE:
        return None
    others = sorted({t.conference for t in ref.d1 if t.conference and t.conference != team.conference})
    if not others:
        return None
    before = others[int(len(others) * unit("from", team.id))]
    return FIRST_SEASON + 1 + int(24 * unit("moved-in", team.id)), before


def season_team(ref: Reference, team: Team, season: int) -> Team:
    """The team as it was in `season`: before its move it carries the conference it played in."""
    move = move_of(ref, team)
    if move is None or season >= move[0]:
        return team
    conf = ref.conference_by_abbr.get(move[1])
    return replace(team, conference=move[1], conference_id=conf.id if conf else None)


def non_d1_at_scale(ref: Reference, d1_count: int) -> tuple[Team, ...]:
    """Non-D1 teams (conference null in the all-teams sample) that meet `d1_count` D1 teams, real rate."""
    pool = [r for r in ref.all_rows if r.get("conference") is None]
    picked = sorted(pool, key=lambda r: unit("non-d1", r["id"]))[: round(d1_count * NON_D1_PER_D1)]
    return tuple(sorted((_team(r) for r in picked), key=lambda t: t.id))


def teams_at_scale(ref: Reference, scale: float) -> tuple[Team, ...]:
    """The D1 teams of a `scale` season: a stable, hash-ordered subset (all of them at 1.0)."""
    count = max(4, min(len(ref.d1), round(len(ref.d1) * scale)))
    if count >= len(ref.d1):
        return ref.d1
    picked = sorted(ref.d1, key=lambda t: unit("pick", t.id))[:count]
    return tuple(sorted(picked, key=lambda t: t.id))


# -- players ---------------------------------------------------------------------------------------

_FIRST = """
Aaron Adam Alex Andre Anthony Brandon Brian Cam Caleb Carter Chris Cole Colin Darius David Derek
DeShawn Devin Dominic Drew Dylan Elijah Eric Ethan Evan Gabe Grant Hunter Isaiah Jack Jalen Jamal
James Jaden Jason Javon Jaylen Jeremy Jordan Josh Julian Justin Kam Keegan Kevin Kobe Kyle Lamar
Landon Liam Logan Luke Malik Marcus Mason Matt Max Miles Nate Noah Omar Owen Quinn Reed Ryan Sam
Sean Seth Shane Terrence Trey Tyler Tyrese Victor Xavier Zach Zion
"""
_LAST = """
Adams Allen Anderson Bailey Baker Banks Bell Brooks Brown Bryant Butler Campbell Carter Clark
Coleman Collins Cook Cooper Davis Edwards Ellis Evans Fisher Foster Garcia Gibson Graham Grant Gray
Green Griffin Hall Harris Hayes Henderson Hill Holmes Howard Hughes Jackson James Jenkins Johnson
Jones Jordan Kelly King Lewis Long Marshall Martin Mason Mitchell Moore Morgan Morris Murphy Myers
Nelson Owens Parker Patterson Perry Peterson Phillips Porter Powell Price Reed Reynolds Richardson
Roberts Robinson Rogers Ross Russell Sanders Scott Simmons Smith Stewart Sullivan Taylor Thomas
Thompson Turner Walker Ward Washington Watson Webb White Williams Wilson Wood Wright Young
"""
FIRST_NAMES = tuple(_FIRST.split())
LAST_NAMES = tuple(_LAST.split())
HOMETOWNS = (
    ("Atlanta", "GA", 33.75, -84.39),
    ("Baltimore", "MD", 39.29, -76.61),
    ("Charlotte", "NC", 35.23, -80.84),
    ("Chicago", "IL", 41.88, -87.63),
    ("Dallas", "TX", 32.78, -96.8),
    ("Detroit", "MI", 42.33, -83.05),
    ("Houston", "TX", 29.76, -95.37),
    ("Indianapolis", "IN", 39.77, -86.16),
    ("Los Angeles", "CA", 34.05, -118.24),
    ("Memphis", "TN", 35.15, -90.05),
    ("Milwaukee", "WI", 43.04, -87.91),
    ("Minneapolis", "MN", 44.98, -93.27),
    ("New York", "NY", 40.71, -74.01),
    ("Oakland", "CA", 37.8, -122.27),
    ("Philadelphia", "PA", 39.95, -75.17),
    ("Phoenix", "AZ", 33.45, -112.07),
    ("Raleigh", "NC", 35.78, -78.64),
    ("Seattle", "WA", 47.61, -122.33),
    ("St. Louis", "MO", 38.63, -90.2),
    ("Washington", "DC", 38.91, -77.04),
)
POSITIONS = ("G", "G", "G", "F", "F", "F", "C")
HEIGHTS = {"G": (72, 78), "F": (77, 82), "C": (81, 86)}


def player_id(team_id: int, first_season: int, k: int) -> int:
    """Stable and decodable: the team and the recruiting class are in the id."""
    return team_id * 10_000 + (first_season - 1990) * 10 + k


def team_of_player(athlete_id: int) -> int:
    return athlete_id // 10_000


@lru_cache(maxsize=16_384)
def cohort(team_id: int, first_season: int) -> tuple[Player, ...]:
    """The 3 or 4 players a team adds in one class; they stay on the roster four seasons."""
    r = rng("cohort", team_id, first_season)
    out = []
    for k in range(3 + (r.random() < 0.5)):
        position = r.choice(POSITIONS)
        low, high = HEIGHTS[position]
        height = r.randint(low, high)
        pid = player_id(team_id, first_season, k)
        out.append(
            Player(
                id=pid,
                source_id=str(4_400_000 + pid % 3_000_000),
                team_id=team_id,
                first_name=r.choice(FIRST_NAMES),
                last_name=r.choice(LAST_NAMES),
                jersey=str(r.randint(0, 35)),
                position=position,
                height=height,
                weight=150 + (height - 68) * 5 + r.randint(0, 25),
                first_season=first_season,
                talent=r.gauss(0.0, 1.0),
                hometown=r.choice(HOMETOWNS),
                birth=dt.date(first_season - 19, 1, 1) + dt.timedelta(days=r.randrange(365)),
            )
        )
    return tuple(out)


@lru_cache(maxsize=4096)
def roster(team_id: int, season: int) -> tuple[Player, ...]:
    """Four classes; best first (the rotation order), class year adding to talent."""
    players = [p for y in range(season - 3, season + 1) for p in cohort(team_id, y)]
    return tuple(sorted(players, key=lambda p: (-(p.talent + 0.35 * (season - p.first_season)), p.id)))
