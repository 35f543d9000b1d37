"""The shared async HTTP client for the CBBD API: bounded concurrency, a rate limit, retries, quota stops.

CBBD meters calls per month, so this client is careful with them: transient failures (5xx, timeouts,
network errors, 429 with `Retry-After`) are retried with backoff, while "Monthly call quota exceeded"
stops at once (`QuotaExhausted`) instead of burning retries. The API key goes into the request header and
nowhere else: every message, repr and log record built here is free of it (`redact`, `RedactingFilter`).
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import logging
import random as _random
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from hoops import settings

log = logging.getLogger(__name__)

USER_AGENT = "hoops/0.1 (college-basketball data pipeline; +https://collegebasketballdata.com)"
KEY_HINT = (
    f"set the Airflow connection '{settings.CBBD_CONN_ID}' (password, or extra api_key) "
    "or the environment variable CBBD_API_KEY"
)
QUOTA_MARKER = "monthly call quota exceeded"
REMAINING_HEADER = "X-CallLimit-Remaining"
MASK = "***"

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]


# --- secrets -------------------------------------------------------------------------------------------


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret replaced by `***` (longest first, so none leaks)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _redact_bytes(data: bytes, secrets: Iterable[str | None]) -> bytes:
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        data = data.replace(secret.encode(), MASK.encode())
    return data


class RedactingFilter(logging.Filter):
    """Scrubs secrets from a record's message, arguments and traceback before any handler sees it."""

    def __init__(self, secrets: Iterable[str | None]):
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def __repr__(self) -> str:  # the default repr is harmless, but say so explicitly
        return f"<RedactingFilter secrets={len(self._secrets)}>"

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: keep the raw parts, scrubbed
                message = f"{record.msg} {record.args}"
            record.msg, record.args = redact(message, self._secrets), None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text, self._secrets)
            if record.stack_info:
                record.stack_info = redact(record.stack_info, self._secrets)
        return True


# --- errors --------------------------------------------------------------------------------------------


class ApiError(RuntimeError):
    """A CBBD call that did not give a usable response. `reason` is a short code for summaries."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: bytes | None = None,
        reason: str = "error",
        attempts: int = 1,
        retryable: bool | None = None,
    ):
        super().__init__(message)
        self.status, self.body, self.reason, self.attempts = status, body, reason, attempts
        if retryable is not None:
            self.retryable = retryable

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, reason={self.reason!r}, attempts={self.attempts})"
        )


class QuotaExhausted(ApiError):
    """The monthly call quota is spent: stop the run now, resume from checkpoints next time."""


class AuthError(ApiError):
    """401: the key is missing, wrong, blocked, or its tier does not include this endpoint."""


class ClientError(ApiError):
    """A 4xx other than 401/429: the request itself is wrong, asking again gives the same answer."""


class RetriesExhausted(ApiError):
    """Every attempt failed with a transient error; keeps the last status, body and reason."""

    retryable = True


# --- responses -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiResponse:
    """A 2xx answer. A gzip answer keeps only the wire's bytes (`gzipped`, a tenth of the body's size)
    while it waits to be stored; `body` decodes them on each access, so read it once."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    elapsed: float  # seconds, every attempt and wait included
    calls_remaining: int | None
    attempts: int
    url: str = ""
    gzipped: bytes | None = field(default=None, repr=False)  # the wire's gzip bytes, complete
    plain: bytes | None = field(default=None, repr=False)  # the body, when it came (or was kept) plain
    one_member: bool = False  # `gzipped` is a single gzip member (what servers send): `body` is cheaper

    @property
    def body(self) -> bytes:
        if self.plain is not None:
            return self.plain
        return gunzip(self.gzipped or b"", self.one_member)

    def __repr__(self) -> str:
        size = len(self.plain) if self.plain is not None else len(self.gzipped or b"")
        return (
            f"ApiResponse(status={self.status}, bytes={size}, elapsed={self.elapsed:.3f}, "
            f"calls_remaining={self.calls_remaining}, attempts={self.attempts}, url={self.url!r})"
        )

    def json(self) -> Any:
        return json.loads(self.body)


class TruncatedBody(Exception):
    """A gzip body that does not decompress whole (cut short, bad CRC or length): asked again."""


PIECE = 1 << 20


def gunzip(wire: bytes, one_member: bool) -> bytes:
    """The body of a complete gzip object. One member is decoded straight into a bytes object of the
    length its trailer gives: `gzip.decompress` builds the body in pieces and joins them, holding it
    about 2.5 times at once (memray, plays bench: 128 MB for a 51 MB day)."""
    if one_member:
        return zlib.decompress(wire, wbits=31, bufsize=max(1, int.from_bytes(wire[-4:], "little")))
    return gzip.decompress(wire)


def gzip_holds(wire: bytes, secret: bytes) -> bool:
    """Decompress all of `wire` a piece at a time, keeping none of it: checks every member's trailer (CRC
    and length), so a kept gzip object is known to be complete, and says whether `secret` occurs."""
    return _gzip_walk(wire, secret)[0]


def _gzip_walk(wire: bytes, secret: bytes) -> tuple[bool, int]:
    """`gzip_holds`, and how many members `wire` has."""
    found, tail, data, members = False, b"", wire, 0
    keep = max(0, len(secret) - 1)
    try:
        while data:
            member = zlib.decompressobj(wbits=31)
            pending = data
            while True:
                out = member.decompress(pending, PIECE)
                if secret and not found:  # the key may straddle two pieces: keep the last len-1 bytes
                    found = secret in out or secret in tail + out[:keep]
                    tail = (tail + out)[-keep:] if len(out) < keep else out[len(out) - keep :]
                pending = member.unconsumed_tail
                if not pending and (member.eof or len(out) < PIECE):
                    break
            if not member.eof:
                raise TruncatedBody("gzip body cut short (no trailer)")
            data, members = member.unused_data, members + 1
    except zlib.error as exc:
        raise TruncatedBody(f"gzip body does not decompress: {exc}") from exc
    return found, members


def parse_remaining(headers: Mapping[str, str]) -> int | None:
    value = headers.get(REMAINING_HEADER)
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), None if absent/invalid."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _server_message(body: bytes) -> str:
    """The API's `{"message": ...}` if there is one, else the start of the body."""
    text = body[:2000].decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200].strip()
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"][:300]
    return text[:200].strip()


# --- rate limiting -------------------------------------------------------------------------------------


class RateLimiter:
    """At most `rate` starts per second, spaced evenly: each caller reserves the next free slot.

    Reservation happens without awaiting, so concurrent callers on one event loop never share a slot;
    idle time is not banked, so there is no burst after a pause. `clock` and `sleep` are injectable.
    """

    def __init__(self, rate: float | None, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = float("-inf")

    def reserve(self) -> float:
        """Claim the next slot; return how long to wait for it."""
        if not self.interval:
            return 0.0
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)


# --- the client ----------------------------------------------------------------------------------------


class ApiClient:
    """Async CBBD client; use as `async with ApiClient(...) as client: await client.get(path, params)`.

    Unset arguments come from `hoops.settings` (key, base URL, concurrency, rate, timeout); `rate=0`
    turns the rate limit off. All calls through one client share its semaphore and rate limiter.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        concurrency: int | None = None,
        rate: float | None = None,
        timeout_s: float | None = None,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        jitter: float = 0.25,
        random: _random.Random | Any = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = USER_AGENT,
    ):
        tuning = settings.cbbd_http()
        self.base_url = (base_url or settings.cbbd_base_url()).rstrip("/")
        self._api_key = api_key if api_key is not None else settings.cbbd_api_key()
        self.concurrency = max(1, int(concurrency if concurrency is not None else tuning.concurrency))
        self.rate = float(rate if rate is not None else tuning.rate)
        self.timeout_s = float(timeout_s if timeout_s is not None else tuning.timeout_s)
        self.max_retries = max(0, int(max_retries))
        self.backoff_base_s, self.backoff_cap_s, self.jitter = backoff_base_s, backoff_cap_s, jitter
        self._random = random if random is not None else _random.Random()
        self._sleep, self._clock = sleep, clock
        self._transport, self._user_agent = transport, user_agent
        self._semaphore = asyncio.Semaphore(self.concurrency)
        self._limiter = RateLimiter(self.rate, clock=clock, sleep=sleep)
        self._filter = RedactingFilter([self._api_key])
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return (
            f"ApiClient(base_url={self.base_url!r}, concurrency={self.concurrency}, rate={self.rate}, "
            f"max_retries={self.max_retries}, key={'set' if self._api_key else 'missing'})"
        )

    async def __aenter__(self) -> ApiClient:
        if not self._api_key:
            raise AuthError(f"no CBBD API key: {KEY_HINT}", reason="auth")
        log.addFilter(self._filter)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout_s),
            transport=self._transport,
            headers={
                "Authorization": f"Bearer {self._api_key}",
                "Accept": "application/json",
                "Accept-Encoding": "gzip",  # kept as sent: raw stores the wire's bytes (_decode)
                "User-Agent": self._user_agent,
            },
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        log.removeFilter(self._filter)

    def _redact(self, text: str) -> str:
        return redact(text, [self._api_key])

    def _backoff(self, retry: int) -> float:
        """Exponential backoff for the `retry`-th retry (1-based), capped, plus up to `jitter` of it."""
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (retry - 1))
        return delay + self._random.uniform(0, self.jitter * delay)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> ApiResponse:
        """GET `path`; return the 2xx response or raise an `ApiError` subclass (see the module docstring)."""
        if self._http is None:
            raise RuntimeError("ApiClient is not open: use `async with ApiClient(...) as client`")
        query = {k: v for k, v in (params or {}).items() if v is not None}
        where = self._redact(f"GET {path}")
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            async with self._semaphore:
                await self._limiter.acquire()
                try:
                    async with self._http.stream("GET", path, params=query) as response:
                        wire = b"".join([chunk async for chunk in response.aiter_raw()])
                    plain, gzipped, one_member = self._decode(response, wire)
                except TruncatedBody as exc:
                    status, body, reason, retry_after = None, None, "truncated", None
                    detail = str(exc)
                except httpx.TimeoutException as exc:
                    status, body, reason, retry_after = None, None, "timeout", None
                    detail = f"timed out ({type(exc).__name__})"
                except httpx.TransportError as exc:
                    status, body, reason, retry_after = None, None, "network", None
                    detail = f"network error ({type(exc).__name__})"
                else:
                    status = response.status_code
                    remaining = parse_remaining(response.headers)
                    if remaining is not None:
                        log.debug("%s -> %s, %s=%s", where, status, REMAINING_HEADER, remaining)
                    if 200 <= status < 300:
                        return ApiResponse(
                            status=status,
                            headers=httpx.Headers(response.headers),  # a copy, case-insensitive
                            elapsed=self._clock() - started,
                            calls_remaining=remaining,
                            attempts=attempt,
                            url=self._redact(str(response.url)),
                            gzipped=gzipped,
                            plain=plain,
                            one_member=one_member,
                        )
                    body = plain if plain is not None else gzip.decompress(gzipped or b"")
                    retry_after = self._classify(where, status, body, response.headers, attempt)
                    reason = f"http_{status}"
                    detail = f"HTTP {status}: {self._redact(_server_message(body))}"

            if attempt > self.max_retries:
                raise RetriesExhausted(
                    f"{where} failed after {attempt} attempts; last: {detail}",
                    status=status,
                    body=body,
                    reason=reason,
                    attempts=attempt,
                )
            if retry_after is not None:
                wait = retry_after + self._random.uniform(0, self.jitter)  # up to `jitter` seconds more
            else:
                wait = self._backoff(attempt)
            log.warning("%s %s; retry %d/%d in %.2fs", where, detail, attempt, self.max_retries, wait)
            await self._sleep(wait)

    def _decode(self, response: httpx.Response, wire: bytes) -> tuple[bytes | None, bytes | None, bool]:
        """(plain body, gzip bytes, one gzip member): one of the first two is set. The wire's gzip bytes
        are kept when complete and free of the key; a body holding the key is decoded and redacted (its
        wire bytes hold the key)."""
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("", "identity"):
            return _redact_bytes(wire, [self._api_key]), None, False
        if encoding != "gzip":
            raise TruncatedBody(f"unexpected Content-Encoding {encoding!r} (only gzip is asked for)")
        found, members = _gzip_walk(wire, (self._api_key or "").encode())
        if found:
            return _redact_bytes(gzip.decompress(wire), [self._api_key]), None, False
        return None, wire, members == 1

    def _classify(
        self, where: str, status: int, body: bytes, headers: Mapping[str, str], attempt: int
    ) -> float | None:
        """Raise for answers that must not be retried; for retryable ones return the Retry-After wait."""
        message = self._redact(_server_message(body))
        if status == 429:
            retry_after = parse_retry_after(headers.get("Retry-After"))
            if QUOTA_MARKER in message.lower() or retry_after is None:
                # Without Retry-After a 429 is not the API's "wait a second": stop as for the quota (no
                # call wasted on a wall), but say which one it was.
                what = (
                    "monthly call quota exhausted"
                    if QUOTA_MARKER in message.lower()
                    else "rate limit with no Retry-After, handled as the quota"
                )
                log.error("%s: CBBD %s (%s); stopping", where, what, message)
                raise QuotaExhausted(
                    f"{where}: CBBD {what} (HTTP 429: {message}); "
                    "the run stops here and resumes from checkpoints when the quota resets",
                    status=status,
                    body=body,
                    reason="quota",
                    attempts=attempt,
                )
            return retry_after
        if status == 401:
            raise AuthError(
                f"{where}: CBBD refused the API key (HTTP 401: {message}); {KEY_HINT}",
                status=status,
                body=body,
                reason="auth",
                attempts=attempt,
            )
        if status >= 500 or status == 408:
            return None
        raise ClientError(
            f"{where}: HTTP {status}: {message}",
            status=status,
            body=body,
            reason=f"http_{status}",
            attempts=attempt,
        )
