"""The CBBD API (api.collegebasketballdata.com) as a replay source: all 40 catalog endpoints.

What the real API does and the pipeline must cope with is imitated here: bearer auth and its 401s,
monthly metering (`X-CallLimit-Remaining`, errors refunded, 429 when spent, `/scoreboard` free),
Patreon tiers, tsoa's 400s, silent row caps after sorting by startDate. Real samples are served byte
for byte for the exact requests they record; everything else is generated, deterministically, from
one season "universe" per season so endpoints agree with each other (see `cbbd_schedule`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from devkit.replay import (  # noqa: F401  (importing them registers their handlers)
    cbbd_handlers_games,
    cbbd_handlers_people,
    cbbd_handlers_season,
    cbbd_handlers_teams,
)
from devkit.replay.cbbd_common import HANDLERS, ApiError, Rendered
from devkit.replay.cbbd_data import js
from devkit.replay.cbbd_params import ValidationFailed, validate
from devkit.replay.cbbd_world import World
from devkit.replay.response import Response
from hoops.cbbd import catalog

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
REMAINING_HEADER = "X-CallLimit-Remaining"
NO_BEARER = (
    'Unauthorized. Did you forget to add "Bearer " before your key? Go to '
    "https://collegebasketballdata.com/key to register for your free API key. See the CBBD API docs "
    "for more info."
)
QUOTA_EXCEEDED = "Monthly call quota exceeded."
TIER_LOCKED = "Unauthorized. This endpoint requires a Patreon subscription at Tier {tier} or higher."
BEARER = re.compile(r"Bearer (?P<token>.+)")
MAX_TIER = 6
CACHE_BYTES = 64 * 1024 * 1024  # finished bodies kept for repeats (retries, reruns)
CACHE_ONE_BODY = 16 * 1024 * 1024  # a busy day's plays (~50 MB) is regenerated rather than kept
SERVED_KEPT = 100_000  # the `served` log keeps the latest answers only

# (endpoint, canonical params) -> file in samples/cbbd/ holding the real answer to exactly that request.
# Reference answers are served at any scale; a season's answer only at full scale (1.0), where its 364 D1
# teams are the replay's (at a smaller scale it would bring a full-size season into a small one).
SAMPLES_ANY_SCALE: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {
    ("conferences", ()): "conferences.json",
    ("teams", ()): "teams__no-params.json",
}
SAMPLES: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {
    **SAMPLES_ANY_SCALE,
    ("teams", (("season", 2025),)): "teams__season-2025.json",
    ("games", (("season", 2023), ("team", "duke"))): "games__team-Duke_season-2023.json",
    (
        "stats_player_season",
        (("season", 2023), ("team", "duke")),
    ): "stats_player_season__team-Duke_season-2023.json",
    ("stats_team_season", (("season", 2023),)): "stats_team_season__season-2023.json",
}


class Served(NamedTuple):
    """One metered-or-not answer: path, status, rows in the body (0 for errors) and body size."""

    path: str
    status: int
    rows: int
    bytes: int


def _canonical(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    out = []
    for key, value in sorted(params.items()):
        if isinstance(value, str):
            value = value.casefold()
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        out.append((key, value))
    return tuple(out)


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode("utf-8"), JSON_TYPE, dict(headers or {}))


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, Mapping):
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


class CbbdSource:
    """Answers the CBBD paths; `calls_used`, `quota_remaining` and `served` are there for tests to read."""

    def __init__(
        self,
        samples_dir: Path,
        today: Callable[[], dt.date] = dt.date.today,
        *,
        api_key: str | None = None,
        monthly_quota: int = 1_000_000,
        scale: float = 1.0,
        plays_per_game: int | None = None,
        tier: int = MAX_TIER,
    ):
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        if plays_per_game is not None and not 0 <= plays_per_game <= 999:
            raise ValueError(
                f"plays_per_game must be within 0..999 (play ids are gameId*1000+n), got {plays_per_game}"
            )
        self.samples_dir = Path(samples_dir)
        self.world = World(self.samples_dir, scale, plays_per_game, today)
        self.api_key = api_key
        self.tier = tier
        self.monthly_quota = monthly_quota
        self.quota_remaining = monthly_quota
        self.calls_used = 0
        self.served: deque[Served] = deque(maxlen=SERVED_KEPT)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, tuple[bytes, int]] = OrderedDict()
        self._cache_bytes = 0

    # -- knobs for tests ---------------------------------------------------------------------------

    def set_quota(self, remaining: int) -> None:
        """Simulate a quota running low (or out) mid-run."""
        with self._lock:
            self.quota_remaining = remaining

    @property
    def served_rows(self) -> list[int]:
        """Rows per successful answer, in order."""
        with self._lock:
            return [s.rows for s in self.served if 200 <= s.status < 300]

    def clear_served(self) -> None:
        with self._lock:
            self.served.clear()

    # -- the Source protocol -----------------------------------------------------------------------

    def handle(self, path: str, query: Mapping[str, str]) -> Response | None:
        """Without headers there is no key: every CBBD path answers 401."""
        return self.handle_request(path, query, {})

    def handle_request(self, path: str, query: Mapping[str, str], headers: Any) -> Response | None:
        try:
            endpoint = catalog.by_path(path)
        except KeyError:
            return None
        path_values = endpoint.match(path.rstrip("/") or "/") or {}

        denied = self._authenticate(_header(headers, "Authorization"), endpoint)
        if denied is not None:
            return self._record(path, denied, 0)
        metered = endpoint.counts_against_quota
        with self._lock:
            if metered:
                if self.quota_remaining <= 0:
                    refused = _json(429, {"message": QUOTA_EXCEEDED}, {REMAINING_HEADER: "0"})
                    self.served.append(Served(path, 429, 0, len(refused.body)))
                    return refused
                self.quota_remaining -= 1
                self.calls_used += 1
        response, rows = self._answer(endpoint, query, path_values)
        with self._lock:
            if metered and not 200 <= response.status < 300:
                self.quota_remaining += 1  # errors are refunded
                self.calls_used -= 1
            remaining = max(self.quota_remaining, 0)
            self.served.append(Served(path, response.status, rows, len(response.body)))
        return Response(
            response.status, response.body, response.content_type, {REMAINING_HEADER: str(remaining)}
        )

    # -- internals ---------------------------------------------------------------------------------

    def _authenticate(self, authorization: str | None, endpoint: catalog.Endpoint) -> Response | None:
        found = BEARER.search(authorization or "")
        if found is None or not found["token"].strip():
            return _json(401, {"message": NO_BEARER})
        if self.api_key is not None and found["token"].strip() != self.api_key:
            return _json(401, {"message": "Unauthorized"})
        if endpoint.tier > self.tier:
            return _json(401, {"message": TIER_LOCKED.format(tier=endpoint.tier)})
        return None

    def _record(self, path: str, response: Response, rows: int) -> Response:
        with self._lock:
            self.served.append(Served(path, response.status, rows, len(response.body)))
        return response

    def _answer(
        self, endpoint: catalog.Endpoint, query: Mapping[str, str], path_values: Mapping[str, str]
    ) -> tuple[Response, int]:
        try:
            params = validate(endpoint, query, path_values)
        except ValidationFailed as exc:
            return _json(400, exc.body()), 0
        key = (endpoint.name, _canonical(params))
        cached = self._cached(key)
        if cached is not None:
            return Response(200, cached[0], JSON_TYPE), cached[1]
        sample = (SAMPLES if self.world.scale == 1.0 else SAMPLES_ANY_SCALE).get(key)
        if sample is not None and (self.samples_dir / sample).is_file():
            body = (self.samples_dir / sample).read_bytes()
            return Response(200, body, JSON_TYPE), len(json.loads(body))
        try:
            body, rows = self._generate(endpoint, params)
        except ApiError as exc:
            return _json(exc.status, exc.payload), 0
        except Exception:
            log.exception("CBBD replay failed on %s %s", endpoint.name, params)
            return _json(500, {"message": "Internal Server Error"}), 0
        self._keep(key, body, rows)
        return Response(200, body, JSON_TYPE), rows

    def _generate(self, endpoint: catalog.Endpoint, params: dict[str, Any]) -> tuple[bytes, int]:
        season_name = endpoint.season_param
        season = params.get(season_name) if season_name else None
        if endpoint.response_is_list and season is not None and not endpoint.has_season(int(season)):
            return b"[]", 0  # the API has no data for that season: an empty list, not an error
        result = HANDLERS[endpoint.name](self.world, params)
        if isinstance(result, Rendered):
            return result.body, result.rows
        if isinstance(result, dict):
            return js(result).encode(), 1
        return js(result).encode(), len(result)

    def _cached(self, key: tuple) -> tuple[bytes, int] | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _keep(self, key: tuple, body: bytes, rows: int) -> None:
        if len(body) > CACHE_ONE_BODY:
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = (body, rows)
            self._cache_bytes += len(body)
            while self._cache_bytes > CACHE_BYTES:
                _, (old, _) = self._cache.popitem(last=False)
                self._cache_bytes -= len(old)
