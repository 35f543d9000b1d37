-- One row per game side with only what was known before tip-off, plus the result as labels.
-- Features come from strictly earlier games (by start time), CBBD ratings published before the game day,
-- the BartTorvik snapshot of the game day itself (snapshot D is the ratings before any game of day D), and
-- the game's own pre-game Elo and betting lines; the game's result never reaches a feature column.
-- Scheduled games are included, with null labels; so are games against non-D1 teams, flagged by
-- `is_d1` / `opponent_is_d1` (a side whose conference is null that season is outside Division I).
WITH history AS (
    SELECT *,
           game_date - lag(game_date) OVER (PARTITION BY team_id ORDER BY start_date, game_id) AS rest_days,
           (count(*) FILTER (WHERE points > opponent_points) OVER before)::INTEGER AS wins_before,
           (count(*) FILTER (WHERE points < opponent_points) OVER before)::INTEGER AS losses_before,
           avg(points - opponent_points) OVER before AS avg_margin_before
    FROM team_games
    WINDOW before AS (PARTITION BY team_id ORDER BY start_date, game_id
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
-- Ratings per side: the latest CBBD snapshot published before the game day; BartTorvik's of the day itself.
rated AS (
    SELECT h.*,
           adj.offensive_rating AS adj_offensive_rating, adj.defensive_rating AS adj_defensive_rating,
           adj.net_rating AS adj_net_rating, adj.rank_net AS adj_rank_net,
           srs.rating AS srs,
           bt.barthag AS bt_barthag, bt.adjoe AS bt_adjoe, bt.adjde AS bt_adjde
    FROM history h
    ASOF LEFT JOIN silver_fct_ratings_adjusted adj ON adj.team_id = h.team_id AND h.game_date > adj.asof
    ASOF LEFT JOIN silver_fct_ratings_srs srs ON srs.team_id = h.team_id AND h.game_date > srs.asof
    ASOF LEFT JOIN bt_team_daily bt ON bt.cbbd_team_id = h.team_id AND h.game_date >= bt.snapshot_date
),
-- Consensus line over providers, in the home team's terms (a negative spread favours home); averaged in
-- provider order so the floating-point result, and the file's bytes, never vary between runs.
lines AS (
    SELECT game_id, avg(spread ORDER BY provider) AS home_spread,
           avg(over_under ORDER BY provider) AS over_under
    FROM silver_fct_lines
    GROUP BY game_id
)
SELECT t.season, t.game_id, t.game_date, t.team_id, t.opponent_id,
       t.conference IS NOT NULL AS is_d1, t.opponent_conference IS NOT NULL AS opponent_is_d1,
       t.is_home, t.neutral_site,
       t.rest_days, o.rest_days AS opponent_rest_days,
       t.elo_start AS elo_pre, o.elo_start AS opponent_elo_pre,
       t.wins_before, t.losses_before, t.avg_margin_before,
       o.wins_before AS opponent_wins_before, o.losses_before AS opponent_losses_before,
       o.avg_margin_before AS opponent_avg_margin_before,
       t.adj_offensive_rating, t.adj_defensive_rating, t.adj_net_rating, t.adj_rank_net, t.srs,
       o.adj_offensive_rating AS opponent_adj_offensive_rating,
       o.adj_defensive_rating AS opponent_adj_defensive_rating,
       o.adj_net_rating AS opponent_adj_net_rating, o.adj_rank_net AS opponent_adj_rank_net,
       o.srs AS opponent_srs,
       t.bt_barthag, t.bt_adjoe, t.bt_adjde,
       o.bt_barthag AS opponent_bt_barthag, o.bt_adjoe AS opponent_bt_adjoe, o.bt_adjde AS opponent_bt_adjde,
       CASE WHEN t.is_home THEN l.home_spread ELSE -l.home_spread END AS spread,
       l.over_under,
       t.points, t.opponent_points,
       t.points - t.opponent_points AS margin,
       CASE WHEN t.points <> t.opponent_points THEN t.points > t.opponent_points END AS win
FROM rated t
JOIN rated o ON o.game_id = t.game_id AND o.team_id = t.opponent_id
LEFT JOIN lines l ON l.game_id = t.game_id
