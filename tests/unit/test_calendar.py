from __future__ import annotations

import datetime as dt
import json

import pytest

from devkit.samples import samples_dir
from hoops.barttorvik.sources import source_for
from hoops.calendar import (
    bt_snapshot_window,
    cbbd_season_window,
    in_bt_snapshot_window,
    new_york_day,
    season_of,
)

SAMPLES = samples_dir()


@pytest.mark.parametrize(
    ("day", "season"),
    [
        (dt.date(2025, 11, 10), 2026),
        (dt.date(2026, 3, 17), 2026),
        (dt.date(2026, 6, 30), 2026),
        (dt.date(2026, 7, 1), 2027),
        (dt.date(2020, 1, 1), 2020),
        (dt.date(2014, 11, 13), 2015),  # barttorvik.md: the 2014-15 season is "2015"
    ],
)
def test_season_is_named_by_its_spring_year(day, season):
    assert season_of(day) == season


def test_bt_snapshot_window():
    assert in_bt_snapshot_window(dt.date(2019, 11, 5)) and in_bt_snapshot_window(dt.date(2020, 4, 6))
    assert in_bt_snapshot_window(dt.date(2020, 4, 15)) and not in_bt_snapshot_window(dt.date(2020, 4, 16))
    assert not in_bt_snapshot_window(dt.date(2020, 7, 4)) and not in_bt_snapshot_window(dt.date(2019, 10, 31))
    assert bt_snapshot_window(2024) == (dt.date(2023, 11, 1), dt.date(2024, 4, 15))


def test_cbbd_sweep_ends_before_the_snapshots_and_both_cover_the_title_game():
    """2023's final tipped 2023-04-03 21:20 in New York (04-04 in UTC): the sweep reads its UTC day, and the
    snapshot of the next morning (built from the file dated 04-03) is in BartTorvik's window."""
    start, end = cbbd_season_window(2023)
    assert (start, end) == (dt.date(2022, 11, 1), dt.date(2023, 4, 10))
    assert start <= dt.date(2023, 4, 4) <= end
    assert end < bt_snapshot_window(2023)[1] and in_bt_snapshot_window(dt.date(2023, 4, 4))


def test_every_real_time_machine_sample_serves_a_snapshot_inside_the_window():
    files = sorted((SAMPLES / "barttorvik" / "timemachine").glob("*_team_results.json*"))
    assert len(files) >= 6
    for path in files:
        snapshot = dt.datetime.strptime(path.name[:8], "%Y%m%d").date() + dt.timedelta(days=1)
        assert in_bt_snapshot_window(snapshot), path.name
        assert source_for(snapshot, dt.date(2026, 1, 10)).file_name == path.name.removesuffix(".gz") + ".gz"


def test_every_real_cbbd_game_falls_in_its_season_and_sweep_window():
    games = json.loads((SAMPLES / "cbbd" / "games__team-Duke_season-2023.json").read_text())
    start, end = cbbd_season_window(2023)
    for game in games:
        utc = dt.datetime.fromisoformat(game["startDate"].replace("Z", "+00:00"))
        assert season_of(new_york_day(utc)) == game["season"] == 2023
        assert start <= utc.date() <= end


def test_new_york_day_follows_daylight_saving():
    assert new_york_day(dt.datetime(2024, 1, 20, 4, 59, tzinfo=dt.UTC)) == dt.date(2024, 1, 19)  # EST
    assert new_york_day(dt.datetime(2024, 1, 20, 5, 0, tzinfo=dt.UTC)) == dt.date(2024, 1, 20)
    assert new_york_day(dt.datetime(2024, 3, 20, 3, 59, tzinfo=dt.UTC)) == dt.date(2024, 3, 19)  # EDT
    assert new_york_day(dt.datetime(2024, 3, 20, 4, 0, tzinfo=dt.UTC)) == dt.date(2024, 3, 20)


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
