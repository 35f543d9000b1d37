"""Which CBBD requests are done, keyed by (endpoint, param_hash): Postgres locally, DynamoDB in AWS.

A checkpoint marked `final` is never fetched again, which is what keeps a season's backfill from spending
the monthly quota twice. Writes are conditional on the version the writer read (optimistic locking), so two
workers or two runs can never silently overwrite each other: the loser gets `CheckpointConflict`,
re-reads and decides again.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from hoops import paths, settings, warehouse

Key = tuple[str, str]  # (endpoint, param_hash)
Status = Literal["done", "split", "failed"]  # split: answered at the row cap, asked again as two halves

DEFAULT_TABLE = "cbbd_checkpoints"
BATCH_GET_LIMIT = 100  # DynamoDB BatchGetItem takes at most 100 keys


class CheckpointConflict(RuntimeError):
    """A conditional write lost: the checkpoint was created or changed since the writer read it."""


STATUSES = ("done", "split", "failed")


@dataclass(frozen=True)
class Quota:
    """The last X-CallLimit-Remaining the API sent, and the run day it was seen on."""

    remaining: int
    seen_on: dt.date


@dataclass(frozen=True)
class Checkpoint:
    endpoint: str
    param_hash: str
    params: dict[str, Any] = field(default_factory=dict)
    season: int | None = None
    status: Status = "done"
    final: bool = False  # finished season / past date outside the rolling window: never re-fetched
    rows: int = 0
    raw_key: str | None = None
    calls: int = 0
    updated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    version: int = 0  # 0 = never stored; each successful put stores the next number

    @property
    def key(self) -> Key:
        return self.endpoint, self.param_hash

    @property
    def read_on(self) -> dt.date | None:
        """The run day (`asof`) of the stored answer, from its raw key: what cadences are measured by."""
        return paths.asof_of_key(self.raw_key or "")

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"checkpoint status must be one of {STATUSES}, got {self.status!r}")


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _conflict(cp: Checkpoint, expected: int | None, current: Checkpoint | None) -> CheckpointConflict:
    found = "absent" if current is None else f"at version {current.version}"
    wanted = "absent" if expected is None else f"at version {expected}"
    return CheckpointConflict(
        f"checkpoint {cp.endpoint}/{cp.param_hash} changed concurrently: expected it {wanted}, "
        f"found it {found}; re-read it and retry"
    )


class CheckpointStore(Protocol):
    def get(self, endpoint: str, param_hash: str) -> Checkpoint | None: ...

    def get_many(self, keys: Iterable[Key]) -> dict[Key, Checkpoint]: ...

    def put(self, cp: Checkpoint, expected_version: int | None) -> Checkpoint:
        """Write only if absent (`expected_version=None`) or still at `expected_version`; return the
        stored checkpoint with its new version, or raise `CheckpointConflict`."""
        ...

    def done_keys(self, endpoint: str | None = None, *, final_only: bool = True) -> set[Key]: ...

    def delete(self, endpoint: str, param_hash: str) -> bool: ...

    def last_reads(self) -> dict[str, dt.date]:
        """`endpoint/param_hash` -> run day of the answer, for successful requests that are not final."""
        ...

    def count_call(self, run_id: str, attempt: str, remaining: int | None, seen_on: dt.date) -> None:
        """Add one call to the run's attempt, durably, as soon as it is answered."""
        ...

    def run_calls(self, run_id: str) -> dict[str, int]:
        """Calls made by each attempt of the run (killed attempts included)."""
        ...

    def quota(self) -> Quota | None: ...


# --- Postgres ------------------------------------------------------------------------------------------

_COLUMNS = "endpoint, param_hash, params, season, status, final, rows, raw_key, calls, updated_at, version"
_PLACEHOLDERS = ", ".join(["%s"] * len(_COLUMNS.split(",")))


def _from_row(row: tuple) -> Checkpoint:
    endpoint, param_hash, params, season, status, final, rows, raw_key, calls, updated_at, version = row
    return Checkpoint(
        endpoint, param_hash, params, season, status, final, rows, raw_key, calls, _utc(updated_at), version
    )


class PostgresCheckpoints:
    """Table `cbbd_checkpoints` (migration 002). One short connection per call: nothing to leak between
    Airflow tasks, and each conditional write is a single atomic statement."""

    def __init__(self, dsn: str | None = None):
        self._dsn = dsn

    def __repr__(self) -> str:
        return "PostgresCheckpoints()"

    def _connect(self):
        if self._dsn is None:
            self._dsn = warehouse.dsn()
        return warehouse.connect(self._dsn)

    def get(self, endpoint: str, param_hash: str) -> Checkpoint | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM cbbd_checkpoints WHERE endpoint = %s AND param_hash = %s",
                (endpoint, param_hash),
            ).fetchone()
        return _from_row(row) if row else None

    def get_many(self, keys: Iterable[Key]) -> dict[Key, Checkpoint]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM cbbd_checkpoints"
                " WHERE (endpoint, param_hash) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                ([e for e, _ in wanted], [h for _, h in wanted]),
            ).fetchall()
        return {cp.key: cp for cp in map(_from_row, rows)}

    def put(self, cp: Checkpoint, expected_version: int | None) -> Checkpoint:
        from psycopg.types.json import Jsonb

        stored = replace(cp, updated_at=_utc(cp.updated_at), version=(expected_version or 0) + 1)
        values = (
            Jsonb(stored.params), stored.season, stored.status, stored.final, stored.rows,
            stored.raw_key, stored.calls, stored.updated_at, stored.version,
        )  # fmt: skip
        with self._connect() as conn:
            if expected_version is None:
                cur = conn.execute(
                    f"INSERT INTO cbbd_checkpoints ({_COLUMNS}) VALUES ({_PLACEHOLDERS})"
                    " ON CONFLICT (endpoint, param_hash) DO NOTHING",
                    (cp.endpoint, cp.param_hash, *values),
                )
            else:
                cur = conn.execute(
                    "UPDATE cbbd_checkpoints SET params = %s, season = %s, status = %s, final = %s,"
                    " rows = %s, raw_key = %s, calls = %s, updated_at = %s, version = %s"
                    " WHERE endpoint = %s AND param_hash = %s AND version = %s",
                    (*values, cp.endpoint, cp.param_hash, expected_version),
                )
            written = cur.rowcount == 1
        if not written:
            raise _conflict(cp, expected_version, self.get(cp.endpoint, cp.param_hash))
        return stored

    def done_keys(self, endpoint: str | None = None, *, final_only: bool = True) -> set[Key]:
        """Keys of successful requests (by default only final ones: what the planner must not ask again)."""
        sql = "SELECT endpoint, param_hash FROM cbbd_checkpoints WHERE status = 'done'"
        args: list[Any] = []
        if final_only:
            sql += " AND final"
        if endpoint is not None:
            sql += " AND endpoint = %s"
            args.append(endpoint)
        with self._connect() as conn:
            return {(e, h) for e, h in conn.execute(sql, args)}

    def delete(self, endpoint: str, param_hash: str) -> bool:
        with self._connect() as conn:
            cur = conn.execute(
                "DELETE FROM cbbd_checkpoints WHERE endpoint = %s AND param_hash = %s", (endpoint, param_hash)
            )
            return cur.rowcount == 1

    def last_reads(self) -> dict[str, dt.date]:
        sql = "SELECT endpoint, param_hash, raw_key FROM cbbd_checkpoints WHERE status = 'done' AND NOT final"
        with self._connect() as conn:
            found = [Checkpoint(e, h, raw_key=k) for e, h, k in conn.execute(sql)]
        return {f"{cp.endpoint}/{cp.param_hash}": cp.read_on for cp in found if cp.read_on}

    def count_call(self, run_id: str, attempt: str, remaining: int | None, seen_on: dt.date) -> None:
        with self._connect() as conn:  # one atomic upsert: concurrent attempts never lose a call
            conn.execute(
                "INSERT INTO cbbd_calls (run_id, attempt, calls, remaining, seen_on)"
                " VALUES (%s, %s, 1, %s, %s)"
                " ON CONFLICT (run_id, attempt) DO UPDATE SET calls = cbbd_calls.calls + 1,"
                " remaining = COALESCE(EXCLUDED.remaining, cbbd_calls.remaining), seen_on = EXCLUDED.seen_on,"
                " updated_at = now()",
                (run_id, attempt, remaining, seen_on),
            )

    def run_calls(self, run_id: str) -> dict[str, int]:
        with self._connect() as conn:
            rows = conn.execute("SELECT attempt, calls FROM cbbd_calls WHERE run_id = %s", (run_id,))
            return dict(rows.fetchall())

    def quota(self) -> Quota | None:
        with self._connect() as conn:  # within a day the lowest value is the newest
            row = conn.execute(
                "SELECT remaining, seen_on FROM cbbd_calls WHERE remaining IS NOT NULL"
                " ORDER BY seen_on DESC, remaining ASC LIMIT 1"
            ).fetchone()
        return Quota(row[0], row[1]) if row else None


# --- DynamoDB ------------------------------------------------------------------------------------------
#
# Item layout: partition key `pk` = endpoint, sort key `sk` = param_hash (both strings), so one endpoint's
# checkpoints are one Query. Other attributes: params (S, canonical JSON: exact types, no Decimal
# round-trip), season (N, absent when None), status (S), final (BOOL), rows (N), raw_key (S, absent when
# None), calls (N), updated_at (S, ISO-8601 UTC), version (N). The table comes from Terraform.


def _to_item(cp: Checkpoint) -> dict[str, dict[str, Any]]:
    item: dict[str, dict[str, Any]] = {
        "pk": {"S": cp.endpoint},
        "sk": {"S": cp.param_hash},
        "params": {"S": json.dumps(cp.params, sort_keys=True, separators=(",", ":"))},
        "status": {"S": cp.status},
        "final": {"BOOL": bool(cp.final)},
        "rows": {"N": str(int(cp.rows))},
        "calls": {"N": str(int(cp.calls))},
        "updated_at": {"S": _utc(cp.updated_at).isoformat()},
        "version": {"N": str(int(cp.version))},
    }
    if cp.season is not None:
        item["season"] = {"N": str(int(cp.season))}
    if cp.raw_key is not None:
        item["raw_key"] = {"S": cp.raw_key}
    return item


def _from_item(item: dict[str, dict[str, Any]]) -> Checkpoint:
    return Checkpoint(
        endpoint=item["pk"]["S"],
        param_hash=item["sk"]["S"],
        params=json.loads(item["params"]["S"]),
        season=int(item["season"]["N"]) if "season" in item else None,
        status=item["status"]["S"],
        final=item["final"]["BOOL"],
        rows=int(item["rows"]["N"]),
        raw_key=item["raw_key"]["S"] if "raw_key" in item else None,
        calls=int(item["calls"]["N"]),
        updated_at=_utc(dt.datetime.fromisoformat(item["updated_at"]["S"])),
        version=int(item["version"]["N"]),
    )


def _key(endpoint: str, param_hash: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": endpoint}, "sk": {"S": param_hash}}


class DynamoCheckpoints:
    """DynamoDB table (env `CBBD_CHECKPOINT_TABLE`, default `cbbd_checkpoints`); reads are strongly
    consistent so a conditional write always starts from the latest version."""

    def __init__(self, table_name: str | None = None, client: Any = None):
        self.table_name = table_name or settings.checkpoint_table()
        self._client = client

    def __repr__(self) -> str:
        return f"DynamoCheckpoints(table_name={self.table_name!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

            # credentials as for Glue and Athena: the connection aws_default, else boto3's chain. A plain
            # client: DynamoDBHook's is a resource's, which would serialize the typed items a second time.
            hook = AwsBaseHook(
                aws_conn_id=settings.AWS_CONN_ID, client_type="dynamodb", region_name=settings.aws_region()
            )
            self._client = hook.conn
        return self._client

    def get(self, endpoint: str, param_hash: str) -> Checkpoint | None:
        found = self.client.get_item(
            TableName=self.table_name, Key=_key(endpoint, param_hash), ConsistentRead=True
        )
        return _from_item(found["Item"]) if "Item" in found else None

    def get_many(self, keys: Iterable[Key]) -> dict[Key, Checkpoint]:
        wanted = list(dict.fromkeys(keys))  # BatchGetItem rejects duplicate keys
        out: dict[Key, Checkpoint] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            pending: list[dict] = [_key(e, h) for e, h in wanted[start : start + BATCH_GET_LIMIT]]
            for attempt in range(10):
                answer = self.client.batch_get_item(
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}}
                )
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    cp = _from_item(item)
                    out[cp.key] = cp
                pending = answer.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
                if not pending:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))  # throttled: back off, ask for the rest
            else:
                raise RuntimeError(f"DynamoDB kept {len(pending)} keys of {self.table_name} unprocessed")
        return out

    def put(self, cp: Checkpoint, expected_version: int | None) -> Checkpoint:
        from botocore.exceptions import ClientError

        stored = replace(cp, updated_at=_utc(cp.updated_at), version=(expected_version or 0) + 1)
        if expected_version is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(int(expected_version))}},
            }
        try:
            self.client.put_item(TableName=self.table_name, Item=_to_item(stored), **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise _conflict(cp, expected_version, self.get(cp.endpoint, cp.param_hash)) from None
        return stored

    def done_keys(self, endpoint: str | None = None, *, final_only: bool = True) -> set[Key]:
        """Keys of successful requests (by default only final ones): a Query per endpoint, else a Scan."""
        filters = "#s = :done" + (" AND #f = :true" if final_only else "")
        args: dict[str, Any] = {
            "TableName": self.table_name,
            "ProjectionExpression": "pk, sk",
            "FilterExpression": filters,
            "ExpressionAttributeNames": {"#s": "status", **({"#f": "final"} if final_only else {})},
            "ExpressionAttributeValues": {
                ":done": {"S": "done"},
                **({":true": {"BOOL": True}} if final_only else {}),
            },
        }
        if endpoint is not None:
            args["KeyConditionExpression"] = "pk = :pk"
            args["ExpressionAttributeValues"][":pk"] = {"S": endpoint}
        paginator = self.client.get_paginator("query" if endpoint is not None else "scan")
        return {(i["pk"]["S"], i["sk"]["S"]) for page in paginator.paginate(**args) for i in page["Items"]}

    def delete(self, endpoint: str, param_hash: str) -> bool:
        answer = self.client.delete_item(
            TableName=self.table_name, Key=_key(endpoint, param_hash), ReturnValues="ALL_OLD"
        )
        return "Attributes" in answer

    # Call counters live in the same table under partition keys no endpoint has: `#calls#<run_id>` (one
    # item per attempt, atomic ADD) and `#quota` (the last X-CallLimit-Remaining). They have no `status`,
    # so done_keys and last_reads never see them.

    def last_reads(self) -> dict[str, dt.date]:
        paginator = self.client.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self.table_name,
            ProjectionExpression="pk, sk, raw_key",
            FilterExpression="#s = :done AND #f = :false",
            ExpressionAttributeNames={"#s": "status", "#f": "final"},
            ExpressionAttributeValues={":done": {"S": "done"}, ":false": {"BOOL": False}},
        )
        found = [
            Checkpoint(i["pk"]["S"], i["sk"]["S"], raw_key=i.get("raw_key", {}).get("S"))
            for page in pages
            for i in page["Items"]
        ]
        return {f"{cp.endpoint}/{cp.param_hash}": cp.read_on for cp in found if cp.read_on}

    def count_call(self, run_id: str, attempt: str, remaining: int | None, seen_on: dt.date) -> None:
        self.client.update_item(
            TableName=self.table_name,
            Key=_key(f"#calls#{run_id}", attempt),
            UpdateExpression="ADD calls :one SET seen_on = :day",
            ExpressionAttributeValues={":one": {"N": "1"}, ":day": {"S": seen_on.isoformat()}},
        )
        if remaining is not None:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **_key("#quota", "latest"),
                    "remaining": {"N": str(int(remaining))},
                    "seen_on": {"S": seen_on.isoformat()},
                },
            )

    def run_calls(self, run_id: str) -> dict[str, int]:
        paginator = self.client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"#calls#{run_id}"}},
            ConsistentRead=True,
        )
        return {i["sk"]["S"]: int(i["calls"]["N"]) for page in pages for i in page["Items"]}

    def quota(self) -> Quota | None:
        found = self.client.get_item(
            TableName=self.table_name, Key=_key("#quota", "latest"), ConsistentRead=True
        )
        item = found.get("Item")
        if not item:
            return None
        return Quota(int(item["remaining"]["N"]), dt.date.fromisoformat(item["seen_on"]["S"]))


def ensure_table(client: Any, name: str = DEFAULT_TABLE) -> None:
    """Create the checkpoint table if missing. For tests and the demo only: in AWS Terraform owns it."""
    try:
        client.describe_table(TableName=name)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def open_checkpoints() -> CheckpointStore:
    """The store chosen by env `HOOPS_CHECKPOINTS`: `postgres` (default) or `dynamodb`."""
    return PostgresCheckpoints() if settings.checkpoints_kind() == "postgres" else DynamoCheckpoints()
