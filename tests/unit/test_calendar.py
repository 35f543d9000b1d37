from __future__ import annotations

import datetime as dt

import pytest

from hoops.barttorvik.calendar import in_season, season_of, source_for


@pytest.mark.parametrize(
    ("day", "season"),
    [
        (dt.date(2025, 11, 10), 2026),
        (dt.date(2026, 3, 17), 2026),
        (dt.date(2026, 6, 30), 2026),
        (dt.date(2026, 7, 1), 2027),
        (dt.date(2020, 1, 1), 2020),
    ],
)
def test_season_is_named_by_its_spring_year(day, season):
    assert season_of(day) == season


def test_season_window():
    assert in_season(dt.date(2019, 11, 5)) and in_season(dt.date(2020, 4, 6))
    assert not in_season(dt.date(2020, 7, 4)) and not in_season(dt.date(2019, 10, 31))


def test_today_reads_the_live_file_and_a_past_date_the_time_machine_file_of_the_day_before():
    today = dt.date(2026, 1, 10)
    live = source_for(today, today)
    assert (live.kind, live.path) == ("live", "2026_team_results.json")
    past = source_for(dt.date(2020, 3, 13), today)
    assert past.kind == "timemachine"
    assert past.url("https://barttorvik.com/") == (
        "https://barttorvik.com/timemachine/team_results/20200312_team_results.json.gz"
    )
    assert past.file_date == dt.date(2020, 3, 12)
    with pytest.raises(ValueError, match="future"):
        source_for(dt.date(2026, 1, 11), today)
