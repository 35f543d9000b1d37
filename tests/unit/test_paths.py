"""Lake keys: every builder's key parses back to what built it, and the shapes the readers rely on hold."""

from __future__ import annotations

import datetime as dt

import pytest

from hoops import paths

D = dt.date(2024, 1, 20)


@pytest.mark.parametrize("season", [2024, None])
def test_cbbd_request_keys_round_trip(season):
    raw = paths.cbbd_raw("plays_date", season, D, "abc123")
    bronze = paths.bronze("plays_date", season, D, "abc123")
    dead = paths.cbbd_deadletter("plays_date", season, D, "abc123", "body")
    label = "all" if season is None else str(season)
    assert raw == f"raw/cbbd/plays_date/season={label}/asof=2024-01-20/abc123.json.gz"
    assert bronze == f"bronze/plays_date/season={label}/asof=2024-01-20/part-abc123.parquet"
    assert dead == f"deadletter/cbbd/plays_date/season={label}/asof=2024-01-20/abc123.body"
    for key in (raw, bronze, dead):
        assert paths.season_label(key) == label
        assert paths.season_of_key(key) == season
        assert paths.asof_of_key(key) == D
    assert bronze.startswith(paths.bronze_prefix("plays_date"))
    assert raw.startswith(paths.CBBD_RAW) and not dead.startswith(paths.CBBD_RAW)
    assert bronze.startswith(paths.bronze_prefix("plays_date", 2024)) == (season == 2024)


@pytest.mark.parametrize(
    ("layer", "season"), [("silver", 2023), ("gold", 2024), ("silver", None), ("ref", None)]
)
def test_table_keys_round_trip(layer, season):
    key = paths.table_object(layer, "fct_games", season)
    assert key.startswith(paths.table_prefix(layer, "fct_games", season))
    assert key.endswith("/part-0000.parquet")
    assert paths.table_of(key) == "fct_games"
    assert paths.season_of_key(key) == season
    assert paths.asof_of_key(key) is None


def test_a_table_named_like_a_partition_is_not_read_as_one():
    assert paths.season_of_key("silver/season=2024x/part-0000.parquet") is None
    assert paths.season_of_key("silver/fct_games_season=2024/part-0000.parquet") is None


def test_barttorvik_keys_name_the_date_the_file_and_its_content():
    digest = "0123456789abcdef" * 4
    raw = paths.bt_raw(D, "20240119_team_results.json.gz", digest)
    assert (
        raw
        == "raw/barttorvik/team_results/snapshot_date=2024-01-20/20240119_team_results.json.0123456789ab.gz"
    )
    assert paths.bt_raw(D, "20240119_team_results.json", digest) == raw  # gzipped or not: one object
    dead = paths.bt_deadletter(D, "challenge", digest, "html")
    assert dead == "deadletter/barttorvik/team_results/snapshot_date=2024-01-20/challenge-0123456789ab.html"


def test_run_keys_are_safe_segments_of_free_text():
    assert paths.run_summary("cbbd_backfill", "manual__2024-01-20T05:00:00+00:00") == (
        "meta/runs/cbbd_backfill/manual__2024-01-20T05_00_00+00_00.json"
    )
    assert paths.latest_summary("../x") == "meta/latest/_._x.json"
    assert paths.latest_summary("cbbd_incremental").startswith(paths.LATEST_SUMMARIES)
    assert paths.run_summary("d", "r").startswith(paths.RUN_SUMMARIES)
    assert paths.run_scratch("d", "r/1") == "tmp/runs/d/r_1"
