-- One row per D1 team (see views/season_teams.sql) per day, from the season's first
-- game day to its last. Every rating is the latest one published on or before the day, so a row says what
-- was known about the team at the end of that day.
WITH days AS (
    SELECT unnest(generate_series(min(game_date), max(game_date), INTERVAL 1 DAY))::DATE AS date
    FROM team_games
),
-- Running record and Elo per team, one row per game day; the day's last game sets the Elo.
to_date AS (
    SELECT team_id, game_date,
           sum(count(points)) OVER w AS games,
           sum(count(*) FILTER (WHERE points > opponent_points)) OVER w AS wins,
           sum(count(*) FILTER (WHERE points < opponent_points)) OVER w AS losses,
           last_value(arg_max(elo_end, start_date) IGNORE NULLS) OVER w AS game_elo
    FROM team_games
    GROUP BY team_id, game_date
    WINDOW w AS (PARTITION BY team_id ORDER BY game_date)
)
SELECT t.season, d.date, t.cbbd_team_id, m.team_id, t.team, t.conference,
       adj.offensive_rating, adj.defensive_rating, adj.net_rating, adj.rank_net,
       adj.asof AS ratings_asof,
       srs.rating AS srs,
       coalesce(elo.elo, r.game_elo) AS elo,
       coalesce(r.wins, 0)::INTEGER AS wins,
       coalesce(r.losses, 0)::INTEGER AS losses,
       coalesce(r.games, 0)::INTEGER AS games,
       bt.adjoe, bt.adjde, bt.barthag, bt.adj_tempo, bt.wab, bt.bt_rank
FROM season_teams t
CROSS JOIN days d
LEFT JOIN team_map m ON m.cbbd_team_id = t.cbbd_team_id
ASOF LEFT JOIN silver_fct_ratings_adjusted adj ON adj.team_id = t.cbbd_team_id AND d.date >= adj.asof
ASOF LEFT JOIN silver_fct_ratings_srs srs ON srs.team_id = t.cbbd_team_id AND d.date >= srs.asof
ASOF LEFT JOIN silver_fct_ratings_elo elo ON elo.team_id = t.cbbd_team_id AND d.date >= elo.asof
ASOF LEFT JOIN to_date r ON r.team_id = t.cbbd_team_id AND d.date >= r.game_date
LEFT JOIN bt_team_daily bt ON bt.cbbd_team_id = t.cbbd_team_id AND bt.snapshot_date = d.date
