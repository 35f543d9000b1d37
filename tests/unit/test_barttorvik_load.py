"""`load.prepare` on a real time-machine file: every team mapped, and a repeated team goes to quarantine."""

from __future__ import annotations

import gzip
import json

import pytest

from devkit.samples import samples_dir
from hoops.barttorvik.checks import DataCheckFailed
from hoops.barttorvik.load import prepare

FILE = samples_dir() / "barttorvik" / "timemachine" / "20190316_team_results.json.gz"


def test_a_real_file_maps_every_team_and_quarantines_nothing():
    ready = prepare(FILE.read_bytes())
    assert len(ready.mapped) == ready.figures["teams"] == 353
    assert ready.quarantine == []
    assert len({team_id for team_id, _ in ready.mapped}) == 353


def test_a_second_row_for_a_team_is_quarantined_not_loaded():
    rows = json.loads(gzip.decompress(FILE.read_bytes()))
    again = [len(rows) + 1, *rows[0][1:]]  # the same team once more, under a rank of its own
    ready = prepare(json.dumps([*rows, again]).encode())
    assert len(ready.mapped) == 353
    assert [(r.row_index, r.team_name) for r in ready.quarantine] == [(353, rows[0][1])]
    assert "second row for team" in ready.quarantine[0].reason


def test_a_file_that_fails_the_checks_raises_before_anything_is_written():
    rows = json.loads(gzip.decompress(FILE.read_bytes()))
    with pytest.raises(DataCheckFailed):
        prepare(json.dumps(rows[:50]).encode())  # 50 teams: far under the 300 a D1 file has
