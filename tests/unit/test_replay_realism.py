"""The replay measured against the real CBBD samples, so it cannot drift back to cleaner-than-real data.

Each figure is computed the same way from a real answer (`samples/cbbd/`) and from the replay's generated
answer to the same request for another season (2022, which no sample covers), and must agree within a
stated tolerance: the shares of non-D1 rows and of games with a non-D1 side, the integer/float mix of
numbers, null rates, switchers' duplicate rows, and fields absent before the API added them.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import pytest

from devkit.replay.cbbd import CbbdSource
from devkit.samples import samples_dir

SAMPLES = samples_dir() / "cbbd"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="real CBBD samples not available")

GENERATED = 2022  # a season no sample covers: everything in it is generated
SHARE_TOLERANCE = 0.03  # absolute, on shares between 0 and 1
NULL_TOLERANCE = 0.01  # absolute, on null rates of a few per cent


@cache
def source(scale: float) -> CbbdSource:
    return CbbdSource(SAMPLES, scale=scale)


def get(scale: float, path: str, **query: Any) -> Any:
    response = source(scale).handle_request(
        path, {k: str(v) for k, v in query.items()}, {"Authorization": "Bearer k"}
    )
    assert response is not None and response.status == 200, response
    return json.loads(response.body)


def real(name: str) -> Any:
    return json.loads((SAMPLES / name).read_bytes())


def numbers(value: Any, counts: Counter) -> Counter:
    """Counts of JSON integers and floats among the numeric leaves (booleans are not numbers)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return counts
    if isinstance(value, int | float):
        counts[type(value).__name__] += 1
        return counts
    for item in value.values() if isinstance(value, dict) else value:
        numbers(item, counts)
    return counts


def team_season_figures(rows: list[dict]) -> dict[str, float]:
    non_d1 = [r for r in rows if r["conference"] is None]
    counts = numbers(rows, Counter())
    return {
        "non_d1_row_share": len(non_d1) / len(rows),
        # every game of a non-D1 team is against D1 (the API lists no other), so its games are those games
        "non_d1_game_share": sum(r["games"] for r in non_d1) / (sum(r["games"] for r in rows) / 2),
        "integer_share": counts["int"] / (counts["int"] + counts["float"]),
        "rating_null_rate": sum(r["teamStats"]["rating"] is None for r in rows) / len(rows),
        "turnover_ratio_null_rate": sum(r["teamStats"]["fourFactors"]["turnoverRatio"] is None for r in rows)
        / len(rows),
    }


@pytest.fixture(scope="module")
def real_team_season() -> dict[str, float]:
    return team_season_figures(real("stats_team_season__season-2023.json"))


@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_team_season_stats_match_the_real_rates(real_team_season: dict[str, float], scale: float) -> None:
    replay = team_season_figures(get(scale, "/stats/team/season", season=GENERATED))
    for figure in ("non_d1_row_share", "non_d1_game_share", "integer_share"):
        assert replay[figure] == pytest.approx(real_team_season[figure], abs=SHARE_TOLERANCE), figure
    for figure in ("rating_null_rate", "turnover_ratio_null_rate"):
        assert replay[figure] == pytest.approx(real_team_season[figure], abs=NULL_TOLERANCE), figure
    assert real_team_season["rating_null_rate"] > 0  # the real answer does send nulls there


def test_whole_numbers_are_integers_as_javascript_writes_them() -> None:
    """The real API never writes `45.0`; a float in the replay is never whole either."""

    def whole_floats(value: Any) -> int:
        if isinstance(value, float):
            return value.is_integer()
        if isinstance(value, dict | list):
            return sum(whole_floats(v) for v in (value.values() if isinstance(value, dict) else value))
        return 0

    assert whole_floats(real("stats_team_season__season-2023.json")) == 0
    for path, query in (
        ("/stats/team/season", {"season": GENERATED}),
        ("/games/teams", {"season": GENERATED, "startDateRange": "2021-12-01", "endDateRange": "2021-12-04"}),
        ("/stats/player/season", {"season": GENERATED, "conference": "ACC"}),
    ):
        body = get(1.0, path, **query)
        assert body and whole_floats(body) == 0, path
        assert numbers(body, Counter())["int"] > 0 and numbers(body, Counter())["float"] > 0, path


def test_a_switcher_is_listed_twice_and_its_games_carry_the_conference_it_played_in() -> None:
    real_rows = [r for r in real("stats_team_season__season-2023.json") if r["team"] == "Stephen F. Austin"]
    assert sorted(r["conference"] for r in real_rows) == ["Southland", "WAC"]

    rows = get(1.0, "/stats/team/season", season=GENERATED)
    twice = [team for team, n in Counter(r["teamId"] for r in rows).items() if n == 2]
    assert 1 <= len(twice) <= 5  # about one a season, as in 2023
    for team_id in twice:
        pair = [r for r in rows if r["teamId"] == team_id]
        assert pair[0]["conference"] != pair[1]["conference"]
        assert {**pair[0], "conference": None} == {**pair[1], "conference": None}  # same numbers
        games = get(1.0, "/games", season=GENERATED, team=pair[0]["team"])
        played = {g["homeConference"] if g["homeTeamId"] == team_id else g["awayConference"] for g in games}
        assert len(played) == 1 and played < {pair[0]["conference"], pair[1]["conference"]}
        next_season = get(1.0, "/teams", season=GENERATED + 1)
        moved_to = next(t["conference"] for t in next_season if t["id"] == team_id)
        assert played != {moved_to}  # it played the season in the conference it was leaving
        stints = {
            c["abbreviation"]: (t["startSeason"], t["endSeason"])
            for c in get(1.0, "/conferences/history")
            for t in c["teams"]
            if t["id"] == team_id
        }
        # both stints hold the season: the overlap behind the API's two rows
        assert stints[moved_to] == (GENERATED, None) and stints[played.pop()][1] == GENERATED


def test_games_have_non_d1_sides_nulls_and_elo_only_from_2024() -> None:
    real_games = real("games__team-Duke_season-2023.json")
    assert not any("homeTeamEloStart" in g for g in real_games)  # captured before the API had Elo
    real_null = sum(g["excitement"] is None for g in real_games) / len(real_games)

    window = {"startDateRange": "2021-11-01", "endDateRange": "2021-12-20"}
    games = get(1.0, "/games", season=GENERATED, **window)
    assert not any("homeTeamEloStart" in g for g in games)
    assert sum(g["excitement"] is None for g in games) / len(games) == pytest.approx(real_null, abs=0.02)
    non_d1 = [g for g in games if g["homeConference"] is None or g["awayConference"] is None]
    assert non_d1 and all(g["homeConference"] or g["awayConference"] for g in non_d1)  # never two non-D1

    later = get(1.0, "/games", season=2024, startDateRange="2023-11-01", endDateRange="2023-11-20")
    assert all("homeTeamEloStart" in g for g in later)
    for g in later:
        for side in ("home", "away"):
            assert (g[f"{side}TeamEloStart"] is None) == (g[f"{side}Conference"] is None)


def test_every_scale_serves_a_season_of_its_own_size() -> None:
    """At a small scale the captured full-size 2023 answer is not served: 2023 is as big as 2022 and 2024."""
    sizes = {season: len(get(0.05, "/stats/team/season", season=season)) for season in (2022, 2023, 2024)}
    assert max(sizes.values()) - min(sizes.values()) <= 0.1 * min(sizes.values()), sizes
    assert sizes[2023] < 707 / 5


def test_player_season_stats_have_the_real_share_of_players_without_usage() -> None:
    """The real Duke 2023 answer has one player of 15 (a walk-on: one minute, nothing else) with null
    offensive rating, PORPAG and win shares; the replay's blowout walk-ons give about the same share."""

    def null_share(rows: list[dict]) -> dict[str, float]:
        return {
            "PORPAG": sum(r["PORPAG"] is None for r in rows) / len(rows),
            "winShares.total": sum(r["winShares"]["total"] is None for r in rows) / len(rows),
        }

    real_share = null_share(real("stats_player_season__team-Duke_season-2023.json"))
    replay_share = null_share(get(1.0, "/stats/player/season", season=GENERATED, conference="ACC"))
    assert real_share["PORPAG"] > 0
    for figure, share in real_share.items():
        assert replay_share[figure] == pytest.approx(share, abs=0.04), figure
