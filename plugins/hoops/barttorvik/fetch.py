"""Fetch one BartTorvik file and classify the answer before anything trusts it.

The site answers datacenter IPs and some user agents with 403 or an HTML "Verifying Browser" page
(HTTP 200). Those, 5xx, timeouts and truncated bodies raise `SourceError` with a short `reason` code
and keep the body so it can go to deadletter. A 404 means the file is not published (off-season).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import httpx

from hoops.barttorvik.parse import MalformedSnapshot, decode
from hoops.settings import BartTorvikSettings

BOT_MARKERS = (b"verifying browser", b"verifying your browser", b"js_test_submitted")


class SourceError(RuntimeError):
    """The source did not give a usable file. `retryable` tells whether trying later can help."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        status: int | None = None,
        body: bytes = b"",
        content_type: str = "",
        retryable: bool = True,
    ):
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.body = body
        self.content_type = content_type
        self.retryable = retryable


class NotPublished(SourceError):
    """404: the source has no file for that date (off-season, or before the time machine began)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    content_type: str
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _problem(url: str, status: int, content_type: str, body: bytes) -> tuple[str, str, bool] | None:
    """(reason, message, retryable) when the answer is not a usable team_results body, else None."""
    if status == 404:
        return "not_published", f"{url} answered 404: no file published for that date", False
    if status == 403:
        return (
            "blocked_403",
            f"{url} answered 403 Forbidden (bot or datacenter-IP blocking); "
            "try HOOPS_BT_USER_AGENT=browser or another network",
            True,
        )
    if status == 429 or status >= 500:
        return f"http_{status}", f"{url} answered HTTP {status}; the site is busy or down", True
    if status != 200:
        return f"http_{status}", f"{url} answered unexpected HTTP {status}", False
    sniff = body[:4096].lower()
    if "html" in content_type.lower() or any(m in sniff for m in BOT_MARKERS):
        return (
            "bot_check",
            f"{url} answered an HTML 'Verifying Browser' page instead of data "
            "(bot check); it was kept in deadletter and not parsed",
            True,
        )
    try:
        decode(body)
    except MalformedSnapshot as exc:
        return "malformed", f"{url} answered a body that is not a team_results file: {exc}", True
    return None


def classify(url: str, status: int, content_type: str, body: bytes) -> None:
    """Raise SourceError (NotPublished for a 404) unless this is a usable team_results body."""
    problem = _problem(url, status, content_type, body)
    if problem is None:
        return
    reason, message, retryable = problem
    error = NotPublished if reason == "not_published" else SourceError
    raise error(reason, message, status=status, body=body, content_type=content_type, retryable=retryable)


def fetch(url: str, cfg: BartTorvikSettings) -> Fetched:
    headers = {"User-Agent": cfg.user_agent, "Accept": "application/json, application/gzip, */*"}
    try:
        with httpx.Client(timeout=cfg.timeout_s, follow_redirects=True, headers=headers) as client:
            response = client.get(url)
    except httpx.TimeoutException:
        raise SourceError("timeout", f"{url} did not answer within {cfg.timeout_s:g} s") from None
    except httpx.TransportError as exc:
        raise SourceError("network", f"{url} could not be reached ({type(exc).__name__})") from None
    content_type = response.headers.get("content-type", "")
    classify(url, response.status_code, content_type, response.content)
    return Fetched(url, response.status_code, response.content, content_type)
