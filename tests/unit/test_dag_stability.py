"""Airflow's parse-time stability check: a DAG file with a runtime-varying value in its constructor gets a
warning banner in the UI and a new DAG version on every parse. None of ours may."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS = sorted((Path(__file__).resolve().parents[2] / "dags").glob("*.py"))


@pytest.mark.parametrize("path", DAGS, ids=[p.stem for p in DAGS])
def test_a_dag_file_has_no_runtime_varying_value(path):
    from airflow.utils.dag_version_inflation_checker import check_dag_file_stability

    assert check_dag_file_stability(str(path)).format_warnings() is None


def test_the_check_flags_a_clock_call_in_the_form(tmp_path):
    """The check is live: the season list once computed from date.today() in the DAG file was flagged."""
    from airflow.utils.dag_version_inflation_checker import check_dag_file_stability

    bad = tmp_path / "bad.py"
    bad.write_text(
        "import datetime as dt\nfrom airflow.sdk import Param, dag\n"
        "def year_of(day):\n    return day.year\n"
        "CHOICES = list(range(year_of(dt.date.today()), 2002, -1))\n"
        "PARAMS = {'s': Param([], examples=CHOICES)}\n"
        "@dag(dag_id='bad', schedule=None, params=PARAMS)\n"
        "def bad():\n    pass\nbad()\n"
    )
    assert "runtime" in (check_dag_file_stability(str(bad)).format_warnings() or "").lower()
