"""The plan as people read it: one line per kind of request (reference, season, per conference, date
window, day, per team, fan-out) with its calls and seasons, so even the whole history fits on one screen;
`by_endpoint=True` adds the per-endpoint table.
"""

from __future__ import annotations

import textwrap

from hoops.cbbd.plan import TIER_NAMES, Group, Plan, ranges
from hoops.cbbd.strategies import RANK

WIDTH = 110


def format_plan(plan: Plan, *, by_endpoint: bool = False) -> str:
    """One line per kind of request (this run / deferred / seasons / endpoints), the totals, the cut and
    the notes; the skipped endpoints grouped by reason. `by_endpoint` adds the per-endpoint table."""
    budget = f"budget {plan.max_calls} calls" if plan.max_calls is not None else "no budget"
    lines = [f"CBBD plan: {plan.mode} · {budget}"]
    if plan.budget_why:
        lines.append(f"  ({plan.budget_why})")
    head = f"{'kind':<15} {'this run':>9} {'deferred':>9}  {'seasons':<16} endpoints"
    lines += ["", head, "-" * len(head)]
    kept = [*plan.groups, *plan.pending]
    for tier, name in enumerate(TIER_NAMES):
        now = [g for g in kept if g.tier == tier]
        later = [g for g in plan.deferred if g.tier == tier]
        if not now and not later:
            continue
        both = now + later
        lines.append(f"{name:<15} {_calls(now):>9} {_calls(later):>9}  {_seasons(both):<16} {_names(both)}")
    lines.append("-" * len(head))
    lines.append(f"{'total':<15} {_calls(kept):>9} {_calls(list(plan.deferred)):>9}")
    if by_endpoint:
        lines += ["", *_endpoint_table(plan)]
    notes = list(plan.notes)
    if plan.cut:
        notes.insert(0, f"CUT: {plan.cut_reason}")
    if notes:
        lines += ["", "notes:", *(_wrap(n) for n in notes)]
    if plan.skipped:
        reasons: dict[str, list[str]] = {}
        for s in plan.skipped:
            reasons.setdefault(s.reason, []).append(s.endpoint)
        lines += ["", f"not planned ({len(plan.skipped)}):"]
        lines += [_wrap(f"{', '.join(names)}: {reason}") for reason, names in reasons.items()]
    return "\n".join(lines)


def _wrap(text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent="  - ", subsequent_indent="    ")


def _calls(groups: list[Group]) -> str:
    """Concrete calls, with `~` when part of the count is an estimate."""
    total = sum(g.calls for g in groups)
    if not total:
        return "0" if groups else ""
    return f"~{total:,}" if any(g.pending for g in groups) else f"{total:,}"


def _seasons(groups: list[Group]) -> str:
    seasons = [g.season for g in groups if g.season is not None]
    return ranges(seasons) if seasons else "-"


def _names(groups: list[Group], shown: int = 4) -> str:
    names = sorted({g.endpoint for g in groups}, key=RANK.__getitem__)
    more = f" +{len(names) - shown}" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _endpoint_table(plan: Plan) -> list[str]:
    """Per endpoint: calls this run (concrete), pending estimate, deferred."""
    planned, pending, deferred = plan.by_endpoint(), plan.pending_by_endpoint(), plan.deferred_by_endpoint()
    order = sorted({*planned, *pending, *deferred}, key=lambda n: _first_tier(plan, n))
    width = max([len(n) for n in order] + [28])
    head = f"{'endpoint':<{width}}  {'planned':>8}  {'~pending':>8}  {'deferred':>8}"

    def cell(value: int | None, mark: str = "") -> str:
        return f"{mark}{value}" if value else ""

    rows = [head, "-" * len(head)]
    for name in order:
        row = f"{name:<{width}}  {cell(planned.get(name)):>8}  {cell(pending.get(name), '~'):>8}"
        rows.append(f"{row}  {cell(deferred.get(name)):>8}".rstrip())
    return rows


def _first_tier(plan: Plan, endpoint: str) -> tuple[int, int]:
    tiers = [g.tier for g in (*plan.groups, *plan.pending, *plan.deferred) if g.endpoint == endpoint]
    return min(tiers), RANK[endpoint]
