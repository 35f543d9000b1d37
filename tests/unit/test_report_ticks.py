"""The report's rank axis: a tick on every rank of a short axis, whole numbers on a long one."""

from __future__ import annotations

import re

from devkit import report


def _labels(lo: int, hi: int) -> list[str]:
    ticks = report._ticks(lo, hi, lambda v: float(v), False, lambda v: f"{v:.0f}", whole=True)
    return [re.search(r">([^<]*)</text>", t).group(1) for t in ticks]


def test_a_short_rank_axis_labels_every_rank():
    assert _labels(1, 6) == ["1", "2", "3", "4", "5", "6"]


def test_a_long_rank_axis_labels_whole_numbers_ending_at_the_last_rank():
    labels = [int(v) for v in _labels(1, 40)]
    assert labels[0] == 1 and labels[-1] == 40 and labels == sorted(set(labels)) and len(labels) <= 7
