"""The default budget: a daily share of what the month's quota has left, and what the daily run costs."""

from __future__ import annotations

import datetime as dt

import pytest

from hoops.cbbd import budget, catalog, pipeline
from hoops.cbbd.checkpoints import Quota
from hoops.cbbd.plan import SeasonContext

DAILY = {"games", "games_teams", "games_players", "games_media", "lines", "plays_date"}


def test_the_daily_share_spreads_what_is_left_over_the_days_left():
    seen = Quota(400, dt.date(2024, 1, 20))
    share = budget.daily(dt.date(2024, 1, 21), seen, 1000, 0.1)
    assert share.calls == 32 and "400 calls left" in share.why  # 400 * 0.9 / 11 days (21..31)


def test_before_any_call_this_month_the_quota_is_assumed_spent_evenly():
    last_month = Quota(3, dt.date(2023, 12, 31))  # December's figure says nothing about January
    share = budget.daily(dt.date(2024, 1, 15), last_month, 1000, 0.1)
    assert share.calls == 29 and "548 of the 1000" in share.why  # 1000 * 17/31 left, * 0.9 / 17 days
    assert budget.whole(dt.date(2024, 1, 15), None, 1000, 0.1).calls == 493


def test_a_spent_quota_gives_a_zero_budget_and_the_rest_is_priced_in_months():
    assert budget.daily(dt.date(2024, 1, 30), Quota(0, dt.date(2024, 1, 29)), 1000, 0.1).calls == 0
    assert budget.runs_needed(8_774, 900, 1000) == {"calls": 8_774, "months": 9, "runs": 10}


def _spec(day: str) -> dict:
    today = dt.date(2024, 12, 1)
    return pipeline.validate_params({"date": day}, kind="incremental", logical_date=today, today=today)


@pytest.fixture
def free_tier(monkeypatch):
    monkeypatch.setenv("HOOPS_CBBD_MONTHLY_QUOTA", "1000")
    monkeypatch.delenv("HOOPS_CBBD_RESERVE", raising=False)
    monkeypatch.delenv("HOOPS_CBBD_WINDOW_DAYS", raising=False)


def test_hoops_plan_for_an_in_season_day_costs_at_most_40_calls_with_the_daily_data_whole(free_tier):
    """`hoops plan --incremental --date 2024-01-15` on a first run (no checkpoints, no lake): the daily
    data is planned in full, the slow aggregates are deferred and named."""
    plan = pipeline.preview(_spec("2024-01-15"))
    assert plan.max_calls == 29 and plan.estimated_calls <= 40
    kept = {g.endpoint for g in (*plan.groups, *plan.pending)}
    assert kept >= DAILY and not DAILY & {g.endpoint for g in plan.deferred}
    assert {"lineups_team", "substitutions_team"} <= {g.endpoint for g in plan.deferred}


def test_a_day_whose_weekly_reads_are_fresh_costs_only_the_daily_data(free_tier):
    """Teams known, reference lists final, the weekly endpoints read three days ago: only the window's
    daily data is asked (about 17 calls), well inside the share."""
    day, mode = dt.date(2024, 1, 15), pipeline.mode_of(_spec("2024-01-15"))
    ctx = {2024: SeasonContext(teams=[f"T{i}" for i in range(362)], conferences=[f"C{i}" for i in range(31)])}
    everything = [n for n, e in catalog.ENDPOINTS.items() if e.default_in_plan and n != "games"]
    first = pipeline.planner.plan(mode, everything, contexts=ctx)  # without /games nothing waits for pass 2
    final = {r.key for g in first.groups if g.tier == 0 for r in g.requests}
    recent = {r.key: day - dt.timedelta(days=3) for r in first.requests}
    plan = pipeline.planner.plan(mode, contexts=ctx, done=final, last_read=recent, max_calls=29)
    ratings = {"ratings_adjusted", "ratings_srs", "ratings_elo"}
    assert {g.endpoint for g in (*plan.groups, *plan.pending)} == DAILY | ratings
    assert plan.not_due == 5 + 62 + 724 and not plan.deferred and plan.estimated_calls <= 20
    weekly_again = pipeline.planner.plan(
        mode, contexts=ctx, done=final, last_read={k: day - dt.timedelta(days=7) for k in recent}
    )
    assert weekly_again.not_due == 0  # a week later they are due again


def test_an_off_season_day_asks_nothing_but_missing_reference_lists(free_tier):
    plan = pipeline.preview(_spec("2024-07-15"))
    assert {g.tier for g in (*plan.groups, *plan.pending)} == {0} and plan.estimated_calls == 8
