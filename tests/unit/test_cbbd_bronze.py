from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq

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


def _sample(name):
    import json

    from hoops import settings

    return json.loads((settings.samples_dir() / "cbbd" / name).read_text())


def test_the_fast_path_gives_exactly_the_careful_paths_table():
    import json

    import httpx

    from devkit.replay import ReplayServer
    from hoops.cbbd.bronze import _careful_table, convert

    with ReplayServer(cbbd_scale=0.05, cbbd_api_key="k") as server:
        plays = httpx.get(
            f"{server.base_url}/plays/date",
            params={"date": "2024-01-13"},
            headers={"Authorization": "Bearer k"},
        ).json()
    cases = [
        ("plays_date", plays),
        ("games", _sample("games__team-Duke_season-2023.json")),
        ("stats_team_season", _sample("stats_team_season__season-2023.json")),
        ("teams", _sample("teams__no-params.json")),
    ]
    for name, records in cases:
        ep = catalog.get(name)
        careful, rejected = _careful_table(records, ep)
        fast = convert(json.dumps(records, indent=1).encode(), ep)  # whitespace as in the samples
        assert rejected == [] and fast.table is not None and fast.table.equals(careful), name
        assert fast.served == len(records)
