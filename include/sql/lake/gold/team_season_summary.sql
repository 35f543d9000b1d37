-- One row per D1 team of the season (views/season_teams.sql): record (overall, home, away, neutral),
-- scoring per game over completed games, and the last ratings of the season.
WITH record AS (
    SELECT team_id,
           count(*) AS games,
           count(*) FILTER (WHERE points > opponent_points) AS wins,
           count(*) FILTER (WHERE points < opponent_points) AS losses,
           avg(points) AS points_per_game,
           avg(opponent_points) AS opponent_points_per_game,
           count(*) FILTER (WHERE venue = 'home' AND points > opponent_points) AS home_wins,
           count(*) FILTER (WHERE venue = 'home' AND points < opponent_points) AS home_losses,
           count(*) FILTER (WHERE venue = 'away' AND points > opponent_points) AS away_wins,
           count(*) FILTER (WHERE venue = 'away' AND points < opponent_points) AS away_losses,
           count(*) FILTER (WHERE venue = 'neutral' AND points > opponent_points) AS neutral_wins,
           count(*) FILTER (WHERE venue = 'neutral' AND points < opponent_points) AS neutral_losses,
           arg_max(elo_end, start_date) FILTER (WHERE elo_end IS NOT NULL) AS last_game_elo
    FROM (
        SELECT *, CASE WHEN neutral_site THEN 'neutral' WHEN is_home THEN 'home' ELSE 'away' END AS venue
        FROM team_games
    )
    WHERE points IS NOT NULL AND opponent_points IS NOT NULL
    GROUP BY team_id
),
adj AS (
    SELECT team_id, arg_max(offensive_rating, "asof") AS offensive_rating,
           arg_max(defensive_rating, "asof") AS defensive_rating, arg_max(net_rating, "asof") AS net_rating,
           arg_max(rank_net, "asof") AS rank_net, max("asof") AS ratings_asof
    FROM silver_fct_ratings_adjusted GROUP BY team_id
),
srs AS (SELECT team_id, arg_max(rating, "asof") AS srs FROM silver_fct_ratings_srs GROUP BY team_id),
elo AS (SELECT team_id, arg_max(elo, "asof") AS elo FROM silver_fct_ratings_elo GROUP BY team_id),
bt AS (
    SELECT cbbd_team_id AS team_id, arg_max(barthag, snapshot_date) AS bt_barthag,
           arg_max(bt_rank, snapshot_date) AS bt_rank, max(snapshot_date) AS bt_snapshot_date
    FROM bt_team_daily GROUP BY cbbd_team_id
)
SELECT t.season, t.cbbd_team_id AS team_id, t.team, t.conference,
       coalesce(r.games, 0)::INTEGER AS games,
       coalesce(r.wins, 0)::INTEGER AS wins,
       coalesce(r.losses, 0)::INTEGER AS losses,
       r.points_per_game, r.opponent_points_per_game,
       coalesce(r.home_wins, 0)::INTEGER AS home_wins, coalesce(r.home_losses, 0)::INTEGER AS home_losses,
       coalesce(r.away_wins, 0)::INTEGER AS away_wins, coalesce(r.away_losses, 0)::INTEGER AS away_losses,
       coalesce(r.neutral_wins, 0)::INTEGER AS neutral_wins,
       coalesce(r.neutral_losses, 0)::INTEGER AS neutral_losses,
       adj.offensive_rating, adj.defensive_rating, adj.net_rating, adj.rank_net, adj.ratings_asof,
       srs.srs,
       coalesce(elo.elo, r.last_game_elo) AS elo,
       bt.bt_barthag, bt.bt_rank, bt.bt_snapshot_date
FROM season_teams t
LEFT JOIN record r ON r.team_id = t.cbbd_team_id
LEFT JOIN adj ON adj.team_id = t.cbbd_team_id
LEFT JOIN srs ON srs.team_id = t.cbbd_team_id
LEFT JOIN elo ON elo.team_id = t.cbbd_team_id
LEFT JOIN bt ON bt.team_id = t.cbbd_team_id
