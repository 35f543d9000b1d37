"""The replay server answers like the CBBD API: every catalog endpoint, auth, metering, caps, faults."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devkit.replay import ReplayServer
from devkit.replay.cbbd import SAMPLES, SAMPLES_ANY_SCALE
from devkit.samples import samples_dir
from hoops.cbbd import catalog

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEASON = 2024
TODAY = dt.date(2024, 1, 6)  # a Saturday with games at the test scale, for /scoreboard
DAY = "2024-01-06"
SAMPLES_DIR = samples_dir() / "cbbd"
needs_samples = pytest.mark.skipif(not SAMPLES_DIR.is_dir(), reason="real CBBD samples not available")


def small_server(**knobs: Any) -> ReplayServer:
    options = {"today": TODAY, "cbbd_scale": 0.03, "cbbd_plays_per_game": 60, "cbbd_api_key": KEY, **knobs}
    return ReplayServer(**options)


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with small_server() as replay:
        yield replay


@pytest.fixture(scope="module")
def client(server: ReplayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def known(client: httpx.Client) -> dict[str, Any]:
    """Ids that exist in the small season: a game of DAY, its home team, conference and a player."""
    game = client.get("/games", params={"season": SEASON, "startDateRange": DAY, "endDateRange": DAY}).json()[
        0
    ]
    roster = client.get("/teams/roster", params={"season": SEASON, "team": game["homeTeam"]}).json()
    return {
        "gameId": game["id"],
        "team": game["homeTeam"],
        "teamId": game["homeTeamId"],
        "conference": game["homeConference"],
        "playerId": roster[0]["players"][0]["id"],
    }


# One valid request per endpoint; None is filled from `known`.
REQUESTS: dict[str, dict[str, Any]] = {
    "conferences_history": {},
    "conferences": {},
    "draft_picks": {"year": SEASON},
    "draft_positions": {},
    "draft_teams": {},
    "games_media": {"season": SEASON},
    "games_players": {"season": SEASON, "startDateRange": DAY, "endDateRange": DAY},
    "games_teams": {"season": SEASON},
    "games": {"season": SEASON, "team": None},
    "scoreboard": {},
    "lines": {"season": SEASON},
    "lines_providers": {},
    "lineups_game": {"gameId": None},
    "lineups_team": {"season": SEASON, "team": None},
    "plays_types": {},
    "plays_game": {"gameId": None},
    "plays_date": {"date": DAY},
    "plays_player": {"playerId": None, "season": SEASON},
    "plays_team": {"season": SEASON, "team": None},
    "plays_tournament": {"tournament": "NCAA", "season": SEASON},
    "substitutions_game": {"gameId": None},
    "substitutions_player": {"playerId": None, "season": SEASON},
    "substitutions_team": {"season": SEASON, "team": None},
    "rankings": {"season": SEASON},
    "ratings_adjusted": {"season": SEASON},
    "ratings_elo": {"season": SEASON},
    "ratings_srs": {"season": SEASON},
    "recruiting_portal": {"year": SEASON},
    "recruiting_players": {"year": SEASON},
    "recruiting_teams": {"year": SEASON},
    "stats_player_shooting_season": {"season": SEASON, "conference": None},
    "stats_player_season": {"season": SEASON},
    "stats_team_leaderboard": {"season": SEASON},
    "stats_team_shooting_season": {"season": SEASON, "conference": None},
    "stats_team_season": {"season": SEASON, "team": None},
    "teams_directory": {"season": SEASON},
    "teams_overview": {"teamId": None, "season": SEASON},
    "teams_roster": {"season": SEASON},
    "teams": {"season": SEASON},
    "venues": {},
}


def request_for(name: str, known: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ep = catalog.get(name)
    params = {k: known[k] if v is None else v for k, v in REQUESTS[name].items()}
    path_values = {p.name: params.pop(p.name) for p in ep.path_params}
    return (ep.url_path(**path_values) if path_values else ep.path), params


def test_every_catalog_endpoint_has_a_request() -> None:
    assert set(REQUESTS) == set(catalog.ENDPOINTS)


@pytest.mark.parametrize("name", list(catalog.ENDPOINTS))
def test_every_endpoint_answers_rows_that_fit_its_schema(
    client: httpx.Client, known: dict[str, Any], name: str
) -> None:
    ep = catalog.get(name)
    path, params = request_for(name, known)
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["X-CallLimit-Remaining"]) > 0
    body = response.json()
    rows = body if ep.response_is_list else [body]
    assert isinstance(body, list) == ep.response_is_list
    assert rows, f"{name} answered no rows"
    table = catalog.to_table(rows, ep)
    assert catalog.null_violations(table) == []
    assert table.column(catalog.EXTRA_COLUMN).null_count == len(rows)  # no undeclared top-level key
    assert all(catalog.unknown_paths(row, ep) == [] for row in rows[:50])


@needs_samples
@pytest.mark.parametrize("key", list(SAMPLES))
def test_real_samples_are_served_as_recorded(
    client: httpx.Client, full_client: httpx.Client, key: tuple
) -> None:
    """At full scale every sample is served as recorded; at a small scale only the reference ones, so a
    full-size season (707 team rows) never lands in a small world."""
    name, params = key
    query = {k: "Duke" if k == "team" else v for k, v in params}
    recorded = (SAMPLES_DIR / SAMPLES[key]).read_bytes()
    response = full_client.get(catalog.get(name).path, params=query)
    assert response.status_code == 200
    assert response.content == recorded
    small = client.get(catalog.get(name).path, params=query)
    assert (small.content == recorded) == (key in SAMPLES_ANY_SCALE)


# -- caps and windows ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_client() -> Iterator[httpx.Client]:
    with (
        ReplayServer(today=TODAY, cbbd_scale=1.0) as replay,
        httpx.Client(base_url=replay.base_url, headers=AUTH, timeout=60) as http,
    ):
        yield http


def test_row_caps_truncate_a_wide_window_after_sorting_by_start(full_client: httpx.Client) -> None:
    season = {"season": SEASON, "startDateRange": "2023-11-01T00:00:00.000Z"}
    wide = full_client.get("/games", params={**season, "endDateRange": "2024-04-30T23:59:59.999Z"}).json()
    assert len(wide) == catalog.get("games").row_cap == 3000
    starts = [g["startDate"] for g in wide]
    assert starts == sorted(starts)
    early = full_client.get("/games", params={**season, "endDateRange": "2023-12-31"}).json()
    late = full_client.get(
        "/games", params={"season": SEASON, "startDateRange": "2024-01-01", "endDateRange": "2024-01-31"}
    )
    assert len(early) < 3000
    assert [g["id"] for g in wide] == [g["id"] for g in early + late.json()][:3000]  # the earliest 3,000

    players = full_client.get("/games/players", params={**season, "endDateRange": "2024-04-30"}).json()
    assert len(players) == catalog.get("games_players").row_cap == 1000
    narrow = full_client.get(
        "/games/players", params={"season": SEASON, "startDateRange": DAY, "endDateRange": DAY}
    )
    one_day = full_client.get(
        "/games", params={"season": SEASON, "startDateRange": DAY, "endDateRange": DAY}
    ).json()
    assert len(narrow.json()) == 2 * len(one_day) < 1000  # two team rows per game, not truncated


def test_date_windows_are_inclusive_at_both_ends(client: httpx.Client) -> None:
    games = client.get("/games", params={"season": SEASON}).json()
    on_day = [g["id"] for g in games if g["startDate"].startswith(DAY)]
    window = client.get(
        "/games", params={"season": SEASON, "startDateRange": DAY, "endDateRange": DAY}
    ).json()
    assert [g["id"] for g in window] == on_day and on_day
    first = games[10]
    exact = {"season": SEASON, "startDateRange": first["startDate"], "endDateRange": first["startDate"]}
    assert first["id"] in [g["id"] for g in client.get("/games", params=exact).json()]
    after = dt.datetime.fromisoformat(first["startDate"]) + dt.timedelta(milliseconds=1)
    later = {"season": SEASON, "startDateRange": after.isoformat(timespec="milliseconds")}
    assert first["id"] not in [g["id"] for g in client.get("/games", params=later).json()]


# -- consistency --------------------------------------------------------------------------------------


def test_plays_by_date_equal_the_plays_of_that_days_games(
    client: httpx.Client, known: dict[str, Any]
) -> None:
    plays = client.get("/plays/date", params={"date": DAY}).json()
    games = client.get("/games", params={"season": SEASON, "startDateRange": DAY, "endDateRange": DAY}).json()
    by_game: dict[int, list] = defaultdict(list)
    for play in plays:
        by_game[play["gameId"]].append(play)
    assert list(by_game) == [g["id"] for g in games]
    for game in games:
        assert client.get(f"/plays/game/{game['id']}").json() == by_game[game["id"]]
    assert len({p["id"] for p in plays}) == len(plays)

    team_plays = client.get("/plays/team", params={"season": SEASON, "team": known["team"]}).json()
    assert {p["id"] for p in by_game[known["gameId"]]} <= {p["id"] for p in team_plays}
    mine = client.get(f"/plays/player/{known['playerId']}", params={"season": SEASON}).json()
    assert mine and all(known["playerId"] in [x["id"] for x in p["participants"]] for p in mine)
    shots = client.get(f"/plays/game/{known['gameId']}", params={"shootingPlaysOnly": "true"}).json()
    assert shots and all(p["shootingPlay"] for p in shots)


def test_final_play_score_is_the_games_score_and_players_are_on_the_floor() -> None:
    with (
        small_server(cbbd_plays_per_game=None) as replay,
        httpx.Client(base_url=replay.base_url, headers=AUTH) as http,
    ):
        game = http.get(
            "/games", params={"season": SEASON, "startDateRange": DAY, "endDateRange": DAY}
        ).json()[0]
        plays = http.get(f"/plays/game/{game['id']}").json()
        subs = http.get(f"/substitutions/game/{game['id']}").json()
        lineups = http.get(f"/lineups/game/{game['id']}").json()
    assert 280 <= len(plays) <= 400
    assert (plays[-1]["homeScore"], plays[-1]["awayScore"]) == (game["homePoints"], game["awayPoints"])
    for play in plays:
        on_floor = {p["id"] for p in play["onFloor"]}
        assert len(on_floor) == 10 and {p["id"] for p in play["participants"]} <= on_floor
    seconds = defaultdict(int)
    for row in lineups:
        seconds[row["teamId"]] += row["totalSeconds"]
    assert dict(seconds) == {game["homeTeamId"]: 2400, game["awayTeamId"]: 2400}
    starters = {
        s["athleteId"] for s in subs if s["subIn"] == {**s["subIn"], "period": 1, "secondsRemaining": 1200}
    }
    assert starters == {p["id"] for p in plays[0]["onFloor"]}


def test_team_substitutions_are_the_teams_share_of_each_game(
    client: httpx.Client, known: dict[str, Any]
) -> None:
    team = client.get("/substitutions/team", params={"season": SEASON, "team": known["team"]}).json()
    game = client.get(f"/substitutions/game/{known['gameId']}").json()
    ours = [s for s in game if s["teamId"] == known["teamId"]]
    assert ours and [s for s in team if s["gameId"] == known["gameId"]] == ours
    assert {s["teamId"] for s in team} == {known["teamId"]}


def test_the_same_request_gives_the_same_bytes() -> None:
    paths = ["/plays/date?date=2024-01-06", f"/games?season={SEASON}", f"/games/players?season={SEASON}"]
    bodies = []
    for _ in range(2):
        with small_server() as replay, httpx.Client(base_url=replay.base_url, headers=AUTH) as http:
            bodies.append([http.get(p).content for p in paths])
    assert bodies[0] == bodies[1]
    script = (
        "import datetime as d, hashlib; from devkit.samples import samples_dir; "
        "from devkit.replay.cbbd_world import World; "
        "from devkit.replay.cbbd_handlers_games import plays_date; "
        "w = World(samples_dir() / 'cbbd', 0.03, 60); "
        "r = plays_date(w, {'date': d.datetime(2024, 1, 6, tzinfo=d.UTC)}); "
        "print(hashlib.sha256(r.body).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4321", "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == hashlib.sha256(bodies[0][0]).hexdigest()


# -- auth, quota, errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": KEY}, {"Authorization": "Token abc"}, {"Authorization": "Bearer"}]
)
def test_a_missing_or_malformed_bearer_header_is_401(server: ReplayServer, headers: dict[str, str]) -> None:
    response = httpx.get(f"{server.base_url}/conferences", headers=headers)
    assert response.status_code == 401
    assert response.json()["message"].startswith(
        'Unauthorized. Did you forget to add "Bearer " before your key?'
    )
    assert "X-CallLimit-Remaining" not in response.headers


def test_a_wrong_key_is_401_and_any_key_works_when_none_is_set(server: ReplayServer) -> None:
    wrong = httpx.get(f"{server.base_url}/conferences", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"message": "Unauthorized"})
    with small_server(cbbd_api_key=None) as open_replay:
        assert (
            httpx.get(f"{open_replay.base_url}/venues", headers={"Authorization": "Bearer x"}).status_code
            == 200
        )


def test_calls_are_metered_until_the_quota_is_spent() -> None:
    with small_server(cbbd_quota=3) as replay, httpx.Client(base_url=replay.base_url, headers=AUTH) as http:
        remaining = [http.get("/plays/types").headers["X-CallLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        spent = http.get("/venues")
        assert (spent.status_code, spent.json()) == (429, {"message": "Monthly call quota exceeded."})
        assert "Retry-After" not in spent.headers
        assert replay.cbbd.calls_used == 3 and replay.cbbd.quota_remaining == 0
        assert http.get("/scoreboard").status_code == 200  # not metered
        replay.cbbd.set_quota(2)
        assert http.get("/venues").headers["X-CallLimit-Remaining"] == "1"
        assert replay.cbbd.calls_used == 4
        assert replay.cbbd.served_rows[:3] == [len(http.get("/plays/types").json())] * 3


def test_errors_are_refunded(server: ReplayServer, client: httpx.Client) -> None:
    before = (server.cbbd.calls_used, server.cbbd.quota_remaining)
    missing = client.get("/plays/date")
    assert missing.status_code == 400
    assert missing.json() == {
        "message": "Validation Failed",
        "details": {"date": {"message": "'date' is required"}},
    }
    assert client.get("/plays/game/not-a-number").status_code == 400
    assert client.get("/games", params={"seasonType": "spring"}).status_code == 400
    assert client.get("/stats/team/shooting/season", params={"season": SEASON}).status_code == 400
    assert client.get("/teams/999999/season/2024/overview").status_code == 404
    refused = client.get("/teams/1000/season/2024/overview")  # a real team that is not in this season
    assert refused.status_code in (404, 422)
    assert refused.headers["X-CallLimit-Remaining"] == str(before[1])
    assert (server.cbbd.calls_used, server.cbbd.quota_remaining) == before
    ok = client.get("/venues")
    assert int(ok.headers["X-CallLimit-Remaining"]) == before[1] - 1


def test_seasons_without_data_answer_an_empty_list(client: httpx.Client) -> None:
    assert client.get("/lineups/team", params={"season": 2023, "team": "Duke"}).json() == []
    assert client.get("/plays/date", params={"date": "2005-01-08"}).json() == []
    assert client.get("/ratings/adjusted", params={"season": 2010}).json() == []


def test_unknown_paths_are_left_to_the_other_sources(client: httpx.Client) -> None:
    assert (client.get("/nope").status_code, client.get("/nope").text) == (404, "Not Found")


# -- faults -------------------------------------------------------------------------------------------


def test_fault_429_concurrency_has_a_retry_after(server: ReplayServer, client: httpx.Client) -> None:
    server.set_fault("429", times=1, path_contains="/lineups/team", retry_after_s=0)
    server.set_fault("429", times=1, path_contains="/lineups/team")
    params = {"season": SEASON, "team": "Clemson"}
    first, second = client.get("/lineups/team", params=params), client.get("/lineups/team", params=params)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "0")
    assert first.json() == {"message": "Too many concurrent requests for this endpoint."}
    assert second.headers["Retry-After"] == "1"
    assert client.get("/lineups/team", params=params).status_code == 200


def test_fault_quota_and_generic_faults_apply_to_cbbd_paths(
    server: ReplayServer, client: httpx.Client
) -> None:
    server.set_fault("quota", times=1)
    spent = client.get("/venues")
    assert (spent.status_code, spent.json()) == (429, {"message": "Monthly call quota exceeded."})
    assert "Retry-After" not in spent.headers
    server.set_fault("5xx", times=1, status=502)
    assert client.get("/venues").status_code == 502
    server.set_fault("truncated", times=1)
    with pytest.raises(json.JSONDecodeError):
        json.loads(client.get("/venues").content)
    added = client.post("/_replay/faults", json={"kind": "429", "times": 1, "retry_after_s": 2})
    assert added.status_code == 200
    assert client.get("/venues").headers["Retry-After"] == "2"
    server.clear_faults()
