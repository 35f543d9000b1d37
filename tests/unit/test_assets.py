"""What gold_refresh rebuilds: the seasons its triggering asset events name, never a default season."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from hoops.assets import BT_TEAM_METRICS_DAILY, CBBD_SILVER, bt_extra, seasons_named, silver_extra


def event(extra):
    return SimpleNamespace(extra=extra)


def test_a_snapshot_date_names_its_season_and_silver_names_the_runs_seasons():
    events = {
        BT_TEAM_METRICS_DAILY: [
            event(bt_extra(dt.date(2020, 3, 12))),
            event(bt_extra(dt.date(2025, 11, 10))),
        ],
        CBBD_SILVER: [event(silver_extra([2019, 2020, 2019], "manual__1"))],
    }
    assert seasons_named(events) == [2019, 2020, 2026]


def test_events_without_seasons_name_nothing_not_the_current_season():
    assert seasons_named({CBBD_SILVER: [event({}), event(None)]}) == []
    assert seasons_named({}) == []


def test_an_older_bartorvik_event_with_only_its_date_still_names_its_season():
    assert seasons_named({BT_TEAM_METRICS_DAILY: [event({"snapshot_date": "2024-01-05"})]}) == [2024]
