"""Shared by the reliability suite: every fault test records one row of the report `make reliability` prints.

A row says which fault was injected, how many DAG runs it took to recover, the outcome, and how many rows
were lost or duplicated against a clean run (all zeros expected). Rows are appended as JSON lines to the
file named by `HOOPS_RELIABILITY_REPORT` (set by `make reliability`); without it they are only asserted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.fixture
def record_fault(request):
    """`record_fault(fault, runs, outcome, rows_lost=0, rows_duplicated=0)`: one row of the report."""

    def record(fault: str, runs: int, outcome: str, rows_lost: int = 0, rows_duplicated: int = 0) -> None:
        row = {
            "fault": fault,
            "runs": runs,
            "outcome": outcome,
            "rows_lost": rows_lost,
            "rows_duplicated": rows_duplicated,
            "test": request.node.nodeid,
        }
        target = os.environ.get("HOOPS_RELIABILITY_REPORT")
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            with open(target, "a") as fh:  # one short append per row: safe across xdist workers
                fh.write(json.dumps(row) + "\n")

    return record
