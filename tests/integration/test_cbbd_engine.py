"""The CBBD engine against the replay server: raw + bronze per request, cap splitting, quota stop and resume,
idempotent reruns, and the API key never written anywhere."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import itertools
import json
import logging

import pyarrow.parquet as pq
import pytest

from devkit.replay import ReplayServer
from hoops.cbbd import catalog
from hoops.cbbd.checkpoints import PostgresCheckpoints
from hoops.cbbd.client import ApiClient
from hoops.cbbd.engine import Fetcher, QuotaStop, split_window
from hoops.cbbd.request import Request
from hoops.lake import open_lake

FAKE_KEY = "hoops-test-key-9f8e7d6c5b4a"
ASOF = dt.date(2024, 4, 15)
SEASON = 2024


def never_final(req, asof):
    return False


def always_final(req, asof):
    return True


@pytest.fixture
def cbbd_replay():
    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=FAKE_KEY) as server:
        yield server


@pytest.fixture
def store(warehouse_dsn):
    from hoops import warehouse

    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    return PostgresCheckpoints()


def fetch(
    server, lake_root, store, requests, *, is_final=always_final, rps=1000.0, concurrency=3, max_calls=None
):
    async def go():
        async with ApiClient(
            base_url=server.base_url,
            api_key=FAKE_KEY,
            concurrency=concurrency,
            rate=rps,
            backoff_base_s=0.001,
        ) as client:
            fetcher = Fetcher(
                client,
                open_lake(lake_root.as_uri()),
                store,
                asof=ASOF,
                run_id="test",
                is_final=is_final,
                max_calls=max_calls,
            )
            return await fetcher.run(requests)

    return asyncio.run(go())


def objects(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def bronze_rows(root, endpoint):
    return sum(pq.read_table(p).num_rows for p in (root / "bronze" / endpoint).rglob("*.parquet"))


def season_requests():
    """One request per endpoint family the plan uses for a season (a small, complete sweep)."""
    window = {
        "season": SEASON,
        "startDateRange": "2023-11-01T00:00:00.000Z",
        "endDateRange": "2024-04-10T23:59:59.999Z",
    }
    reqs = [Request.of(name) for name in ("conferences", "venues", "plays_types", "lines_providers")]
    reqs += [Request.of(name, {"season": SEASON}) for name in ("ratings_adjusted", "ratings_srs", "rankings")]
    reqs += [Request.of(name, window) for name in ("games", "games_teams", "lines", "games_media")]
    reqs += [Request.of("plays_date", {"date": f"2024-01-{d:02d}"}, season=SEASON) for d in (6, 13)]
    return reqs


def test_a_season_sweep_writes_raw_and_bronze_and_a_rerun_makes_no_call(cbbd_replay, lake_root, store):
    reqs = season_requests()
    stats = fetch(cbbd_replay, lake_root, store, reqs)
    assert stats.failed == 0 and stats.completed >= len(reqs)
    for req in reqs:
        assert (lake_root / "raw" / "cbbd" / req.endpoint).is_dir(), req.endpoint
        assert (lake_root / "bronze" / req.endpoint).is_dir(), req.endpoint
    assert stats.rows_bronze == stats.rows_served  # every row the server sent is in bronze
    assert sum(stats.rows_by_endpoint.values()) == sum(
        bronze_rows(lake_root, ep) for ep in stats.rows_by_endpoint
    )

    before, served = objects(lake_root), cbbd_replay.cbbd.calls_used
    again = fetch(cbbd_replay, lake_root, store, reqs)
    assert again.calls == 0 and again.skipped_final == len(reqs)
    assert cbbd_replay.cbbd.calls_used == served and objects(lake_root) == before


def test_a_budget_equal_to_the_requests_is_not_reported_as_exhausted(cbbd_replay, lake_root, store):
    """Three workers, a budget of exactly the batch: every request answered and no `budget_exhausted`
    (a call being stored was once counted both as made and as in flight, flagging a full batch short)."""
    reqs = season_requests()
    stats = fetch(cbbd_replay, lake_root, store, reqs, concurrency=3, max_calls=len(reqs))
    assert stats.calls == len(reqs) and stats.unfinished == 0 and not stats.budget_exhausted


@pytest.mark.parametrize("wire_gzip", [True, False], ids=["gzip-on-the-wire", "plain-on-the-wire"])
def test_zcat_reads_every_raw_object_back_to_the_body_as_served(wire_gzip, lake_root, store):
    """Raw keeps the wire's gzip bytes when the server sends gzip, else gzips the body: either way every
    object is a complete gzip file whose contents are the body (its sha256 is in the meta file)."""
    import hashlib
    import subprocess

    with ReplayServer(cbbd_scale=0.03, cbbd_api_key=FAKE_KEY, prerender=wire_gzip) as server:
        stats = fetch(server, lake_root, store, season_requests())
    assert stats.failed == 0 and stats.rows_bronze > 0
    raws = sorted((lake_root / "raw").rglob("*.json.gz"))
    assert len(raws) == stats.calls
    for path in raws:
        body = subprocess.run(["zcat", str(path)], capture_output=True, check=True).stdout
        meta = json.loads(path.with_name(path.name.removesuffix(".json.gz") + ".meta.json").read_text())
        assert hashlib.sha256(body).hexdigest() == meta["sha256"] and len(body) == meta["bytes"], path.name
        assert (path.read_bytes() == gzip.compress(body, compresslevel=6, mtime=0)) == wire_gzip, path.name


def test_a_window_at_the_row_cap_is_split_until_complete(lake_root, store):
    with ReplayServer(cbbd_scale=1.0, cbbd_api_key=FAKE_KEY) as server:  # ~6,000 games: /games caps at 3,000
        whole = Request.of(
            "games",
            {
                "season": SEASON,
                "startDateRange": "2023-11-01T00:00:00.000Z",
                "endDateRange": "2024-04-10T23:59:59.999Z",
            },
        )
        stats = fetch(server, lake_root, store, [whole])
        before = objects(lake_root)
        again = fetch(server, lake_root, store, [whole])  # the parent is known as split: only its halves
        assert again.calls == 0 and again.skipped_final == stats.completed and objects(lake_root) == before
    assert stats.splits >= 1
    ids = [
        i
        for p in (lake_root / "bronze" / "games").rglob("*.parquet")
        for i in pq.read_table(p)["id"].to_pylist()
    ]
    assert len(ids) == len(set(ids)) and len(ids) > catalog.get("games").row_cap


def test_the_call_budget_holds_even_when_splits_add_calls_and_the_next_run_finishes(lake_root, store):
    with ReplayServer(cbbd_scale=1.0, cbbd_api_key=FAKE_KEY) as server:
        whole = Request.of(
            "games",
            {
                "season": SEASON,
                "startDateRange": "2023-11-01T00:00:00.000Z",
                "endDateRange": "2024-04-10T23:59:59.999Z",
            },
        )
        capped = fetch(server, lake_root, store, [whole], concurrency=1, max_calls=2)
        assert capped.calls == 2 and capped.budget_exhausted and capped.unfinished >= 1
        rest = fetch(server, lake_root, store, [whole])
        clean = fetch(server, lake_root, store, [whole])
    assert rest.calls >= 1 and clean.calls == 0
    ids = [
        i
        for p in (lake_root / "bronze" / "games").rglob("*.parquet")
        for i in pq.read_table(p)["id"].to_pylist()
    ]
    assert len(ids) == len(set(ids)) > catalog.get("games").row_cap


def test_split_windows_cover_the_same_instants_without_overlap():
    req = Request.of("games", {"startDateRange": "2023-11-01", "endDateRange": "2023-11-30"})
    left, right = split_window(req)
    assert left.param_dict["startDateRange"] == "2023-11-01T00:00:00.000Z"
    assert right.param_dict["endDateRange"] == "2023-11-30T23:59:59.999Z"
    end_left = dt.datetime.fromisoformat(left.param_dict["endDateRange"].replace("Z", "+00:00"))
    start_right = dt.datetime.fromisoformat(right.param_dict["startDateRange"].replace("Z", "+00:00"))
    assert start_right - end_left == dt.timedelta(milliseconds=1)


def test_quota_exhaustion_stops_cleanly_and_the_next_run_resumes_without_refetching(
    cbbd_replay, lake_root, store
):
    reqs = season_requests()
    cbbd_replay.cbbd.set_quota(5)
    with pytest.raises(QuotaStop, match="monthly call quota exceeded") as stop:
        fetch(cbbd_replay, lake_root, store, reqs, concurrency=1)
    first = stop.value.stats
    assert first.quota_exhausted and first.calls == 5 and first.unfinished == len(reqs) - 5

    cbbd_replay.cbbd.set_quota(1000)
    second = fetch(cbbd_replay, lake_root, store, reqs)
    assert second.skipped_final == 5 and second.calls == len(reqs) - 5
    paths = [r.path for r in cbbd_replay.requests if r.status == 200]
    assert len(paths) == len(set(paths)) == len(reqs)  # nothing fetched twice, nothing missing


def test_the_api_key_is_never_written_or_logged(cbbd_replay, lake_root, store, caplog):
    caplog.set_level(logging.DEBUG)
    cbbd_replay.set_fault("5xx", times=50, path_contains="/venues")
    reqs = [Request.of("conferences"), Request.of("venues")]
    stats = fetch(cbbd_replay, lake_root, store, reqs, is_final=never_final)
    assert stats.failed == 1 and stats.deadletters
    cbbd_replay.set_fault("quota")
    with pytest.raises(QuotaStop) as stop:
        fetch(cbbd_replay, lake_root, store, [Request.of("plays_types")])
    texts = [caplog.text, str(stop.value), repr(stop.value.stats.to_dict()), json.dumps(stats.to_dict())]
    for name, data in objects(lake_root).items():  # every object, decompressed, Parquet included
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        elif name.endswith(".parquet"):
            data = str(pq.read_table(lake_root / name).to_pylist()).encode()
        texts.append(data.decode("utf-8", "replace"))
    assert all(FAKE_KEY not in t for t in texts)


def test_a_fetch_logs_progress_at_least_every_tenth_with_calls_rows_quota_and_eta(
    cbbd_replay, lake_root, store, caplog
):
    """A fetch task's log shows it working (issue 12): a `progress` line per 10% of the batch at least,
    each with calls, rows, rate, quota left and ETA, and never the key."""
    reqs = [Request.of("plays_date", {"date": f"2024-01-{d:02d}"}, season=SEASON) for d in range(1, 21)]
    with caplog.at_level(logging.INFO, logger="hoops.cbbd.engine"):
        stats = fetch(cbbd_replay, lake_root, store, reqs, concurrency=1)
    lines = [json.loads(r.getMessage()) for r in caplog.records if '"event": "progress"' in r.getMessage()]
    assert stats.completed == 20 and len(lines) >= 10
    assert [line["done"] for line in lines] == sorted(line["done"] for line in lines)
    assert max(b["done"] - a["done"] for a, b in itertools.pairwise(lines)) <= 2  # 10% of 20
    assert lines[-1]["done"] == lines[-1]["planned"] == 20 and lines[-1]["left"] == 0
    for line in lines:
        assert {"calls", "rows", "quota_left", "rate_per_s", "eta_s"} <= line.keys()
    assert lines[-1]["rows"] == stats.rows_bronze > 0
    assert FAKE_KEY not in caplog.text
