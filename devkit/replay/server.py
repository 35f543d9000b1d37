"""An offline HTTP server that answers like the real sources, with injectable faults and a request log.

Standard library only, so it starts in milliseconds inside a test, `make demo` or a benchmark.
Sources (BartTorvik and CBBD, both on by default; their paths do not collide) own their paths; the
server adds `/_replay/*` control routes, faults and logging around them. A source that needs request
headers (CBBD's bearer auth) implements `handle_request(path, query, headers)` besides `handle`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from devkit import samples
from devkit.replay.barttorvik import BartTorvikSource
from devkit.replay.cbbd import CbbdSource
from devkit.replay.faults import Fault, FaultBook, distort, short_circuit
from devkit.replay.response import NOT_FOUND, Response, Source, plain_body, prerendered, text

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_replay/"
SOURCE_TIME_ZONE = ZoneInfo("America/New_York")
SHUTDOWN_POLL_S = 0.05


def new_york_today() -> dt.date:
    """The sources publish on New York days, so "today" is New York's date, not the machine's."""
    return dt.datetime.now(SOURCE_TIME_ZONE).date()


class RequestRecord(NamedTuple):
    method: str
    path: str
    status: int
    user_agent: str


def _json(status: int, payload: Any) -> Response:
    return Response(status, json.dumps(payload).encode("utf-8"), "application/json")


class ReplayServer:
    """Bound at construction (so `.port` is known early); `start()` or `with` serves from a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        today: dt.date | None = None,
        samples_dir: Path | str | None = None,
        sources: Iterable[Source] | None = None,
        *,
        cbbd_api_key: str | None = None,
        cbbd_quota: int = 1_000_000,
        cbbd_scale: float = 1.0,
        cbbd_plays_per_game: int | None = None,
        prerender: bool = False,
    ):
        self._today = today
        # Benchmarks: answers are rendered and gzipped once, then served from memory, so the server's
        # CPU does not compete with the pipeline's. Cached answers are not metered against the quota.
        self._prerendered: dict[tuple[str, str], Response] | None = {} if prerender else None
        self.samples_dir = Path(samples_dir) if samples_dir is not None else samples.samples_dir()
        self.faults = FaultBook()
        self.cbbd: CbbdSource | None
        if sources is not None:
            self._sources: list[Source] = list(sources)
            self.cbbd = next((s for s in self._sources if isinstance(s, CbbdSource)), None)
        else:
            self.cbbd = CbbdSource(
                self.samples_dir / "cbbd",
                self.today,
                api_key=cbbd_api_key,
                monthly_quota=cbbd_quota,
                scale=cbbd_scale,
                plays_per_game=cbbd_plays_per_game,
            )
            self._sources = [BartTorvikSource(self.samples_dir, self.today), self.cbbd]
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._log_generation = 0  # bumped by clear_requests: answers to older requests are not logged
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.replay = self

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> ReplayServer:
        if self._stopping.is_set():
            raise RuntimeError("a stopped ReplayServer cannot be restarted; create a new one")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                args=(SHUTDOWN_POLL_S,),
                name=f"hoops-replay:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop quickly: waking any "slow" fault first, so no handler holds shutdown up."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = str(self._httpd.server_address[0])
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    def today(self) -> dt.date:
        return self._today if self._today is not None else new_york_today()

    def add_source(self, source: Source) -> None:
        """Serve another upstream's routes; sources are asked in the order they were added."""
        self._sources.append(source)
        if self.cbbd is None and isinstance(source, CbbdSource):
            self.cbbd = source

    # -- faults and the request log ----------------------------------------------------------------

    def set_fault(
        self,
        kind: str,
        *,
        times: int | None = None,
        path_contains: str = "",
        delay_s: float = 2.0,
        status: int = 503,
        retry_after_s: float = 1.0,
    ) -> None:
        self.faults.add(Fault(kind, times, path_contains, delay_s, status, retry_after_s))

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """Source requests seen so far (control calls under /_replay/ are not recorded)."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the requests received so far, including those still being answered (a "slow" fault's
        handler logs when it is done, maybe seconds later, in the next test: it was a request of this one)."""
        with self._log_lock:
            self._log.clear()
            self._log_generation += 1

    # -- request handling --------------------------------------------------------------------------

    def dispatch(
        self,
        method: str,
        raw_path: str,
        body: bytes,
        user_agent: str,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Answer one request; called by the handler thread."""
        parts = urlsplit(raw_path)
        if parts.path.startswith(CONTROL_PREFIX):
            return self._control(method, parts.path, body)
        with self._log_lock:
            generation = self._log_generation
        response = self._serve_source(
            method, raw_path, parts.path, dict(parse_qsl(parts.query)), headers or {}
        )
        with self._log_lock:
            if generation == self._log_generation:
                self._log.append(RequestRecord(method, raw_path, response.status, user_agent))
        return response

    def _serve_source(
        self, method: str, raw_path: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> Response:
        fault = self.faults.take(raw_path)
        if fault is None and self._prerendered is not None and method == "GET":
            key = (raw_path, str(headers.get("Authorization", "")))
            cached = self._prerendered.get(key)
            if cached is None:
                cached = self._route(method, path, query, headers)
                if cached.status == 200:
                    cached = prerendered(cached)
                    self._prerendered[key] = cached
            return cached
        if fault is not None:
            replaced = short_circuit(fault)
            if replaced is not None:
                return replaced
            if fault.kind == "slow":
                self._stopping.wait(fault.delay_s)
        response = self._route(method, path, query, headers)
        return distort(fault, response) if fault is not None else response

    def _route(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> Response:
        if method not in ("GET", "HEAD"):
            return text(405, "Method Not Allowed")
        for source in self._sources:
            try:
                with_headers = getattr(source, "handle_request", None)
                response = with_headers(path, query, headers) if with_headers else source.handle(path, query)
            except Exception:
                log.exception("replay source %s failed on %s", type(source).__name__, path)
                return text(500, "Internal Server Error")
            if response is not None:
                return response
        return NOT_FOUND

    def _control(self, method: str, path: str, body: bytes) -> Response:
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_replay/health"):
            return text(200, "ok")
        if route == ("GET", "/_replay/faults"):
            return _json(200, {"faults": [f.to_json() for f in self.faults.active()]})
        if route == ("POST", "/_replay/faults"):
            try:
                self.faults.add(Fault.from_json(json.loads(body or b"null")))
            except ValueError as exc:
                return _json(400, {"error": str(exc)})
            return _json(200, {"faults": [f.to_json() for f in self.faults.active()]})
        if route == ("DELETE", "/_replay/faults"):
            self.clear_faults()
            return _json(200, {"faults": []})
        if route == ("GET", "/_replay/requests"):
            return _json(200, {"requests": [r._asdict() for r in self.requests]})
        if route == ("DELETE", "/_replay/requests"):
            self.clear_requests()
            return _json(200, {"requests": []})
        return NOT_FOUND


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    replay: ReplayServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "hoops-replay"
    timeout = 60  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # small answers (faults, control) otherwise wait ~40 ms for a delayed ACK

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        response = self.server.replay.dispatch(
            self.command, self.path, body, self.headers.get("User-Agent", ""), self.headers
        )
        gzipped = response.gzipped is not None and "gzip" in self.headers.get("Accept-Encoding", "")
        body = response.gzipped if gzipped else plain_body(response)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout beat a "slow" fault)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


def serve(host: str, port: int, today: dt.date | None = None, **cbbd: Any) -> None:
    """Run in the foreground until Ctrl-C or SIGTERM (for `hoops replay` and `make replay`)."""
    done = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: done.set())
    server = ReplayServer(host, port, today=today, **cbbd)
    try:
        server.start()
        print(
            f"hoops replay: serving on {server.base_url} (today={server.today()}); Ctrl-C to stop", flush=True
        )
        while not done.wait(0.2):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
