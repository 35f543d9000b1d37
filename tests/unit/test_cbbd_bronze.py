from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from hoops.cbbd import catalog
from hoops.cbbd.bronze import bronze_key, drop_exact_duplicates, write_bronze
from hoops.cbbd.request import Request
from hoops.lake import open_lake

VENUE = {"id": 1, "sourceId": "9", "name": "Cameron", "city": "Durham", "state": "NC", "country": "USA"}


def test_a_body_that_is_not_an_array_of_records_is_refused():
    import pytest

    from hoops.cbbd.bronze import convert

    for body in (b'{"message": "x"}', b'[{"id": 1}, {"id": 2}', b"[1] trailing"):
        with pytest.raises(ValueError):
            convert(body, catalog.get("venues"))


def test_exact_repeats_are_dropped_but_disagreements_are_kept():
    ep = catalog.get("venues")
    other = {**VENUE, "name": "Cameron Indoor"}
    kept, dropped = drop_exact_duplicates([VENUE, dict(VENUE), other], ep)
    assert dropped == 1 and kept == [VENUE, other]


def test_bronze_part_is_typed_named_by_the_request_and_rows_that_do_not_fit_go_aside(tmp_path):
    lake = open_lake(tmp_path.as_uri())
    req = Request.of("venues")
    bad = {**VENUE, "id": 2, "name": None}  # name is required
    new_field = {**VENUE, "id": 3, "capacity": 9314}  # a field the API added later
    result = write_bronze(lake, req, dt.date(2024, 1, 1), [VENUE, VENUE, bad, new_field])
    assert (
        result.key
        == bronze_key(req, dt.date(2024, 1, 1))
        == (f"bronze/venues/season=all/asof=2024-01-01/part-{req.param_hash}.parquet")
    )
    assert (result.rows, result.duplicates, len(result.rejected)) == (2, 1, 1)
    assert "null in non-nullable name" in result.rejected[0]["reason"]
    table = pq.read_table(tmp_path / result.key)
    assert table.schema.field("_extra").type == "string"
    assert table.column("_extra").to_pylist() == [None, '{"capacity":9314}']
    again = write_bronze(lake, req, dt.date(2024, 1, 1), [VENUE, VENUE, bad, new_field])
    assert (tmp_path / again.key).read_bytes() == (tmp_path / result.key).read_bytes()  # same bytes on rerun


SAMPLES = {
    "conferences.json": "conferences",
    "games__team-Duke_season-2023.json": "games",
    "stats_player_season__team-Duke_season-2023.json": "stats_player_season",
    "stats_team_season__season-2023.json": "stats_team_season",
    "teams__no-params.json": "teams",
    "teams__season-2025.json": "teams",
    "synthetic/teams_overview__SYNTHETIC_contract_fixture.json": "teams_overview",
}
REPLAY_KEY = "bronze-test-key-5b1e"
REPLAY_REQUESTS = {  # endpoint -> (path, params), each a different shape (nested structs, lists, caps)
    "plays_date": ("/plays/date", {"date": "2024-01-13"}),
    "games": ("/games", {"season": 2024, "startDateRange": "2024-01-01", "endDateRange": "2024-01-31"}),
    "games_players": (
        "/games/players",
        {"season": 2024, "startDateRange": "2024-01-06", "endDateRange": "2024-01-07"},
    ),
    "lines": ("/lines", {"season": 2024, "startDateRange": "2024-01-01", "endDateRange": "2024-01-31"}),
    "ratings_adjusted": ("/ratings/adjusted", {"season": 2024}),
    "rankings": ("/rankings", {"season": 2024}),
}


def _careful_bytes(body: bytes, ep: catalog.Endpoint) -> tuple[bytes, int, int]:
    """The reference: Python's decoder and the record-by-record path, as bronze had before one parse."""
    import json

    from hoops.cbbd.bronze import _careful_table, parquet_bytes

    records = json.loads(body)
    records, duplicates = drop_exact_duplicates(records if ep.response_is_list else [records], ep)
    table, rejected = _careful_table(records, ep)
    return parquet_bytes(table), duplicates, len(rejected)


def _engine_bytes(body: bytes, ep: catalog.Endpoint) -> tuple[bytes, int, int]:
    """What the engine writes: `convert` once, then the part (the careful path only if it asks for it)."""
    from hoops.cbbd.bronze import body_table, convert, parquet_bytes

    table, rejected, duplicates = body_table(body, convert(body, ep), ep)
    return parquet_bytes(table), duplicates, len(rejected)


@pytest.fixture(scope="module")
def replay_bodies():
    import httpx

    from devkit.replay import ReplayServer

    with ReplayServer(cbbd_scale=0.05, cbbd_api_key=REPLAY_KEY) as server:
        headers = {"Authorization": f"Bearer {REPLAY_KEY}"}
        return {
            name: httpx.get(f"{server.base_url}{path}", params=params, headers=headers, timeout=60).content
            for name, (path, params) in REPLAY_REQUESTS.items()
        }


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_real_sample_gives_the_careful_paths_bytes_from_one_parse(sample):
    from devkit.samples import samples_dir
    from hoops.cbbd.bronze import _one_parse

    ep = catalog.get(SAMPLES[sample])
    body = (samples_dir() / "cbbd" / sample).read_bytes()  # as captured: indented JSON
    assert _engine_bytes(body, ep) == _careful_bytes(body, ep)
    # the one parse was the path taken (key repeats in the team-season sample need the repeat check)
    assert (_one_parse(body, ep) is not None) == (ep.response_is_list and ep.name != "stats_team_season")


@pytest.mark.parametrize("endpoint", sorted(REPLAY_REQUESTS))
def test_replay_answers_give_the_careful_paths_bytes_from_one_parse(endpoint, replay_bodies):
    from hoops.cbbd.bronze import _one_parse

    ep, body = catalog.get(endpoint), replay_bodies[endpoint]
    assert body.startswith(b"[{")  # rows, not an error
    assert _engine_bytes(body, ep) == _careful_bytes(body, ep)
    assert _one_parse(body, ep) is not None


_V = json.dumps(VENUE)
UNUSUAL_BODIES = {  # bodies the one parse must hand over to the slower paths, which decide what they are
    "new top-level field": f'[{_V}, {{"id": 2, "name": "B", "capacity": 9314}}]',
    "new nested field": '[{"id": 1, "name": "A", "hometown": {"city": "X", "zip": "1"}, "year": 2024, '
    '"stars": 3, "rating": 0.9, "sourceId": "s"}]',
    "exact repeat": f"[{_V}, {_V}]",
    "same key, other content": f"[{_V}, {json.dumps({**VENUE, 'name': 'Cameron Indoor'})}]",
    "null in a required field": f'[{_V}, {{"id": 2, "name": null}}]',
    "a whole float for an integer": '[{"id": 3.0, "name": "A"}]',
    "a fraction for an integer": '[{"id": 3.5, "name": "A"}]',
    "a null record": f"[{_V}, null]",
    "escaped and non-ASCII text": '[{"id": 1, "name": "Caf\\u00e9 \\"Ol\u00e9\\" \u2603", "city": "S"}]',
}


@pytest.mark.parametrize("parse_bytes", [None, 1])  # 1: Arrow parses one element at a time
@pytest.mark.parametrize("case", sorted(UNUSUAL_BODIES))
def test_unusual_bodies_give_the_careful_paths_bytes(case, parse_bytes, monkeypatch):
    from hoops.cbbd import bronze
    from hoops.cbbd.bronze import _one_parse, convert

    if parse_bytes:
        monkeypatch.setattr(bronze, "PARSE_BYTES", parse_bytes)

    ep = catalog.get("recruiting_players" if "nested" in case else "venues")
    if "integer" in case:
        ep = catalog.get("plays_types")  # id:int (a venue's id is a number)
    body = UNUSUAL_BODIES[case].encode()
    assert _engine_bytes(body, ep) == _careful_bytes(body, ep)
    straight_through = _one_parse(body, ep) is not None and convert(body, ep).table is not None
    assert straight_through == (case == "escaped and non-ASCII text")


@pytest.mark.parametrize("parse_bytes", [1, 3000])
@pytest.mark.parametrize("endpoint", ["plays_date", "games_players"])
def test_where_the_parse_pieces_end_changes_no_byte(endpoint, parse_bytes, replay_bodies, monkeypatch):
    """Arrow parses a body some elements at a time (memory): the part is the same whatever the pieces."""
    from hoops.cbbd import bronze

    monkeypatch.setattr(bronze, "PARSE_BYTES", parse_bytes)
    ep, body = catalog.get(endpoint), replay_bodies[endpoint]
    table = bronze._one_parse(body, ep)
    assert table is not None and table.column(0).num_chunks > 1
    assert _engine_bytes(body, ep) == _careful_bytes(body, ep)


def test_bad_utf8_in_a_later_piece_is_not_taken_by_the_one_parse(monkeypatch):
    from hoops.cbbd import bronze

    monkeypatch.setattr(bronze, "PARSE_BYTES", 1)
    other = json.dumps({**VENUE, "id": 2, "name": "Cam"}).encode()
    ep = catalog.get("venues")
    assert bronze._one_parse(b"[%s, %s]" % (_V.encode(), other), ep) is not None
    assert bronze._one_parse(b"[%s, %s]" % (_V.encode(), other.replace(b"Cam", b"C\xffm")), ep) is None
