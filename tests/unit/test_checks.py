from __future__ import annotations

import pytest

from devkit.samples import samples_dir
from hoops.barttorvik.checks import DataCheckFailed, check_snapshot
from hoops.barttorvik.parse import decode, parse_rows

FILE = samples_dir() / "barttorvik" / "timemachine" / "20190316_team_results.json.gz"


@pytest.fixture(scope="module")
def rows():
    parsed, _ = parse_rows(decode(FILE.read_bytes()))
    return [list(r) for _, r in parsed]


def test_a_real_snapshot_passes_with_barthag_exact(rows):
    figures = check_snapshot(rows, 300, 400)
    assert figures["teams"] == 353 and figures["max_barthag_error"] < 1e-12


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rs: rs.__setitem__(slice(None), rs[:200]), "team count 200"),
        (lambda rs: rs[3].__setitem__(0, rs[2][0]), "ranks not unique"),
        (lambda rs: rs[5].__setitem__(8, rs[5][8] + 1e-6), "barthag inconsistent"),
        (lambda rs: rs[7].__setitem__(4, None), "null adjoe"),
        (lambda rs: rs[9].__setitem__(44, None), "null adj_tempo"),
    ],
)
def test_each_check_fails_on_its_defect(rows, mutate, message):
    mutate(rows)
    with pytest.raises(DataCheckFailed, match=message):
        check_snapshot(rows, 300, 400)
