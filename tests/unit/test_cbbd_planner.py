"""The CBBD planner: the exact requests of a run, computed offline, within cbbd.md's call budget."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re

import pytest

from hoops.calendar import cbbd_season_window, season_of
from hoops.cbbd import catalog
from hoops.cbbd.plan import TIER_NAMES
from hoops.cbbd.planner import (
    WINDOW_DAYS,
    SeasonContext,
    backfill,
    date_windows,
    fanout_cost,
    format_plan,
    incremental,
    is_final,
    plan,
    select_endpoints,
)
from hoops.cbbd.request import Request

WINDOWED = ("games", "games_teams", "games_players", "games_media", "lines")
FANOUT_SCOPES = ("game", "player")


def context(season: int, teams: int = 362, conferences: int = 31, days: int = 150, games: int = 6000):
    """A realistic season as the lake would know it after /teams and /games."""
    start, _ = cbbd_season_window(season)
    return SeasonContext(
        teams=[f"School {i:03d}" for i in range(teams)],
        conferences=[f"Conf {i:02d}" for i in range(conferences)],
        game_days=[start + dt.timedelta(days=4 + i) for i in range(days)],
        game_ids=range(100_000, 100_000 + games),
        player_ids=range(1, 4001),
    )


def parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def windows_of(requests, endpoint):
    out = [(parse(r.param_dict["startDateRange"]), parse(r.param_dict["endDateRange"])) for r in requests]
    assert all(r.endpoint == endpoint for r in requests)
    return sorted(out)


def groups_of(requests):
    """(endpoint, season) -> request keys, in plan order."""
    out: dict[tuple[str, int | None], list[str]] = {}
    for r in requests:
        out.setdefault((r.endpoint, r.season), []).append(r.key)
    return out


# ---------------------------------------------------------------------------------------------------
# A full season against cbbd.md's budget and against the naive fan-out.


def test_season_before_2024_fits_cbbd_budget_and_beats_fanout_by_15x():
    ctx = {2023: context(2023)}
    p = plan(backfill([2023]), contexts=ctx)
    assert not p.pending and not p.cut
    assert p.total_calls == p.estimated_calls
    assert 270 <= p.total_calls <= 300  # cbbd.md: about 290 per season
    counts = p.by_endpoint()
    assert counts["plays_date"] == 150
    assert counts["stats_team_shooting_season"] == counts["stats_player_shooting_season"] == 31
    assert counts["teams"] == 2  # unfiltered master list + season=2023
    assert counts["games"] == 6 and counts["games_teams"] == 12
    assert "substitutions_team" not in counts and "lineups_team" not in counts
    naive = sum(fanout_cost([2023], ctx).values())
    assert naive >= 15 * p.total_calls


def test_modern_season_adds_per_team_substitutions_and_lineups():
    ctx = {2024: context(2024)}
    p = plan(backfill([2024]), contexts=ctx)
    counts = p.by_endpoint()
    assert counts["substitutions_team"] == counts["lineups_team"] == 362
    assert 950 <= p.total_calls <= 1050  # cbbd.md: about 1,000 per season from 2024
    cost = fanout_cost([2024], ctx)
    assert cost["plays_game"] == cost["substitutions_game"] == 6000
    assert sum(cost.values()) >= 15 * p.total_calls


def test_requests_use_the_bulk_paths():
    p = plan(backfill([2024]), contexts={2024: context(2024)})
    by = {}
    for r in p.requests:
        by.setdefault(r.endpoint, []).append(r.param_dict)
    assert by["plays_date"][0] == {"date": "2023-11-05"}
    assert {"season": 2024, "conference": "Conf 00"} in by["stats_team_shooting_season"]
    assert {"season": 2024, "team": "School 000"} in by["substitutions_team"]
    assert {"year": 2024} in by["draft_picks"]
    assert {} in by["teams"] and {"season": 2024} in by["teams"]
    assert all(p_["season"] == 2024 for e in WINDOWED for p_ in by[e])
    assert all(r.season == 2024 for r in p.requests if r.endpoint != "teams" and r.param_dict)
    assert all(r.season is None for r in p.requests if not r.param_dict)


def test_no_per_game_request_unless_fanout_is_asked():
    ctx = {2024: context(2024)}
    p = plan(backfill([2024]), contexts=ctx)
    assert not any(catalog.get(r.endpoint).scope in FANOUT_SCOPES for r in p.requests)
    skipped = {s.endpoint: s.reason for s in p.skipped}
    assert "include_fanout" in skipped["lineups_game"]
    assert "covered by plays_date" in skipped["plays_game"]

    fan = plan(backfill([2024]), include_fanout=True, contexts=ctx)
    # Only the fan-out with no bulk equivalent; the covered ones would duplicate plays_date's rows.
    assert fan.by_endpoint()["lineups_game"] == 6000
    assert "plays_game" not in fan.by_endpoint()
    assert fan.requests[-1].endpoint == "lineups_game"  # fan-out comes last

    named = plan(backfill([2024]), ["plays_game"], contexts=ctx)
    assert named.by_endpoint() == {"plays_game": 6000}
    assert named.requests[0].param_dict == {"gameId": 100_000}


def test_fanout_only_for_ids_given_otherwise_estimated():
    p = plan(backfill([2024]), ["lineups_game", "plays_player"])
    assert p.total_calls == 0
    assert {g.endpoint: g.calls for g in p.pending} == {"lineups_game": 6200, "plays_player": 5000}
    ctx = {2024: SeasonContext(game_ids=[7, 5, 5], player_ids=[3])}
    p = plan(backfill([2024]), ["lineups_game", "plays_player"], contexts=ctx)
    assert [r.param_dict for r in p.requests] == [
        {"gameId": 5},
        {"gameId": 7},
        {"playerId": 3, "season": 2024},
    ]


# ---------------------------------------------------------------------------------------------------
# Date windows.


@pytest.mark.parametrize("season", [2016, 2024])  # 2016: a leap-year February
def test_date_windows_tile_the_season_without_gap_or_overlap(season):
    p = plan(backfill([season]), list(WINDOWED), contexts={season: context(season)})
    start, end = cbbd_season_window(season)
    for name in WINDOWED:
        wins = windows_of([r for r in p.requests if r.endpoint == name], name)
        assert wins[0][0] == dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
        assert wins[-1][1] == dt.datetime(end.year, end.month, end.day, 23, 59, 59, 999000, tzinfo=dt.UTC)
        for (_, prev_end), (next_start, _) in itertools.pairwise(wins):
            assert next_start - prev_end == dt.timedelta(milliseconds=1)  # no gap, no overlap
        assert all(b - a < dt.timedelta(days=WINDOW_DAYS[name]) for a, b in wins)


def test_date_windows_helper():
    a, b = dt.date(2024, 1, 1), dt.date(2024, 1, 10)
    assert date_windows(a, b, 4) == [
        (dt.date(2024, 1, 1), dt.date(2024, 1, 4)),
        (dt.date(2024, 1, 5), dt.date(2024, 1, 8)),
        (dt.date(2024, 1, 9), dt.date(2024, 1, 10)),
    ]
    assert date_windows(a, a, 30) == [(a, a)]
    with pytest.raises(ValueError):
        date_windows(a, b, 0)


def test_game_days_are_clipped_to_the_season_and_today():
    days = [dt.date(2023, 10, 20), dt.date(2023, 11, 6), dt.date(2024, 1, 10), dt.date(2024, 2, 1)]
    p = plan(
        backfill([2024]),
        ["plays_date", "games"],
        contexts={2024: SeasonContext(game_days=days)},
        today=dt.date(2024, 1, 10),
    )
    assert [r.param_dict["date"] for r in p.requests if r.endpoint == "plays_date"] == [
        "2023-11-06",
        "2024-01-10",
    ]
    starts = [r.param_dict["startDateRange"][:10] for r in p.requests if r.endpoint == "games"]
    assert starts == ["2023-11-01", "2023-12-01", "2023-12-31"]  # windows not started yet are left out


# ---------------------------------------------------------------------------------------------------
# done, seasons with no data, determinism.


def test_done_keys_are_never_planned_again():
    ctx = {2023: context(2023)}
    first = plan(backfill([2023]), contexts=ctx)
    rerun = plan(backfill([2023]), contexts=ctx, done={r.key for r in first.requests})
    assert rerun.total_calls == 0 and rerun.estimated_calls == 0
    assert rerun.already_final == first.total_calls

    half = {r.key for r in first.requests if r.endpoint == "plays_date"}
    partial = plan(backfill([2023]), contexts=ctx, done=half)
    assert "plays_date" not in partial.by_endpoint()
    assert partial.total_calls == first.total_calls - 150


def test_reference_endpoints_once_per_run_and_keys_unique():
    seasons = [2022, 2023, 2024]
    p = plan(backfill(seasons), contexts={s: context(s) for s in seasons})
    keys = [r.key for r in p.requests]
    assert len(keys) == len(set(keys))
    counts = p.by_endpoint()
    for name in ("conferences", "conferences_history", "venues", "plays_types", "lines_providers"):
        assert counts[name] == 1
    assert counts["teams"] == 1 + len(seasons)
    assert counts["rankings"] == 3 and counts["plays_date"] == 450


def test_seasons_without_data_are_not_planned():
    p = plan(backfill([2020, 2005]), contexts={2020: context(2020), 2005: context(2005)})
    planned = {(r.endpoint, r.season) for r in p.requests}
    assert ("substitutions_team", 2020) not in planned and ("lineups_team", 2020) not in planned
    assert ("plays_date", 2005) not in planned and ("plays_date", 2020) in planned
    assert ("stats_team_shooting_season", 2005) not in planned
    assert ("ratings_adjusted", 2005) not in planned and ("recruiting_portal", 2020) not in planned
    reasons = {s.endpoint: s.reason for s in p.skipped}
    assert "2005, 2020" in reasons["substitutions_team"] and "2024" in reasons["substitutions_team"]
    assert "2005" in reasons["plays_date"]


def test_tier_two_only_when_named_and_unknown_names_fail():
    chosen, skipped = select_endpoints("all")
    names = {ep.name for ep in chosen}
    assert "stats_team_leaderboard" not in names and "scoreboard" not in names
    assert names == {ep.name for ep in catalog.ENDPOINTS.values() if ep.default_in_plan}
    assert {s.endpoint for s in skipped} >= {"stats_team_leaderboard", "scoreboard", "teams_overview"}
    p = plan(backfill([2024]), ["stats_team_leaderboard", "scoreboard"])
    assert p.by_endpoint() == {"stats_team_leaderboard": 1}
    assert [s.endpoint for s in p.skipped] == ["scoreboard"]
    with pytest.raises(KeyError, match="unknown CBBD endpoint"):
        plan(backfill([2024]), ["nope"])
    with pytest.raises(ValueError):
        plan(backfill([2024]), [])
    with pytest.raises(ValueError):
        backfill([])


def test_plan_is_deterministic():
    ctx = context(2024)
    shuffled = SeasonContext(
        teams=random.Random(1).sample(ctx.teams, len(ctx.teams)),
        conferences=list(reversed(ctx.conferences)),
        game_days=random.Random(2).sample(ctx.game_days, len(ctx.game_days)),
        game_ids=ctx.game_ids,
    )
    a = plan(backfill([2024, 2023]), contexts={2024: ctx}, include_fanout=True)
    b = plan(backfill([2023, 2024, 2024]), contexts={2024: shuffled}, include_fanout=True)
    assert [r.key for r in a.requests] == [r.key for r in b.requests]
    assert format_plan(a) == format_plan(b)


def test_priority_order():
    """Reference first, then season by season, newest first; within a season the cheapest tiers first."""
    seasons = [2023, 2024]
    p = plan(backfill(seasons), contexts={s: context(s) for s in seasons}, include_fanout=True)
    kinds = []
    for r in p.requests:
        ep = catalog.get(r.endpoint)
        if not r.param_dict:
            kind = 0
        elif ep.name == "plays_date":
            kind = 4
        elif ep.date_window:
            kind = 3
        elif ep.scope in FANOUT_SCOPES:
            kind = 6
        elif "team" in r.param_dict:
            kind = 5
        elif "conference" in r.param_dict:
            kind = 2
        else:
            kind = 1
        kinds.append((0, 0) if kind == 0 else (1, -(r.season or 0), kind))
    assert kinds == sorted(kinds)
    assert [r.season for r in p.requests if r.season][:1] == [2024]  # the newest season first
    days = [r.param_dict["date"] for r in p.requests if r.endpoint == "plays_date"]
    assert days == sorted(days, key=lambda d: (-season_of(dt.date.fromisoformat(d)), d))
    assert p.requests[0].endpoint == "teams" or not p.requests[0].param_dict


# ---------------------------------------------------------------------------------------------------
# Incremental.


def test_incremental_covers_exactly_the_window():
    d = dt.date(2024, 1, 10)
    p = plan(incremental(d, 7))
    # /games of the window comes first: the day's plays wait for its game days (pass 2), estimated at a
    # call per day; planned alone they cover every day of the window.
    (plays,) = [g for g in p.pending if g.endpoint == "plays_date"]
    assert plays.calls == 8 and "/games" in plays.needs
    alone = plan(incremental(d, 7), ["plays_date"])
    days = [r.param_dict["date"] for r in alone.requests]
    assert days == [(d - dt.timedelta(days=i)).isoformat() for i in range(7, -1, -1)]
    for name in WINDOWED:
        wins = windows_of([r for r in p.requests if r.endpoint == name], name)
        assert wins[0][0] == dt.datetime(2024, 1, 3, tzinfo=dt.UTC)
        assert wins[-1][1] == dt.datetime(2024, 1, 10, 23, 59, 59, 999000, tzinfo=dt.UTC)
    counts = p.by_endpoint()
    for name in ("ratings_adjusted", "ratings_srs", "ratings_elo"):  # daily: in pass 1
        assert counts[name] == 1
    assert counts["teams"] == 2
    assert not any(r.endpoint.startswith(("draft_picks", "recruiting_")) for r in p.requests)
    # Weekly aggregates wait for pass 2, after the day's plays: what the budget has left is theirs.
    weekly = {"substitutions_team", "lineups_team", "rankings", "teams_roster", "stats_team_season"}
    assert {g.endpoint for g in p.pending} >= weekly and not weekly & set(counts)
    assert next(g.endpoint for g in p.pending) == "plays_date"

    known = {2024: SeasonContext(game_days=[dt.date(2024, 1, 1), dt.date(2024, 1, 6), dt.date(2024, 1, 9)])}
    p = plan(incremental(d, 7), ["plays_date"], contexts=known)
    assert [r.param_dict["date"] for r in p.requests] == ["2024-01-06", "2024-01-09"]


def test_incremental_rereads_the_window_even_if_done_but_not_reference():
    d = dt.date(2024, 1, 10)
    first = plan(incremental(d, 3), contexts={2024: context(2024)})
    again = plan(incremental(d, 3), contexts={2024: context(2024)}, done={r.key for r in first.requests})
    refreshed = {r.endpoint for r in again.requests}
    assert set(WINDOWED) <= refreshed and "plays_date" in again.pending_endpoints
    assert "conferences" not in refreshed and "venues" not in refreshed
    second = plan(incremental(d, 3), again.pending_endpoints, contexts={2024: context(2024)})
    done = {r.key for r in second.requests}
    assert (
        plan(incremental(d, 3), ["plays_date"], contexts={2024: context(2024)}, done=done).by_endpoint()[
            "plays_date"
        ]
        == second.by_endpoint()["plays_date"]
        > 0
    )


def test_incremental_outside_the_season_plans_only_missing_reference():
    p = plan(incremental(dt.date(2024, 8, 15), 7))
    assert {catalog.get(r.endpoint).scope for r in p.requests} == {"reference"}
    assert all(not r.param_dict for r in p.requests)
    assert any("outside" in n for n in p.notes)
    # Clipped at the end of the season: Apr 15 with 7 days re-reads Apr 8-10 only.
    p = plan(incremental(dt.date(2024, 4, 15), 7), ["plays_date"])
    assert [r.param_dict["date"] for r in p.requests] == ["2024-04-08", "2024-04-09", "2024-04-10"]
    with pytest.raises(ValueError):
        incremental(dt.date(2024, 1, 1), -1)


def test_is_final():
    today = dt.date(2024, 1, 20)  # horizon: Jan 13
    day = Request.of("plays_date", {"date": "2024-01-12"}, 2024)
    assert is_final(day, today)
    assert not is_final(Request.of("plays_date", {"date": "2024-01-13"}, 2024), today)
    window = {"season": 2024, "startDateRange": "2024-01-01T00:00:00.000Z"}
    assert is_final(Request.of("games", {**window, "endDateRange": "2024-01-12T23:59:59.999Z"}), today)
    assert not is_final(Request.of("games", {**window, "endDateRange": "2024-01-14T23:59:59.999Z"}), today)
    assert is_final(Request.of("ratings_srs", {"season": 2023}), today)
    assert not is_final(Request.of("ratings_srs", {"season": 2024}), today)
    assert not is_final(Request.of("ratings_srs", {"season": 2024}), dt.date(2024, 4, 17))
    assert is_final(Request.of("ratings_srs", {"season": 2024}), dt.date(2024, 4, 18))
    assert is_final(Request.of("teams", {}), today)
    assert not is_final(Request.of("teams", {"season": 2024}), today)
    assert is_final(Request.of("draft_picks", {"year": 2023}), today)
    assert not is_final(Request.of("draft_picks", {"year": 2024}), today)
    assert not is_final(Request.of("lineups_game", {"gameId": 1}, 2024), today)
    assert is_final(Request.of("lineups_game", {"gameId": 1}, 2023), today)
    assert not is_final(Request.of("scoreboard", {}), today)


def test_every_planned_request_of_a_finished_season_is_final():
    p = plan(backfill([2023]), contexts={2023: context(2023)}, include_fanout=True)
    assert all(is_final(r, dt.date(2024, 6, 1)) for r in p.requests)
    live = plan(incremental(dt.date(2024, 1, 10), 7), contexts={2024: context(2024)})
    in_window = [r for r in live.requests if r.endpoint in (*WINDOWED, "plays_date")]
    assert in_window and not any(is_final(r, dt.date(2024, 1, 10)) for r in in_window)


# ---------------------------------------------------------------------------------------------------
# Budget.


def test_budget_cuts_at_a_group_boundary():
    ctx = {2024: context(2024)}
    full = plan(backfill([2024]), contexts=ctx)
    whole = groups_of(full.requests)
    # Reference + season-level + shooting + /games + /games/teams, then 5 more: would split /games/players.
    upto = next(i for i, r in enumerate(full.requests) if r.endpoint == "games_players")
    cut = plan(backfill([2024]), contexts=ctx, max_calls=upto + 5)
    assert cut.cut and cut.total_calls == upto
    assert [r.key for r in cut.requests] == [r.key for r in full.requests[:upto]]
    for group, keys in groups_of(cut.requests).items():
        assert keys == whole[group]  # no partial group
    assert cut.deferred_calls == full.total_calls - cut.total_calls
    assert cut.deferred[0].endpoint == "games_players"
    assert "games_players 2024 needs 33" in cut.cut_reason


def test_budget_cuts_plays_at_a_day_boundary_and_counts_pending():
    ctx = {2023: context(2023)}
    full = plan(backfill([2023]), contexts=ctx)
    before = full.total_calls - 150
    cut = plan(backfill([2023]), contexts=ctx, max_calls=before + 40)
    assert cut.by_endpoint()["plays_date"] == 40 and cut.total_calls == before + 40
    kept = [r.param_dict["date"] for r in cut.requests if r.endpoint == "plays_date"]
    assert kept == [r.param_dict["date"] for r in full.requests if r.endpoint == "plays_date"][:40]
    assert cut.deferred_calls == 110

    estimated = plan(backfill([2024]))  # nothing known: per-team and plays are estimates
    budgeted = plan(backfill([2024]), max_calls=1000)
    assert budgeted.cut and budgeted.estimated_calls <= 1000
    assert budgeted.estimated_calls + budgeted.deferred_calls == estimated.estimated_calls
    assert [g.endpoint for g in budgeted.deferred] == ["substitutions_team"]


def test_a_group_larger_than_the_whole_budget_is_split_to_make_progress():
    ctx = {2024: context(2024)}
    p = plan(backfill([2024]), ["lineups_team"], contexts=ctx, max_calls=100)
    assert p.total_calls == 100 and p.cut and p.deferred_calls == 262
    assert "larger than the whole budget" in p.cut_reason


def test_a_negative_budget_is_an_error_and_zero_defers_everything():
    with pytest.raises(ValueError, match="max_calls must be 0 or more"):
        plan(backfill([2024]), max_calls=-5)
    spent = plan(backfill([2024]), contexts={2024: context(2024)}, max_calls=0)
    assert (
        spent.total_calls == 0
        and spent.cut
        and spent.deferred_calls == plan(backfill([2024]), contexts={2024: context(2024)}).estimated_calls
    )


def test_budget_larger_than_plan_does_not_cut():
    p = plan(backfill([2023]), contexts={2023: context(2023)}, max_calls=10_000)
    assert not p.cut and not p.deferred and p.cut_reason is None


# ---------------------------------------------------------------------------------------------------
# Estimates, display, JSON.


def test_first_run_estimates_are_realistic_but_build_no_guessed_requests():
    p = plan(backfill([2024]))
    pending = {g.endpoint: g.calls for g in p.pending}
    assert pending == {
        "stats_player_shooting_season": 31,
        "stats_team_shooting_season": 31,
        "plays_date": 162,  # every day Nov 1 - Apr 10 of a leap year
        "lineups_team": 362,
        "substitutions_team": 362,
    }
    assert not any(r.endpoint in pending for r in p.requests)
    assert 950 <= p.estimated_calls <= 1100
    assert all(g.needs for g in p.pending)
    assert any("estimated" in n for n in p.notes)


def test_replan_after_reference_endpoints_makes_pending_groups_concrete():
    first = plan(backfill([2024]))
    assert first.pending_endpoints == [
        "stats_player_shooting_season",
        "stats_team_shooting_season",
        "plays_date",
        "lineups_team",
        "substitutions_team",
    ]
    again = plan(backfill([2024]), first.pending_endpoints, contexts={2024: context(2024)})
    assert not again.pending
    assert again.by_endpoint() == {
        "stats_player_shooting_season": 31,
        "stats_team_shooting_season": 31,
        "plays_date": 150,
        "lineups_team": 362,
        "substitutions_team": 362,
    }
    assert not {r.key for r in again.requests} & {r.key for r in first.requests}


def test_format_plan_sums_each_kind_of_request_and_lists_endpoints_on_request():
    p = plan(backfill([2024]), contexts={2024: context(2024)})
    text = format_plan(p)
    kinds = {}
    for g in p.groups:
        kinds[g.tier] = kinds.get(g.tier, 0) + g.calls
    for tier, calls in kinds.items():
        assert re.search(rf"^{TIER_NAMES[tier]}\s+{calls:,}\s", text, re.M), TIER_NAMES[tier]
    assert re.search(rf"^total\s+{p.total_calls:,}\b", text, re.M)
    assert "backfill seasons 2024" in text and "lineups_game" in text  # skipped, with the reason
    detailed = format_plan(p, by_endpoint=True)
    for name, calls in p.by_endpoint().items():
        assert re.search(rf"^{name}\s+{calls}\b", detailed, re.M), name

    cut = format_plan(plan(backfill([2024]), max_calls=500))
    assert "CUT:" in cut and "~" in cut


def test_the_whole_history_plan_fits_on_one_screen():
    """24 seasons, every kind of request, a budget cut: still one line per kind, not one per season."""
    seasons = range(2003, 2027)
    text = format_plan(plan(backfill(seasons), max_calls=900))
    assert len(text.splitlines()) <= 40 and max(map(len, text.splitlines())) <= 120
    assert re.search(r"^day\s+\S*\s+~[\d,]+\s+2003, 2006-2026\s+plays_date", text, re.M)
    assert "backfill seasons 2003-2026" in text and "CUT:" in text


def test_to_json_is_small_and_serialisable():
    p = plan(backfill([2024]), contexts={2024: context(2024)}, max_calls=600)
    doc = p.to_json()
    text = json.dumps(doc)
    assert len(text) < 10_000
    assert doc["total_calls"] == p.total_calls and doc["cut"] is True
    assert sum(d["calls"] for d in doc["deferred"]) == p.deferred_calls
    assert len(p.to_json(include_requests=True)["requests"]) == p.total_calls


def test_season_helpers():
    assert season_of(dt.date(2025, 11, 10)) == 2026
    assert season_of(dt.date(2026, 3, 1)) == 2026
    assert cbbd_season_window(2024) == (dt.date(2023, 11, 1), dt.date(2024, 4, 10))
