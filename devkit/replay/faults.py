"""Injected failures, so tests can prove the pipeline copes with what barttorvik.com and the CBBD API
really do ("429": CBBD's per-endpoint concurrency limit, to retry after `Retry-After`; "quota": its
monthly quota spent, with no Retry-After).

A fault matches requests whose path contains `path_contains`; `times=None` keeps it until cleared,
`times=n` lets it fire n times and then normal service resumes. The first matching fault wins.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import asdict, dataclass, replace
from http import HTTPStatus
from typing import Any

from devkit.replay.response import Response, text

KINDS = ("403", "bot", "5xx", "slow", "truncated", "malformed", "429", "quota")

FORBIDDEN_HTML = (
    "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>\n"
    "<body><h1>Forbidden</h1><p>You don't have permission to access this resource.</p></body></html>\n"
)

# Shaped like the interstitial barttorvik.com shows before its JS check sets `js_verified=true`.
BOT_HTML = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Verifying Browser</title></head>
<body>
<p>Verifying your browser...</p>
<form id="js-test" method="post" action="">
<input type="hidden" name="js_test_submitted" value="1">
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.getElementById("js-test").submit();</script>
</body>
</html>
"""

MALFORMED_JSON = b'{"error": "unexpected"}'
JSON_TYPE = "application/json; charset=utf-8"
TOO_MANY_CONCURRENT = b'{"message": "Too many concurrent requests for this endpoint."}'
QUOTA_EXCEEDED = b'{"message": "Monthly call quota exceeded."}'


@dataclass(frozen=True)
class Fault:
    kind: str
    times: int | None = None
    path_contains: str = ""
    delay_s: float = 2.0
    status: int = 503
    retry_after_s: float = 1.0  # the Retry-After header of a "429"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be None or >= 1, got {self.times}")
        if self.delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, got {self.delay_s}")
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {self.status}")
        if self.retry_after_s < 0:
            raise ValueError(f"retry_after_s must be >= 0, got {self.retry_after_s}")

    @classmethod
    def from_json(cls, payload: Any) -> Fault:
        """Build from the control endpoint's JSON body; unknown keys are an error, not silently dropped."""
        if not isinstance(payload, dict) or "kind" not in payload:
            raise ValueError('expected a JSON object with at least "kind"')
        unknown = set(payload) - {"kind", "times", "path_contains", "delay_s", "status", "retry_after_s"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        try:
            return cls(
                kind=str(payload["kind"]),
                times=None if payload.get("times") is None else int(payload["times"]),
                path_contains=str(payload.get("path_contains", "")),
                delay_s=float(payload.get("delay_s", 2.0)),
                status=int(payload.get("status", 503)),
                retry_after_s=float(payload.get("retry_after_s", 1.0)),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """The active faults. Thread-safe: handler threads consume them while tests add and clear."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, path: str) -> Fault | None:
        """The fault this request triggers, spending one of its `times`."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path_contains not in path:
                    continue
                if fault.times is not None:
                    if fault.times == 1:
                        del self._faults[i]
                    else:
                        self._faults[i] = replace(fault, times=fault.times - 1)
                return fault
        return None


def short_circuit(fault: Fault) -> Response | None:
    """The answer for faults that replace the source entirely (the source is never asked)."""
    if fault.kind == "403":
        return text(403, FORBIDDEN_HTML, "text/html; charset=utf-8")
    if fault.kind == "bot":
        return text(200, BOT_HTML, "text/html; charset=utf-8")
    if fault.kind == "5xx":
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Server Error"
        return text(fault.status, f"{fault.status} {phrase}\n")
    if fault.kind == "429":
        seconds = fault.retry_after_s
        retry_after = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return Response(429, TOO_MANY_CONCURRENT, JSON_TYPE, {"Retry-After": retry_after})
    if fault.kind == "quota":
        return Response(429, QUOTA_EXCEEDED, JSON_TYPE, {"X-CallLimit-Remaining": "0"})
    return None


def distort(fault: Fault, response: Response) -> Response:
    """Spoil a normal answer: cut it in half, or swap it for a body of the wrong shape."""
    if fault.kind == "truncated":
        return replace(response, body=response.body[: len(response.body) // 2])
    if fault.kind == "malformed":
        gzipped = "gzip" in response.content_type
        body = gzip.compress(MALFORMED_JSON, mtime=0) if gzipped else MALFORMED_JSON
        content_type = response.content_type if response.status == 200 else "application/json"
        return Response(200, body, content_type)
    return response
