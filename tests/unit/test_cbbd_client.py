"""The CBBD HTTP client: retries, Retry-After, quota stop, auth hints, concurrency, rate, and no key leaks.

Nothing waits for real: the client gets a fake `sleep` that records delays (and, where time matters, a
fake clock that the sleep advances), and a stub `random` so jitter is exact.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import logging
import sys
import traceback
import types

import httpx
import pytest
import respx

from hoops import settings
from hoops.cbbd.client import (
    ApiClient,
    ApiError,
    ApiResponse,
    AuthError,
    ClientError,
    QuotaExhausted,
    RateLimiter,
    RedactingFilter,
    RetriesExhausted,
    parse_retry_after,
    redact,
)

BASE = "https://cbbd.test"
KEY = "sk-FAKE-cbbd-key-7Q3xZp91"
URL = f"{BASE}/games"


class FakeTime:
    """A clock that only moves when the code under test sleeps; every sleep is recorded."""

    def __init__(self, advance: bool = True):
        self.now, self.advance, self.sleeps = 0.0, advance, []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.advance:
            self.now += seconds
        await asyncio.sleep(0)  # still yield to the loop, like a real sleep


class Jitter:
    """`random` stand-in: uniform() returns the low end (no jitter) or the high end (all of it)."""

    def __init__(self, high: bool = False):
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


def client(time: FakeTime | None = None, **kwargs) -> ApiClient:
    time = time or FakeTime()
    kwargs = {"rate": 0, "random": Jitter(), "sleep": time.sleep, "clock": time.clock, **kwargs}
    return ApiClient(base_url=BASE, api_key=KEY, **kwargs)


def run_get(c: ApiClient, path: str = "/games", params: dict | None = None) -> ApiResponse:
    async def go():
        async with c:
            return await c.get(path, params or {"season": 2024})

    return asyncio.run(go())


def fails(c: ApiClient, exc_type: type[ApiError] = ApiError) -> ApiError:
    with pytest.raises(exc_type) as info:
        run_get(c)
    return info.value


def quota_429() -> httpx.Response:
    return httpx.Response(
        429, json={"message": "Monthly call quota exceeded."}, headers={"X-CallLimit-Remaining": "0"}
    )


# --- success and retries -------------------------------------------------------------------------------


@respx.mock
def test_sends_bearer_key_and_parses_the_remaining_calls():
    route = respx.get(URL).respond(200, json=[{"id": 1}], headers={"X-CallLimit-Remaining": "941"})
    response = run_get(client())
    assert response.status == 200 and response.json() == [{"id": 1}]
    assert response.calls_remaining == 941 and response.attempts == 1
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Accept"] == "application/json" and sent.headers["User-Agent"].startswith("hoops/")
    assert sent.url.params["season"] == "2024"


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # mtime 0: the same bytes on every run and in every worker


@respx.mock
def test_a_gzip_answer_keeps_the_wires_bytes_for_raw():
    wire = gzipped(b'[{"id": 1}]')
    route = respx.get(URL).respond(200, content=wire, headers={"Content-Encoding": "gzip"})
    response = run_get(client())
    assert response.body == b'[{"id": 1}]' and response.gzipped == wire
    assert route.calls.last.request.headers["Accept-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "wire",
    [gzipped(b'[{"id": 1}]'), gzipped(b""), gzipped(b"[1,") + gzipped(b"2]"), gzipped(b"[1,") + gzipped(b"")],
    ids=["one member", "empty", "two members", "an empty last member"],
)
@respx.mock
def test_a_gzip_answer_decodes_to_the_whole_body_whatever_its_members(wire):
    respx.get(URL).respond(200, content=wire, headers={"Content-Encoding": "gzip"})
    response = run_get(client())
    assert response.body == gzip.decompress(wire) and response.gzipped == wire


@respx.mock
def test_a_plain_answer_has_no_gzip_bytes():
    respx.get(URL).respond(200, content=b"[]")
    response = run_get(client())
    assert response.body == b"[]" and response.gzipped is None


@respx.mock
def test_a_cut_gzip_body_is_asked_again_not_kept():
    time = FakeTime()
    whole = gzipped(b'[{"id": 1}, {"id": 2}]')
    route = respx.get(URL).mock(
        side_effect=[
            httpx.Response(200, content=whole[:-6], headers={"Content-Encoding": "gzip"}),  # no trailer
            httpx.Response(200, content=whole, headers={"Content-Encoding": "gzip"}),
        ]
    )
    response = run_get(client(time))
    assert route.call_count == 2 and response.attempts == 2 and response.gzipped == whole


@respx.mock
def test_a_gzip_body_holding_the_key_is_redacted_and_its_wire_bytes_dropped():
    respx.get(URL).respond(200, content=gzipped(f'["{KEY}"]'.encode()), headers={"Content-Encoding": "gzip"})
    response = run_get(client())
    assert response.body == b'["***"]' and response.gzipped is None


def test_gzip_holds_checks_every_member_and_finds_a_key_across_pieces():
    from hoops.cbbd.client import PIECE, TruncatedBody, gzip_holds

    secret = KEY.encode()
    straddling = b"x" * (PIECE - 5) + secret + b"y" * 100  # the key crosses the first 1 MB piece
    assert gzip_holds(gzipped(straddling), secret)
    assert not gzip_holds(gzipped(b"x" * (3 * PIECE)), secret)
    assert gzip_holds(gzipped(b"[1,") + gzipped(b"2, " + secret + b"]"), secret)  # two members
    for broken in (gzipped(b"[1, 2]")[:-4], gzipped(b"[1, 2]") + b"junk"):
        with pytest.raises(TruncatedBody):
            gzip_holds(broken, secret)


@respx.mock
def test_no_remaining_header_gives_none():
    respx.get(URL).respond(200, json=[])
    assert run_get(client()).calls_remaining is None


@respx.mock
def test_5xx_is_retried_with_exponential_backoff_then_succeeds():
    time = FakeTime()
    route = respx.get(URL).mock(
        side_effect=[
            httpx.Response(503, json={"message": "Unable to verify call quota. Please retry later."}),
            httpx.Response(500, json={"message": "boom"}),
            httpx.Response(200, json=[], headers={"X-CallLimit-Remaining": "7"}),
        ]
    )
    response = run_get(client(time, backoff_base_s=1.0))
    assert route.call_count == 3 and response.attempts == 3 and response.calls_remaining == 7
    assert time.sleeps == [1.0, 2.0]


@respx.mock
def test_backoff_adds_jitter_from_the_injected_random():
    time = FakeTime()
    respx.get(URL).mock(side_effect=[httpx.Response(502), httpx.Response(200, json=[])])
    run_get(client(time, backoff_base_s=2.0, jitter=0.25, random=Jitter(high=True)))
    assert time.sleeps == [2.5]


@respx.mock
@pytest.mark.parametrize("error", [httpx.ReadTimeout("read timed out"), httpx.ConnectError("refused")])
def test_timeouts_and_network_errors_are_retried(error):
    time = FakeTime()
    route = respx.get(URL).mock(side_effect=[error, httpx.Response(200, json=[])])
    assert run_get(client(time)).status == 200
    assert route.call_count == 2 and time.sleeps == [0.5]


@respx.mock
def test_429_with_retry_after_waits_that_long_then_succeeds():
    time = FakeTime()
    route = respx.get(URL).mock(
        side_effect=[
            httpx.Response(
                429,
                json={"message": "Too many concurrent requests for this endpoint."},
                headers={"Retry-After": "3"},
            ),
            httpx.Response(200, json=[]),
        ]
    )
    assert run_get(client(time)).attempts == 2
    assert route.call_count == 2 and time.sleeps == [3.0]


@respx.mock
def test_retry_after_gets_a_small_jitter():
    time = FakeTime()
    respx.get(URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200)])
    run_get(client(time, jitter=0.25, random=Jitter(high=True)))
    assert time.sleeps == [1.25]


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("2") == 2.0 and parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now=1445412480.0) == 5.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


# --- failures that must not be retried -------------------------------------------------------------------


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        quota_429,
        lambda: httpx.Response(
            429, json={"message": "Monthly call quota exceeded."}, headers={"Retry-After": "60"}
        ),
        lambda: httpx.Response(429, json={"message": "slow down"}),  # no Retry-After: not ours to wait out
    ],
)
def test_quota_429_raises_at_once_after_one_call(answer):
    time = FakeTime()
    route = respx.get(URL).mock(side_effect=[answer(), httpx.Response(200)])
    exc = fails(client(time), QuotaExhausted)
    assert route.call_count == 1 and time.sleeps == []
    assert exc.status == 429 and exc.reason == "quota" and not exc.retryable
    said_quota = "monthly call quota exhausted" in str(exc)
    assert said_quota == ("quota" in answer().text.lower())  # the message tells the two 429s apart


@respx.mock
def test_401_names_the_setting_to_fix():
    route = respx.get(URL).respond(401, json={"message": "Unauthorized"})
    exc = fails(client(), AuthError)
    assert route.call_count == 1 and exc.status == 401 and exc.reason == "auth"
    assert "cbbd_default" in str(exc) and "CBBD_API_KEY" in str(exc) and "Unauthorized" in str(exc)


def test_a_missing_key_fails_before_any_call(monkeypatch):
    for var in ("CBBD_API_KEY", "BEARER_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(settings, "cbbd_api_key", lambda: None)
    exc = fails(ApiClient(base_url=BASE), AuthError)
    assert "cbbd_default" in str(exc) and "CBBD_API_KEY" in str(exc)


@respx.mock
@pytest.mark.parametrize("status", [400, 404])
def test_client_errors_are_not_retried_and_keep_status_and_body(status):
    time = FakeTime()
    route = respx.get(URL).respond(status, json={"message": "Not found"})
    exc = fails(client(time), ClientError)
    assert route.call_count == 1 and time.sleeps == []
    assert exc.status == status and exc.body == b'{"message":"Not found"}' and exc.reason == f"http_{status}"
    assert not exc.retryable


@respx.mock
def test_retries_exhausted_keeps_the_last_answer():
    time = FakeTime()
    route = respx.get(URL).respond(502, text="bad gateway")
    exc = fails(client(time, max_retries=4, backoff_base_s=1.0, backoff_cap_s=4.0), RetriesExhausted)
    assert route.call_count == 5 and exc.attempts == 5
    assert time.sleeps == [1.0, 2.0, 4.0, 4.0]  # capped
    assert exc.status == 502 and exc.body == b"bad gateway" and exc.reason == "http_502" and exc.retryable
    assert "bad gateway" in str(exc)


@respx.mock
def test_timeouts_exhausted_say_timeout():
    respx.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    exc = fails(client(max_retries=2), RetriesExhausted)
    assert exc.reason == "timeout" and exc.status is None and exc.attempts == 3


# --- concurrency and rate ------------------------------------------------------------------------------


@respx.mock
def test_concurrency_never_exceeds_the_limit():
    state = {"now": 0, "peak": 0}

    async def slow(request):
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        for _ in range(5):
            await asyncio.sleep(0)  # let every other task try to get in
        state["now"] -= 1
        return httpx.Response(200, json=[])

    respx.get(URL).mock(side_effect=slow)
    c = client(concurrency=3)

    async def go():
        async with c:
            return await asyncio.gather(*(c.get("/games", {"season": i}) for i in range(20)))

    assert len(asyncio.run(go())) == 20
    assert state["peak"] == 3


def test_rate_limiter_reserves_evenly_spaced_slots_and_banks_no_burst():
    now = [0.0]
    limiter = RateLimiter(4.0, clock=lambda: now[0])
    assert [limiter.reserve() for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]
    now[0] = 10.0  # idle for a long while: the next call goes now, the one after waits a full interval
    assert [limiter.reserve() for _ in range(2)] == [0.0, 0.25]
    now[0] = 10.1
    assert limiter.reserve() == pytest.approx(0.4)
    assert RateLimiter(None).reserve() == 0.0


@respx.mock
def test_rate_limit_spaces_calls_through_the_client():
    time = FakeTime()
    starts = []

    def record(request):
        starts.append(time.now)
        return httpx.Response(200, json=[])

    respx.get(URL).mock(side_effect=record)
    c = client(time, rate=3.0, concurrency=1)

    async def go():
        async with c:
            await asyncio.gather(*(c.get("/games", {"season": i}) for i in range(10)))

    asyncio.run(go())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 10 and min(gaps) >= 1 / 3 - 1e-9
    assert (starts[-1] - starts[0]) / (len(starts) - 1) >= 1 / 3 - 1e-9


@respx.mock
def test_concurrent_callers_never_share_a_rate_slot():
    time = FakeTime(advance=False)  # the clock stands still: each wait is exactly the caller's slot
    respx.get(URL).respond(200, json=[])
    c = client(time, rate=5.0, concurrency=8)

    async def go():
        async with c:
            await asyncio.gather(*(c.get("/games", {"season": i}) for i in range(8)))

    asyncio.run(go())
    assert sorted(time.sleeps) == pytest.approx([k / 5 for k in range(1, 8)])


# --- secrets -------------------------------------------------------------------------------------------


def test_redact_replaces_every_secret():
    assert redact(f"a {KEY} b {KEY}", [KEY, None, ""]) == "a *** b ***"
    assert redact("nothing here", []) == "nothing here"


def test_redacting_filter_scrubs_message_args_and_traceback(caplog):
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("hoops.test.redaction")
    f = RedactingFilter([KEY])
    logger.addFilter(f)
    try:
        logger.info("calling with %s", KEY)
        try:
            raise ValueError(f"bad key {KEY}")
        except ValueError:
            logger.exception("failed for %r", {"key": KEY})
    finally:
        logger.removeFilter(f)
    assert "calling with ***" in caplog.text and "bad key ***" in caplog.text
    assert KEY not in caplog.text and KEY not in repr(f)


def _echo(status: int, **headers: str) -> httpx.Response:
    """A server that (badly) echoes the key back in its error body."""
    return httpx.Response(status, json={"message": f"problem with key {KEY}"}, headers=headers)


FAILURES = {
    "401": lambda: _echo(401),
    "404": lambda: _echo(404),
    "400": lambda: _echo(400),
    "quota": lambda: _echo(429),
    "5xx": lambda: _echo(503),
    "timeout": lambda: httpx.ReadTimeout(f"timed out {KEY}"),
    "network": lambda: httpx.ConnectError(f"refused {KEY}"),
}


def _no_key(*texts: object) -> None:
    for text in texts:
        data = text if isinstance(text, bytes) else str(text).encode()
        assert KEY.encode() not in data, text


@respx.mock
@pytest.mark.parametrize("kind", list(FAILURES))
def test_the_key_never_leaks_on_any_failure(kind, caplog):
    caplog.set_level(logging.DEBUG)

    def answer(request):
        outcome = FAILURES[kind]()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    respx.get(URL).mock(side_effect=answer)
    c = client(max_retries=2)
    exc = fails(c)
    _no_key(
        str(exc),
        repr(exc),
        exc.args,
        exc.body or b"",
        "".join(traceback.format_exception(exc)),
        caplog.text,
        repr(c),
    )
    assert "***" in str(exc) or kind in ("timeout", "network")


@respx.mock
def test_the_key_never_leaks_on_success(caplog):
    caplog.set_level(logging.DEBUG)
    respx.get(URL).mock(
        side_effect=[
            _echo(503),
            httpx.Response(200, json={"echo": KEY}, headers={"X-CallLimit-Remaining": "3"}),
        ]
    )
    c = client()
    response = run_get(c)
    _no_key(repr(response), response.body, response.headers, response.url, caplog.text, repr(c))


def test_a_missing_key_message_and_repr_hold_no_key(monkeypatch):
    monkeypatch.setattr(settings, "cbbd_api_key", lambda: None)
    c = ApiClient(base_url=BASE)
    assert "missing" in repr(c) and KEY not in repr(client())


# --- settings ------------------------------------------------------------------------------------------


@pytest.fixture
def no_key_env(monkeypatch):
    for var in ("CBBD_API_KEY", "BEARER_TOKEN", "AIRFLOW_CONN_CBBD_DEFAULT"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


class NotFound(Exception):
    """The fake `airflow.sdk.exceptions.AirflowNotFoundException`: the connection is not defined."""


def _fake_airflow(monkeypatch, conn=None, error: Exception | None = None):
    """Stand-ins for `airflow.sdk`: the connection lookup is tested without importing Airflow."""

    class BaseHook:
        @staticmethod
        def get_connection(conn_id):
            assert conn_id == "cbbd_default"
            if error:
                raise error
            return conn

    sdk = types.ModuleType("airflow.sdk")
    sdk.BaseHook = BaseHook
    exceptions = types.ModuleType("airflow.sdk.exceptions")  # settings tells "not defined" from a failure
    exceptions.AirflowNotFoundException = NotFound
    sdk.exceptions = exceptions
    root = types.ModuleType("airflow")
    root.sdk = sdk
    monkeypatch.setitem(sys.modules, "airflow", root)
    monkeypatch.setitem(sys.modules, "airflow.sdk", sdk)
    monkeypatch.setitem(sys.modules, "airflow.sdk.exceptions", exceptions)


def test_key_order_env_then_bearer_token_then_connection(no_key_env):
    _fake_airflow(no_key_env, conn=types.SimpleNamespace(password="from-conn", extra_dejson={}))
    assert settings.cbbd_api_key() == "from-conn"
    no_key_env.setenv("BEARER_TOKEN", "from-bearer")
    assert settings.cbbd_api_key() == "from-bearer"
    no_key_env.setenv("CBBD_API_KEY", "Bearer from-env ")  # a pasted header value is accepted
    assert settings.cbbd_api_key() == "from-env"


def test_key_from_the_connection_extra(no_key_env):
    _fake_airflow(
        no_key_env, conn=types.SimpleNamespace(password=None, extra_dejson={"api_key": "from-extra"})
    )
    assert settings.cbbd_api_key() == "from-extra"


def test_no_key_anywhere_is_none(no_key_env):
    _fake_airflow(no_key_env, error=NotFound("The conn_id `cbbd_default` isn't defined"))
    assert settings.cbbd_api_key() is None
    no_key_env.setitem(sys.modules, "airflow.sdk", None)  # Airflow not installed: import fails
    assert settings.cbbd_api_key() is None


def test_http_settings_from_env(monkeypatch):
    for var in ("HOOPS_CBBD_CONCURRENCY", "HOOPS_CBBD_RPS", "HOOPS_CBBD_TIMEOUT_S", "CBBD_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    defaults = settings.cbbd_http()
    assert (defaults.concurrency, defaults.rate, defaults.timeout_s) == (3, 3.0, 60.0)
    assert settings.cbbd_base_url() == "https://api.collegebasketballdata.com"
    monkeypatch.setenv("HOOPS_CBBD_CONCURRENCY", "2")
    monkeypatch.setenv("HOOPS_CBBD_RPS", "0.5")
    monkeypatch.setenv("HOOPS_CBBD_TIMEOUT_S", "10")
    monkeypatch.setenv("CBBD_BASE_URL", "http://127.0.0.1:9/")
    c = ApiClient(api_key=KEY)
    assert (c.concurrency, c.rate, c.timeout_s, c.base_url) == (2, 0.5, 10.0, "http://127.0.0.1:9")
