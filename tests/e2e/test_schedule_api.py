"""The schedules as the API shows them: New York's zone, and the next run at 06:30 / 05:00 New York time
in winter and in summer (checked on the DAGs' own timetables with fixed dates, no clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.xdist_group("e2e-stack")  # one worker runs them all: one stack

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("dag_id", "at"), [("barttorvik_daily", "06:30"), ("cbbd_incremental", "05:00")])
def test_the_api_shows_the_new_york_schedule(stack, dag_id, at):
    details = stack.api.get(f"/dags/{dag_id}/details")
    assert details["timezone"] == "America/New_York"
    after = dt.datetime.fromisoformat(details["next_dagrun_run_after"].replace("Z", "+00:00"))
    assert after.astimezone(NY).strftime("%H:%M") == at


@pytest.mark.parametrize(("dag_id", "at"), [("barttorvik_daily", "06:30"), ("cbbd_incremental", "05:00")])
@pytest.mark.parametrize(("day", "utc_offset"), [(dt.date(2026, 1, 15), -5), (dt.date(2026, 7, 15), -4)])
def test_next_dagrun_is_new_york_time_in_winter_and_summer(dagbag, dag_id, at, day, utc_offset):
    """The timetable the scheduler uses, asked for the run after a fixed instant (midnight New York)."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    core = coerce_to_core_timetable(dagbag.get_dag(dag_id).timetable)
    midnight = dt.datetime.combine(day, dt.time(0, 0), NY).astimezone(dt.UTC)
    info = core.next_dagrun_info(
        last_automated_data_interval=DataInterval(midnight, midnight),
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
    )
    local = info.run_after.astimezone(NY)
    assert (local.date(), local.strftime("%H:%M")) == (day, at)
    assert local.utcoffset() == dt.timedelta(hours=utc_offset)
