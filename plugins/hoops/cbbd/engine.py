"""Fetch a list of CBBD requests: async, bounded, quota-aware; raw first, then bronze, then the checkpoint.

For each request: skip it if a final checkpoint says it is done; call the API; store the body raw before
parsing; a response at the endpoint's row cap is treated as truncated and its date window is split in
two and asked again; otherwise write the bronze part and the checkpoint. A request that still fails goes
to deadletter with the reason. "Monthly call quota exceeded" stops the run at once: what was fetched is
already persisted, and the next run resumes from the checkpoints.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hoops.cbbd import bronze, catalog, raw
from hoops.cbbd.checkpoints import Checkpoint, CheckpointConflict, CheckpointStore
from hoops.cbbd.client import ApiClient, ApiError, AuthError, QuotaExhausted
from hoops.cbbd.request import Request
from hoops.events import emit
from hoops.lake import Lake

log = logging.getLogger(__name__)

WINDOW_PARAMS = ("startDateRange", "endDateRange")
MIN_WINDOW = dt.timedelta(minutes=30)  # below this a capped window is not split further


class QuotaStop(RuntimeError):
    """The monthly call quota ran out mid-run; everything fetched so far is stored and checkpointed."""

    def __init__(self, stats: FetchStats):
        super().__init__(
            f"CBBD monthly call quota exceeded after {stats.calls} calls: {stats.completed} requests stored, "
            f"{stats.unfinished} left for the next run (they resume from the checkpoints)"
        )
        self.stats = stats


def _tier_locked(message: str) -> bool:
    """CBBD's 401 for an endpoint above the key's Patreon tier (the key itself is fine)."""
    return "tier" in message.lower() or "patreon" in message.lower()


@dataclass
class FetchStats:
    planned: int = 0
    calls: int = 0
    completed: int = 0
    skipped_final: int = 0
    splits: int = 0
    failed: int = 0
    unfinished: int = 0
    rows_served: int = 0
    rows_bronze: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0  # exact repeats within a response, kept once
    quota_remaining: int | None = None
    quota_exhausted: bool = False
    budget_exhausted: bool = False  # max_calls reached; the rest is left for the next run
    key_refused: bool = False  # 401 for the key itself (not a tier-locked endpoint): nothing else is asked
    deadletters: list[str] = field(default_factory=list)
    rows_by_endpoint: Counter = field(default_factory=Counter)
    calls_by_endpoint: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if not isinstance(v, Counter)}
        out["rows_by_endpoint"] = dict(self.rows_by_endpoint)
        out["calls_by_endpoint"] = dict(self.calls_by_endpoint)
        return out


def _parse_instant(text: str, end: bool) -> dt.datetime:
    if len(text) == 10:  # a date: the window covers the whole day
        day = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        return day + dt.timedelta(days=1, milliseconds=-1) if end else day
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def split_window(req: Request) -> list[Request] | None:
    """Two requests covering the same inclusive window with no overlap, or None if it can't be split."""
    params = req.param_dict
    if not all(params.get(p) for p in WINDOW_PARAMS):
        return None
    start = _parse_instant(str(params["startDateRange"]), end=False)
    end = _parse_instant(str(params["endDateRange"]), end=True)
    if end - start < MIN_WINDOW:
        return None
    mid = start + (end - start) / 2
    mid = mid.replace(microsecond=(mid.microsecond // 1000) * 1000)
    halves = [(start, mid), (mid + dt.timedelta(milliseconds=1), end)]
    return [
        Request.of(req.endpoint, {**params, "startDateRange": _iso(a), "endDateRange": _iso(b)}, req.season)
        for a, b in halves
    ]


class Fetcher:
    def __init__(
        self,
        client: ApiClient,
        lake: Lake,
        checkpoints: CheckpointStore,
        *,
        asof: dt.date,
        run_id: str,
        is_final,
        progress_every_s: float = 10.0,
        force: bool = False,
        max_calls: int | None = None,
        count_call: Callable[[int | None], None] | None = None,
    ):
        self.client, self.lake, self.checkpoints = client, lake, checkpoints
        self.asof, self.run_id, self.is_final = asof, run_id, is_final
        # A `progress` line at least every `progress_every_s` seconds or 10% of the batch, so a fetch task's
        # log shows it working (calls, rows, rate, quota left, ETA) instead of silence until it returns.
        self.progress_every_s = progress_every_s
        self._last_progress = (0.0, 0)  # (monotonic time, requests done) of the last progress line
        self.force = force  # ask even what a final checkpoint says is done (debugging, repairs)
        self.max_calls = max_calls  # splits add calls the plan did not count: the budget holds anyway
        # Called with X-CallLimit-Remaining once per answered call, before anything else is done with the
        # answer: a durable counter, so the calls of an attempt that is killed later still count.
        self.count_call = count_call
        self.stats = FetchStats()
        self._stop = False
        self._known: dict[tuple[str, str], Checkpoint] = {}
        self._interrupted = 0  # requests cut short by the quota: not done, asked again next run
        self._convert = asyncio.Lock()
        self._storer: ThreadPoolExecutor | None = None
        self._in_flight = 0
        self._started = time.monotonic()

    async def run(self, requests: list[Request]) -> FetchStats:
        self._started = time.monotonic()
        self._last_progress = (self._started, 0)
        unique = list(dict.fromkeys(requests))
        self.stats.planned = len(unique)
        queue = deque(self._expand(unique))
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(max(1, self.client.concurrency))]
        bronze.use_system_allocator()
        bronze.hand_back_large_buffers()
        with ThreadPoolExecutor(1, thread_name_prefix="hoops-store") as self._storer:
            await asyncio.gather(*workers)
        self._log_progress(len(queue))
        self.stats.unfinished = len(queue) + self._interrupted
        self.stats.seconds = round(time.monotonic() - self._started, 3)
        if self.stats.quota_exhausted:
            raise QuotaStop(self.stats)
        return self.stats

    def _expand(self, requests: list[Request]) -> list[Request]:
        """Drop requests whose final checkpoint says done; replace a window split before by its halves
        (split deterministically, so a rerun asks only the halves that are not done yet)."""
        if self.force:
            return list(requests)
        todo: list[Request] = []
        while requests:
            self._known.update(self.checkpoints.get_many((r.endpoint, r.param_hash) for r in requests))
            halves: list[Request] = []
            for req in requests:
                cp = self._known.get((req.endpoint, req.param_hash))
                if cp is not None and cp.status == "split" and cp.final:
                    halves.extend(split_window(req) or [])
                elif cp is not None and cp.status == "done" and cp.final:
                    self.stats.skipped_final += 1
                else:
                    todo.append(req)
            requests = halves
        return todo

    async def _worker(self, queue: deque[Request]) -> None:
        while queue and not self._stop:
            if self.max_calls is not None and self.stats.calls + self._in_flight >= self.max_calls:
                self.stats.budget_exhausted = True
                return
            req = queue.popleft()
            self._in_flight += 1  # until answered: then it is in stats.calls (or was never a call)
            await self._one(req, queue)
            done = self.stats.completed + self.stats.failed
            last_at, last_done = self._last_progress
            step = max(1, (done + len(queue)) // 10)
            if time.monotonic() - last_at >= self.progress_every_s or done - last_done >= step:
                self._log_progress(len(queue))

    def _log_progress(self, left: int) -> None:
        elapsed = time.monotonic() - self._started
        done = self.stats.completed + self.stats.failed
        rate = done / elapsed if elapsed else 0.0
        self._last_progress = (time.monotonic(), done)
        emit(
            log,
            "progress",
            run=self.run_id,
            done=done,
            planned=done + left,
            left=left,
            calls=self.stats.calls,
            rows=self.stats.rows_bronze,
            quota_left=self.stats.quota_remaining,
            rate_per_s=round(rate, 2),
            eta_s=round(left / rate, 1) if rate else None,
        )

    async def _one(self, req: Request, queue: deque[Request]) -> None:
        ep = catalog.get(req.endpoint)
        path, query = req.path_and_query()
        try:
            response = await self.client.get(path, query)
        except QuotaExhausted:
            self._stop = True
            self.stats.quota_exhausted = True
            self._interrupted += 1
            return
        except AuthError as exc:
            if not _tier_locked(str(exc)):  # a wrong or blocked key fails every request: stop at the first
                self._stop = True
                self.stats.key_refused = True
            self._fail(req, exc.reason, {"status": exc.status, "message": str(exc)})
            return
        except ApiError as exc:
            self._fail(
                req,
                exc.reason,
                {
                    "status": exc.status,
                    "message": str(exc),
                    "body": (exc.body or b"")[:2000].decode("utf-8", "replace"),
                },
            )
            return
        finally:
            self._in_flight -= 1  # counted from here on by stats.calls, never twice
        self.stats.calls += 1
        self.stats.calls_by_endpoint[req.endpoint] += 1
        if response.calls_remaining is not None:
            self.stats.quota_remaining = response.calls_remaining
        if self.count_call is not None:
            await asyncio.to_thread(self.count_call, response.calls_remaining)
        # One response is stored and converted at a time, always on the same thread: the work is CPU-bound
        # under the GIL anyway, it keeps peak memory at one response's worth of parsed rows while other
        # requests are in flight, and one thread's heap reuses what the last response freed.
        async with self._convert:
            outcome = await asyncio.get_running_loop().run_in_executor(
                self._storer, self._store, req, ep, response
            )
        kind, raw_key, detail = outcome
        if kind == "malformed":
            self._fail(req, "malformed", {"message": detail, "raw_key": raw_key})
        elif kind == "split":
            emit(log, "split", run=self.run_id, endpoint=req.endpoint, request=req.param_hash, rows=detail)
            self.stats.splits += 1
            self._checkpoint(req, "split", rows=0, raw_key=raw_key)
            queue.extendleft(reversed(self._expand(split_window(req) or [])))
        else:
            self._checkpoint(req, "done", rows=detail, raw_key=raw_key)
            self.stats.completed += 1
            emit(
                log,
                "fetched",
                logging.DEBUG,
                run=self.run_id,
                endpoint=req.endpoint,
                request=req.param_hash,
                rows=detail,
                calls=self.stats.calls,
                quota_left=self.stats.quota_remaining,
            )

    def _store(self, req: Request, ep: catalog.Endpoint, response: Any) -> tuple[str, str, Any]:
        """Raw first, then (unless the response is at the cap and can be split) bronze. Runs in a thread."""
        body = response.body  # decoded here, once: a waiting response holds only its gzip bytes
        raw_key = raw.write_raw(
            self.lake,
            req,
            self.asof,
            status=response.status,
            body=body,
            gzipped=response.gzipped,
            fetched_at=dt.datetime.now(dt.UTC),
            calls_remaining=response.calls_remaining,
            run_id=self.run_id,
        )
        try:
            converted = bronze.convert(body, ep)
        except (ValueError, UnicodeDecodeError) as exc:
            return "malformed", raw_key, str(exc)
        if ep.row_cap and converted.served >= ep.row_cap:
            if split_window(req):
                return "split", raw_key, converted.served
            raw.write_deadletter(
                self.lake, req, self.asof, "cap_unsplittable", {"rows": converted.served, "raw_key": raw_key}
            )
        self.stats.rows_served += converted.served
        result = bronze.write_bronze_body(self.lake, req, self.asof, body, converted)
        del converted
        if result.rejected:
            self.stats.rows_rejected += len(result.rejected)
            self.stats.deadletters.append(
                raw.write_deadletter(
                    self.lake, req, self.asof, "rows", {"rejected": result.rejected, "raw_key": raw_key}
                )
            )
        self.stats.rows_bronze += result.rows
        self.stats.rows_duplicate += result.duplicates
        self.stats.rows_by_endpoint[req.endpoint] += result.rows
        return "done", raw_key, result.rows

    def _fail(self, req: Request, reason: str, detail: dict[str, Any]) -> None:
        self.stats.failed += 1
        self.stats.deadletters.append(raw.write_deadletter(self.lake, req, self.asof, reason, detail))
        self._checkpoint(req, "failed", rows=0, raw_key=None)
        emit(
            log,
            "request_failed",
            logging.WARNING,
            run=self.run_id,
            endpoint=req.endpoint,
            request=req.param_hash,
            reason=reason,
        )

    def _checkpoint(self, req: Request, status: str, *, rows: int, raw_key: str | None) -> None:
        key = (req.endpoint, req.param_hash)
        previous = self._known.get(key)
        for _ in range(3):
            # Built from the version it replaces, so a concurrent writer's `calls` are added to, not lost.
            cp = Checkpoint(
                endpoint=req.endpoint,
                param_hash=req.param_hash,
                params=req.param_dict,
                season=req.season,
                status=status,
                final=status != "failed" and self.is_final(req, self.asof),
                rows=rows,
                raw_key=raw_key,
                calls=(previous.calls if previous else 0) + 1,
                updated_at=dt.datetime.now(dt.UTC),
                version=previous.version if previous else 0,
            )
            try:
                self._known[key] = self.checkpoints.put(
                    cp, expected_version=previous.version if previous else None
                )
                return
            except CheckpointConflict:  # another worker or run wrote it meanwhile: build on its version
                previous = self.checkpoints.get(*key)
        raise CheckpointConflict(f"checkpoint {req.key} keeps changing under this run")
