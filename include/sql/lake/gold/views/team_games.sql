-- One row per team per game from fct_games (both sides), the shape every per-team gold table starts from.
-- Cancelled and postponed games never happened; scheduled ones have null points.
SELECT game_id, season, game_date, start_date, neutral_site, true AS is_home,
       home_team_id AS team_id, away_team_id AS opponent_id,
       home_elo_start AS elo_start, home_elo_end AS elo_end,
       home_points AS points, away_points AS opponent_points
FROM silver_fct_games
WHERE coalesce(lower(status), '') NOT IN ('cancelled', 'postponed')
UNION ALL
SELECT game_id, season, game_date, start_date, neutral_site, false,
       away_team_id, home_team_id,
       away_elo_start, away_elo_end,
       away_points, home_points
FROM silver_fct_games
WHERE coalesce(lower(status), '') NOT IN ('cancelled', 'postponed')
