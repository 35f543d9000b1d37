"""The CBBD catalog against `reference/cbbd_endpoints.json`, field by field, and against the real samples.

The package never reads the JSON; this test is what keeps the hand-written declarations honest. Its
type mapping is written out here on purpose, independently of `hoops.cbbd.schema`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devkit.samples import samples_dir
from hoops.cbbd import catalog
from hoops.cbbd.catalog import (
    ENDPOINTS,
    EXTRA_COLUMN,
    CoercionError,
    by_path,
    coerce_record,
    covered_by,
    get,
    null_violations,
    split_known,
    to_row,
    to_table,
    unknown_paths,
)
from hoops.cbbd.schema import SchemaError, arrow_type, parse_fields

REFERENCE = samples_dir().parent / "reference" / "cbbd_endpoints.json"
SAMPLES = samples_dir() / "cbbd"

NAMES = [
    "conferences", "conferences_history", "games", "games_teams", "games_players", "games_media", "lines",
    "lines_providers", "plays_date", "plays_game", "plays_team", "plays_player", "plays_tournament",
    "plays_types", "substitutions_game", "substitutions_team", "substitutions_player", "lineups_team",
    "lineups_game", "ratings_adjusted", "ratings_srs", "ratings_elo", "rankings", "stats_team_season",
    "stats_player_season", "stats_team_shooting_season", "stats_player_shooting_season",
    "stats_team_leaderboard", "teams", "teams_directory", "teams_overview", "teams_roster", "venues",
    "draft_picks", "draft_positions", "draft_teams", "recruiting_players", "recruiting_teams",
    "recruiting_portal", "scoreboard",
]  # fmt: skip

JSON_TYPES = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
    "string(date-time)": pa.timestamp("ms", tz="UTC"),
    "string(date)": pa.date32(),
}
PARAM_TYPES = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "string(date-time)": "datetime",
}


@pytest.fixture(scope="module")
def reference() -> list[dict[str, Any]]:
    return json.loads(REFERENCE.read_text())


@pytest.fixture(scope="module")
def by_json_path(reference) -> dict[str, dict[str, Any]]:
    return {e["path"]: e for e in reference}


# ---------------------------------------------------------------------------------------------------
# A schema differ: JSON response_fields (recursive) vs Arrow fields. Returns readable problems.


def _diff_type(jf: dict[str, Any], actual: pa.DataType, path: str) -> list[str]:
    t = jf["type"]
    if t.startswith("array<"):
        if not pa.types.is_list(actual):
            return [f"{path}: expected a list for {t}, got {actual}"]
        inner = {**jf, "type": t[len("array<") : -1]}
        return _diff_type(inner, actual.value_type, f"{path}[]")
    if "fields" in jf:
        if not pa.types.is_struct(actual):
            return [f"{path}: expected a struct for {t}, got {actual}"]
        return diff_fields(jf["fields"], list(actual), path)
    if "enum" in jf:
        expected = pa.string()
    elif t in JSON_TYPES:
        expected = JSON_TYPES[t]
    else:
        return [f"{path}: the test does not know JSON type {t!r}"]
    return [] if actual == expected else [f"{path}: expected {expected} for {t}, got {actual}"]


def diff_fields(json_fields: list[dict[str, Any]], arrow_fields: list[pa.Field], path: str = "") -> list[str]:
    problems: list[str] = []
    prefix = f"{path}." if path else ""
    want = [f["name"] for f in json_fields]
    have = [f.name for f in arrow_fields]
    problems += [f"{prefix}{n}: missing from the schema" for n in want if n not in have]
    problems += [f"{prefix}{n}: not in the JSON" for n in have if n not in want]
    if not problems and want != have:
        problems.append(f"{path or '<row>'}: field order differs from the JSON")
    actual = {f.name: f for f in arrow_fields}
    for jf in json_fields:
        af = actual.get(jf["name"])
        if af is None:
            continue
        nullable = jf["nullable"] or not jf["required"]
        if af.nullable != nullable:
            problems.append(f"{prefix}{jf['name']}: nullable should be {nullable}")
        problems += _diff_type(jf, af.type, prefix + jf["name"])
    return problems


# ---------------------------------------------------------------------------------------------------
# Inventory.


def test_forty_endpoints_one_per_json_path_in_json_order(reference):
    assert len(ENDPOINTS) == 40 == len(reference)
    assert sorted(ENDPOINTS) == sorted(NAMES)  # lake paths and task ids depend on these names
    assert [ep.path for ep in ENDPOINTS.values()] == [e["path"] for e in reference]
    assert len({ep.path for ep in ENDPOINTS.values()}) == 40
    assert all(name == ep.name for name, ep in ENDPOINTS.items())


def test_json_declares_only_types_the_test_knows(reference):
    """A new JSON type (say `string(uuid)`) must be mapped on purpose, here and in the package."""
    seen: set[str] = set()

    def walk(fields):
        for f in fields:
            t = f["type"][len("array<") : -1] if f["type"].startswith("array<") else f["type"]
            if "fields" not in f and "enum" not in f:
                seen.add(t)
            walk(f.get("fields", []))

    for e in reference:
        walk(e["response_fields"])
    assert seen <= set(JSON_TYPES)


@pytest.mark.parametrize("name", NAMES)
def test_endpoint_matches_the_reference(name, by_json_path):
    ep = get(name)
    ref = by_json_path[ep.path]
    assert ep.model == ref["response_model"]
    assert ep.scope == {"other": "live"}.get(ref["scope"], ref["scope"])
    assert ep.row_cap == ref["row_cap"]
    assert ep.response_is_list is ref["response_is_list"]
    assert ep.tier == ref["patreon_tier_required"]
    assert ep.counts_against_quota is ref["counts_against_quota"]
    want = [
        (p["name"], p["in"], PARAM_TYPES[p["type"]], p["required"], tuple(p["enum"]) if "enum" in p else None)
        for p in ref["params"]
    ]
    have = [(p.name, p.location, p.type, p.required, p.enum) for p in ep.params]
    assert have == want


@pytest.mark.parametrize("name", NAMES)
def test_schema_matches_the_reference_field_by_field(name, by_json_path):
    ep = get(name)
    assert diff_fields(by_json_path[ep.path]["response_fields"], list(ep.schema_without_extra)) == []
    last = ep.schema.field(len(ep.schema) - 1)
    assert (last.name, last.type, last.nullable) == (EXTRA_COLUMN, pa.string(), True)
    assert ep.schema.names.count(EXTRA_COLUMN) == 1


@pytest.mark.parametrize(
    "mutate, problem",
    [
        (lambda fs: fs.pop(0), "not in the JSON"),  # the catalog has a field the JSON lacks
        (
            lambda fs: fs.append({"name": "new", "type": "integer", "nullable": True, "required": True}),
            "missing",
        ),
        (lambda fs: fs[0].update(type="number"), "expected double"),
        (lambda fs: fs[0].update(nullable=not fs[0]["nullable"]), "nullable should be"),
        (lambda fs: fs[-1]["fields"][0]["fields"][0].update(type="integer"), "opponentStats.fieldGoals.pct"),
        (lambda fs: fs[-1]["fields"][0]["fields"].pop(), "opponentStats.fieldGoals.made: not in the JSON"),
        (lambda fs: fs[-1]["fields"][7]["fields"][3].update(type="array<integer>"), "byPeriod[]"),
        (lambda fs: fs[1].update(type="string(uuid)"), "does not know JSON type"),
    ],
)
def test_the_differ_catches_missing_extra_and_mistyped_fields(mutate, problem, by_json_path):
    """Proof that the field-by-field test above would fail: mutate the JSON side, expect a complaint."""
    ep = get("games_teams")
    fields = copy.deepcopy(by_json_path[ep.path]["response_fields"])
    assert diff_fields(fields, list(ep.schema_without_extra)) == []
    mutate(fields)
    problems = diff_fields(fields, list(ep.schema_without_extra))
    assert any(problem in p for p in problems), problems


def test_unknown_types_fail_at_declaration():
    with pytest.raises(SchemaError, match="unknown type 'integer'"):
        arrow_type("integer")
    with pytest.raises(SchemaError, match="unknown type 'NoSuchModel'"):
        parse_fields("id:int, thing:[NoSuchModel]?")
    with pytest.raises(SchemaError, match="cannot parse"):
        parse_fields("id int")
    with pytest.raises(SchemaError, match="duplicate"):
        parse_fields("id:int, id:str")


# ---------------------------------------------------------------------------------------------------
# Keys and planning hints.


def _resolve(schema: pa.Schema, dotted: str) -> pa.Field:
    head, *rest = dotted.split(".")
    field = schema.field(head)
    for part in rest:
        assert pa.types.is_struct(field.type), f"{dotted}: {field.name} is not a struct"
        field = field.type.field(part)
    return field


@pytest.mark.parametrize("name", NAMES)
def test_primary_key_columns_exist_and_are_never_null(name):
    ep = get(name)
    assert ep.primary_key and len(set(ep.primary_key)) == len(ep.primary_key)
    for column in ep.primary_key:
        field = _resolve(ep.schema_without_extra, column)
        assert not field.nullable, f"{name}: key column {column} is nullable"
        assert not pa.types.is_list(field.type) and not pa.types.is_struct(field.type)
    assert {p.name for p in ep.params} >= set(ep.key_params)


def test_documented_natural_keys():
    """cbbd.md §5, at the grain of the rows each endpoint returns."""
    assert get("games").primary_key == ("id",)
    assert get("games_teams").primary_key == ("gameId", "teamId")
    assert get("games_players").primary_key == ("gameId", "teamId")  # players[] is nested
    assert get("lines").primary_key == ("gameId",)  # lines[] is nested
    assert get("rankings").primary_key == ("season", "seasonType", "week", "pollType", "teamId")
    assert all(get(n).primary_key == ("id",) for n in NAMES if n.startswith("plays_") and n != "plays_types")
    for n in ("substitutions_game", "substitutions_team", "substitutions_player"):
        assert get(n).primary_key == ("gameId", "athleteId", "subIn.period", "subIn.secondsRemaining")
    assert get("lineups_game").key_params == ("gameId",)  # rows carry no gameId


def test_a_failed_consistency_check_raises():
    broken = dataclasses.replace(get("games"), primary_key=("nope",), bulk_for=("ghost",))
    with pytest.raises(SchemaError, match="'nope' is not in the schema") as info:
        catalog._check([broken, broken])
    assert "duplicate endpoint name 'games'" in str(info.value)
    assert "'ghost'" in str(info.value)


def test_planning_hints():
    windowed = {n for n in NAMES if get(n).date_window}
    assert windowed == {"games", "games_teams", "games_players", "games_media", "lines"}
    assert all(get(n).row_cap and get(n).param("startDateRange") for n in windowed)
    off = {n for n in NAMES if not get(n).default_in_plan}
    assert off == {
        "plays_game", "plays_player", "plays_team", "plays_tournament", "substitutions_game",
        "substitutions_player", "lineups_game", "scoreboard", "stats_team_leaderboard", "teams_overview",
    }  # fmt: skip
    assert not any(get(n).default_in_plan for n in NAMES if get(n).scope in ("game", "player", "live"))
    for n in NAMES:
        ep = get(n)
        assert ep.season_param in (None, "season", "year")
        if ep.season_param:
            assert ep.param(ep.season_param).location in ("query", "path")
        assert (ep.min_season is None) == (ep.scope == "live" or (ep.scope == "reference" and n != "teams"))
    assert {get(n).season_param for n in NAMES if n.startswith(("recruiting_", "draft_picks"))} == {"year"}
    assert get("plays_date").season_param is None  # swept by day


def test_seasons_with_data():
    plays = get("plays_date")
    assert [s for s in range(2002, 2008) if plays.has_season(s)] == [2003, 2006, 2007]
    assert not get("lineups_team").has_season(2023) and get("lineups_team").has_season(2024)
    assert get("ratings_adjusted").min_season == 2014 and get("lines").min_season == 2013
    assert get("games_media").min_season == 2011 and get("recruiting_portal").min_season == 2021
    assert get("stats_team_leaderboard").min_season == 2015 and get("draft_picks").min_season == 2001
    assert get("conferences").has_season(1900)


def test_bulk_paths():
    assert covered_by("plays_game") is get("plays_date")
    assert covered_by("plays_player") is get("plays_date")
    assert covered_by("substitutions_game") is get("substitutions_team")
    assert covered_by("substitutions_player") is get("substitutions_team")
    assert covered_by("lineups_game") is None  # per-game lineups have no bulk equivalent
    assert covered_by("games") is None


# ---------------------------------------------------------------------------------------------------
# Lookups and URLs.


def test_get_names_the_valid_endpoints():
    assert get("games").path == "/games"
    with pytest.raises(KeyError, match="valid names: conferences_history, conferences, draft_picks"):
        get("game")


def test_by_path_accepts_templates_and_request_paths():
    assert by_path("/games") is get("games")
    assert by_path("/plays/game/{gameId}") is get("plays_game")
    assert by_path("/plays/game/401482906") is get("plays_game")
    assert by_path("/games/teams?season=2024&startDateRange=2024-01-01") is get("games_teams")
    assert by_path("/teams/72/season/2025/overview") is get("teams_overview")
    assert by_path("/teams/directory") is get("teams_directory")
    assert by_path("/plays/types/") is get("plays_types")
    with pytest.raises(KeyError, match="no CBBD endpoint for path '/nope'"):
        by_path("/nope")


def test_url_path():
    assert get("teams_overview").url_path(teamId=72, season=2025) == "/teams/72/season/2025/overview"
    assert get("plays_game").url_path(gameId=12135) == "/plays/game/12135"
    assert get("games").url_path() == "/games"
    assert get("teams_overview").match("/teams/72/season/2025/overview") == {"teamId": "72", "season": "2025"}
    assert get("plays_player").url_path(playerId="a/b") == "/plays/player/a%2Fb"
    with pytest.raises(ValueError, match="needs exactly"):
        get("teams_overview").url_path(teamId=72)
    with pytest.raises(ValueError, match="needs exactly"):
        get("plays_game").url_path(gameId=1, season=2024)


def test_endpoints_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get("games").row_cap = 1  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------
# Records: forward compatibility and coercion.


def test_split_known_keeps_new_api_fields():
    ep = get("conferences")
    record = {"id": 1, "sourceId": "3", "name": "A", "abbreviation": "A", "shortName": "A", "logo": {"u": 1}}
    known, extra = split_known(record, ep)
    assert set(known) == {"id", "sourceId", "name", "abbreviation", "shortName"}
    assert extra == {"logo": {"u": 1}}
    table = to_table([record, {**record, "id": 2, "logo": None, "rank": 5}], ep)
    assert table.schema == ep.schema
    assert [json.loads(v) for v in table.column(EXTRA_COLUMN).to_pylist()] == [
        {"logo": {"u": 1}},
        {"logo": None, "rank": 5},
    ]
    assert to_row({k: v for k, v in record.items() if k != "logo"}, ep)[EXTRA_COLUMN] is None


def test_unknown_paths_reports_nested_drift():
    ep = get("games_teams")
    record = {"gameId": 1, "newTop": 1, "teamStats": {"points": {"total": 1, "newDeep": 2}}, "x": None}
    assert unknown_paths(record, ep) == ["newTop", "teamStats.points.newDeep", "x"]
    ep = get("teams_roster")
    assert unknown_paths({"players": [{"id": 1, "nickname": "x"}]}, ep) == ["players[].nickname"]


def test_coerce_record_converts_timestamps_dates_and_whole_floats():
    plays = get("plays_date")
    row = coerce_record(
        {"gameStartDate": "2022-11-07T19:00:00.000Z", "wallclock": None, "period": 2.0}, plays
    )
    assert row == {
        "gameStartDate": dt.datetime(2022, 11, 7, 19, tzinfo=dt.UTC),
        "wallclock": None,
        "period": 2,
    }
    naive = coerce_record({"gameStartDate": "2022-11-07T19:00:00"}, plays)["gameStartDate"]
    assert naive == dt.datetime(2022, 11, 7, 19, tzinfo=dt.UTC)  # no zone: taken as UTC
    roster = coerce_record(
        {"players": [{"dateOfBirth": "2004-01-31"}, {"dateOfBirth": None}]}, get("teams_roster")
    )
    assert roster["players"] == [{"dateOfBirth": dt.date(2004, 1, 31)}, {"dateOfBirth": None}]
    with pytest.raises(CoercionError, match=r"plays_date\.period: expected an integer, got 1\.5"):
        coerce_record({"period": 1.5}, plays)
    with pytest.raises(CoercionError, match=r"plays_date\.gameStartDate: not an ISO-8601 timestamp"):
        coerce_record({"gameStartDate": "yesterday"}, plays)
    bad = {"teamStats": {"points": {"byPeriod": [1]}}, "gameId": 1.25}
    with pytest.raises(CoercionError, match=r"games_teams\.gameId"):
        coerce_record(bad, get("games_teams"))
    with pytest.raises(CoercionError, match=r"subIn: expected an object"):
        coerce_record({"subIn": [1]}, get("substitutions_team"))


def test_null_violations_finds_nulls_in_non_nullable_fields():
    ep = get("substitutions_team")
    good = {"gameId": 1, "subIn": {"period": 1, "secondsRemaining": 5}}
    table = to_table([good, {"gameId": None, "subIn": {"period": None}}], ep)
    found = null_violations(table)
    assert "gameId" in found and "subIn.period" in found
    assert "subIn.opponentPoints" in found  # missing keys are nulls too
    assert "conference" not in found  # nullable


# ---------------------------------------------------------------------------------------------------
# Real samples (plus the one synthetic overview fixture, for the single-object shape).

SAMPLE_FILES = [
    ("conferences.json", "conferences"),
    ("games__team-Duke_season-2023.json", "games"),
    ("stats_player_season__team-Duke_season-2023.json", "stats_player_season"),
    ("stats_team_season__season-2023.json", "stats_team_season"),
    ("teams__no-params.json", "teams"),
    ("teams__season-2025.json", "teams"),
    ("synthetic/teams_overview__SYNTHETIC_contract_fixture.json", "teams_overview"),
]

# The server joins team stats to conference membership, so a team that changed conference comes back
# once per conference with identical numbers (Stephen F. Austin 2023: WAC and Southland). The key stays
# (season, teamId) -- that is the grain silver keeps -- and these copies are deduplicated like the
# overlaps of date windows.
KNOWN_DUPLICATES = {"stats_team_season__season-2023.json": {(2023, 282): {"conference"}}}


def _key(row: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        row = row[part]
    return row


@pytest.mark.parametrize("filename, name", SAMPLE_FILES)
def test_samples_convert_with_the_catalog_schema(filename, name, tmp_path: Path):
    ep = get(name)
    body = json.loads((SAMPLES / filename).read_text())
    assert isinstance(body, list) is ep.response_is_list
    rows = body if ep.response_is_list else [body]

    # The way the brief spells it, then the one-call helper the bronze writer uses.
    plain = pa.Table.from_pylist(
        [coerce_record(split_known(r, ep)[0], ep) for r in rows], schema=ep.schema_without_extra
    )
    table = to_table(rows, ep)
    assert table.num_rows == plain.num_rows == len(rows)
    assert table.schema == ep.schema and table.drop_columns([EXTRA_COLUMN]).equals(plain)
    assert null_violations(table) == []
    assert table.column(EXTRA_COLUMN).null_count == len(rows)  # sample keys all match the models
    assert not any(unknown_paths(r, ep) for r in rows)

    by_key: dict[tuple, list[dict[str, Any]]] = {}
    for row in table.to_pylist():
        by_key.setdefault(tuple(_key(row, c) for c in ep.primary_key), []).append(row)
    duplicates = {k: v for k, v in by_key.items() if len(v) > 1}
    assert set(duplicates) == set(KNOWN_DUPLICATES.get(filename, {})), f"{name}: {ep.primary_key} not unique"
    for key, same in duplicates.items():  # copies that differ only where the API says they may
        differ = {c for c in same[0] if any(r[c] != same[0][c] for r in same)}
        assert differ == KNOWN_DUPLICATES[filename][key]

    pq.write_table(table, tmp_path / "bronze.parquet")  # Parquet enforces non-nullable columns
    assert pq.read_table(tmp_path / "bronze.parquet").schema == ep.schema


def test_sample_values_survive_the_round_trip():
    games = to_table(json.loads((SAMPLES / "games__team-Duke_season-2023.json").read_text()), get("games"))
    first = games.slice(0, 1).to_pylist()[0]
    assert first["startDate"] == dt.datetime(2022, 11, 7, 19, tzinfo=dt.UTC)
    assert first["homePeriodPoints"] == [42, 29] and first["homeTeamEloStart"] is None  # added after 2025
    teams = to_table(json.loads((SAMPLES / "teams__no-params.json").read_text()), get("teams"))
    assert teams.column("logos").null_count == teams.num_rows  # also newer than the samples
