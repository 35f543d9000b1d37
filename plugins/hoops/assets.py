"""Airflow Assets the DAGs produce, so downstream DAGs (gold refresh) can run when data lands."""

from __future__ import annotations

from airflow.sdk import Asset

BT_TEAM_METRICS_DAILY = Asset(
    name="bt_team_metrics_daily", uri="postgres://warehouse/hoops/public/bt_team_metrics_daily"
)

CBBD_SILVER = Asset(name="cbbd_silver", uri="hoops://lake/silver")
CBBD_GOLD = Asset(name="cbbd_gold", uri="hoops://lake/gold")
