"""Gold from hand-made silver Parquet and a few BartTorvik rows in a real PostgreSQL.

The silver fixture is one small 2024 season, small enough to check by hand:

    day    game  home (pts, elo start→end)        away                        status
    11-06  1     1 Abilene Chr. 70 (1500→1510)    2 Air Force 60 (1500→1490)  final
    11-08  2     3 Akron 65 (1400→1390)           5 Alabama 68 (1600→1610)    final
    11-10  3     2 Air Force 80 (neutral site)    3 Akron 75                  final
    11-10  4     5 Alabama 77 (1610→1620)         1 Abilene Chr. 70 (1510→1500) final
    11-12  5     99999 (not in the mapping) 50    3 Akron 60                  final
    11-13  7     5 Alabama 90                     88888 (not D1: no conference) 50  final
    11-14  6     1 Abilene Chr.                   3 Akron                     scheduled

Season days 11-06..11-14 (9) × 5 D1 teams = 45 team-days; 88888 is in game-level gold only.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hoops import warehouse
from hoops.cbbd import gold
from hoops.lake import LocalLake

SEASON = 2024
D = dt.date
CONFERENCE = {1: "WAC", 2: "MWC", 3: "MAC", 5: "SEC", 99999: "Ind"}  # 88888 has none: it is not D1


def game(game_id, day, home, away, hp, ap, elo=(None, None, None, None), neutral=False, status="final"):
    return {
        "game_id": game_id,
        "season": SEASON,
        "season_type": "regular",
        "status": status,
        "start_date": dt.datetime(day.year, day.month, day.day, 23, 0, tzinfo=dt.UTC),
        "game_date": day,
        "neutral_site": neutral,
        "conference_game": False,
        "home_team_id": home,
        "home_team": f"Team {home}",
        "home_conference": CONFERENCE.get(home),
        "away_team_id": away,
        "away_team": f"Team {away}",
        "away_conference": CONFERENCE.get(away),
        "home_points": hp,
        "away_points": ap,
        "home_winner": None if hp is None else hp > ap,
        "away_winner": None if hp is None else ap > hp,
        "home_elo_start": elo[0],
        "home_elo_end": elo[1],
        "away_elo_start": elo[2],
        "away_elo_end": elo[3],
        "asof": D(2024, 1, 15),
    }


def silver_rows() -> dict[str, list[dict]]:
    games = [
        game(1, D(2023, 11, 6), 1, 2, 70, 60, (1500, 1510, 1500, 1490)),
        game(2, D(2023, 11, 8), 3, 5, 65, 68, (1400, 1390, 1600, 1610)),
        game(3, D(2023, 11, 10), 2, 3, 80, 75, neutral=True),
        game(4, D(2023, 11, 10), 5, 1, 77, 70, (1610, 1620, 1510, 1500)),
        game(5, D(2023, 11, 12), 99999, 3, 50, 60),
        game(7, D(2023, 11, 13), 5, 88888, 90, 50),
        game(6, D(2023, 11, 14), 1, 3, None, None, status="scheduled"),
    ]

    def line(game_id, provider, spread, over_under):
        return {
            "game_id": game_id,
            "season": SEASON,
            "provider": provider,
            "spread": spread,
            "over_under": over_under,
        }

    def player(athlete_id, minutes, points):
        return {
            "season": SEASON,
            "team_id": 1,
            "athlete_id": athlete_id,
            "name": f"P{athlete_id}",
            "games": 2,
            "minutes": minutes,
            "points": points,
            "porpag": 1.5,
            "win_shares_total": 0.4,
            "net_rating": 3.0,
        }

    return {
        "fct_games": games,
        "fct_lines": [
            line(1, "A", -10.0, 130.0),  # home by 10, total 130: push both ways
            line(1, "B", -7.5, 125.5),  # home covers, over
            line(2, "A", 2.5, 140.0),  # home lost by 3 as a 2.5-point underdog: away covers, under
            line(6, "A", -3.0, 150.0),  # not played yet
        ],
        "fct_ratings_adjusted": [
            {"season": SEASON, "team_id": 1, "net_rating": 5.0, "rank_net": 50, "asof": D(2023, 11, 7)},
            {"season": SEASON, "team_id": 1, "net_rating": 7.0, "rank_net": 40, "asof": D(2023, 11, 10)},
            {"season": SEASON, "team_id": 5, "net_rating": 10.0, "rank_net": 10, "asof": D(2023, 11, 9)},
        ],
        "fct_ratings_srs": [{"season": SEASON, "team_id": 1, "rating": 3.0, "asof": D(2023, 11, 8)}],
        "fct_ratings_elo": [{"season": SEASON, "team_id": 5, "elo": 1650.0, "asof": D(2023, 11, 9)}],
        "fct_game_players": [
            {"game_id": 1, "season": SEASON, "team_id": 1, "athlete_id": 10, "minutes": 30.0},
            {"game_id": 4, "season": SEASON, "team_id": 1, "athlete_id": 10, "minutes": 0.0},
        ],
        "fct_player_season_stats": [player(10, 600.0, 300), player(11, 200.0, 40)],
    }


def write_silver(root, rows: dict[str, list[dict]]) -> None:
    for table, records in rows.items():
        schema = duckdb.sql(gold.empty_sql(table)).arrow().schema
        path = root / "silver" / table / f"season={SEASON}" / "part-0000.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(records, schema), path)


BT = [  # (canonical team, snapshot day, barthag, rank)
    ("abilene-christian", D(2023, 11, 9), 0.40, 200),
    ("abilene-christian", D(2023, 11, 10), 0.45, 190),
    ("alabama", D(2023, 11, 9), 0.90, 12),
]


def load_bt(rows=BT) -> None:
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
        for team, day, barthag, rank in rows:
            conn.execute(
                "INSERT INTO bt_teams (team_id, name, aliases) VALUES (%s, %s, ARRAY[%s])"
                " ON CONFLICT DO NOTHING",
                (team, team, team),
            )
            (artifact,) = conn.execute(
                "INSERT INTO bt_raw_artifacts (snapshot_date, source_kind, source_url, file_date, sha256,"
                " bytes, lake_uri, http_status, status, fetched_at)"
                " VALUES (%s, 'live', 'u', %s, %s, 1, 'l', 200, 'LOADED', now())"
                " ON CONFLICT (snapshot_date, sha256) DO UPDATE SET bytes = 1 RETURNING artifact_id",
                (day, day, "x"),
            ).fetchone()
            conn.execute(
                "INSERT INTO bt_team_metrics_daily (team_id, snapshot_date, season, rank, team_name, adjoe,"
                " adjde, barthag, adj_tempo, wab, artifact_id) VALUES (%s, %s, %s, %s, %s, 110, 100, %s, 68,"
                " 1.5, %s)",
                (team, day, SEASON, rank, team, barthag, artifact),
            )


def read(root, table) -> list[dict]:
    return pq.read_table(root / "gold" / table / f"season={SEASON}" / "part-0000.parquet").to_pylist()


def build(root, rows=None) -> dict:
    write_silver(root, rows or silver_rows())
    return gold.build(LocalLake(root), [SEASON])


@pytest.fixture
def built(tmp_path, warehouse_dsn):
    load_bt()
    return tmp_path / "lake", build(tmp_path / "lake")


def test_team_quality_daily_is_one_row_per_team_per_day_with_as_of_ratings(built):
    root, totals = built
    rows = read(root, "team_quality_daily")
    assert totals["team_quality_daily"] == {
        "rows": 45,
        "objects": 1,
        "bytes": totals["team_quality_daily"]["bytes"],
    }
    assert len(rows) == 45 and len({(r["cbbd_team_id"], r["date"]) for r in rows}) == 45
    day = {(r["cbbd_team_id"], r["date"]): r for r in rows}

    # Abilene Christian's adjusted rating: nothing before the first snapshot, never a later snapshot.
    assert [day[1, D(2023, 11, d)]["net_rating"] for d in (6, 7, 9, 10, 14)] == [None, 5.0, 5.0, 7.0, 7.0]
    assert day[1, D(2023, 11, 7)]["srs"] is None and day[1, D(2023, 11, 8)]["srs"] == 3.0
    # Elo: no snapshot for team 1, so its last game's end Elo; team 5 has a snapshot from 11-09 on.
    assert [day[1, D(2023, 11, d)]["elo"] for d in (6, 9, 10, 14)] == [1510, 1510, 1500, 1500]
    assert [day[5, D(2023, 11, d)]["elo"] for d in (7, 8, 9, 10)] == [None, 1610, 1650, 1650]
    # Record to date counts only completed games on or before the day (game 6 is scheduled).
    assert [(day[3, D(2023, 11, d)]["wins"], day[3, D(2023, 11, d)]["losses"]) for d in (7, 8, 10, 14)] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 2),
    ]
    assert day[3, D(2023, 11, 14)]["games"] == 3

    # BartTorvik joins through the mapping (cbbd 1 -> abilene-christian) on the snapshot's own day.
    assert day[1, D(2023, 11, 6)]["team_id"] == "abilene-christian"
    assert [day[1, D(2023, 11, d)]["barthag"] for d in (8, 9, 10, 11)] == [None, 0.40, 0.45, None]
    assert day[5, D(2023, 11, 9)]["bt_rank"] == 12 and day[5, D(2023, 11, 9)]["adj_tempo"] == 68
    assert day[99999, D(2023, 11, 12)]["team_id"] is None and day[99999, D(2023, 11, 12)]["barthag"] is None


LABELS = {"points", "opponent_points", "margin", "win"}


def game_sides(root, game_id) -> dict[tuple[int, int], dict]:
    return {(r["game_id"], r["team_id"]): r for r in read(root, "game_features") if r["game_id"] == game_id}


def test_game_features_use_only_what_was_known_before_tip_off(tmp_path, warehouse_dsn):
    load_bt()
    build(tmp_path / "a")
    before = game_sides(tmp_path / "a", 4)

    changed = silver_rows()
    g4 = next(g for g in changed["fct_games"] if g["game_id"] == 4)
    g4.update(
        home_points=60,
        away_points=90,
        home_winner=False,
        away_winner=True,
        home_elo_end=1500.0,
        away_elo_end=1630.0,
    )
    # Same-day and later snapshots (team 1 already has a same-day adjusted rating in the fixture).
    for table, value in (("fct_ratings_adjusted", "net_rating"), ("fct_ratings_srs", "rating")):
        for team, day in ((5, 10), (1, 11), (5, 11)):
            changed[table].append({"season": SEASON, "team_id": team, value: 99.0, "asof": D(2023, 11, day)})
    changed["fct_ratings_elo"].append(
        {"season": SEASON, "team_id": 1, "elo": 1999.0, "asof": D(2023, 11, 10)}
    )
    # Later BartTorvik snapshots for both sides: snapshot D+1 already includes day D's games.
    load_bt([(team, D(2023, 11, d), 0.99, 1) for team in ("alabama", "abilene-christian") for d in (11, 12)])
    build(tmp_path / "b", changed)
    after = game_sides(tmp_path / "b", 4)

    assert set(before) == set(after) == {(4, 5), (4, 1)}
    for side in before:
        features = {c for c in before[side] if c not in LABELS}
        assert {c: before[side][c] for c in features} == {c: after[side][c] for c in features}
        assert all(before[side][c] != after[side][c] for c in LABELS)
    home, away = before[4, 5], before[4, 1]
    assert (home["points"], home["margin"], home["win"], away["win"]) == (77, 7, True, False)
    assert (after[4, 5]["margin"], after[4, 5]["win"]) == (-30, False)

    # And the values themselves: strictly-before ratings, pre-game Elo, record and rest from earlier games.
    assert (home["elo_pre"], home["opponent_elo_pre"]) == (1610, 1510)
    assert (away["adj_net_rating"], away["opponent_adj_net_rating"], away["srs"]) == (5.0, 10.0, 3.0)
    # BartTorvik: the game day's own snapshot (11-10, ratings before any game of the day) when there is one,
    # else the latest earlier one (Alabama's 11-09); never 11-11 or later.
    assert (away["bt_barthag"], home["bt_barthag"]) == (0.45, 0.90)
    assert (home["wins_before"], home["losses_before"], home["rest_days"]) == (1, 0, 2)
    assert (away["wins_before"], away["avg_margin_before"], away["opponent_rest_days"]) == (1, 10.0, 2)


def test_game_features_first_game_and_consensus_line(built):
    root, _ = built
    rows = {(r["game_id"], r["team_id"]): r for r in read(root, "game_features")}
    assert len(rows) == 14  # 7 games × 2 sides, the scheduled one and the one against a non-D1 team included
    assert [(rows[7, t]["is_d1"], rows[7, t]["opponent_is_d1"]) for t in (5, 88888)] == [
        (True, False),
        (False, True),
    ]
    assert all(r["is_d1"] and r["opponent_is_d1"] for k, r in rows.items() if k[0] != 7)
    first = rows[1, 1]
    assert first["rest_days"] is None and first["wins_before"] == 0 and first["avg_margin_before"] is None
    assert (first["spread"], rows[1, 2]["spread"], first["over_under"]) == (-8.75, 8.75, 127.75)
    scheduled = rows[6, 3]
    assert scheduled["points"] is None and scheduled["win"] is None and scheduled["spread"] == 3.0
    assert (scheduled["wins_before"], scheduled["losses_before"], scheduled["rest_days"]) == (1, 2, 2)


def test_market_lines_ats_and_totals(built):
    root, _ = built
    rows = {(r["game_id"], r["provider"]): r for r in read(root, "market_lines_analysis")}
    assert set(rows) == {(1, "A"), (1, "B"), (2, "A")}  # game 6 is not played
    pick = (
        "home_margin",
        "total_points",
        "home_cover",
        "ats_result",
        "total_result",
        "spread_error",
        "total_error",
    )
    assert [rows[1, "A"][c] for c in pick] == [10, 130, None, "push", "push", 0.0, 0.0]
    assert [rows[1, "B"][c] for c in pick] == [10, 130, True, "home", "over", 2.5, 4.5]
    assert [rows[2, "A"][c] for c in pick] == [-3, 133, False, "away", "under", -0.5, -7.0]


def test_team_season_summary_and_player_impact(built):
    root, _ = built
    teams = {r["team_id"]: r for r in read(root, "team_season_summary")}
    assert set(teams) == {1, 2, 3, 5, 99999}
    akron = teams[3]
    assert (akron["games"], akron["wins"], akron["losses"]) == (3, 1, 2)
    assert (akron["home_losses"], akron["away_wins"], akron["neutral_losses"]) == (1, 1, 1)
    assert akron["points_per_game"] == pytest.approx(200 / 3)
    assert (teams[1]["net_rating"], teams[1]["ratings_asof"], teams[1]["elo"]) == (7.0, D(2023, 11, 10), 1500)
    assert (teams[1]["bt_barthag"], teams[1]["bt_rank"], teams[5]["elo"]) == (0.45, 190, 1650)

    players = {r["athlete_id"]: r for r in read(root, "player_season_impact")}
    assert (players[10]["minutes_share"], players[11]["minutes_share"]) == (0.75, 0.25)
    assert (players[10]["points_per_40"], players[10]["games_played"], players[11]["games_played"]) == (
        20.0,
        1,
        0,
    )


def test_rerun_adds_no_objects_and_writes_identical_bytes(built):
    root, first = built
    keys = sorted(p for p in (root / "gold").rglob("*") if p.is_file())
    data = {k: k.read_bytes() for k in keys}
    assert len(keys) == len(gold.TABLES)
    assert gold.build(LocalLake(root)) == first  # default seasons: every season in silver
    assert sorted(p for p in (root / "gold").rglob("*") if p.is_file()) == keys
    assert {k: k.read_bytes() for k in keys} == data


def test_builds_with_null_bartorvik_and_missing_silver_tables(tmp_path, warehouse_dsn):
    with warehouse.connect() as conn:
        warehouse.migrate(conn)
    rows = silver_rows()
    for table in ("fct_lines", "fct_ratings_adjusted", "fct_ratings_elo", "fct_player_season_stats"):
        del rows[table]
    totals = build(tmp_path / "lake", rows)
    assert totals["team_quality_daily"]["rows"] == 45 and totals["market_lines_analysis"]["rows"] == 0
    assert totals["player_season_impact"] == {
        "rows": 0,
        "objects": 1,
        "bytes": totals["player_season_impact"]["bytes"],
    }
    daily = read(tmp_path / "lake", "team_quality_daily")
    assert all(r["barthag"] is None and r["net_rating"] is None for r in daily)
    assert {r["spread"] for r in read(tmp_path / "lake", "game_features")} == {None}


def test_primary_key_violation_raises(tmp_path, warehouse_dsn):
    load_bt()
    rows = silver_rows()
    rows["fct_player_season_stats"].append(dict(rows["fct_player_season_stats"][0]))
    with pytest.raises(gold.GoldError, match=r"player_season_impact.*\(team_id, athlete_id\) has 1 repeated"):
        build(tmp_path / "lake", rows)


def test_unreachable_warehouse_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", "host=127.0.0.1 port=1 dbname=nowhere user=nobody")
    with pytest.raises(gold.GoldError, match=r"warehouse.*HOOPS_POSTGRES_DSN"):
        build(tmp_path / "lake")


def test_warehouse_without_migrations_is_a_clear_error(tmp_path, warehouse_dsn):
    with pytest.raises(gold.GoldError, match="bt_team_metrics_daily does not exist"):
        build(tmp_path / "lake")


def test_a_switcher_gets_the_conference_it_played_in_on_every_rebuild(tmp_path, warehouse_dsn):
    """Stephen F. Austin 2023 style: Akron's rows name two conferences. Its conference games say WAC, its
    latest (and a non-conference) game say Southland: gold picks WAC, whatever order silver's rows are in."""
    load_bt()
    rows = silver_rows()
    for g in rows["fct_games"]:
        side = "home" if g["home_team_id"] == 3 else "away" if g["away_team_id"] == 3 else None
        if side is None:
            continue
        g["conference_game"] = g["game_id"] in (2, 5)
        g[f"{side}_conference"] = "WAC" if g["conference_game"] else "Southland"
    build(tmp_path / "a", rows)
    rows["fct_games"].reverse()
    build(tmp_path / "b", rows)
    for root in (tmp_path / "a", tmp_path / "b"):
        summary = {r["team_id"]: r["conference"] for r in read(root, "team_season_summary")}
        assert summary == {1: "WAC", 2: "MWC", 3: "WAC", 5: "SEC", 99999: "Ind"}  # one row each, D1 only
        daily = read(root, "team_quality_daily")
        assert {r["conference"] for r in daily if r["cbbd_team_id"] == 3} == {"WAC"}
    for table in ("team_season_summary", "team_quality_daily"):
        key = f"gold/{table}/season={SEASON}/part-0000.parquet"
        assert (tmp_path / "a" / key).read_bytes() == (tmp_path / "b" / key).read_bytes()
