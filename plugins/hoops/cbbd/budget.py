"""How many calls a run may spend when its trigger sets no budget, and how a budget cuts a plan.

CBBD meters calls per calendar month. A scheduled run spends at most a daily share of what is left: the
last `X-CallLimit-Remaining` seen this month (kept with the checkpoints) over the days left in the month,
less a reserve. Before any call this month, the monthly quota setting is assumed spent evenly so far. A
backfill without a budget spends what is left, less the same reserve. What does not fit is deferred.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from hoops.cbbd.checkpoints import Quota
from hoops.cbbd.plan import Group


@dataclass(frozen=True)
class Budget:
    calls: int
    why: str  # one line for the plan log and the summary


def _month(day: dt.date) -> tuple[int, int]:
    """(days left in the month, today included; days in the month)."""
    size = calendar.monthrange(day.year, day.month)[1]
    return size - day.day + 1, size


def quota_left(day: dt.date, seen: Quota | None, monthly_quota: int) -> tuple[int, str]:
    """What the month's quota has left on `day`, and where the figure comes from."""
    if seen is not None and (seen.seen_on.year, seen.seen_on.month) == (day.year, day.month):
        return max(seen.remaining, 0), f"{seen.remaining} calls left (X-CallLimit-Remaining, {seen.seen_on})"
    left, size = _month(day)
    assumed = monthly_quota * left // size
    return assumed, f"no call seen this month: {assumed} of the {monthly_quota} monthly quota assumed left"


def daily(day: dt.date, seen: Quota | None, monthly_quota: int, reserve: float) -> Budget:
    """The scheduled run's default: its share of what is left, so every day of the month gets one."""
    left, source = quota_left(day, seen, monthly_quota)
    days, _ = _month(day)
    calls = math.floor(left * (1 - reserve) / days)
    return Budget(calls, f"daily share {calls}: {source}, {days} days to go, {reserve:.0%} kept in reserve")


def whole(day: dt.date, seen: Quota | None, monthly_quota: int, reserve: float) -> Budget:
    """A backfill's default: what the quota has left this month, less the reserve."""
    left, source = quota_left(day, seen, monthly_quota)
    calls = math.floor(left * (1 - reserve))
    return Budget(calls, f"budget {calls}: {source}, {reserve:.0%} kept in reserve")


def runs_needed(calls_owed: int, per_run: int | None, monthly_quota: int) -> dict[str, int]:
    """How many more runs (at this run's budget) and months (at the monthly quota) the rest needs."""
    out = {"calls": calls_owed, "months": math.ceil(calls_owed / monthly_quota) if monthly_quota > 0 else 0}
    if per_run:
        out["runs"] = math.ceil(calls_owed / per_run)
    return out


def apply_budget(groups: list[Group], max_calls: int | None) -> tuple[list[Group], list[Group], str | None]:
    """Keep whole groups in priority order until the next one does not fit; the rest is deferred.

    A group larger than the whole budget could never fit, so it is split to make progress instead.
    """
    if max_calls is None:
        return groups, [], None
    kept: list[Group] = []
    used = 0
    for i, g in enumerate(groups):
        if used + g.calls <= max_calls:
            kept.append(g)
            used += g.calls
            continue
        deferred = groups[i + 1 :]
        stopped = f"{g.label} needs {g.calls}"
        if g.calls > max_calls and used < max_calls:
            head, tail = g.split(max_calls - used)
            kept.append(head)
            deferred.insert(0, tail)
            stopped = f"{g.label} is larger than the whole budget ({g.calls}), split after {head.calls}"
            used = max_calls
        else:
            deferred.insert(0, g)
        left = sum(d.calls for d in deferred)
        reason = (
            f"budget of {max_calls} calls: {used} planned, stopped at a group boundary ({stopped}); "
            f"{len(deferred)} group(s), {left} calls deferred to the next run"
        )
        return kept, deferred, reason
    return kept, [], None
