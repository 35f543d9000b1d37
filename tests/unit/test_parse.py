from __future__ import annotations

import gzip
import json

import pytest

from devkit.samples import samples_dir
from hoops.barttorvik.layout import COLUMNS
from hoops.barttorvik.parse import MalformedSnapshot, decode, parse_row, parse_rows, split_record

TM = samples_dir() / "barttorvik" / "timemachine"
# The first row of 20200312_team_results.json, verbatim from the reference notes (barttorvik.md §5).
KANSAS_20200312 = [
    1,
    "Kansas",
    "B12",
    "28-3",
    116.08273920534913,
    7,
    87.72363359690918,
    2,
    0.9616275107520635,
    1,
    28,
    3,
    17,
    1,
    "17-1",
    0.7374549467474635,
    0.6381482752145189,
    0.8091764317434791,
    0.7374549467474635,
    0.6381482752145189,
    0.8091764317434791,
    0.66334602878517,
    0.714452966327284,
    107.19066635978014,
    94.91835669513995,
    107.19066635978014,
    94.91835669513995,
    115.2266491244713,
    87.35210814577779,
    120.34072116135484,
    91.04748210461584,
    0.9611296653341431,
    14,
    0.0830959379080205,
    1265.0,
    1066.0,
    1179.5125000000003,
    1.0724769767170756,
    0.9037632072572352,
    0,
    0.9444444444444444,
    10.846609443118776,
    1,
    24,
    67.35046341627384,
]


def test_real_time_machine_file_parses_every_row_and_matches_the_source_exactly():
    rows, rejects = parse_rows(decode((TM / "20200312_team_results.json.gz").read_bytes()))
    assert rejects == [] and len(rows) == 353
    index, kansas = rows[0]
    assert index == 0
    assert list(kansas) == KANSAS_20200312  # every one of the 45 values, exactly
    assert isinstance(kansas[10], float) and isinstance(kansas[0], int)  # ints coerced to the column type


def test_gzip_and_plain_copies_decode_to_the_same_rows():
    assert decode((TM / "20200312_team_results.json.gz").read_bytes()) == decode(
        (TM / "20200312_team_results.json").read_bytes()
    )


@pytest.mark.parametrize("name", sorted(p.name for p in TM.glob("*.json.gz")))
def test_every_real_file_parses_without_rejects(name):
    rows, rejects = parse_rows(decode((TM / name).read_bytes()))
    assert rejects == [] and len(rows) in (351, 353)
    for _, row in rows:
        assert all(row[c.index] is not None for c in COLUMNS if c.kind != "text")


def test_mixed_int_float_values_are_coerced_and_bad_values_rejected_with_the_column():
    row = list(KANSAS_20200312)
    row[32] = 19.0
    assert parse_row(row)[32] == 19.0
    row[5] = 7.5
    with pytest.raises(ValueError, match=r"column 5 \(adjoe_rank\)"):
        parse_row(row)
    with pytest.raises(ValueError, match="44 values, expected 45"):
        parse_row(KANSAS_20200312[:44])
    rows, rejects = parse_rows(
        [KANSAS_20200312, KANSAS_20200312[:44], [*KANSAS_20200312[:4], True, *KANSAS_20200312[5:]]]
    )
    assert [i for i, _ in rows] == [0]
    assert [(r.row_index, r.team_name) for r in rejects] == [(1, "Kansas"), (2, "Kansas")]
    assert "boolean" in rejects[1].reason


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # mtime=0: the gzip header would otherwise embed the current second, and pytest-xdist workers
        # collecting at different seconds would see different test ids.
        (gzip.compress(json.dumps([KANSAS_20200312]).encode(), mtime=0)[:40], "truncated or corrupt"),
        (b"<html><title>Verifying Browser</title></html>", "HTML"),
        (b'{"error": "unexpected"}', "got a JSON dict"),
        (b'[[1, "Kansas"', "not valid JSON"),
        (b"[]", "no team rows"),
    ],
    ids=["truncated-gzip", "html", "json-dict", "bad-json", "empty"],
)
def test_bodies_that_are_not_the_layout_raise_a_clear_error(body, message):
    with pytest.raises(MalformedSnapshot, match=message):
        decode(body)


def test_record_split():
    assert split_record("28-3") == (28, 3)
    assert split_record("") == (None, None)
