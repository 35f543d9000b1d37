"""Handlers of recruiting and the draft: recruits are the players whose first season is the next one,
draft picks the best players in their last season, so ids match rosters and box scores."""

from __future__ import annotations

from typing import Any

from devkit.replay.cbbd_common import (
    Params,
    handles,
    same,
    team_ok,
)
from devkit.replay.cbbd_data import LAST_SEASON, Team, cohort, rng
from devkit.replay.cbbd_season import (
    ranks,
    rating_of,
    strength_label,
)
from devkit.replay.cbbd_world import World

DRAFT_POSITIONS = (
    ("Point Guard", "PG"),
    ("Shooting Guard", "SG"),
    ("Small Forward", "SF"),
    ("Power Forward", "PF"),
    ("Center", "C"),
    ("Guard", "G"),
    ("Forward", "F"),
)
NBA = (
    ("Atlanta", "Hawks", "ATL"),
    ("Boston", "Celtics", "BOS"),
    ("Brooklyn", "Nets", "BKN"),
    ("Charlotte", "Hornets", "CHA"),
    ("Chicago", "Bulls", "CHI"),
    ("Cleveland", "Cavaliers", "CLE"),
    ("Dallas", "Mavericks", "DAL"),
    ("Denver", "Nuggets", "DEN"),
    ("Detroit", "Pistons", "DET"),
    ("Golden State", "Warriors", "GS"),
    ("Houston", "Rockets", "HOU"),
    ("Indiana", "Pacers", "IND"),
    ("LA", "Clippers", "LAC"),
    ("Los Angeles", "Lakers", "LAL"),
    ("Memphis", "Grizzlies", "MEM"),
    ("Miami", "Heat", "MIA"),
    ("Milwaukee", "Bucks", "MIL"),
    ("Minnesota", "Timberwolves", "MIN"),
    ("New Orleans", "Pelicans", "NO"),
    ("New York", "Knicks", "NY"),
    ("Oklahoma City", "Thunder", "OKC"),
    ("Orlando", "Magic", "ORL"),
    ("Philadelphia", "76ers", "PHI"),
    ("Phoenix", "Suns", "PHX"),
    ("Portland", "Trail Blazers", "POR"),
    ("Sacramento", "Kings", "SAC"),
    ("San Antonio", "Spurs", "SA"),
    ("Toronto", "Raptors", "TOR"),
    ("Utah", "Jazz", "UTAH"),
    ("Washington", "Wizards", "WSH"),
)
DRAFT_POSITION_OF = {"G": "G", "F": "F", "C": "C"}


@handles("draft_positions")
def draft_positions(world: World, p: Params) -> list:
    return [{"name": name, "abbreviation": abbr} for name, abbr in DRAFT_POSITIONS]


@handles("draft_teams")
def draftmatching_teams(world: World, p: Params) -> list:
    return [
        {
            "id": i,
            "sourceId": i,
            "location": loc,
            "name": name,
            "displayName": f"{loc} {name}",
            "abbreviation": abbr,
        }
        for i, (loc, name, abbr) in enumerate(NBA, start=1)
    ]


# -- recruiting and the draft -------------------------------------------------------------------------


def _year(world: World, p: Params) -> int:
    value = p.get("year")
    return int(value) if value is not None else min(world.today().year, LAST_SEASON)


@handles("draft_picks")
def draft_picks(world: World, p: Params) -> list:
    """Two rounds of 30 from the best players whose final season is the draft year."""
    year = _year(world, p)
    pool = [(pl, t) for t in world.teams for pl in cohort(t.id, year - 3)]
    pool.sort(key=lambda pt: (-pt[0].talent, pt[0].id))
    r = rng("draft", year)
    rows = []
    for overall, (pl, team) in enumerate(pool[:60], start=1):
        loc, name, abbr = NBA[int(r.random() * len(NBA))]
        draft_team = f"{loc} {name}"
        row = {
            "athleteId": pl.id,
            "sourceTeamId": team.id,
            "sourceTeamLocation": team.school,
            "sourceTeamName": team.mascot,
            "sourceTeamLeagueAffiliation": "NCAA Division I",
            "sourceTeamCollegeId": team.id,
            "draftTeamId": NBA.index((loc, name, abbr)) + 1,
            "draftTeam": draft_team,
            "year": year,
            "overall": overall,
            "round": 1 + (overall - 1) // 30,
            "pick": (overall - 1) % 30 + 1,
            "name": pl.name,
            "overallRank": overall + int(10 * r.random()),
            "positionRank": 1 + (overall - 1) // 5,
            "height": pl.height,
            "weight": pl.weight,
        }
        if (
            (p.get("draftTeam") is None or same(draft_team, p["draftTeam"]) or same(name, p["draftTeam"]))
            and (p.get("sourceTeam") is None or same(team.school, p["sourceTeam"]))
            and (p.get("position") is None or same(DRAFT_POSITION_OF[pl.position], p["position"]))
        ):
            rows.append(row)
    return rows


def _committed(team: Team) -> dict[str, Any]:
    return {"id": team.id, "name": team.school, "conference": team.conference}


@handles("recruiting_players")
def recruiting_players(world: World, p: Params) -> list:
    """A class year's recruits are the players whose first season is the next one."""
    year = _year(world, p)
    recruits = [(pl, t) for t in world.teams if team_ok(t, p) for pl in cohort(t.id, year + 1)]
    recruits.sort(key=lambda pt: (-rating_of(pt[0]), pt[0].id))
    rows = []
    for rank, (pl, team) in enumerate(recruits, start=1):
        if p.get("position") is not None and not same(pl.position, p["position"]):
            continue
        city, state, lat, lon = pl.hometown
        rows.append(
            {
                "id": 100_000_000 + pl.id,
                "sourceId": str(40_000 + pl.id % 1_000_000),
                "position": pl.position,
                "schoolId": 5000 + pl.id % 997,
                "school": f"{city} High School",
                "hometown": {
                    "city": city,
                    "state": state,
                    "country": "USA",
                    "latitude": lat,
                    "longitude": lon,
                    "countyFips": None,
                },
                "committedTo": _committed(team),
                "athleteId": pl.id,
                "year": year,
                "name": pl.name,
                "heightInches": pl.height,
                "weightPounds": pl.weight,
                "stars": strength_label(pl.talent),
                "rating": rating_of(pl),
                "ranking": rank,
            }
        )
    return rows


@handles("recruiting_teams")
def recruitingmatching_teams(world: World, p: Params) -> list:
    year = _year(world, p)
    score = {t.id: sum(rating_of(pl) * 100 for pl in cohort(t.id, year + 1)) for t in world.teams}
    order = ranks(score)
    return sorted(
        (
            {
                "teamId": t.id,
                "team": t.school,
                "conference": t.conference,
                "year": year,
                "ranking": order[t.id],
                "rating": round(score[t.id], 2),
            }
            for t in world.teams
            if team_ok(t, p)
        ),
        key=lambda row: row["ranking"],
    )


@handles("recruiting_portal")
def recruiting_portal(world: World, p: Params) -> list:
    """About four transfers per team and cycle, between the season's teams."""
    year = _year(world, p)
    teams = sorted(world.teams, key=lambda t: t.id)
    r = rng("portal", year, len(teams))
    rows = []
    for k in range(4 * len(teams)):
        origin = teams[int(r.random() * len(teams))]
        destination = teams[int(r.random() * len(teams))] if r.random() < 0.8 else None
        first, last, position = (
            r.choice(("Jalen", "Caleb", "Marcus", "Tyler", "Devin", "Isaiah", "Owen", "Seth")),
            r.choice(("Smith", "Brown", "Reed", "Young", "Price", "Hill", "Banks", "Ward")),
            r.choice(("G", "F", "C")),
        )
        stars = r.choice((None, 2, 3, 3, 4))
        row = {
            "id": year * 100_000 + k,
            "sourceId": str(year * 100_000 + k),
            "year": year,
            "firstName": first,
            "lastName": last,
            "position": position,
            "origin": _committed(origin),
            "destination": _committed(destination) if destination else None,
            "eligibility": r.choice(("Immediate", "Immediate", "TBD", "Withdrawn", "SittingOne")),
            "yearsRemaining": r.randint(1, 4),
            "stars": stars,
            "rating": round(0.8 + 0.02 * stars + 0.01 * r.random(), 4) if stars else None,
        }
        if (
            team_ok(origin, p, "sourceTeam", "sourceConference")
            and (
                (
                    destination is None
                    and p.get("destinationTeam") is None
                    and p.get("destinationConference") is None
                )
                or (
                    destination is not None
                    and team_ok(destination, p, "destinationTeam", "destinationConference")
                )
            )
            and (p.get("position") is None or same(position, p["position"]))
        ):
            rows.append(row)
    return rows
