-- One row per team per game from fct_games (both sides), the shape every per-team gold table starts from.
-- Cancelled and postponed games never happened; scheduled ones have null points. `conference` is the side's
-- conference as the API gives it for that season's game: null for a team outside Division I.
SELECT game_id, season, game_date, start_date, neutral_site, conference_game, true AS is_home,
       home_team_id AS team_id, away_team_id AS opponent_id,
       home_team AS team, home_conference AS conference, away_conference AS opponent_conference,
       home_elo_start AS elo_start, home_elo_end AS elo_end,
       home_points AS points, away_points AS opponent_points
FROM silver_fct_games
WHERE coalesce(lower(status), '') NOT IN ('cancelled', 'postponed')
UNION ALL
SELECT game_id, season, game_date, start_date, neutral_site, conference_game, false,
       away_team_id, home_team_id,
       away_team, away_conference, home_conference,
       away_elo_start, away_elo_end,
       away_points, home_points
FROM silver_fct_games
WHERE coalesce(lower(status), '') NOT IN ('cancelled', 'postponed')
