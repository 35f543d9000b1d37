"""One contract, two checkpoint stores: Postgres (a fresh real database) and DynamoDB (moto)."""

from __future__ import annotations

import datetime as dt

import pytest

from hoops.cbbd.checkpoints import (
    Checkpoint,
    CheckpointConflict,
    DynamoCheckpoints,
    PostgresCheckpoints,
    Quota,
    ensure_table,
    open_checkpoints,
)
from hoops.settings import ConfigError

TABLE = "cbbd_checkpoints_test"
WHEN = dt.datetime(2024, 3, 1, 14, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture
def aws_env(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    return monkeypatch


@pytest.fixture
def dynamo(aws_env, moto_atomic_updates):
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        ensure_table(client, TABLE)
        ensure_table(client, TABLE)  # idempotent
        yield DynamoCheckpoints(table_name=TABLE, client=client)


@pytest.fixture
def postgres(warehouse_dsn):
    from hoops import warehouse

    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    return PostgresCheckpoints()


@pytest.fixture(params=["postgres", "dynamodb"])
def store(request):
    return request.getfixturevalue("dynamo" if request.param == "dynamodb" else request.param)


def cp(param_hash: str = "a1b2c3d4e5f60718", endpoint: str = "plays_date", **kw) -> Checkpoint:
    defaults = dict(
        params={"date": "2024-01-06", "season": 2024, "neutral": True, "team": "Texas A&M"},
        season=2024,
        status="done",
        final=True,
        rows=42,
        raw_key="raw/cbbd/plays_date/asof=2024-04-15/a1b2c3d4e5f60718.json.gz",
        calls=1,
        updated_at=WHEN,
    )
    return Checkpoint(endpoint=endpoint, param_hash=param_hash, **{**defaults, **kw})


def test_round_trip_keeps_params_types_and_the_instant(store):
    stored = store.put(cp(), expected_version=None)
    assert stored.version == 1
    got = store.get("plays_date", "a1b2c3d4e5f60718")
    assert got == stored
    assert got.params == {"date": "2024-01-06", "season": 2024, "neutral": True, "team": "Texas A&M"}
    assert got.updated_at == WHEN and got.updated_at.tzinfo == dt.UTC
    assert store.get("plays_date", "ffffffffffffffff") is None


def test_round_trip_of_empty_optionals(store):
    bare = cp("0000000000000000", endpoint="conferences", params={}, season=None, raw_key=None,
              status="failed", final=False, rows=0)  # fmt: skip
    stored = store.put(bare, expected_version=None)
    assert store.get("conferences", "0000000000000000") == stored
    assert stored.season is None and stored.raw_key is None and stored.params == {}


def test_absent_only_write_conflicts_when_present(store):
    store.put(cp(), expected_version=None)
    with pytest.raises(
        CheckpointConflict, match=r"plays_date/a1b2c3d4e5f60718.*expected it absent.*version 1"
    ):
        store.put(cp(rows=1), expected_version=None)
    assert store.get("plays_date", "a1b2c3d4e5f60718").rows == 42


def test_versions_increment_and_a_stale_version_conflicts(store):
    first = store.put(cp(final=False), expected_version=None)
    second = store.put(cp(final=True, calls=2), expected_version=first.version)
    third = store.put(cp(rows=50, calls=3), expected_version=second.version)
    assert (first.version, second.version, third.version) == (1, 2, 3)
    with pytest.raises(CheckpointConflict, match="expected it at version 2, found it at version 3"):
        store.put(cp(rows=0), expected_version=second.version)
    assert store.get("plays_date", "a1b2c3d4e5f60718") == third


def test_update_of_a_missing_checkpoint_conflicts(store):
    with pytest.raises(CheckpointConflict, match="found it absent"):
        store.put(cp(), expected_version=1)
    assert store.get("plays_date", "a1b2c3d4e5f60718") is None


def test_get_many_across_more_than_one_batch(store):
    hashes = [f"{i:016x}" for i in range(230)]
    for h in hashes[:210]:
        store.put(cp(h, params={"i": int(h, 16)}), expected_version=None)
    keys = [("plays_date", h) for h in hashes] + [("plays_date", hashes[0]), ("games", hashes[1])]
    found = store.get_many(iter(keys))  # any iterable, duplicates and unknown keys included
    assert set(found) == {("plays_date", h) for h in hashes[:210]}
    assert found[("plays_date", hashes[150])].params == {"i": 150}
    assert store.get_many([]) == {}


def test_dynamo_get_many_batches_by_100(dynamo):
    for i in range(250):
        dynamo.put(cp(f"{i:016x}"), expected_version=None)
    calls = []
    real = dynamo.client.batch_get_item

    def spy(**kwargs):
        calls.append(len(kwargs["RequestItems"][TABLE]["Keys"]))
        return real(**kwargs)

    dynamo.client.batch_get_item = spy
    assert len(dynamo.get_many(("plays_date", f"{i:016x}") for i in range(250))) == 250
    assert calls == [100, 100, 50]


def test_done_keys_filters_by_status_finality_and_endpoint(store):
    store.put(cp("1111111111111111", final=True), expected_version=None)
    store.put(cp("2222222222222222", final=False), expected_version=None)
    store.put(cp("3333333333333333", status="failed", final=False), expected_version=None)
    store.put(cp("4444444444444444", endpoint="games", final=True), expected_version=None)
    assert store.done_keys() == {("plays_date", "1111111111111111"), ("games", "4444444444444444")}
    assert store.done_keys("plays_date") == {("plays_date", "1111111111111111")}
    assert store.done_keys("plays_date", final_only=False) == {
        ("plays_date", "1111111111111111"),
        ("plays_date", "2222222222222222"),
    }
    assert store.done_keys("lines") == set()


def test_delete_forgets_so_the_request_runs_again(store):
    store.put(cp(), expected_version=None)
    assert store.delete("plays_date", "a1b2c3d4e5f60718") is True
    assert store.get("plays_date", "a1b2c3d4e5f60718") is None
    assert store.delete("plays_date", "a1b2c3d4e5f60718") is False
    assert store.put(cp(), expected_version=None).version == 1


def test_open_checkpoints_follows_the_setting(aws_env):
    aws_env.delenv("HOOPS_CHECKPOINTS", raising=False)
    assert isinstance(open_checkpoints(), PostgresCheckpoints)
    aws_env.setenv("HOOPS_CHECKPOINTS", "dynamodb")
    aws_env.setenv("CBBD_CHECKPOINT_TABLE", "prod_checkpoints")
    store = open_checkpoints()
    assert isinstance(store, DynamoCheckpoints) and store.table_name == "prod_checkpoints"
    aws_env.setenv("HOOPS_CHECKPOINTS", "sqlite")
    with pytest.raises(ConfigError, match="HOOPS_CHECKPOINTS must be 'postgres' or 'dynamodb', got 'sqlite'"):
        open_checkpoints()


def test_checkpoint_rejects_an_unknown_status():
    with pytest.raises(ValueError, match="status"):
        cp(status="running")


def test_calls_are_counted_per_attempt_and_the_newest_remaining_is_kept(store):
    day = dt.date(2024, 1, 15)
    for remaining in (900, 899, None):
        store.count_call("run-1", "a1", remaining, day)
    store.count_call("run-1", "a2", 897, day)
    store.count_call("run-2", "b1", 850, dt.date(2024, 1, 16))
    assert store.run_calls("run-1") == {"a1": 3, "a2": 1} and store.run_calls("run-3") == {}
    assert store.quota() == Quota(850, dt.date(2024, 1, 16))
    assert store.done_keys() == set() and store.last_reads() == {}  # counters are not checkpoints


def test_concurrent_attempts_never_lose_a_call(store):
    """Four writers add 25 calls each to the same attempt: the atomic increment keeps all 100."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: store.count_call("run", "same", i, dt.date(2024, 1, 15)), range(100)))
    assert store.run_calls("run") == {"same": 100}


def test_last_reads_are_the_run_day_of_answers_that_are_not_final(store):
    store.put(cp("1111111111111111", final=False), expected_version=None)
    store.put(cp("2222222222222222", final=True), expected_version=None)
    store.put(cp("3333333333333333", status="failed", final=False, raw_key=None), expected_version=None)
    assert store.last_reads() == {"plays_date/1111111111111111": dt.date(2024, 4, 15)}
