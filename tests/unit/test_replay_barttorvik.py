"""The replay server answers like barttorvik.com, deterministically, and fails on demand."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from devkit.replay import ReplayServer
from devkit.replay.barttorvik_teams import teams_for_season
from devkit.samples import samples_dir
from hoops.barttorvik import layout

TODAY = dt.date(2021, 1, 16)
TM = "/timemachine/team_results/{:%Y%m%d}_team_results.json.gz"
SAMPLES = samples_dir() / "barttorvik" / "timemachine"
RANK_COLUMNS = (0, 5, 7, 9, 42, 43)
TEXT_COLUMNS = (1, 2, 3, 14)

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="real samples not available")


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer(today=TODAY) as replay:
        yield replay


@pytest.fixture
def client(server: ReplayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


def rows_of(response: httpx.Response) -> list[list]:
    return json.loads(gzip.decompress(response.content))


def test_health(client: httpx.Client) -> None:
    response = client.get("/_replay/health")
    assert (response.status_code, response.text) == (200, "ok")


@needs_samples
def test_real_timemachine_file_is_served_byte_for_byte(client: httpx.Client) -> None:
    response = client.get(TM.format(dt.date(2020, 3, 12)))
    assert response.status_code == 200
    assert response.content == (SAMPLES / "20200312_team_results.json.gz").read_bytes()
    first = rows_of(response)[0]
    assert first[1] == "Kansas" and first[4] == 116.08273920534913


def test_generated_date_is_a_valid_snapshot(client: httpx.Client, server: ReplayServer) -> None:
    response = client.get(TM.format(dt.date(2021, 1, 15)))
    assert response.status_code == 200
    assert response.content[:2] == b"\x1f\x8b"
    text = gzip.decompress(response.content).decode()
    assert text.startswith('[[1, "')
    rows = json.loads(text)
    teams = teams_for_season(server.samples_dir, 2021)
    assert 340 <= len(rows) == len(teams) <= 370
    assert [r[1] for r in rows] != [t.name for t in teams]  # re-ranked, not copied in file order
    assert sorted((r[1], r[2]) for r in rows) == sorted(teams)
    for row in rows:
        assert len(row) == layout.WIDTH
        assert row[8] == layout.barthag(row[4], row[6])
        assert 90 < row[4] < 125 and 85 < row[6] < 120 and 60 < row[44] < 75
        for i, value in enumerate(row):
            if i in TEXT_COLUMNS:
                assert isinstance(value, str)
            else:
                assert isinstance(value, int | float) and math.isfinite(value), (i, value)
        wins, losses = map(int, row[3].split("-"))
        conf_wins, conf_losses = map(int, row[14].split("-"))
        assert conf_wins <= wins and conf_losses <= losses
    for column in RANK_COLUMNS:
        assert sorted(r[column] for r in rows) == list(range(1, len(rows) + 1)), column
    assert [r[0] for r in rows] == [r[9] for r in rows] == list(range(1, len(rows) + 1))
    assert [r[8] for r in rows] == sorted((r[8] for r in rows), reverse=True)
    by_oe_rank = sorted(rows, key=lambda r: r[5])
    assert [r[4] for r in by_oe_rank] == sorted((r[4] for r in rows), reverse=True)
    by_de_rank = sorted(rows, key=lambda r: r[7])
    assert [r[6] for r in by_de_rank] == sorted(r[6] for r in rows)


@needs_samples
def test_generated_date_uses_the_teams_of_its_season(client: httpx.Client) -> None:
    real = json.loads((SAMPLES / "20200312_team_results.json").read_bytes())
    generated = rows_of(client.get(TM.format(dt.date(2020, 1, 15))))
    assert sorted(r[1] for r in generated) == sorted(r[1] for r in real)


def test_generated_bytes_are_deterministic(client: httpx.Client) -> None:
    path = TM.format(dt.date(2021, 1, 15))
    first = client.get(path).content
    assert client.get(path).content == first
    with ReplayServer(today=TODAY) as other, httpx.Client(base_url=other.base_url) as http:
        assert http.get(path).content == first
    script = (
        "import datetime, hashlib; from devkit.samples import samples_dir; "
        "from devkit.replay.barttorvik import generated_gzip; "
        "day = datetime.date(2021, 1, 15); "
        "print(hashlib.sha256(generated_gzip(samples_dir(), day)).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == hashlib.sha256(first).hexdigest()


def test_consecutive_days_are_related_and_records_grow(client: httpx.Client) -> None:
    def by_team(day: dt.date) -> dict[str, list]:
        return {r[1]: r for r in rows_of(client.get(TM.format(day)))}

    december, jan_15, jan_16 = by_team(dt.date(2020, 12, 1)), by_team(dt.date(2021, 1, 15)), by_team(TODAY)
    assert jan_15.keys() == jan_16.keys() == december.keys()
    for name, row in jan_15.items():
        assert abs(row[4] - jan_16[name][4]) < 2.5 and abs(row[6] - jan_16[name][6]) < 2.5
        games_dec = sum(map(int, december[name][3].split("-")))
        games_jan = sum(map(int, row[3].split("-")))
        assert games_jan > games_dec
        assert december[name][14] == "0-0"
    assert jan_15 != jan_16


def test_live_file_is_the_snapshot_through_yesterday(client: httpx.Client) -> None:
    response = client.get("/2021_team_results.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    yesterday = client.get(TM.format(TODAY - dt.timedelta(days=1)))
    assert response.content == gzip.decompress(yesterday.content)


@needs_samples
def test_live_file_serves_the_real_sample_when_it_covers_yesterday() -> None:
    with ReplayServer(today=dt.date(2020, 3, 13)) as replay, httpx.Client(base_url=replay.base_url) as http:
        response = http.get("/2020_team_results.json")
    assert response.content == (SAMPLES / "20200312_team_results.json").read_bytes()


def test_live_file_after_the_season_is_the_final_file() -> None:
    with ReplayServer(today=dt.date(2021, 8, 1)) as replay, httpx.Client(base_url=replay.base_url) as http:
        final = http.get("/2021_team_results.json")
        last_day = http.get(TM.format(dt.date(2021, 4, 15)))
        not_started = http.get("/2022_team_results.json")
    assert final.status_code == 200
    assert final.content == gzip.decompress(last_day.content)
    assert not_started.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        TM.format(dt.date(2021, 7, 1)),  # off-season
        TM.format(dt.date(2014, 4, 1)),  # before the time machine
        "/timemachine/team_results/20211345_team_results.json.gz",  # not a date
        "/2021_team_results.csv",
        "/nope",
    ],
)
def test_not_found(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.text) == (404, "Not Found")


def test_fault_403(client: httpx.Client, server: ReplayServer) -> None:
    server.set_fault("403")
    response = client.get("/2021_team_results.json")
    assert response.status_code == 403
    assert "Forbidden" in response.text and "html" in response.headers["content-type"]


def test_fault_bot_interstitial(client: httpx.Client, server: ReplayServer) -> None:
    server.set_fault("bot")
    response = client.get(TM.format(dt.date(2021, 1, 15)))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Verifying Browser</title>" in response.text
    assert "Verifying your browser" in response.text
    assert 'name="js_test_submitted" value="1"' in response.text


@pytest.mark.parametrize(("kwargs", "status"), [({}, 503), ({"status": 502}, 502)])
def test_fault_5xx(client: httpx.Client, server: ReplayServer, kwargs: dict, status: int) -> None:
    server.set_fault("5xx", **kwargs)
    response = client.get("/2021_team_results.json")
    assert response.status_code == status and response.content


def test_fault_truncated(client: httpx.Client, server: ReplayServer) -> None:
    full_gz = client.get(TM.format(dt.date(2021, 1, 15))).content
    full_json = client.get("/2021_team_results.json").content
    server.set_fault("truncated")
    cut_gz = client.get(TM.format(dt.date(2021, 1, 15)))
    cut_json = client.get("/2021_team_results.json")
    assert cut_gz.status_code == cut_json.status_code == 200
    assert cut_gz.content == full_gz[: len(full_gz) // 2]
    assert int(cut_gz.headers["content-length"]) == len(cut_gz.content)
    with pytest.raises((EOFError, gzip.BadGzipFile)):
        gzip.decompress(cut_gz.content)
    assert cut_json.content == full_json[: len(full_json) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut_json.content)


def test_fault_malformed(client: httpx.Client, server: ReplayServer) -> None:
    server.set_fault("malformed")
    gz = client.get(TM.format(dt.date(2021, 1, 15)))
    live = client.get("/2021_team_results.json")
    assert gz.status_code == live.status_code == 200
    assert json.loads(gzip.decompress(gz.content)) == {"error": "unexpected"}
    assert live.json() == {"error": "unexpected"}


def test_fault_slow_times_out_the_client(client: httpx.Client, server: ReplayServer) -> None:
    server.set_fault("slow", delay_s=30, times=1)
    with pytest.raises(httpx.TimeoutException):
        client.get("/2021_team_results.json", timeout=0.2)
    assert client.get("/2021_team_results.json").status_code == 200


def test_fault_times_expires_and_path_contains_filters(client: httpx.Client, server: ReplayServer) -> None:
    server.set_fault("5xx", times=2, path_contains="timemachine")
    path = TM.format(dt.date(2021, 1, 15))
    assert client.get("/2021_team_results.json").status_code == 200
    assert [client.get(path).status_code for _ in range(3)] == [503, 503, 200]
    server.set_fault("403")
    assert client.get(path).status_code == 403
    server.clear_faults()
    assert client.get(path).status_code == 200


def test_unknown_fault_kind_is_rejected(server: ReplayServer) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.set_fault("teapot")


def test_faults_via_http_control_endpoint(client: httpx.Client) -> None:
    added = client.post("/_replay/faults", json={"kind": "5xx", "status": 500, "times": 1})
    assert added.status_code == 200 and added.json()["faults"][0]["kind"] == "5xx"
    assert client.get("/2021_team_results.json").status_code == 500
    assert client.get("/2021_team_results.json").status_code == 200
    assert client.post("/_replay/faults", json={"kind": "403"}).status_code == 200
    assert client.get("/2021_team_results.json").status_code == 403
    assert client.delete("/_replay/faults").status_code == 200
    assert client.get("/2021_team_results.json").status_code == 200
    assert client.post("/_replay/faults", json={"kind": "nope"}).status_code == 400
    assert client.post("/_replay/faults", content=b"not json").status_code == 400


def test_request_log_records_user_agents(client: httpx.Client, server: ReplayServer) -> None:
    client.get("/_replay/health")
    client.get("/2021_team_results.json", headers={"User-Agent": "hoops-test/1"})
    server.set_fault("403", times=1)
    client.get("/nope", headers={"User-Agent": "other"})
    assert server.requests == [
        ("GET", "/2021_team_results.json", 200, "hoops-test/1"),
        ("GET", "/nope", 403, "other"),
    ]
    assert client.get("/_replay/requests").json()["requests"][0]["user_agent"] == "hoops-test/1"
    server.clear_requests()
    assert server.requests == []


def test_a_request_answered_after_clear_requests_is_not_logged(server: ReplayServer, monkeypatch) -> None:
    """A request still being answered when the log is cleared (a "slow" fault outliving its test) belongs
    to the log that was cleared: it once showed up in the next test as a request nobody there made."""
    import threading

    entered, release = threading.Event(), threading.Event()
    serve = server._serve_source

    def held(*args):
        entered.set()
        release.wait()
        return serve(*args)

    monkeypatch.setattr(server, "_serve_source", held)
    earlier = threading.Thread(
        target=server.dispatch, args=("GET", "/2021_team_results.json", b"", "earlier")
    )
    earlier.start()
    entered.wait()
    server.clear_requests()
    release.set()
    earlier.join()
    server.dispatch("GET", "/2021_team_results.json", b"", "later")
    assert server.requests == [("GET", "/2021_team_results.json", 200, "later")]


@needs_samples
def test_a_generated_day_next_to_a_real_file_has_no_jump_and_says_synthetic(client: httpx.Client) -> None:
    """The demo's 2020-03-11 file is generated, 2020-03-12 is real: the generated day passes through the
    real values (no team leaps 100 ranks overnight), and its gzip header names it SYNTHETIC."""
    real = {r[1]: r for r in json.loads((SAMPLES / "20200312_team_results.json").read_bytes())}
    response = client.get(TM.format(dt.date(2020, 3, 11)))
    generated = {r[1]: r for r in rows_of(response)}
    assert generated.keys() == real.keys()
    for name, row in generated.items():
        assert abs(row[4] - real[name][4]) < 2.5 and abs(row[6] - real[name][6]) < 2.5, name
    assert max(abs(row[0] - real[name][0]) for name, row in generated.items()) < 25
    fname = response.content[10 : response.content.index(b"\0", 10)]
    assert fname == b"SYNTHETIC_20200311_team_results.json"
    assert b"SYNTHETIC" not in (SAMPLES / "20200312_team_results.json.gz").read_bytes()[:64]
