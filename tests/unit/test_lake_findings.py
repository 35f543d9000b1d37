"""Null-rate findings against neighbouring seasons: a column that went missing is an error, a field that
only later seasons have (the API added it, like Elo on /games from 2024 in the replay) is a warning."""

from __future__ import annotations

from hoops.checks.findings import count_findings

FULL = (100, {"home_points": 100, "home_elo_start": 100})
NO_ELO = (100, {"home_points": 100, "home_elo_start": 0})
NO_POINTS = (100, {"home_points": 0, "home_elo_start": 100})


def levels(by_season, seasons):
    return [
        (f.level, f.message.split(":")[0], f.message.split()[3])
        for f in count_findings("fct_games", by_season, 2030, seasons)
    ]


def test_a_field_only_later_seasons_have_is_a_warning():
    assert levels({2022: NO_ELO, 2023: NO_ELO, 2024: FULL}, [2023]) == [
        ("warning", "season 2023", "home_elo_start")
    ]
    assert levels({2023: NO_ELO, 2024: FULL}, [2023]) == [("warning", "season 2023", "home_elo_start")]


def test_a_column_the_season_before_had_is_an_error():
    assert levels({2022: FULL, 2023: NO_POINTS, 2024: FULL}, [2023]) == [
        ("error", "season 2023", "home_points")
    ]
    assert levels({2022: FULL, 2023: NO_ELO}, [2023]) == [("error", "season 2023", "home_elo_start")]
