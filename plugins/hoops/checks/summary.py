"""The check of the latest run summary (`meta/latest/`): did the last CBBD run end well?"""

from __future__ import annotations

from typing import Any

from hoops.checks.findings import Finding


def check_summary(summary: dict[str, Any] | None) -> list[Finding]:
    if summary is None:
        return [Finding("warning", "summary", "meta/latest", "no run summary yet: no CBBD run has finished")]
    where = f"{summary['dag_id']} {summary['run_id']}"
    found = []
    if summary["status"] not in ("success", "incomplete_budget"):
        found.append(Finding("error", "summary", where, f"last run status {summary['status']}"))
    if summary.get("deadletter_count"):
        found.append(
            Finding("warning", "summary", where, f"{summary['deadletter_count']} requests in deadletter/")
        )
    if summary.get("calls_deferred"):
        found.append(
            Finding(
                "warning", "summary", where, f"{summary['calls_deferred']} calls deferred to the next run"
            )
        )
    return found
