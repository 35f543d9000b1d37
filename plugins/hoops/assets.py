"""Airflow Assets the DAGs produce, so downstream DAGs (gold refresh) can run when data lands.

Each event carries in its extra what it touched: a BartTorvik load its snapshot date and season, a CBBD
silver build its run's seasons. `seasons_named` reads them back, so gold_refresh rebuilds exactly those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from airflow.sdk import Asset

BT_TEAM_METRICS_DAILY = Asset(
    name="bt_team_metrics_daily", uri="postgres://warehouse/hoops/public/bt_team_metrics_daily"
)

CBBD_SILVER = Asset(name="cbbd_silver", uri="hoops://lake/silver")
CBBD_GOLD = Asset(name="cbbd_gold", uri="hoops://lake/gold")


def bt_extra(day: dt.date) -> dict[str, Any]:
    """The extra of a BartTorvik load event: the snapshot date and its season."""
    from hoops.calendar import season_of

    return {"snapshot_date": day.isoformat(), "seasons": [season_of(day)]}


def silver_extra(seasons: Iterable[int], run_id: str) -> dict[str, Any]:
    """The extra of a CBBD silver event: the seasons the run built."""
    return {"seasons": sorted({int(s) for s in seasons}), "run_id": run_id}


def seasons_named(events: Mapping[Any, Iterable[Any]]) -> list[int]:
    """The seasons the triggering asset events name (`triggering_asset_events` of the run's context).

    An event without seasons in its extra (an older producer, a manual event) names its snapshot date's
    season if it has one, else nothing: never "the current season" by default.
    """
    from hoops.calendar import season_of

    found: set[int] = set()
    for batch in events.values():
        for event in batch:
            extra = getattr(event, "extra", None) or {}
            if extra.get("seasons"):
                found.update(int(s) for s in extra["seasons"])
            elif extra.get("snapshot_date"):
                found.add(season_of(dt.date.fromisoformat(str(extra["snapshot_date"]))))
    return sorted(found)
