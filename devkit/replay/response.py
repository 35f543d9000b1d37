"""What a replay source returns, and the contract a source implements.

Kept apart from the server so sources and the fault machinery can share it without importing the
HTTP plumbing.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    gzipped: bytes | None = None  # the body gzipped once, sent to clients that accept gzip


def prerendered(response: Response) -> Response:
    """The response with its body gzipped once (mtime 0: same body, same bytes) and kept only so (a season
    of plays is about 2 GB as text, a tenth of that gzipped): serving it again costs a socket write, not a
    render and a compression. `plain_body` gives the text back to a client that does not take gzip."""
    return replace(response, body=b"", gzipped=gzip.compress(response.body, compresslevel=6, mtime=0))


def plain_body(response: Response) -> bytes:
    return gzip.decompress(response.gzipped) if response.gzipped is not None else response.body


def text(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(status, body.encode("utf-8"), content_type)


NOT_FOUND = text(404, "Not Found")


class Source(Protocol):
    """One upstream the server imitates (BartTorvik now, CBBD later).

    `handle` answers the paths it owns and returns None for the rest, so the server can ask each
    source in turn and fall back to 404.
    """

    def handle(self, path: str, query: Mapping[str, str]) -> Response | None: ...
