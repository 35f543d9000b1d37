"""Which CBBD requests a run makes, decided before any call: the cheapest path of cbbd.md §2, cut to a budget.

Pure functions: what is known locally (teams, conferences, game days, ids, requests already final or read
within their cadence) is passed in, so the CLI can print a plan offline and the tests need no I/O. What
cannot be built yet (per-team requests before `/teams?season=S` is in the lake, `/plays/date` days before
`/games`) is a *pending* group with an estimated call count, so the printed total is still realistic; the
run re-plans once those reference endpoints are fetched and the groups become concrete requests.

The parts: `plan` (the model), `strategies` (how each endpoint is swept), `budget` (how a budget cuts and
what a run may spend), `plan_report` (the printed plan). This module puts them together.

Priority (and so where a budget cuts): reference first; then an incremental run spends on daily data
before weekly aggregates, and a backfill goes season by season, newest first. A cut falls between whole
groups (one endpoint for one season, or one day), never inside one unless that group alone is larger than
the whole budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from hoops.calendar import cbbd_season_window
from hoops.cbbd import catalog
from hoops.cbbd.budget import apply_budget
from hoops.cbbd.plan import (
    DEFAULT_WINDOW_DAYS,
    TIER_REFERENCE,
    Backfill,
    Group,
    Incremental,
    Plan,
    SeasonContext,
    Skip,
    backfill,
    incremental,
    ranges,
)
from hoops.cbbd.plan_report import format_plan
from hoops.cbbd.request import Request
from hoops.cbbd.strategies import (
    ESTIMATED_GAMES,
    ESTIMATED_TEAMS,
    RANK,
    WINDOW_DAYS,
    Builder,
    date_windows,
    plan_season,
    select_endpoints,
)

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "NAIVE_FANOUT",
    "WINDOW_DAYS",
    "Backfill",
    "Group",
    "Incremental",
    "Plan",
    "SeasonContext",
    "Skip",
    "backfill",
    "date_windows",
    "fanout_cost",
    "format_plan",
    "incremental",
    "is_final",
    "plan",
    "select_endpoints",
]

NAIVE_FANOUT: dict[str, tuple[str, str]] = {
    "plays_date": ("plays_game", "game"),
    "games_teams": ("games_teams", "game"),
    "games_players": ("games_players", "game"),
    "substitutions_team": ("substitutions_game", "game"),
    "games": ("games", "team"),
    "games_media": ("games_media", "team"),
    "lines": ("lines", "team"),
    "stats_team_shooting_season": ("stats_team_shooting_season", "team"),
    "stats_player_shooting_season": ("stats_player_shooting_season", "team"),
}
"""Bulk endpoint -> (the endpoint a per-entity loop would call instead, once per game or per team)."""


def _order(group: Group, *, daily_first: bool, newest_first: bool) -> tuple[int, ...]:
    """Reference first. An incremental run then spends on daily data before weekly aggregates; a
    backfill goes season by season, newest first unless asked otherwise."""
    season = group.season if group.season is not None else -1
    rank = RANK[group.endpoint]
    if group.tier == TIER_REFERENCE:
        return 0, 0, 0, rank
    if daily_first:
        return (
            1,
            0 if catalog.get(group.endpoint).refresh_days == 1 else 1,
            group.tier * 10_000 + season,
            rank,
        )
    return 1, -season if newest_first else season, group.tier, rank


def _after_the_daily_data(group: Group) -> Group:
    """In a daily run's first pass, a weekly group waits for pass 2 (as the window's plays do), so it gets
    what the budget has left once the daily data is in, whatever splits or extra game days cost."""
    weekly = (catalog.get(group.endpoint).refresh_days or 0) > 1
    if group.pending or not weekly or group.endpoint == "teams":  # /teams?season feeds the per-team plan
        return group
    needs = "the day's data is fetched (pass 2)"
    return replace(group, requests=(), estimate=len(group.requests), needs=needs, basis="weekly, after daily")


def plan(
    mode: Backfill | Incremental,
    endpoints: str | Sequence[str] = "all",
    *,
    include_fanout: bool = False,
    done: Iterable[str] = frozenset(),
    contexts: Mapping[int, SeasonContext] | None = None,
    max_calls: int | None = None,
    today: dt.date | None = None,
    last_read: Mapping[str, dt.date] | None = None,
    newest_first: bool = True,
    budget_why: str | None = None,
) -> Plan:
    """The requests of one run, in priority order, cut to `max_calls` at a group boundary.

    `done` holds the `Request.key`s checkpointed as final; they are not planned again, except days and
    windows inside the incremental rolling window. `today` (backfill only) drops days and windows that
    have not started yet, for a backfill of the season in progress. `last_read` (key -> run day of the
    stored answer) lets a run skip what was read within its endpoint's `refresh_days`.
    A budget of 0 plans nothing and defers everything (the quota's share for today is spent).
    """
    if max_calls is not None and max_calls < 0:
        raise ValueError(f"max_calls must be 0 or more calls (or None for no budget), got {max_calls}")
    selected, skipped = select_endpoints(endpoints, include_fanout)
    contexts = contexts or {}
    b = Builder(done, last_read, mode.logical_date if isinstance(mode, Incremental) else today)
    no_data: dict[str, list[int]] = {}

    for ep in selected:  # reference endpoints: once per run, whatever the seasons
        if ep.scope == "reference":
            b.concrete(ep, None, ep.name, TIER_REFERENCE, [{}])

    if isinstance(mode, Backfill):
        spans = {s: cbbd_season_window(s) for s in mode.seasons}
        plannable, rolling = selected, False
    else:
        start, end = cbbd_season_window(mode.season)
        first, last = max(mode.window[0], start), min(mode.window[1], end)
        spans = {mode.season: (first, last)} if first <= last else {}
        if not spans:
            b.notes.append(
                f"{mode.logical_date} is outside the {mode.season} season window: nothing in season"
            )
        plannable, rolling = [], True
        for ep in selected:
            if ep.refresh_days is not None:
                plannable.append(ep)
            elif ep.scope != "reference":
                skipped.append(Skip(ep.name, "changes between seasons, not in season: backfills read it"))

    # An incremental run that fetches /games for its window learns today's game days only from that
    # fetch: its per-day endpoints wait for it (pass 2), or a day's plays would come a run late.
    games_in_run = rolling and any(ep.name == "games" for ep in plannable)
    for season, span in spans.items():
        ctx = contexts.get(season) or SeasonContext()
        for ep in plannable:
            if ep.scope == "reference" and ep.season_param is None:
                continue
            if not ep.has_season(season):
                no_data.setdefault(ep.name, []).append(season)
                continue
            plan_season(
                b,
                ep,
                season,
                ctx,
                span=span,
                rolling=rolling,
                today=None if rolling else today,
                games_in_run=games_in_run,
            )

    for name, missing in no_data.items():
        ep = catalog.get(name)
        skipped.append(Skip(name, f"no data for season(s) {ranges(missing)} (first season {ep.min_season})"))
    if b.already_final:
        b.notes.append(f"{b.already_final} requests already final (checkpointed): not planned again")
    if b.not_due:
        b.notes.append(f"{b.not_due} requests read within their refresh cadence: not due yet")

    daily_first = isinstance(mode, Incremental)
    groups = [_after_the_daily_data(g) if games_in_run else g for g in b.groups]
    groups = sorted(  # stable: days stay in date order, windows in time order
        groups, key=lambda g: _order(g, daily_first=daily_first, newest_first=newest_first)
    )
    kept, deferred, reason = apply_budget(groups, max_calls)
    if any(g.pending for g in groups):  # one line, not one per endpoint and season (each says why in JSON)
        b.notes.insert(0, "~ = estimated until /teams?season=S and /games are in the lake (then re-planned)")
    return Plan(
        mode=mode.describe(),
        groups=tuple(g for g in kept if not g.pending),
        pending=tuple(g for g in kept if g.pending),
        deferred=tuple(deferred),
        skipped=tuple(skipped),
        notes=tuple(b.notes),
        max_calls=max_calls,
        cut=bool(deferred),
        cut_reason=reason,
        already_final=b.already_final,
        not_due=b.not_due,
        budget_why=budget_why,
    )


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def is_final(request: Request, today: dt.date, *, window_days: int = DEFAULT_WINDOW_DAYS) -> bool:
    """Whether a successful response can never change, so its checkpoint may stop it being asked again.

    A day or date window is final once it ends before the rolling window [today-N, today]; a season-level
    request once the season ended more than N days ago; a draft/recruiting year once that year is over;
    an unfiltered reference call at once (refreshing it is a forced run). Anything else (live) never is.
    """
    ep = catalog.get(request.endpoint)
    params = request.param_dict
    horizon = today - dt.timedelta(days=window_days)
    if ep.scope == "live":
        return False
    if "date" in params:
        return _as_date(params["date"]) < horizon
    if params.get("endDateRange"):
        return _as_date(params["endDateRange"]) < horizon
    if request.season is None:
        return ep.scope == "reference"
    if ep.season_param == "year":
        return today.year > request.season
    return cbbd_season_window(request.season)[1] < horizon


def fanout_cost(
    seasons: Iterable[int], contexts: Mapping[int, SeasonContext] | None = None
) -> dict[str, int]:
    """Calls per endpoint if each bulk sweep were a per-game or per-team loop (NAIVE_FANOUT), for the
    benchmark "one season, bulk vs fan-out". Reference and one-call season endpoints cost the same."""
    seasons = sorted(set(seasons))
    contexts = contexts or {}
    bulk = plan(backfill(seasons), contexts=contexts)
    out = {name: calls for name, calls in bulk.by_endpoint().items() if name not in NAIVE_FANOUT}
    for name, calls in bulk.pending_by_endpoint().items():
        if name not in NAIVE_FANOUT:
            out[name] = out.get(name, 0) + calls
    for name, (naive, per) in NAIVE_FANOUT.items():
        ep, loop = catalog.get(name), catalog.get(naive)
        for season in seasons:
            if not (ep.has_season(season) and loop.has_season(season)):
                continue
            ctx = contexts.get(season) or SeasonContext()
            if per == "game":
                n = len(ctx.game_ids) if ctx.game_ids is not None else ESTIMATED_GAMES
            else:
                n = len(ctx.teams) if ctx.teams is not None else ESTIMATED_TEAMS
            out[naive] = out.get(naive, 0) + n
    return out
