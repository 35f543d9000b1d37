"""Seasons and the New York day, for both sources.

A season is named by its spring year at both sources (BartTorvik's 2014-15 is "2015"; CBBD's
`season=2026` is 2025-26), and a day is a New York calendar day. The two windows differ on purpose:
the CBBD sweep covers the games (openers in the first week of November to the title game in the first
week of April, whose late tip is already the next day in UTC); BartTorvik keeps snapshots a few days
longer, so the ratings after the title game are stored too.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

NEW_YORK = "America/New_York"
SEASON_OPENS = (11, 1)
CBBD_SWEEP_ENDS = (4, 10)
BT_SNAPSHOTS_END = (4, 15)


def new_york_day(moment: dt.datetime) -> dt.date:
    """The New York calendar day of an aware moment (a run's logical date is in UTC)."""
    return moment.astimezone(ZoneInfo(NEW_YORK)).date()


def season_of(day: dt.date) -> int:
    """The season is named by its spring year: 2025-11-10 belongs to 2026."""
    return day.year + 1 if day.month >= 7 else day.year


def _window(season: int, ends: tuple[int, int]) -> tuple[dt.date, dt.date]:
    return dt.date(season - 1, *SEASON_OPENS), dt.date(season, *ends)


def cbbd_season_window(season: int) -> tuple[dt.date, dt.date]:
    """The days a CBBD date sweep covers: Nov 1 of the autumn to Apr 10 of the spring, both inclusive."""
    return _window(season, CBBD_SWEEP_ENDS)


def bt_snapshot_window(season: int) -> tuple[dt.date, dt.date]:
    """The snapshot dates BartTorvik loads: Nov 1 to Apr 15, both inclusive; other dates are SKIPPED."""
    return _window(season, BT_SNAPSHOTS_END)


def in_bt_snapshot_window(day: dt.date) -> bool:
    start, end = bt_snapshot_window(season_of(day))
    return start <= day <= end
