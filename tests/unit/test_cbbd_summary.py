"""Run summaries: totals across batches, the one-word status, and `meta/latest`."""

from __future__ import annotations

import pytest

from hoops.cbbd import summary
from hoops.lake import LocalLake

SPEC = {"kind": "backfill", "seasons": [2024]}


def fetch(calls, rows, **extra):
    return {
        "calls": calls,
        "planned": calls,
        "completed": calls,
        "rows_bronze": rows,
        "rows_served": rows,
        "rows_duplicate": 1,
        "failed": 0,
        "quota_remaining": 1000 - calls,
        "seconds": 1.5,
        "rows_by_endpoint": {"games": rows},
        "calls_by_endpoint": {"games": calls},
        "deadletters": [],
        **extra,
    }


def results(**extra):
    base = {
        "plan-pass1": {"calls_planned": 7, "deferred_calls": 0, "pending_endpoints": [], "seconds": 0.2},
        "fetch-pass1-batch-0000": fetch(3, 30),
        "fetch-pass1-batch-0001": fetch(4, 40, quota_remaining=990),
        "silver": {"tables": {"fct_games": {"rows": 60, "duplicates_removed": 10}}, "seconds": 2.0},
        "gold": {"tables": {"game_features": {"rows": 120}}, "seconds": 1.0},
        "catalog": {"seconds": 0.1},
        "validate": {"errors": 0, "warnings": 0, "findings": [], "seconds": 0.3},
    }
    base.update(extra)
    return base


def test_totals_add_up_across_batches_and_layers():
    s = summary.assemble("cbbd_backfill", "r1", SPEC, results())
    assert (s["calls_planned"], s["calls_used"], s["quota_remaining"]) == (7, 7, 990)
    assert s["rows_by_endpoint"] == {"games": 70}
    assert s["rows_by_table"] == {"fct_games": 60, "game_features": 120}
    assert s["duplicates"] == {"bronze_exact_repeats": 2, "silver_removed": 10}
    assert s["durations_s"]["fetch"] == 3.0 and s["durations_s"]["silver"] == 2.0
    assert s["status"] == "success" and s["missing_steps"] == []


@pytest.mark.parametrize(
    "change, status",
    [
        ({"fetch-pass1-batch-0001": fetch(4, 40, quota_exhausted=True)}, "incomplete_quota"),
        (
            {"fetch-pass1-batch-0001": fetch(4, 40, failed=2, deadletters=["d1", "d2"])},
            "completed_with_failures",
        ),
        ({"validate": {"errors": 1, "findings": [{"check": "primary_key"}]}}, "invalid"),
        (
            {
                "plan-pass1": {
                    "calls_planned": 7,
                    "deferred": [{"endpoint": "lineups_team", "season": 2024, "calls": 50}],
                    "pending_endpoints": [],
                }
            },
            "incomplete_budget",
        ),
    ],
)
def test_the_status_names_the_most_serious_problem(change, status):
    assert summary.assemble("cbbd_backfill", "r1", SPEC, results(**change))["status"] == status


def test_a_step_that_never_reported_makes_the_run_failed():
    partial = results()
    del partial["gold"]
    s = summary.assemble("cbbd_backfill", "r1", SPEC, partial)
    assert s["status"] == "failed" and s["missing_steps"] == ["gold"]


def test_written_per_run_and_as_the_latest(tmp_path):
    lake = LocalLake(tmp_path)
    first = summary.assemble("cbbd_incremental", "scheduled__2024-01-01", SPEC, results())
    key = summary.write(lake, first)
    assert key == "meta/runs/cbbd_incremental/scheduled__2024-01-01.json"
    second = summary.assemble("cbbd_incremental", "../../etc/passwd", SPEC, results())
    summary.write(lake, second)
    assert summary.latest(lake, "cbbd_incremental")["run_id"] == "../../etc/passwd"
    assert sorted(lake.list("meta/runs/")) == [
        "meta/runs/cbbd_incremental/_._.._etc_passwd.json",
        "meta/runs/cbbd_incremental/scheduled__2024-01-01.json",
    ]
    assert summary.latest(lake, "cbbd_backfill") is None


def test_deferred_calls_of_every_pass_count_and_name_what_is_owed():
    """Pass 1 deferred per-team calls and pass 2 (which re-plans only plays_date) deferred days: both are
    owed, named by endpoint and season; the rest is priced in runs and months."""
    runs = results(
        **{
            "plan-pass1": {
                "calls_planned": 7,
                "endpoints": "all",
                "run_budget": 20,
                "deferred": [
                    {"endpoint": "lineups_team", "season": 2024, "calls": 362, "estimated": True},
                    {"endpoint": "plays_date", "season": 2024, "calls": 9, "estimated": True},
                ],
                "pending_endpoints": ["plays_date"],
            },
            "plan-pass2": {
                "calls_planned": 0,
                "endpoints": ["plays_date"],
                "deferred": [{"endpoint": "plays_date", "season": 2024, "calls": 3}],
                "pending_endpoints": [],
            },
        }
    )
    s = summary.assemble("cbbd_incremental", "r1", SPEC, runs, monthly_quota=1000)
    assert s["status"] == "incomplete_budget" and s["calls_deferred"] == 365
    assert [(o["endpoint"], o["seasons"], o["calls"]) for o in s["owed"]] == [
        ("lineups_team", [2024], 362),
        ("plays_date", [2024], 3),  # pass 2's figure replaces pass 1's estimate
    ]
    assert s["remaining"] == {"calls": 365, "months": 1, "runs": 19}


def test_every_difference_between_planned_and_used_calls_has_a_cause():
    """12 planned: 2 already final, 1 failed, 3 left by the budget, 1 split (+2 halves); and an attempt that
    was killed after 4 calls, which only the durable per-attempt count knows about."""
    batch = fetch(8, 80, planned=12, skipped_final=2, failed=1, unfinished=3, splits=1)
    runs = results(**{"plan-pass1": {"calls_planned": 12}, "fetch-pass1-batch-0000": batch})
    del runs["fetch-pass1-batch-0001"]
    s = summary.assemble("cbbd_backfill", "r1", SPEC, runs, attempts={"a1": 4, "a2": 8})
    assert s["calls_used"] == 12
    assert s["calls_explained"] == {
        "planned": 12,
        "in_batches_that_never_reported": 0,
        "not_asked_already_final": 2,
        "not_asked_failed": 1,
        "not_asked_budget_or_quota": 3,
        "extra_for_cap_splits": 2,
        "made_by_attempts_that_did_not_finish": 4,
        "used": 12,
        "unexplained": 0,
    }


def test_a_batch_that_never_reported_fails_the_run():
    runs = results(**{"plan-pass1": {"calls_planned": 9}})
    s = summary.assemble("cbbd_backfill", "r1", SPEC, runs)
    assert s["status"] == "failed" and s["missing_steps"] == ["fetch (2 planned requests never reported)"]
    assert s["calls_explained"]["in_batches_that_never_reported"] == 2


def test_a_value_json_cannot_hold_is_an_error_not_its_repr(tmp_path):
    s = summary.assemble("cbbd_backfill", "r1", SPEC, results())
    s["oops"] = s.get  # a bound method, as results/plan-*.json once stored
    with pytest.raises(TypeError):
        summary.write(LocalLake(tmp_path), s)
